/**
 * The lab statistics (src/lab/statistics.ts) against R (test/lab/golden/lab.R → lab.json): ANOVA F and p,
 * Dunnett, Bonferroni (against the control and all pairs) and Tukey adjusted p to 1e-8 relative on the values
 * tables of the virtual experiment (seed 1) and on ToothGrowth; the donor as a random effect against lmerTest;
 * and the committed values tables are what `carto lab` computes from `carto simulate-lab --seed 1` today.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseExperimentJson, type ExperimentDesign, type Sample } from '../../src/lab/experiment.js';
import { readExperiment } from '../../src/lab/read.js';
import type { Readout } from '../../src/lab/readouts.js';
import { labSections } from '../../src/lab/report.js';
import { readoutStatistics, type ReadoutStatistics } from '../../src/lab/statistics.js';
import { writeSimulatedLabFiles } from '../../src/lab/write-simulated.js';
import { formatCsv, readCsv } from '../../src/io/csv.js';
import { simulateLab } from '../../src/sim/lab.js';
import { assertClose } from '../helpers/assert-close.js';

const here = new URL('./golden/', import.meta.url).pathname;
type Cmp = { stratum: string; a: string; b: string; diff: number; pAdjusted: number };
type Case = {
  formula: string;
  anova: { term: string[]; df: number[]; F: number[]; p: number[] };
  posthoc: Record<'dunnett' | 'bonferroni_control' | 'bonferroni_all' | 'tukey', Cmp[]>;
  tukeyHSD?: { pair: string[]; diff: number[]; pAdjusted: number[] };
  pairwiseT?: { a: string[]; b: string[]; pAdjusted: number[] };
  glhtDunnett?: { pAdjusted: number[] };
  mixed?: {
    formula: string;
    term: string[];
    numDf: number[];
    denDf: number[];
    F: number[];
    p: number[];
    pairs: { name: string[]; estimate: number[]; se: number[]; df: number[]; p: number[] };
  };
};
/** R's jsonlite writes length-1 vectors as scalars (auto_unbox): make every vector field an array again. */
function arrays(g: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(g)) {
    if (
      ['anova', 'mixed', 'pairs', 'tukeyHSD', 'pairwiseT', 'glhtDunnett'].includes(k) &&
      v &&
      typeof v === 'object'
    )
      for (const [f, x] of Object.entries(v)) {
        if (f === 'pairs') arrays({ pairs: x });
        else if (f !== 'formula' && !Array.isArray(x) && typeof x !== 'object')
          (v as Record<string, unknown>)[f] = [x];
      }
    if (k !== 'pairs' && v && typeof v === 'object' && !Array.isArray(v))
      arrays(v as Record<string, unknown>);
  }
}
const golden = JSON.parse(readFileSync(join(here, 'lab.json'), 'utf8')) as Record<string, Case>;
arrays(golden);
const simDesign = parseExperimentJson(simulateLab(1).experimentJson, 'experiment.json');

/** Samples and a readout from a values table (sample, design columns, value). */
function fromValues(
  file: string,
  d: ExperimentDesign,
  response = 'value',
): { samples: Map<string, Sample>; readout: Readout } {
  const t = readCsv(file);
  const samples = new Map<string, Sample>();
  const values = new Map<string, number>();
  const seen = new Map<string, number>();
  t.rows.forEach((r, i) => {
    const id = r['sample'] ?? `row${i + 1}`;
    const levels: Record<string, string> = {};
    for (const f of d.factors) levels[f.name] = r[f.name]!;
    const cell = JSON.stringify(levels) + (r['donor'] ?? '') + (r['day'] ?? '');
    seen.set(cell, (seen.get(cell) ?? 0) + 1);
    samples.set(id, {
      id,
      row: i + 1,
      levels,
      donor: d.donors ? r[d.donors.name]! : null,
      replicate: r['replicate'] !== undefined ? Number(r['replicate']) : seen.get(cell)!,
      time: d.time ? Number(r[d.time.name]) : null,
    });
    values.set(id, Number(r[response]));
  });
  return { samples, readout: { id: 'x', assay: 'counts', title: 'x', unit: '', values, notes: [] } };
}

const withStats = (
  d: ExperimentDesign,
  posthoc: 'dunnett' | 'bonferroni' | 'tukey',
  compare: 'control' | 'all',
): ExperimentDesign => ({
  ...d,
  statistics: { ...d.statistics, posthoc, compare },
});

function checkCase(
  label: string,
  s: (p: 'dunnett' | 'bonferroni' | 'tukey', c: 'control' | 'all') => ReadoutStatistics,
  g: Case,
): void {
  const st = s('dunnett', 'control');
  assert.equal(
    st.formula.replace(/^value/, g.formula.split(' ~ ')[0]!).replace(/ /g, ''),
    g.formula.replace(/ /g, ''),
    `${label} formula`,
  );
  assert.deepEqual(
    st.rows.map((r) => r.term),
    g.anova.term,
    `${label} terms`,
  );
  st.rows.forEach((r, i) => {
    assert.equal(r.df, g.anova.df[i]);
    assertClose(r.F, g.anova.F[i]!, 1e-8, `${label} F ${r.term}`);
    assertClose(r.pValue, g.anova.p[i]!, 1e-8, `${label} p ${r.term}`, 1e-300);
  });
  const families: [keyof Case['posthoc'], 'dunnett' | 'bonferroni' | 'tukey', 'control' | 'all'][] = [
    ['dunnett', 'dunnett', 'control'],
    ['bonferroni_control', 'bonferroni', 'control'],
    ['bonferroni_all', 'bonferroni', 'all'],
    ['tukey', 'tukey', 'all'],
  ];
  for (const [key, method, compare] of families) {
    const got = s(method, compare).posthoc!.comparisons;
    const want = g.posthoc[key];
    assert.equal(got.length, want.length, `${label} ${key} count`);
    want.forEach((w) => {
      const c = got.find((x) => x.a === w.a && x.b === w.b && (x.stratum ?? '') === w.stratum);
      assert.ok(c, `${label} ${key}: no comparison ${w.a} − ${w.b} ${w.stratum}`);
      assertClose(c.diff, w.diff, 1e-10, `${label} ${key} diff ${w.a} − ${w.b} ${w.stratum}`);
      // Dunnett/Tukey upper tails are 1 − P in both programs: tiny p agree to an absolute floor only
      assertClose(c.pAdjusted, w.pAdjusted, 1e-8, `${label} ${key} p ${w.a} − ${w.b} ${w.stratum}`, 1e-13);
    });
  }
}

describe('lab statistics against R', () => {
  for (const id of [
    'lysis_molm_13_et10_pct',
    'ifng_pg_ml',
    'ido1_rel_gapdh',
    'pd1_pct_of_cd8',
    'cells_per_ml',
  ]) {
    it(`${id}: ANOVA and post-hoc (virtual experiment, seed 1)`, () => {
      const { samples, readout } = fromValues(join(here, `${id}-values.csv`), simDesign);
      const g = golden[id]!;
      checkCase(id, (p, c) => readoutStatistics(readout, samples, withStats(simDesign, p, c)), g);
      if (g.tukeyHSD) {
        const t = readoutStatistics(readout, samples, withStats(simDesign, 'tukey', 'all')).posthoc!
          .comparisons;
        g.tukeyHSD.pair.forEach((pair, i) => {
          const c = t.find((x) => `${x.a}-${x.b}` === pair)!;
          assert.ok(c, pair);
          assertClose(c.pAdjusted, g.tukeyHSD!.pAdjusted[i]!, 1e-8, `${id} TukeyHSD ${pair}`, 1e-13);
        });
      }
      if (g.mixed) {
        const m = readoutStatistics(readout, samples, {
          ...withStats(simDesign, 'bonferroni', 'all'),
          donors: { ...simDesign.donors!, model: 'random' },
        });
        assert.equal(m.formula, g.mixed.formula);
        assert.deepEqual(
          m.rows.map((r) => r.term),
          g.mixed.term,
        );
        m.rows.forEach((r, i) => {
          assertClose(r.F, g.mixed!.F[i]!, 1e-6, `${id} mixed F`);
          assertClose(r.denDf!, g.mixed!.denDf[i]!, 1e-6, `${id} mixed denDf`);
          assertClose(r.pValue, g.mixed!.p[i]!, 1e-6, `${id} mixed p`, 1e-300);
        });
        // ls_means pairs "conditionA - conditionB": estimate a − b
        g.mixed.pairs.name.forEach((name, i) => {
          const [a, b] = name.split(' - ').map((x) => x.replace(/^condition/, ''));
          const c = m.posthoc!.comparisons.find((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a))!;
          const sign = c.a === a ? 1 : -1;
          assertClose(sign * c.diff, g.mixed!.pairs.estimate[i]!, 1e-6, `${id} mixed diff ${name}`);
          assertClose(c.se, g.mixed!.pairs.se[i]!, 1e-6, `${id} mixed se ${name}`);
          assertClose(c.df, g.mixed!.pairs.df[i]!, 1e-6, `${id} mixed df ${name}`);
          assertClose(c.pValue, g.mixed!.pairs.p[i]!, 1e-6, `${id} mixed p ${name}`, 1e-300);
        });
      }
    });
  }

  const tgDesign = (twoWay: boolean): ExperimentDesign => ({
    ...simDesign,
    factors: [
      { name: 'dose', levels: ['0.5', '1', '2'], control: '0.5' },
      ...(twoWay ? [{ name: 'supp', levels: ['OJ', 'VC'], control: 'OJ' }] : []),
    ],
    donors: null,
    time: null,
    replicates: twoWay ? 10 : 20,
  });
  for (const twoWay of [true, false]) {
    it(`ToothGrowth ${twoWay ? 'len ~ dose * supp, dose within each supp' : 'len ~ dose (TukeyHSD, pairwise.t.test, glht Dunnett)'}`, () => {
      const d = tgDesign(twoWay);
      const { samples, readout } = fromValues(join(here, 'toothgrowth.csv'), d, 'len');
      const g = golden[twoWay ? 'toothgrowth_twoway' : 'toothgrowth_oneway']!;
      checkCase('toothgrowth', (p, c) => readoutStatistics(readout, samples, withStats(d, p, c)), g);
      if (!twoWay) {
        const tk = readoutStatistics(readout, samples, withStats(d, 'tukey', 'all')).posthoc!.comparisons;
        g.tukeyHSD!.pair.forEach((pair, i) =>
          assertClose(
            tk.find((x) => `${x.a}-${x.b}` === pair)!.pAdjusted,
            g.tukeyHSD!.pAdjusted[i]!,
            1e-8,
            pair,
            1e-13,
          ),
        );
        const bf = readoutStatistics(readout, samples, withStats(d, 'bonferroni', 'all')).posthoc!
          .comparisons;
        g.pairwiseT!.a.forEach((a, i) =>
          assertClose(
            bf.find((x) => x.a === a && x.b === g.pairwiseT!.b[i])!.pAdjusted,
            g.pairwiseT!.pAdjusted[i]!,
            1e-8,
            `pairwise.t.test ${a}`,
            1e-13,
          ),
        );
        const dn = readoutStatistics(readout, samples, withStats(d, 'dunnett', 'control')).posthoc!
          .comparisons;
        // glht's multivariate t is quasi-Monte Carlo (error ~1e-4): agreement to its error only
        dn.forEach((c, i) => assertClose(c.pAdjusted, g.glhtDunnett!.pAdjusted[i]!, 0, `glht ${c.a}`, 2e-3));
      }
    });
  }

  it('the committed values tables are what carto lab computes from simulate-lab --seed 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carto-lab-golden-'));
    try {
      writeSimulatedLabFiles(dir, 1);
      const exp = readExperiment(dir);
      for (const s of labSections(exp.readouts, exp.samples, exp.design)) {
        const text = formatCsv(s.stats!.columns, s.stats!.values);
        assert.equal(text, readFileSync(join(here, `${s.section.id}-values.csv`), 'utf8'), s.section.id);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The experiment bundle end to end: `carto simulate-lab` then `carto lab` (files, results.json contract, exit
 * codes), the simulated experiment's planted effects recovered over a few seeds, and bad input — a sample
 * without its FCS file, a gate on a channel the files lack, a condition not in the design, an unknown key in
 * experiment.json (errors naming file, row, field and value; exit 2) — and an unbalanced design (stated, not
 * refused).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { register } from '../../src/cli/commands/lab.js';
import { register as registerRun } from '../../src/cli/commands/run.js';
import { InputError } from '../../src/errors.js';
import { readExperiment } from '../../src/lab/read.js';
import { labSections } from '../../src/lab/report.js';
import { writeSimulatedLabFiles } from '../../src/lab/write-simulated.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { recoveryOfSeed, recoveryRates } from './recovery.js';

/** The part of results.json the tests read. */
interface ResultsDoc {
  sections: Record<
    string,
    {
      formula: string;
      values: string;
      tables: string[];
      rows: Record<string, unknown>[];
      posthoc: { comparisons: Record<string, unknown>[] };
    }
  >;
  tables: Record<string, { columns: string[]; rows: unknown[] }>;
}

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'carto-lab-test-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh simulated bundle (seed 1) in its own folder, edited by `edit`. */
function bundle(name: string, edit: (dir: string) => void = () => undefined): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeSimulatedLabFiles(dir, 1);
  edit(dir);
  return dir;
}

const edit = (file: string, f: (text: string) => string): void =>
  writeFileSync(file, f(readFileSync(file, 'utf8')));
const inputError = (fn: () => unknown): InputError => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    return e;
  }
  assert.fail('no error thrown');
};

describe('carto simulate-lab and carto lab', () => {
  it('writes the bundle and the report; results.json keeps the stats anova shape', async () => {
    const exp = join(root, 'cli-exp');
    const out = join(root, 'cli-report');
    const s = await runInProcess(register, ['simulate-lab', '--out', exp, '--seed', '3', '--json']);
    assert.equal(s.code, 0, s.err);
    assert.equal((JSON.parse(s.out) as { fcsFiles: number }).fcsFiles, 36);
    const r = await runInProcess(register, ['lab', exp, '--out', out, '--json']);
    assert.equal(r.code, 0, r.err);
    for (const f of [
      'index.html',
      'results.json',
      'figures/ifng_pg_ml.svg',
      'tables/ifng_pg_ml-values.csv',
      'tables/cells_per_ml-posthoc.csv',
    ])
      assert.ok(existsSync(join(out, f)), f);
    const doc = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsDoc;
    const sec = doc.sections['ifng_pg_ml']!;
    assert.equal(sec.formula, 'value ~ donor + condition');
    assert.equal(sec.values, 'ifng_pg_ml-values');
    assert.ok(sec.tables.includes('ifng_pg_ml-values'));
    assert.deepEqual(doc.tables['ifng_pg_ml-values']!.columns, [
      'sample',
      'condition',
      'donor',
      'replicate',
      'day',
      'value',
    ]);
    assert.equal(doc.tables['ifng_pg_ml-values']!.rows.length, 36);
    for (const row of sec.rows) for (const k of ['term', 'df', 'F', 'pValue']) assert.ok(k in row, k);
    assert.equal(sec.posthoc.comparisons.length, 3);
    for (const c of sec.posthoc.comparisons)
      for (const k of ['a', 'b', 'diff', 'pAdjusted']) assert.ok(k in c, k);
    assert.equal(doc.sections['cells_per_ml']!.formula, 'value ~ donor + condition * factor(day)');
    assert.equal(doc.sections['cells_per_ml']!.posthoc.comparisons.length, 12);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.doesNotMatch(html, /<script|src="http/);
    // a second run replaces the earlier report; a folder of another kind is refused
    assert.equal((await runInProcess(register, ['lab', exp, '--out', out, '--json'])).code, 0);
    const refused = await runInProcess(register, ['lab', exp, '--out', exp]);
    assert.equal(refused.code, 2);
  });

  it('carto demo --lab runs the virtual experiment end to end', async () => {
    const out = join(root, 'demo-lab');
    const r = await runInProcess(registerRun, ['demo', '--lab', '--out', out, '--seed', '2', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { readouts: { status: string }[] };
    assert.equal(j.readouts.length, 13);
    assert.ok(j.readouts.every((x) => x.status === 'ok'));
    for (const f of [
      'bundle/experiment.json',
      'bundle/truth.json',
      'report/index.html',
      'report/results.json',
    ])
      assert.ok(existsSync(join(out, f)), f);
    const bad = await runInProcess(registerRun, [
      'demo',
      '--lab',
      '--patients',
      '5',
      '--out',
      join(root, 'demo-bad'),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /option --patients/);
  });

  it('recovers the planted effects and keeps the nulls (seeds 1–2)', () => {
    const rows = [1, 2].flatMap((seed) => recoveryOfSeed(seed));
    const r = recoveryRates(rows);
    assert.equal(r.planted.found, r.planted.total, JSON.stringify(rows.filter((x) => x.planted && !x.ok)));
    assert.ok(r.planted.total >= 20);
    assert.ok(r.nulls.kept / r.nulls.total >= 0.85, JSON.stringify(r));
  });
});

describe('bad input', () => {
  it('a sample without its FCS file: flow.csv, row, field file, the path', () => {
    const dir = bundle('no-fcs', (d) => rmSync(join(d, 'fcs', 'S-d7-c2-D1-r2.fcs')));
    const e = inputError(() => readExperiment(dir));
    assert.equal(e.location.file, join(dir, 'flow.csv'));
    assert.equal(e.location.field, 'file');
    assert.equal(e.location.value, 'fcs/S-d7-c2-D1-r2.fcs');
    assert.ok(typeof e.location.row === 'number' && e.location.row > 0);
    assert.match(e.message, /not found/);
  });

  it('a gate naming a channel the FCS files do not have: the FCS file, the gating file and the channel', () => {
    const dir = bundle('bad-channel', (d) =>
      edit(join(d, 'gating.xml'), (t) => t.replace('"PE-A"', '"BV786-A"')),
    );
    const e = inputError(() => readExperiment(dir));
    assert.match(String(e.location.file), /\.fcs$/);
    assert.match(e.message, /gating\.xml/);
    assert.match(e.message, /BV786-A/);
  });

  it('a readout gate that is not in the gating: experiment.json field and the nearest gate', () => {
    const dir = bundle('bad-gate', (d) =>
      edit(join(d, 'experiment.json'), (t) => t.replace('"PD1pos"', '"PD1-pos"')),
    );
    const e = inputError(() => readExperiment(dir));
    assert.equal(e.location.field, 'assays.flow.readouts[0].gate');
    assert.equal(e.location.value, 'PD1-pos');
    assert.match(e.message, /did you mean `PD1pos`/);
  });

  it('a condition not in the design: samples.csv, row, column, value and the nearest level (CLI exit 2)', async () => {
    const dir = bundle('bad-condition', (d) =>
      edit(join(d, 'samples.csv'), (t) =>
        t.replace('S-d1-c2-D1-r1,CAR+TM+MSC,', 'S-d1-c2-D1-r1,CAR+TM+MCS,'),
      ),
    );
    const e = inputError(() => readExperiment(dir));
    assert.equal(e.location.file, join(dir, 'samples.csv'));
    assert.equal(e.location.row, 10);
    assert.equal(e.location.field, 'condition');
    assert.equal(e.location.value, 'CAR+TM+MCS');
    assert.match(e.message, /did you mean `CAR\+TM\+MSC`/);
    const r = await runInProcess(register, ['lab', dir, '--out', join(root, 'never')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /samples\.csv, row 10, field condition/);
    assert.ok(!existsSync(join(root, 'never')));
  });

  it('an unknown key in experiment.json names the nearest key', () => {
    const dir = bundle('bad-key', (d) =>
      edit(join(d, 'experiment.json'), (t) => t.replace('"description"', '"descripton"')),
    );
    const e = inputError(() => readExperiment(dir));
    assert.match(e.message, /unknown top-level key `descripton` \(did you mean `description`\?\)/);
  });

  it('an unbalanced design is stated, not refused', () => {
    const dir = bundle('unbalanced', (d) => {
      // drop two day-2 samples (counted only) from samples.csv and counts.csv
      for (const f of ['samples.csv', 'counts.csv'])
        edit(join(d, f), (t) =>
          t
            .split('\n')
            .filter((l) => !l.startsWith('S-d2-c2-D1-r3,') && !l.startsWith('S-d2-c4-D2-r1,'))
            .join('\n'),
        );
    });
    const exp = readExperiment(dir);
    assert.ok(
      exp.warnings.some((w) => /CAR\+TM\+MSC × D1 × 2 has 2 of 3 replicates/.test(w)),
      exp.warnings.join('\n'),
    );
    const s = labSections(exp.readouts, exp.samples, exp.design).find(
      (x) => x.readout.id === 'cells_per_ml',
    )!;
    assert.equal(s.section.status, 'ok');
    assert.equal(s.stats!.balanced, false);
    assert.ok(s.stats!.warnings.some((w) => /unbalanced/.test(w)));
    assert.equal(s.stats!.values.length, 142);
    // the donor block's post-hoc: the model's marginal means, single-step Dunnett (test/lab/block-posthoc.test.ts)
    assert.equal(s.stats!.posthoc!.method, 'dunnett');
    assert.equal(s.stats!.posthoc!.comparisons.length, 12);
  });

  it('donor as a random effect in an unbalanced design: lmerTest-style F tests and post-hoc, stated', () => {
    const dir = bundle('random-unbalanced', (d) => {
      edit(join(d, 'experiment.json'), (t) => t.replace('"model": "block"', '"model": "random"'));
      for (const f of [
        'samples.csv',
        'counts.csv',
        'cytokines.csv',
        'cytotoxicity.csv',
        'qpcr.csv',
        'flow.csv',
      ])
        edit(join(d, f), (t) =>
          t
            .split('\n')
            .filter((l) => !l.includes('S-d7-c2-D1-r3'))
            .join('\n'),
        );
      rmSync(join(d, 'fcs', 'S-d7-c2-D1-r3.fcs'));
    });
    const exp = readExperiment(dir);
    assert.ok(
      exp.warnings.some((w) => /D1 × 7 has 2 of 3 replicates/.test(w)),
      exp.warnings.join('\n'),
    );
    const sections = labSections(exp.readouts, exp.samples, exp.design);
    const ifng = sections.find((x) => x.readout.id === 'ifng_pg_ml')!.stats!;
    assert.equal(ifng.formula, 'value ~ condition + (1 | donor)');
    assert.equal(ifng.model, 'mixed');
    assert.equal(ifng.values.length, 35);
    assert.ok(ifng.rows[0]!.denDf! > 0 && ifng.rows[0]!.pValue < 1e-6);
    assert.equal(ifng.posthoc!.comparisons.length, 3);
    assert.ok(ifng.posthoc!.comparisons.every((c) => c.pAdjusted < 0.05));
    // within each day (the cells named as the fixed donor's: "day=7"), from the mixed model's fixed effects with
    // Satterthwaite df per contrast (test/lab/mvt-posthoc.test.ts checks the values against lmerTest)
    const counts = sections.find((x) => x.readout.id === 'cells_per_ml')!.stats!;
    assert.equal(counts.formula, 'value ~ condition * factor(day) + (1 | donor)');
    assert.equal(counts.posthoc!.method, 'dunnett');
    const cmp = counts.posthoc!.comparisons;
    assert.equal(cmp.length, 12);
    assert.deepEqual([...new Set(cmp.map((c) => c.stratum))], ['day=1', 'day=2', 'day=5', 'day=7']);
    assert.ok(cmp.every((c) => c.b === 'CAR+TM' && c.df > 0 && c.pAdjusted >= c.pValue && c.pAdjusted <= 1));
    assert.ok(!counts.warnings.some((w) => /random donor/.test(w)), counts.warnings.join('\n'));
  });

  it('FlowJo workspace gating gives the same flow readout as the Gating-ML', () => {
    const dir = bundle('flowjo', (d) => {
      const files = readFileSync(join(d, 'flow.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[1]!.replace(/^fcs\//, ''));
      const dim = (name: string, min: number, max?: number): string =>
        `<gating:dimension gating:min="${min}"${max !== undefined ? ` gating:max="${max}"` : ''}>` +
        `<data-type:fcs-dimension data-type:name="${name}"/></gating:dimension>`;
      const samples = files
        .map(
          (f, i) =>
            `<Sample><DataSet uri="file:/x/${f}" sampleID="${i + 1}"/>` +
            `<SampleNode name="${f}" sampleID="${i + 1}"><Subpopulations>` +
            `<Population name="Lymphocytes"><Gate><gating:RectangleGate gating:id="l${i}">` +
            `${dim('FSC-A', 40000, 130000)}${dim('SSC-A', 5000, 50000)}</gating:RectangleGate></Gate><Subpopulations>` +
            `<Population name="CD8"><Gate><gating:RectangleGate gating:id="c${i}">${dim('PerCP-Cy5.5-A', 1000)}` +
            `</gating:RectangleGate></Gate><Subpopulations><Population name="PD1pos"><Gate>` +
            `<gating:RectangleGate gating:id="p${i}">${dim('PE-A', 1000)}</gating:RectangleGate></Gate></Population>` +
            `</Subpopulations></Population></Subpopulations></Population></Subpopulations></SampleNode></Sample>`,
        )
        .join('\n');
      writeFileSync(
        join(d, 'gating.wsp'),
        `<?xml version="1.0" encoding="UTF-8"?>\n<Workspace version="20.0" ` +
          `xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating" ` +
          `xmlns:transforms="http://www.isac-net.org/std/Gating-ML/v2.0/transformations" ` +
          `xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">\n<SampleList>${samples}</SampleList></Workspace>\n`,
      );
      edit(join(d, 'flow.csv'), (t) => t.replace(/gating\.xml/g, 'gating.wsp'));
      edit(join(d, 'experiment.json'), (t) =>
        t
          .replace('"PD1pos"', '"Lymphocytes/CD8/PD1pos"')
          .replace('"gate": "CD8"', '"gate": "Lymphocytes/CD8"'),
      );
    });
    const viaFlowJo = readExperiment(dir).readouts.find((r) => r.id === 'pd1_pct_of_cd8')!;
    const viaGatingMl = readExperiment(bundle('flowjo-reference')).readouts.find(
      (r) => r.id === 'pd1_pct_of_cd8',
    )!;
    assert.equal(viaFlowJo.values.size, 36);
    for (const [sample, v] of viaGatingMl.values) assert.equal(viaFlowJo.values.get(sample), v, sample);
  });
});

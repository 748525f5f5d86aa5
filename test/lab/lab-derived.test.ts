/**
 * The readouts across samples and time (experiment.json `derived`: expansionFold, killingKinetics) and the
 * senescence markers within memory subsets (flow readout kind `senescence`), docs/experiment-bundle.md: each
 * per-sample value equals the pure function of src/flow (expansionFolds, killingKinetics,
 * senescenceByMemorySubset) computed here from the same files of the virtual experiment; bad input names file,
 * field and value (a reference time not in the design, a sample missing at the reference, a subset that the
 * memory markers cannot define, a gate absent, a target-alone control missing; exit 2 from the CLI).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { register } from '../../src/cli/commands/lab.js';
import { InputError } from '../../src/errors.js';
import { expansionFolds, killingKinetics } from '../../src/flow/counts.js';
import { applyGates } from '../../src/flow/gates.js';
import { senescenceByMemorySubset } from '../../src/flow/markers.js';
import { readCsv } from '../../src/io/csv.js';
import { readFcs } from '../../src/io/fcs/reader.js';
import { readGatingMl } from '../../src/io/gatingml.js';
import { readExperiment, type LabExperiment } from '../../src/lab/read.js';
import { readoutStatistics } from '../../src/lab/statistics.js';
import { writeSimulatedLabFiles } from '../../src/lab/write-simulated.js';
import { trapezoidAuc } from '../../src/stats/auc.js';
import { runInProcess } from '../helpers/cli-in-process.js';

let root: string;
let base: string;
let exp: LabExperiment;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'carto-lab-derived-'));
  base = bundle('base');
  exp = readExperiment(base);
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh simulated bundle (seed 4) in its own folder, edited by `edit`. */
function bundle(name: string, edit: (dir: string) => void = () => undefined): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeSimulatedLabFiles(dir, 4);
  edit(dir);
  return dir;
}
/** The parts of the simulated experiment.json the tests edit. */
interface ExperimentJsonEdit {
  time?: unknown;
  derived: { from: string; reference: unknown; [k: string]: unknown }[];
  assays: {
    flow: { readouts: { subsets?: string[]; gate?: string; memory?: { CCR7: { channel: string } } }[] };
  };
}
const editJson = (dir: string, f: (j: ExperimentJsonEdit) => void): void => {
  const file = join(dir, 'experiment.json');
  const j = JSON.parse(readFileSync(file, 'utf8')) as ExperimentJsonEdit;
  f(j);
  writeFileSync(file, JSON.stringify(j, null, 2));
};
const dropSample = (dir: string, id: string): void => {
  for (const f of ['samples.csv', 'counts.csv'])
    writeFileSync(
      join(dir, f),
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith(`${id},`))
        .join('\n'),
    );
};
const inputError = (fn: () => unknown): InputError => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    return e;
  }
  assert.fail('no error thrown');
};

/** counts.csv of the bundle by population: sample → count; samples.csv rows by sample. */
function countsOf(dir: string, population: string): Map<string, number> {
  return new Map(
    readCsv(join(dir, 'counts.csv'))
      .rows.filter((r) => r['population'] === population)
      .map((r) => [r['sample']!, Number(r['cells_per_ml'])]),
  );
}
function seriesOf(dir: string): Map<string, { sample: string; day: number }[]> {
  const out = new Map<string, { sample: string; day: number }[]>();
  for (const r of readCsv(join(dir, 'samples.csv')).rows) {
    const k = `${r['condition']}|${r['donor']}|${r['replicate']}`;
    out.set(k, [...(out.get(k) ?? []), { sample: r['sample']!, day: Number(r['day']) }]);
  }
  return out;
}
const readout = (e: LabExperiment, id: string): Map<string, number> =>
  e.readouts.find((r) => r.id === id)!.values;

describe('lab readouts across samples and time', () => {
  it('expansion folds: each sample against its condition × donor × replicate on day 1 (expansionFolds)', () => {
    const counts = countsOf(base, '');
    const folds = readout(exp, 'expansion_fold');
    let n = 0;
    for (const series of seriesOf(base).values()) {
      const f = expansionFolds(
        series.map((s) => ({ time: s.day, count: counts.get(s.sample)! })),
        1,
      );
      for (const s of series) {
        const expected = f.find((x) => x.time === s.day)!.fold;
        if (s.day === 1) assert.equal(folds.has(s.sample), false, 'the reference day is left out');
        else {
          assert.equal(folds.get(s.sample), expected, s.sample);
          n++;
        }
      }
    }
    assert.equal(n, 108);
    assert.equal(folds.size, 108);
  });

  it('killing kinetics: % killed per sample and its AUC per series (killingKinetics, trapezoidAuc)', () => {
    const targets = countsOf(base, 'MOLM-13');
    const pct = readout(exp, 'molm_13_killed_pct');
    const auc = readout(exp, 'molm_13_killed_auc');
    for (const series of seriesOf(base).values()) {
      const k = killingKinetics(
        series.map((s) => ({ time: s.day, targetCount: targets.get(s.sample)! })),
        'initial',
      );
      for (const s of series) {
        const expected = k.find((x) => x.time === s.day)!.percentKilled;
        if (s.day === 1) assert.equal(pct.has(s.sample), false);
        else assert.equal(pct.get(s.sample), expected, s.sample);
      }
      const last = series.find((s) => s.day === 7)!.sample;
      assert.equal(
        auc.get(last),
        trapezoidAuc(
          k.map((x) => x.time),
          k.map((x) => x.percentKilled),
        ),
      );
    }
    assert.equal(auc.size, 36);
    // the values table of the AUC: one row per series, at its last day
    const s = readoutStatistics(
      exp.readouts.find((r) => r.id === 'molm_13_killed_auc')!,
      new Map(exp.samples.map((x) => [x.id, x])),
      exp.design,
    );
    assert.equal(s.formula, 'value ~ donor + condition');
    assert.equal(s.values.length, 36);
  });

  it('killing against a target-alone level: % killed = 100 (1 − target / control) at each day', () => {
    const dir = bundle('control-ref', (d) =>
      editJson(d, (j) => {
        j.derived = [
          {
            id: 'vs_no_tm',
            kind: 'killingKinetics',
            from: 'molm_13_per_ml',
            reference: { control: 'CAR-TM' },
          },
        ];
      }),
    );
    const e = readExperiment(dir);
    const targets = countsOf(dir, 'MOLM-13');
    const v = readout(e, 'vs_no_tm');
    assert.equal(v.size, 108);
    const control = (id: string): string => id.replace(/-c\d-/, '-c4-');
    for (const [id, value] of v) {
      const [k] = killingKinetics(
        [{ time: 0, targetCount: targets.get(id)!, controlCount: targets.get(control(id))! }],
        'control',
      );
      assert.equal(value, k!.percentKilled, id);
    }
    // a missing target-alone well: the field and the level
    const missing = bundle('control-missing', (d) => {
      editJson(d, (j) => {
        j.derived = [
          {
            id: 'vs_no_tm',
            kind: 'killingKinetics',
            from: 'molm_13_per_ml',
            reference: { control: 'CAR-TM' },
          },
        ];
      });
      dropSample(d, 'S-d5-c4-D2-r1');
    });
    const err = inputError(() => readExperiment(missing));
    assert.equal(err.location.field, 'derived[0].reference.control');
    assert.equal(err.location.value, 'CAR-TM');
    assert.match(err.message, /S-d5-c\d-D2-r1/);
  });

  it('senescence within memory subsets: CD57⁺ % of naive, TCM, TEM, TEMRA of CD8 (senescenceByMemorySubset)', () => {
    const gating = readGatingMl(join(base, 'gating.xml'));
    const flow = readCsv(join(base, 'flow.csv')).rows.slice(0, 6);
    for (const r of flow) {
      const events = readFcs(join(base, r['file']!)).events!;
      const cd8 = applyGates(events, gating, null).find((g) => g.id === 'CD8')!.membership;
      const x = senescenceByMemorySubset(
        events,
        cd8,
        { CD45RA: { channel: 'BV421-A', threshold: 1000 }, CCR7: { channel: 'BV605-A', threshold: 1000 } },
        { CD57: { channel: 'FITC-A', threshold: 1000 } },
      );
      const expected: Record<string, number> = {
        naive: x.subsets['naiveLike']!.markers['CD57+']!.percentOfParent,
        tcm: x.subsets['centralMemory']!.markers['CD57+']!.percentOfParent,
        tem: x.subsets['effectorMemory']!.markers['CD57+']!.percentOfParent,
        temra: x.subsets['terminalEffector']!.markers['CD57+']!.percentOfParent,
      };
      for (const [sub, v] of Object.entries(expected))
        assert.equal(readout(exp, `cd57_${sub}`).get(r['sample']!), v, `${r['sample']} ${sub}`);
    }
    assert.equal(exp.readouts.find((r) => r.id === 'cd57_tem')!.unit, '% of subset');
  });
});

describe('bad input of the readouts across samples', () => {
  it('a reference time not in the design: experiment.json, derived[0].reference.time, the value', () => {
    const dir = bundle('ref-time', (d) =>
      editJson(d, (j) => {
        j.derived[0]!.reference = { time: 0 };
      }),
    );
    const e = inputError(() => readExperiment(dir));
    assert.equal(e.location.file, join(dir, 'experiment.json'));
    assert.equal(e.location.field, 'derived[0].reference.time');
    assert.equal(e.location.value, 0);
    assert.match(e.message, /time\.levels \(1, 2, 5, 7\)/);
  });

  it('a design without time: the derived readout names its kind', () => {
    const dir = bundle('no-time', (d) =>
      editJson(d, (j) => {
        delete j.time;
      }),
    );
    const e = inputError(() => readExperiment(dir));
    assert.equal(e.location.field, 'derived[0].kind');
    assert.equal(e.location.value, 'expansionFold');
  });

  it('a sample missing at the reference time: the field, the time and the samples that need it (exit 2)', async () => {
    const dir = bundle('ref-missing', (d) => dropSample(d, 'S-d1-c2-D1-r3'));
    const e = inputError(() => readExperiment(dir));
    assert.equal(e.location.file, join(dir, 'experiment.json'));
    assert.equal(e.location.field, 'derived[0].reference.time');
    assert.equal(e.location.value, 1);
    assert.match(
      e.message,
      /condition=CAR\+TM\+MSC, donor=D1, replicate=3 has no cells_per_ml value at day 1/,
    );
    assert.match(e.message, /S-d2-c2-D1-r3/);
    const r = await runInProcess(register, ['lab', dir, '--out', join(root, 'never')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /field derived\[0\]\.reference\.time/);
    assert.ok(!existsSync(join(root, 'never')));
    // killing against the first day: the same sample missing is refused for it too
    editJson(dir, (j) => {
      j.derived = j.derived.slice(1);
    });
    const k = inputError(() => readExperiment(dir));
    assert.equal(k.location.field, 'derived[0].reference');
    assert.equal(k.location.value, 'initial');
  });

  it('an AUC series missing a time point is left out and stated, not refused', () => {
    const dir = bundle('auc-missing', (d) => dropSample(d, 'S-d5-c3-D3-r2'));
    const e = readExperiment(dir);
    assert.equal(readout(e, 'molm_13_killed_auc').size, 35);
    assert.ok(
      e.warnings.some((w) => /molm_13_killed_auc: .*replicate=2.*day 5; left out of the AUC/.test(w)),
    );
  });

  it('a source readout that does not exist names the nearest readout', () => {
    const dir = bundle('from', (d) =>
      editJson(d, (j) => {
        j.derived[0]!.from = 'cell_per_ml';
      }),
    );
    const e = inputError(() => readExperiment(dir));
    assert.equal(e.location.field, 'derived[0].from');
    assert.equal(e.location.value, 'cell_per_ml');
    assert.match(e.message, /did you mean `cells_per_ml`/);
  });

  it('a target-alone level that is not a level of the first factor', () => {
    const dir = bundle('ctl-level', (d) =>
      editJson(d, (j) => {
        j.derived[1]!.reference = { control: 'CAR-TN' };
      }),
    );
    const e = inputError(() => readExperiment(dir));
    assert.equal(e.location.field, 'derived[1].reference.control');
    assert.match(e.message, /did you mean `CAR-TM`/);
  });

  it('senescence: a subset the memory markers cannot define, and a subset parent gate absent', () => {
    const tscm = bundle('tscm', (d) =>
      editJson(d, (j) => {
        j.assays.flow.readouts[1]!.subsets = ['naive', 'tscm'];
      }),
    );
    const e = inputError(() => readExperiment(tscm));
    assert.equal(e.location.field, 'assays.flow.readouts[1].subsets');
    assert.equal(e.location.value, 'tscm');
    assert.match(e.message, /CD45RO or CD95/);
    const gate = bundle('sen-gate', (d) =>
      editJson(d, (j) => {
        j.assays.flow.readouts[1]!.gate = 'CD08';
      }),
    );
    const g = inputError(() => readExperiment(gate));
    assert.equal(g.location.field, 'assays.flow.readouts[1].gate');
    assert.equal(g.location.value, 'CD08');
    assert.match(g.message, /did you mean `CD8`/);
    const channel = bundle('sen-channel', (d) =>
      editJson(d, (j) => {
        j.assays.flow.readouts[1]!.memory!.CCR7.channel = 'BV650-A';
      }),
    );
    const c = inputError(() => readExperiment(channel));
    assert.match(String(c.location.file), /\.fcs$/);
    assert.equal(c.location.value, 'BV650-A');
  });
});

/**
 * Test helper: simulates a virtual lab experiment (src/sim/lab.ts), writes it, runs the lab analysis on the
 * files and scores each truth comparison: a planted difference is recovered when its adjusted p ≤ 0.05 with the
 * right sign; a null is kept when its adjusted p > 0.05.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readExperiment } from '../../src/lab/read.js';
import { labSections } from '../../src/lab/report.js';
import { writeSimulatedLabFiles } from '../../src/lab/write-simulated.js';

export interface RecoveryRow {
  readout: string;
  stratum: string | null;
  a: string;
  b: string;
  planted: boolean;
  trueDiff: number;
  diff: number;
  pAdjusted: number;
  ok: boolean;
}

/** Scores one seed. */
export function recoveryOfSeed(seed: number): RecoveryRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'carto-lab-recovery-'));
  try {
    const { sim } = writeSimulatedLabFiles(dir, seed);
    const exp = readExperiment(dir);
    const sections = labSections(exp.readouts, exp.samples, exp.design);
    return sim.truth.comparisons.map((t) => {
      const s = sections.find((x) => x.readout.id === t.readout);
      const c = s?.stats?.posthoc?.comparisons.find(
        (x) => x.a === t.a && x.b === t.b && x.stratum === t.stratum,
      );
      if (!c) throw new Error(`no comparison ${t.readout} ${t.stratum} ${t.a} − ${t.b} for seed ${seed}`);
      const ok = t.planted
        ? c.pAdjusted <= 0.05 && Math.sign(c.diff) === Math.sign(t.trueDiff)
        : c.pAdjusted > 0.05;
      return { ...t, diff: c.diff, pAdjusted: c.pAdjusted, ok };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rates over seeds: planted found and nulls kept, overall and per readout. */
export function recoveryRates(rows: RecoveryRow[]): {
  planted: { found: number; total: number };
  nulls: { kept: number; total: number };
  perReadout: Record<string, { plantedFound: string; nullsKept: string }>;
} {
  const per: Record<string, { pf: number; pt: number; nk: number; nt: number }> = {};
  for (const r of rows) {
    const x = (per[r.readout] ??= { pf: 0, pt: 0, nk: 0, nt: 0 });
    if (r.planted) {
      x.pt++;
      if (r.ok) x.pf++;
    } else {
      x.nt++;
      if (r.ok) x.nk++;
    }
  }
  const planted = rows.filter((r) => r.planted);
  const nulls = rows.filter((r) => !r.planted);
  return {
    planted: { found: planted.filter((r) => r.ok).length, total: planted.length },
    nulls: { kept: nulls.filter((r) => r.ok).length, total: nulls.length },
    perReadout: Object.fromEntries(
      Object.entries(per).map(([k, v]) => [
        k,
        { plantedFound: `${v.pf}/${v.pt}`, nullsKept: `${v.nk}/${v.nt}` },
      ]),
    ),
  };
}

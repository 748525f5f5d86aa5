/**
 * Simulation check of the analysis plan (issue 6): over N seeds of the virtual trial (23 patients, the
 * trial's size), simulate the bundle, quantify it through the pipeline, run the pre → post and outcome
 * analyses, and count how often the 95 % CIs contain the simulator's true values:
 * - the pre → post geometric-mean ratio of SUVpeak per post-CART timepoint (truth.preToPostGmRatio);
 * - the TTP hazard ratio per e-fold of the pre-CART geometric-mean SUVpeak (Firth Cox, continuous;
 *   truth.logHrTtpPerLogGmSuvPeak).
 * Target: ≥ 17 of 20 for each. It then prints the calibration table (issue 15 item 6;
 * docs/virtual-trial.md): each headline number of the paper beside the distribution over the seeds
 * of the simulated value — record-level quantities (bench/simulation-targets.ts) and the pipeline's
 * estimates (median-split TTP HR with % of seeds significant, day +7 GMR) — and the CI coverage.
 * Usage: npm run bench simulation-check  (env SEEDS=20, SEED_START=1, PATIENTS=23, VOXEL_MM=6;
 * SEED_START lets the seeds run in parallel processes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulatedBundle } from '../src/cli/simulated-bundle.js';
import { importBundle } from '../src/pipeline/run.js';
import { loadStudy, openStudyStore } from '../src/study/store.js';
import { tumourPrePost } from '../src/analysis/tumour-prepost.js';
import { outcomesHazardRatios } from '../src/analysis/outcomes-hr.js';
import { report, timeIt } from './util.js';
import { printTargetTable, trialQuantities } from './simulation-targets.js';

const seeds = Number(process.env['SEEDS'] ?? 20);
const seedStart = Number(process.env['SEED_START'] ?? 1);
const patients = Number(process.env['PATIENTS'] ?? 23);
const voxelMm = Number(process.env['VOXEL_MM'] ?? 6);
const rows: Record<string, number>[] = [];
const cover: Record<string, { hit: number; n: number }> = {};
const count = (key: string, hit: boolean): void => {
  const c = (cover[key] ??= { hit: 0, n: 0 });
  c.n++;
  if (hit) c.hit++;
};

const { seconds } = await timeIt(async () => {
  for (let seed = seedStart; seed < seedStart + seeds; seed++) {
    const work = mkdtempSync(join(tmpdir(), 'carto-simcheck-'));
    try {
      const bundle = join(work, 'bundle');
      const { truth, trial } = await writeSimulatedBundle(bundle, { seed, patients, voxelMm, fdg: true });
      const row = trialQuantities(trial);
      rows.push(row);
      const dbFile = join(work, 'study.sqlite');
      const imp = await importBundle(bundle, dbFile);
      const db = await openStudyStore(dbFile);
      const study = await loadStudy(db, imp.studyName);
      await db.destroy();
      const line: string[] = [`seed ${seed}`];
      const pp = tumourPrePost(study);
      if (pp.status === 'ok') {
        const m = pp.results.uptake;
        for (const r of m.ratios) {
          const t = truth.preToPostGmRatio[r.timepoint as keyof typeof truth.preToPostGmRatio];
          if (t === undefined) continue;
          const hit = r.lower <= t && t <= r.upper;
          count(`GMR ${r.timepoint}`, hit);
          if (r.timepoint === 'd7') row['estimated GMR day +7'] = r.ratio;
          line.push(
            `${r.timepoint} ${r.ratio.toFixed(3)} [${r.lower.toFixed(3)}, ${r.upper.toFixed(3)}] true ${t} ${hit ? 'in' : 'OUT'}`,
          );
        }
      } else line.push(`pre→post not run: ${pp.reason}`);
      const hr = outcomesHazardRatios(study);
      const ttp = hr.results['ttp'] as
        | {
            continuous?: { hr: number; lower: number; upper: number };
            medianSplit?: { hr: number; p: number };
          }
        | undefined;
      if (hr.status === 'ok' && ttp?.medianSplit) {
        row['estimated median-split TTP HR'] = ttp.medianSplit.hr;
        row['estimated split significant %'] = ttp.medianSplit.p <= 0.05 ? 100 : 0;
        line.push(`split HR ${ttp.medianSplit.hr.toFixed(3)} p ${ttp.medianSplit.p.toFixed(4)}`);
      }
      if (hr.status === 'ok' && ttp?.continuous) {
        const t = Math.exp(truth.logHrTtpPerLogGmSuvPeak);
        const c = ttp.continuous;
        const hit = c.lower <= t && t <= c.upper;
        count('TTP HR per e-fold', hit);
        line.push(
          `HR ${c.hr.toFixed(3)} [${c.lower.toFixed(3)}, ${c.upper.toFixed(3)}] true ${t.toFixed(3)} ${hit ? 'in' : 'OUT'}`,
        );
      } else line.push(`HR not estimable: ${hr.reason ?? 'no TTP events'}`);
      console.log(line.join(' | '));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
});
for (const [k, c] of Object.entries(cover)) console.log(`coverage ${k}: ${c.hit}/${c.n}`);
printTargetTable(rows, true);
report(`simulation check (${seeds} seeds × ${patients} patients)`, seconds);

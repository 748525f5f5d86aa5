/**
 * Simulation check of the analysis plan (issues 6 and 15 item 6; docs/virtual-trial.md): over N seeds
 * of the virtual trial (23 patients, the trial's size), simulate the bundle with its FDG scans, quantify
 * it through the pipeline, run the report's analyses, and print the calibration table: each headline
 * number of the paper beside the distribution over the seeds of the simulated value — record-level
 * quantities (bench/simulation-targets.ts) and the pipeline's estimates with the % of seeds significant
 * and the % of seeds whose 95 % CI covers the simulator's truth, where it defines one
 * (bench/simulation-pipeline.ts; coverage target ≥ 17 of 20).
 * Usage: npm run bench simulation-check  (env SEEDS=20, SEED_START=1, PATIENTS=23, VOXEL_MM=6;
 * SEED_START lets the seeds run in parallel processes, ROWS_OUT=file.json keeps their rows for
 * `node --import tsx bench/simulation-targets.ts --rows a.json b.json`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulatedBundle } from '../src/cli/simulated-bundle.js';
import { importBundle } from '../src/pipeline/run.js';
import { loadStudy, openStudyStore } from '../src/study/store.js';
import { report, timeIt } from './util.js';
import { printTargetTable, trialQuantities } from './simulation-targets.js';
import { PIPELINE_TARGETS, pipelineQuantities } from './simulation-pipeline.js';

const seeds = Number(process.env['SEEDS'] ?? 20);
const seedStart = Number(process.env['SEED_START'] ?? 1);
const patients = Number(process.env['PATIENTS'] ?? 23);
const voxelMm = Number(process.env['VOXEL_MM'] ?? 6);
const rows: Record<string, number>[] = [];

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
      console.log(`seed ${seed} | ${pipelineQuantities(study, truth, row)}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
});
// ROWS_OUT: also write the per-seed rows (JSON) so that parallel processes' seeds can be tabulated
// together: node --import tsx bench/simulation-targets.ts --rows a.json b.json
if (process.env['ROWS_OUT']) writeFileSync(process.env['ROWS_OUT'], JSON.stringify(rows));
printTargetTable(rows, PIPELINE_TARGETS);
report(`simulation check (${seeds} seeds × ${patients} patients)`, seconds);

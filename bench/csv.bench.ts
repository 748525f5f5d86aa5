/**
 * CSV ingestion benchmark (issue 18 item 2): a table of ROWS (default 10⁶) rows — 5 numeric columns
 * (time, status, age, dose, crp) and one factor (arm) — read
 *  - in process: `readCsv` + `dataFrameFromCsv` (src/io/csv.ts, src/stats/data-frame.ts), with peak RSS;
 *  - whole process: `carto stats km --data big.csv --time time --status status --group arm --json`
 *    (bin/carto.js: the build when up to date, else the sources) beside
 *    `Rscript -e 'read.csv(...)'` and R's `survfit(Surv(time, status) ~ arm)` on the same file.
 * The table is written to a temporary folder with a fixed seed. Indicative on a shared machine.
 * Usage: npm run bench csv   (ROWS=200000 npm run bench csv)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../src/io/csv.js';
import { dataFrameFromCsv } from '../src/stats/data-frame.js';
import { report, timeIt } from './util.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const rows = Number(process.env['ROWS'] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'carto-csv-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'big.csv');

/** Writes the table: deterministic (linear congruential generator, seed 1). */
function writeTable(): void {
  let seed = 1;
  const u = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const lines = ['time,status,age,dose,crp,arm'];
  for (let i = 0; i < rows; i++) {
    const time = (-Math.log(1 - u()) * 10).toFixed(4);
    const status = u() < 0.6 ? 1 : 0;
    const age = (45 + 30 * u()).toFixed(1);
    const dose = [1, 2.5, 5][Math.floor(u() * 3)];
    const crp = Math.exp(1 + 2 * u()).toPrecision(5);
    const arm = 'ABC'[Math.floor(u() * 3)];
    lines.push(`${time},${status},${age},${dose},${crp},${arm}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Wall time (s) of one spawned process; throws with its stderr when it fails. */
function wall(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root, maxBuffer: 1 << 28 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  if (r.stderr.startsWith('carto: running from source'))
    console.log('  (carto ran FROM SOURCE: no up-to-date build)');
  return s;
}

writeTable();
console.log(`table: ${rows} rows × 6 columns`);
const { seconds } = await timeIt(() => dataFrameFromCsv(readCsv(file)));
report('readCsv + dataFrameFromCsv (in process)', seconds);
const carto = join(root, 'bin', 'carto.js');
const km = wall(process.execPath, [
  carto,
  ...['stats', 'km', '--data', file, '--time', 'time', '--status', 'status', '--group', 'arm', '--json'],
]);
console.log(`carto stats km (whole process): ${km.toFixed(3)} s`);
const rq = JSON.stringify(file);
const rRead = wall('Rscript', ['-e', `d <- read.csv(${rq}); invisible(nrow(d))`]);
console.log(`Rscript read.csv (whole process): ${rRead.toFixed(3)} s`);
const rKm = wall('Rscript', [
  '-e',
  `suppressMessages(library(survival)); d <- read.csv(${rq}); invisible(summary(survfit(Surv(time, status) ~ arm, data = d)))`,
]);
console.log(`Rscript read.csv + survfit (whole process): ${rKm.toFixed(3)} s`);

/**
 * CSV ingestion benchmark (issue 18 item 2): a table of ROWS (default 10⁶) rows — 5 numeric columns
 * (time, status, age, dose, crp) and one factor (arm) — read
 *  - in process: the typed one-pass `readCsvColumns` (src/io/csv-columns.ts) + `dataFrameFromCsv`, and
 *    for comparison the string parser `readCsv` + `dataFrameFromCsv`, with peak RSS;
 *  - whole process: `carto stats km --data big.csv --time time --status status --group arm --json`
 *    (bin/carto.js: the build when up to date, else the sources) beside
 *    `Rscript -e 'read.csv(...)'` and R's `survfit(Surv(time, status) ~ arm)` on the same file,
 *    alternating, ROUNDS times (default 3): median wall time and peak RSS (GNU time), load average.
 * The table is written to a temporary folder with a fixed seed. Indicative on a shared machine.
 * Usage: npm run bench csv   (ROWS=200000 npm run bench csv)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../src/io/csv.js';
import { readCsvColumns } from '../src/io/csv-columns.js';
import { dataFrameFromCsv } from '../src/stats/data-frame.js';
import { loadAverage, median, report, runProcess, timeIt, type ProcessFigures } from './util.js';

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

writeTable();
console.log(`table: ${rows} rows × 6 columns, load ${loadAverage()}`);
const gc = (globalThis as { gc?: () => void }).gc;
/** Wall time plus CPU time (user + system) of this process: CPU time is the fairer figure on a loaded machine. */
async function timed<R>(fn: () => R): Promise<{ seconds: number; cpu: string }> {
  const c0 = process.cpuUsage();
  const r = await timeIt(fn);
  const c = process.cpuUsage(c0);
  return { seconds: r.seconds, cpu: `cpu ${((c.user + c.system) / 1e6).toFixed(3)} s` };
}
// The first read is the one a command does (cold: no optimised code yet); then warm ones.
const first = await timed(() => readCsvColumns(file));
report('readCsvColumns, first call (typed columns, as a command reads its table)', first.seconds, first.cpu);
const onlyTyped = await timed(() => readCsvColumns(file));
report('readCsvColumns again (typed columns)', onlyTyped.seconds, onlyTyped.cpu);
const typed = await timed(() => dataFrameFromCsv(readCsvColumns(file)));
report('readCsvColumns + dataFrameFromCsv (in process, typed one pass)', typed.seconds, typed.cpu);
gc?.();
const strings = await timed(() => dataFrameFromCsv(readCsv(file)));
report('readCsv + dataFrameFromCsv (string cells, then typing)', strings.seconds, strings.cpu);

// Whole processes, alternating carto and R, ROUNDS times (default 3): median wall time and peak RSS.
const rounds = Number(process.env['ROUNDS'] ?? 3);
const carto = join(root, 'bin', 'carto.js');
const q = JSON.stringify(file);
const runs = { km: [] as ProcessFigures[], rRead: [] as ProcessFigures[], rKm: [] as ProcessFigures[] };
let fromSource = false;
for (let k = 0; k < rounds; k++) {
  const km = runProcess(
    process.execPath,
    [
      carto,
      'stats',
      'km',
      '--data',
      file,
      '--time',
      'time',
      '--status',
      'status',
      '--group',
      'arm',
      '--json',
    ],
    root,
  );
  fromSource ||= km.stderr.startsWith('carto: running from source');
  runs.km.push(km);
  runs.rRead.push(runProcess('Rscript', ['-e', `d <- read.csv(${q}); invisible(nrow(d))`]));
  runs.rKm.push(
    runProcess('Rscript', [
      '-e',
      `suppressMessages(library(survival)); d <- read.csv(${q}); invisible(summary(survfit(Surv(time, status) ~ arm, data = d)))`,
    ]),
  );
}
const line = (name: string, xs: ProcessFigures[]): void =>
  console.log(
    `${name} (whole process, median of ${xs.length}): ${median(xs.map((x) => x.seconds)).toFixed(3)} s, ` +
      `peak RSS ${median(xs.map((x) => x.maxRssMiB)).toFixed(0)} MiB`,
  );
line(`carto stats km --json${fromSource ? ' (FROM SOURCE: no up-to-date build)' : ''}`, runs.km);
line('Rscript read.csv', runs.rRead);
line('Rscript read.csv + survfit', runs.rKm);
console.log(`load after: ${loadAverage()}`);

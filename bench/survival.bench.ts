/**
 * Survival benchmark: Kaplan–Meier, log-rank and Cox (5 covariates, Efron ties) on 10⁶ rows, beside
 * R's `system.time()` on the same CSV file when Rscript is available; then the whole process as users
 * run it (issue 18 target: at most 0.5 × R's): `carto stats cox --data f.csv …` against
 * `Rscript -e 'read.csv(…); coxph(…, ties = "efron")'`, and `carto stats logrank` against read.csv +
 * `survdiff`, ROUNDS times each (default 3, alternating), median wall time and peak RSS (GNU time),
 * with the load average. carto runs bin/carto.js: the build when up to date (`npm run build` first),
 * else the sources (slower start; the bench says so).
 *
 * Data: seeded simulation, exponential event times depending on 5 covariates (2 binary, 3 continuous),
 * uniform censoring, times rounded to whole days (so there are many tied event times, the Efron case).
 * Usage: npm run bench survival   (N=200000 ROUNDS=1 npm run bench survival for a quicker run)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coxph, kaplanMeier, logRank } from '../src/stats/survival/index.js';
import { fileURLToPath } from 'node:url';
import { readCsvColumns } from '../src/io/csv-columns.js';
import { loadAverage, median, report, runProcess, timeIt, type ProcessFigures } from './util.js';

const n = Number(process.env['N'] ?? 1_000_000);
let seed = 20240601;
const rnd = (): number => {
  // xorshift32
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) + 0.5) / 4294967296;
};
const gauss = (): number => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());

const time = new Float64Array(n);
const status = new Float64Array(n);
const cols = [0, 1, 2, 3, 4].map(() => new Float64Array(n));
const group: string[] = new Array<string>(n);
const beta = [0.5, -0.3, 0.2, 0.1, -0.05];
for (let i = 0; i < n; i++) {
  const x0 = rnd() < 0.5 ? 1 : 0;
  const x1 = rnd() < 0.3 ? 1 : 0;
  const x2 = gauss();
  const x3 = gauss();
  const x4 = 60 + 10 * gauss();
  cols[0]![i] = x0;
  cols[1]![i] = x1;
  cols[2]![i] = x2;
  cols[3]![i] = x3;
  cols[4]![i] = x4;
  const eta = beta[0]! * x0 + beta[1]! * x1 + beta[2]! * x2 + beta[3]! * x3 + beta[4]! * (x4 - 60);
  const tEvent = -Math.log(rnd()) / (0.002 * Math.exp(eta));
  const tCens = rnd() * 1500;
  time[i] = Math.max(1, Math.round(Math.min(tEvent, tCens)));
  status[i] = tEvent <= tCens ? 1 : 0;
  group[i] = x0 === 1 ? 'B' : 'A';
}

const dir = mkdtempSync(join(tmpdir(), 'carto-surv-bench-'));
const csv = join(dir, 'surv.csv');
{
  const lines: string[] = ['time,status,grp,x0,x1,x2,x3,x4'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `${time[i]},${status[i]},${group[i]},${cols[0]![i]},${cols[1]![i]},${cols[2]![i]!.toPrecision(10)},${cols[3]![i]!.toPrecision(10)},${cols[4]![i]!.toPrecision(10)}`,
    );
  }
  writeFileSync(csv, lines.join('\n') + '\n');
}
console.log(`n = ${n} rows, ${status.reduce((a, b) => a + b, 0)} events, CSV ${csv}`);

// Read back from the CSV so both sides use exactly the same (rounded) numbers.
const tRead = await timeIt(() => readCsvColumns(csv, ',', undefined, { text: ['grp'] }));
report('carto readCsvColumns (not part of the model timings)', tRead.seconds);
const table = tRead.result;
const col = (name: string): Float64Array => table.data[table.columns.indexOf(name)]!.values as Float64Array;
const T = col('time');
const S = col('status');
const G = table.data[table.columns.indexOf('grp')]!.values as string[];
const X = ['x0', 'x1', 'x2', 'x3', 'x4'].map(col);

// Collect the reading's garbage before timing so that no model timing pays for it.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
/** Wall time plus CPU time (user + system) of this process: CPU time is the fairer figure on a loaded machine. */
async function timed<R>(fn: () => R): Promise<{ seconds: number; cpu: number; result: R }> {
  const c0 = process.cpuUsage();
  const r = await timeIt(fn);
  const c = process.cpuUsage(c0);
  return { ...r, cpu: (c.user + c.system) / 1e6 };
}
const km = await timed(() => kaplanMeier(T, S));
gc?.();
report(
  'carto kaplanMeier',
  km.seconds,
  `cpu ${km.cpu.toFixed(3)} s, median ${km.result.median}, ${km.result.table.length} distinct times`,
);
const lr = await timed(() => logRank(T, S, G));
report(
  'carto logRank (2 groups)',
  lr.seconds,
  `cpu ${lr.cpu.toFixed(3)} s, chisq ${lr.result.chisq.toPrecision(8)}`,
);
gc?.();
const cx = await timed(() => coxph(T, S, { names: ['x0', 'x1', 'x2', 'x3', 'x4'], columns: X }));
report(
  'carto coxph 5 covariates Efron (incl. concordance)',
  cx.seconds,
  `cpu ${cx.cpu.toFixed(3)} s, beta ${cx.result.coefficients.map((c) => c.estimate.toPrecision(6)).join(' ')}, ${cx.result.iterations} iterations, C ${cx.result.concordance.toFixed(6)}`,
);

const hasR = spawnSync('Rscript', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasR) {
  console.log('Rscript not found: no R comparison');
} else {
  const code = `
suppressPackageStartupMessages(library(survival))
d <- read.csv(${JSON.stringify(csv)})
t1 <- system.time(f1 <- survfit(Surv(time, status) ~ 1, data = d))
t2 <- system.time(f2 <- survdiff(Surv(time, status) ~ grp, data = d))
t3 <- system.time(f3 <- coxph(Surv(time, status) ~ x0 + x1 + x2 + x3 + x4, data = d, ties = "efron"))
cpu <- function(t) t[["user.self"]] + t[["sys.self"]]
cat(sprintf("R survfit: %.3f s elapsed, cpu %.3f s, median %s\\n", t1[["elapsed"]], cpu(t1), summary(f1)$table[["median"]]))
cat(sprintf("R survdiff: %.3f s elapsed, cpu %.3f s, chisq %.8g\\n", t2[["elapsed"]], cpu(t2), f2$chisq))
cat(sprintf("R coxph 5 covariates Efron: %.3f s elapsed, cpu %.3f s, beta %s, %d iterations, C %.6f\\n", t3[["elapsed"]], cpu(t3),
    paste(signif(coef(f3), 6), collapse = " "), f3$iter, f3$concordance[["concordance"]]))
`;
  const r = spawnSync('Rscript', ['-e', code], { encoding: 'utf8', maxBuffer: 1 << 24 });
  process.stdout.write(r.stdout);
  if (r.status !== 0) console.log(`R failed: ${r.stderr}`);
  wholeProcess();
}
rmSync(dir, { recursive: true, force: true });

/**
 * The target: whole processes, carto beside R on the same file, alternating, ROUNDS times;
 * median wall time and peak RSS, the ratio carto / R, and the load average before and after.
 */
function wholeProcess(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const carto = [join(root, 'bin', 'carto.js')];
  const rounds = Number(process.env['ROUNDS'] ?? 3);
  const q = JSON.stringify(csv);
  const pairs: { name: string; carto: string[]; r: string }[] = [
    {
      name: 'cox 5 covariates Efron',
      carto: [
        ...carto,
        'stats',
        'cox',
        '--data',
        csv,
        '--formula',
        'Surv(time, status) ~ x0 + x1 + x2 + x3 + x4',
        '--json',
      ],
      r: `suppressPackageStartupMessages(library(survival)); d <- read.csv(${q}); f <- coxph(Surv(time, status) ~ x0 + x1 + x2 + x3 + x4, data = d, ties = "efron"); cat(signif(coef(f), 6), "\\n")`,
    },
    {
      name: 'logrank (2 groups)',
      carto: [
        ...carto,
        'stats',
        'logrank',
        '--data',
        csv,
        '--time',
        'time',
        '--status',
        'status',
        '--group',
        'grp',
        '--json',
      ],
      r: `suppressPackageStartupMessages(library(survival)); d <- read.csv(${q}); f <- survdiff(Surv(time, status) ~ grp, data = d); cat(format(f$chisq, digits = 10), "\\n")`,
    },
  ];
  console.log(`\nwhole process (${rounds} rounds, median), load before: ${loadAverage()}`);
  for (const p of pairs) {
    const ours: ProcessFigures[] = [];
    const theirs: ProcessFigures[] = [];
    let fromSource = false;
    let summary = '';
    for (let k = 0; k < rounds; k++) {
      const c = runProcess(process.execPath, p.carto, root);
      fromSource ||= c.stderr.startsWith('carto: running from source');
      ours.push(c);
      theirs.push(runProcess('Rscript', ['-e', p.r]));
      if (k === 0) {
        const j = JSON.parse(c.stdout) as { coefficients?: { estimate: number }[]; chisq?: number };
        const v = j.coefficients
          ? j.coefficients.map((x) => x.estimate.toPrecision(6)).join(' ')
          : String(j.chisq);
        summary = `carto ${v} | R ${theirs[0]!.stdout.trim()}`;
      }
    }
    const t = median(ours.map((x) => x.seconds));
    const tr = median(theirs.map((x) => x.seconds));
    const m = median(ours.map((x) => x.maxRssMiB));
    const mr = median(theirs.map((x) => x.maxRssMiB));
    console.log(
      `${p.name}: carto ${t.toFixed(2)} s, ${m.toFixed(0)} MiB | R ${tr.toFixed(2)} s, ${mr.toFixed(0)} MiB | ` +
        `carto/R time ${(t / tr).toFixed(2)}, memory ${(m / mr).toFixed(2)}${fromSource ? ' (carto ran FROM SOURCE: no up-to-date build)' : ''}`,
    );
    console.log(
      `  runs carto ${ours.map((x) => x.seconds.toFixed(2)).join(' ')} s; R ${theirs.map((x) => x.seconds.toFixed(2)).join(' ')} s; ${summary}`,
    );
  }
  console.log(`load after: ${loadAverage()}`);
}

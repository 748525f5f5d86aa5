/**
 * Mixed-model fitting speed: `log_suv ~ timepoint + (1 | patient)` on the ≈800-row lesion data set
 * (test/stats/lmm/fixtures/lesions.csv) and on 200 000 simulated rows (20 000 patients × 10 scans), plus
 * the random-slope model `log_suv ~ day + (1 + day | patient)` and the nested model
 * `log_suv ~ timepoint + (1 | patient/lesion)` (60 000 lesions) on the large one. The data files are
 * written to a temp dir; when Rscript is on the PATH the same files are fitted by lme4::lmer (default
 * control) and timed with system.time(), printed beside ours. Times exclude CSV reading on both sides;
 * both wall time and CPU time (user + system) are printed, since the shared machine's load skews wall time.
 * Then the two large single-factor models as whole processes, `carto stats lmm` beside Rscript
 * (lmm-whole-process.ts).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../src/io/csv.js';
import { dataFrameFromCsv } from '../src/stats/data-frame.js';
import { fitLmm } from '../src/stats/lmm/index.js';
import { compareWholeProcess } from './lmm-whole-process.js';
import { peakRssMiB, report, timeIt } from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-lmm-bench-'));
const small = join(dir, 'lesions.csv');
copyFileSync(fileURLToPath(new URL('../test/stats/lmm/fixtures/lesions.csv', import.meta.url)), small);

// 200 000 rows: 20 000 patients × (pre, d2, d5, d7 scans of 2–3 lesions → 10 rows), seeded LCG + Box–Muller
let seed = 12345;
const unif = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return (seed + 0.5) / 4294967296;
};
const norm = (): number => Math.sqrt(-2 * Math.log(unif())) * Math.cos(2 * Math.PI * unif());
const tps = ['pre', 'd2', 'd5', 'd7'];
const days = [0, 2, 5, 7];
const lines = ['patient,lesion,timepoint,day,log_suv'];
for (let p = 0; p < 20000; p++) {
  const u0 = 0.3 * norm();
  const u1 = 0.03 * norm();
  const w = [0.2 * norm(), 0.2 * norm(), 0.2 * norm()];
  for (let k = 0; k < 10; k++) {
    const t = k % 4;
    const les = Math.floor(k / 4); // lesions L0, L1 at 4 timepoints, L2 at pre and d2
    const y = 1.5 + [0, 0.25, 0.35, 0.3][t]! + u0 + u1 * days[t]! + w[les]! + 0.2 * norm();
    lines.push(`P${p},L${les},${tps[t]},${days[t]},${y.toFixed(6)}`);
  }
}
const large = join(dir, 'large.csv');
writeFileSync(large, `${lines.join('\n')}\n`);

const cases = [
  {
    name: 'small (774 rows) log_suv ~ timepoint + (1|patient)',
    file: small,
    formula: 'log_suv ~ timepoint + (1 | patient)',
  },
  {
    name: 'large (200000 rows) log_suv ~ timepoint + (1|patient)',
    file: large,
    formula: 'log_suv ~ timepoint + (1 | patient)',
  },
  {
    name: 'large (200000 rows) log_suv ~ timepoint + (1|patient/lesion)',
    file: large,
    formula: 'log_suv ~ timepoint + (1 | patient/lesion)',
  },
  {
    name: 'large (200000 rows) log_suv ~ day + (1 + day|patient)',
    file: large,
    formula: 'log_suv ~ day + (1 + day | patient)',
  },
];

for (const c of cases) {
  const df = dataFrameFromCsv(readCsv(c.file));
  const cpu0 = process.cpuUsage();
  const { seconds, result } = await timeIt(() =>
    fitLmm(c.formula, df, { ref: c.formula.includes('timepoint') ? { timepoint: 'pre' } : {} }),
  );
  report(
    `carto ${c.name}`,
    seconds,
    `cpu ${((process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6).toFixed(3)} s, REML crit ${result.criterion.toFixed(6)}, theta ${result.theta.map((v) => v.toPrecision(7)).join(' ')}, ${result.optimizer.evaluations} evaluations`,
  );
}
console.log(`carto peak RSS ${peakRssMiB().toFixed(0)} MiB (whole process, incl. data frames)`);

const which = spawnSync('Rscript', ['--version'], { encoding: 'utf8' });
if (which.status === 0) {
  const rScript = `
suppressMessages(library(lme4))
for (cs in list(list("${small}", "log_suv ~ timepoint + (1 | patient)"),
                list("${large}", "log_suv ~ timepoint + (1 | patient)"),
                list("${large}", "log_suv ~ timepoint + (1 | patient/lesion)"),
                list("${large}", "log_suv ~ day + (1 + day | patient)"))) {
  d <- read.csv(cs[[1]], stringsAsFactors = TRUE)
  if ("timepoint" %in% names(d)) d$timepoint <- relevel(d$timepoint, ref = "pre")
  tm <- system.time(m <- lmer(as.formula(cs[[2]]), data = d))
  cat(sprintf("lme4  %s (%d rows) %s: %.3f s elapsed, cpu %.3f s, REML crit %.6f, theta %s\\n", basename(cs[[1]]), nrow(d), cs[[2]],
      tm[["elapsed"]], tm[["user.self"]] + tm[["sys.self"]], unname(m@devcomp$cmp["REML"]), paste(signif(getME(m, "theta"), 7), collapse = " ")))
}
st <- if (file.exists("/proc/self/status")) grep("^VmHWM", readLines("/proc/self/status"), value = TRUE) else "n/a"
cat(sprintf("lme4  R process peak RSS (VmHWM): %s\\n", trimws(sub("VmHWM:", "", st))))
`;
  const r = spawnSync('Rscript', ['-e', rScript], { encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.status !== 0) process.stdout.write(`Rscript failed: ${r.stderr}\n`);
} else {
  console.log('Rscript not found: lme4 timings skipped');
}
// whole process on both sides (issue 18 targets: `stats lmm` on the 200 000 rows)
compareWholeProcess('large (200000 rows) (1|patient)', large, 'log_suv ~ timepoint + (1 | patient)', {
  timepoint: 'pre',
});
compareWholeProcess('large (200000 rows) (1 + day|patient)', large, 'log_suv ~ day + (1 + day | patient)');
rmSync(dir, { recursive: true, force: true });

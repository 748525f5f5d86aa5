/**
 * Post-hoc bench (issue 16): the single-step adjustment of an unbalanced 6-level Tukey family (15 contrasts, rank 5,
 * ν = 41: test/lab/golden/block-six-levels.csv, value ~ donor + condition) — all 15 adjusted p-values and the 95 %
 * simultaneous critical value — by `readoutStatistics` (the path of `carto lab`: src/lab/block-posthoc.ts →
 * src/lab/max-t.ts → the Genz–Bretz lattice of src/stats/mvt.ts, absTol 1e-6, ≤ 2²¹ points per rule), against R's
 * multcomp in the same run: summary(glht(fit, mcp(condition = "Tukey")), test = adjusted("single-step")) and
 * confint(), with mvtnorm's GenzBretz(maxpts = 2e6, abseps = 1e-6) as in the golden (same error target) and with
 * glht's defaults (maxpts 25000, abseps 1e-3). Wall and CPU time, the machine's load before and after (shared
 * machine: compare the two in the same run). Target: under 2 s on a quiet core.
 * Usage: npm run bench lab-posthoc
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperimentJson, type ExperimentDesign } from '../src/lab/experiment.js';
import { readoutStatistics } from '../src/lab/statistics.js';
import { simulateLab } from '../src/sim/lab.js';
import { fromValues, goldenDir } from '../test/lab/values-fixture.js';
import { loadAverage } from './util.js';

const sim = parseExperimentJson(simulateLab(1).experimentJson, 'experiment.json');
const f0 = sim.factors[0]!;
const design: ExperimentDesign = {
  ...sim,
  factors: [
    { ...f0, levels: ['Ctrl', 'T1', 'T2', 'T3', 'T4', 'T5'], control: 'Ctrl' },
    ...sim.factors.slice(1),
  ],
  donors: { ...sim.donors!, model: 'block' },
  statistics: { ...sim.statistics, posthoc: 'tukey', compare: 'all' },
};
const { samples, readout } = fromValues('block-six-levels.csv');

console.log(`load average before: ${loadAverage()}`);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const st = readoutStatistics(readout, samples, design);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cmp = st.posthoc!.comparisons;
const maxError = Math.max(...cmp.map((c) => c.pAdjustedError ?? 0));
const critical = (cmp[0]!.upr - cmp[0]!.diff) / cmp[0]!.se;
console.log(
  `cartography, 6-level unbalanced Tukey (15 contrasts, single-step p + critical value): ${wall.toFixed(2)} s wall, ` +
    `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU; max p error ${maxError.toExponential(2)}, ` +
    `critical value ${critical.toFixed(6)} (target < 2 s on a quiet core)`,
);

const dir = mkdtempSync(join(tmpdir(), 'carto-posthoc-bench-'));
try {
  const script = join(dir, 'posthoc.R');
  writeFileSync(
    script,
    `suppressMessages(library(multcomp))
six <- read.csv(${JSON.stringify(join(goldenDir, 'block-six-levels.csv'))})
six$condition <- factor(six$condition, levels = c("Ctrl", "T1", "T2", "T3", "T4", "T5")); six$donor <- factor(six$donor)
fit <- lm(value ~ donor + condition, data = six)
run <- function(label, GB) {
  set.seed(1)
  tm <- system.time({ g <- glht(fit, linfct = mcp(condition = "Tukey"))
    s <- summary(g, test = adjusted("single-step", algorithm = GB))
    ci <- confint(g, calpha = adjusted_calpha(algorithm = GB)) })
  cat(sprintf("R multcomp %s (%s), 15 single-step p + critical value: %.2f s elapsed, %.2f s CPU; p error %.2e, critical value %.6f\\n",
    as.character(packageVersion("multcomp")), label, tm[["elapsed"]], tm[["user.self"]] + tm[["sys.self"]],
    attr(s$test$pvalues, "error"), attr(ci$confint, "calpha")))
}
run("GenzBretz(maxpts = 2e6, abseps = 1e-6), as the golden", GenzBretz(maxpts = 2e6, abseps = 1e-6, releps = 0))
run("glht defaults: GenzBretz(maxpts = 25000, abseps = 1e-3)", GenzBretz())
`,
  );
  const r = spawnSync('Rscript', [script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Rscript failed: ${r.stderr}`);
  process.stdout.write(r.stdout);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`load average after: ${loadAverage()}`);

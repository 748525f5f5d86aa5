/**
 * Whole-process timing of `carto stats lmm` beside Rscript on the same CSV, for the mixed-model benches:
 * wall time and CPU time (user + system of the process and its children, from bash's `time`), so the
 * shared machine's load can be judged. The carto side includes Node start-up, CSV reading, the fit and
 * the Satterthwaite table; the R side runs lme4::lmer (the reference) and, separately, lmerTest::lmer
 * with summary() (the same output as carto: Satterthwaite t-tests).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const carto = fileURLToPath(new URL('../bin/carto.js', import.meta.url));

function timed(cmd: string[]): {
  wall: number;
  cpu: number;
  stdout: string;
  status: number | null;
  stderr: string;
} {
  const quoted = cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const t0 = performance.now();
  const r = spawnSync(
    'bash',
    [
      '-c',
      `TIMEFORMAT='%U %S'; { time ${quoted} >/tmp/.carto-bench-out 2>&1 ; } 2>&1; cat /tmp/.carto-bench-out >&2`,
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    },
  );
  const wall = (performance.now() - t0) / 1000;
  const [u, s] = r.stdout.trim().split(/\s+/).slice(-2).map(Number);
  return { wall, cpu: (u ?? NaN) + (s ?? NaN), stdout: r.stdout, status: r.status, stderr: r.stderr };
}

/**
 * Runs `carto stats lmm --json` and the two Rscript variants on `file` and prints one line each.
 * @param refs reference levels (`timepoint=pre`) passed to both sides
 */
export function compareWholeProcess(
  label: string,
  file: string,
  formula: string,
  refs: Record<string, string> = {},
): void {
  const refArgs = Object.entries(refs).flatMap(([k, v]) => ['--ref', `${k}=${v}`]);
  const c = timed([
    process.execPath,
    carto,
    'stats',
    'lmm',
    '--data',
    file,
    '--formula',
    formula,
    '--json',
    ...refArgs,
  ]);
  let crit: string;
  try {
    crit = (JSON.parse(c.stderr.slice(c.stderr.indexOf('{'))) as { criterion: number }).criterion.toFixed(6);
  } catch {
    crit = `failed (exit ${c.status}): ${c.stderr.slice(0, 300)}`;
  }
  console.log(
    `carto stats lmm ${label}: wall ${c.wall.toFixed(2)} s, cpu ${c.cpu.toFixed(2)} s (whole process), criterion ${crit}`,
  );
  if (spawnSync('Rscript', ['--version']).status !== 0) {
    console.log('Rscript not found: R timings skipped');
    return;
  }
  const relevel = Object.entries(refs)
    .map(([k, v]) => `d$${k} <- relevel(d$${k}, ref = "${v}"); `)
    .join('');
  for (const [pkg, extra] of [
    ['lme4', ''],
    ['lmerTest', 's <- summary(m); '],
  ] as const) {
    const script =
      `suppressMessages(library(${pkg})); d <- read.csv("${file}", stringsAsFactors = TRUE); ${relevel}` +
      `tm <- system.time({m <- ${pkg}::lmer(${formula}, data = d); ${extra}}); ` +
      `cat(sprintf("%.3f %.3f %.6f", tm[["elapsed"]], tm[["user.self"]] + tm[["sys.self"]], unname(m@devcomp$cmp[if (isREML(m)) "REML" else "dev"])))`;
    const r = timed(['Rscript', '-e', script]);
    const [el, cpu, rc] = r.stderr.trim().split(/\s+/).slice(-3);
    console.log(
      `Rscript ${pkg}${extra ? ' + summary()' : ''} ${label}: wall ${r.wall.toFixed(2)} s, cpu ${r.cpu.toFixed(2)} s (whole process); lmer alone ${el} s elapsed, ${cpu} s cpu; criterion ${rc}`,
    );
  }
}

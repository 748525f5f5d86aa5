/**
 * Start-up benchmark: wall time of `carto --version` and `carto stats km --help` as spawned processes
 * (bin/carto.js, as `npx carto` runs it), median of RUNS (default 10) runs each, beside a bare
 * `node -e 0` for the machine's own process start-up. Target (issue 18): under 0.3 s each.
 * Runs the build when it is up to date (`npm run build`); the figures say when it ran from source.
 * Usage: npm run bench startup   (RUNS=30 npm run bench startup)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.env['RUNS'] ?? 10);
const carto = join(root, 'bin', 'carto.js');

/** Median wall time (s) of `node args` over `runs` runs, and the stderr of the last run. */
function medianWall(args: string[]): { seconds: number; min: number; stderr: string } {
  const times: number[] = [];
  let stderr = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: root });
    times.push((performance.now() - t0) / 1000);
    if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    stderr = r.stderr;
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(runs / 2);
  const seconds = runs % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { seconds, min: times[0]!, stderr };
}

const cases: [string, string[]][] = [
  ['node -e 0 (process start-up alone)', ['-e', '0']],
  ['carto --version', [carto, '--version']],
  ['carto stats km --help', [carto, 'stats', 'km', '--help']],
];
for (const [name, args] of cases) {
  const { seconds, min, stderr } = medianWall(args);
  const note = stderr.startsWith('carto: running from source') ? ' (FROM SOURCE: no up-to-date build)' : '';
  console.log(`${name}: median ${seconds.toFixed(3)} s, min ${min.toFixed(3)} s over ${runs} runs${note}`);
}

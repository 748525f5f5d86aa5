/**
 * `npm run bench [filter]`: runs every bench/*.bench.ts in its own process (so each reports its own
 * peak memory) and prints their figures. Each bench prints its own lines; this runner adds wall time
 * and peak RSS per file.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HUGE_PAGE_TUNABLE } from '../bin/huge-pages.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('bench: no bench files matched');
  process.exit(1);
}
/**
 * Extra environment of one bench file: the imaging bench's own process (its in-process kernels) runs
 * with glibc's huge-page tunable, as bin/carto.js runs the whole-volume commands (bin/huge-pages.mjs);
 * the bench takes it out again for the processes it starts.
 */
function benchEnv(file: string): Record<string, string> {
  if (!file.startsWith('imaging') || process.platform !== 'linux') return {};
  const own = process.env['GLIBC_TUNABLES'];
  return {
    GLIBC_TUNABLES: own ? `${own}:${HUGE_PAGE_TUNABLE}` : HUGE_PAGE_TUNABLE,
    CARTO_BENCH_HUGE_PAGES: '1',
  };
}

let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, f)], {
    stdio: 'inherit',
    env: { ...process.env, TZ: 'UTC', ...benchEnv(f) },
  });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`--- ${f}: exit ${r.status}, wall ${s} s`);
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);

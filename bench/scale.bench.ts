/**
 * Scale-out of scan quantification (issue 17): one simulated study (about 40 scans) quantified by the
 * in-process pool on SQLite (`carto import`), and by 1 and by 2 `carto worker` processes on a
 * throw-away PostgreSQL (`carto submit`). Prints wall time (first job taken → last scan stored, from the
 * store's scan_job timestamps; the pool: its quantify + store stages), scans per minute and peak RSS per
 * worker process (VmHWM; the pool: the whole process), with the load average.
 *
 * Usage: npm run bench scale (15 patients, 40 scans, 5 mm voxels), or with other sizes
 * node --import tsx bench/scale.bench.ts --patients 15 --voxel-mm 8 (the runner passes no arguments)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSimulatedBundle } from '../src/cli/simulated-bundle.js';
import { importBundle } from '../src/pipeline/run.js';
import { submitBundle } from '../src/pipeline/queue.js';
import { jobSummary } from '../src/pipeline/job-store.js';
import { openStudyStore } from '../src/study/store.js';
import { startPgCluster } from '../test/registry/pg-cluster.js';
import { loadAverage, peakRssMiB } from './util.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : def;
}
const PATIENTS = Number(arg('patients', '15'));
const VOXEL_MM = Number(arg('voxel-mm', '5'));
const repo = fileURLToPath(new URL('..', import.meta.url));

setTimeout(() => {
  console.error('scale bench: hard time limit (1 h) reached');
  process.exit(1);
}, 3_600_000).unref();

/** Peak resident set (MiB) of a process, from /proc (VmHWM). */
function vmHwmMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Row {
  setup: string;
  scans: number;
  wallS: number;
  peakRssMiB: string;
}

async function workers(bundle: string, url: string, n: number): Promise<Row> {
  const sub = await submitBundle(bundle, url);
  const procs = Array.from({ length: n }, () =>
    spawn(
      process.execPath,
      ['--import', 'tsx', join(repo, 'src/cli/main.ts'), 'worker', '--db', url, '--quiet'],
      {
        cwd: repo,
        stdio: 'inherit',
      },
    ),
  );
  const db = await openStudyStore(url);
  const peaks = procs.map(() => 0);
  try {
    for (;;) {
      procs.forEach((p, i) => (peaks[i] = Math.max(peaks[i]!, vmHwmMiB(p.pid!))));
      const s = (await jobSummary(db)).scans;
      if (s.pending + s.running === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const t = await db
      .selectFrom('scan_job')
      .select((eb) => [eb.fn.min('started_at').as('first'), eb.fn.max('finished_at').as('last')])
      .executeTakeFirstOrThrow();
    const wallS = (Date.parse(String(t.last)) - Date.parse(String(t.first))) / 1000;
    return {
      setup: `${n} worker${n > 1 ? 's' : ''} (PostgreSQL)`,
      scans: sub.enqueued,
      wallS,
      peakRssMiB: peaks.map((p) => p.toFixed(0)).join(' / '),
    };
  } finally {
    await db.destroy();
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => p.once('exit', r))));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'carto-scale-'));
const cluster = await startPgCluster();
try {
  const bundle = join(dir, 'bundle');
  await writeSimulatedBundle(bundle, { seed: 3, patients: PATIENTS, voxelMm: VOXEL_MM });
  const rows: Row[] = [];
  const threads = availableParallelism();
  const r = await importBundle(bundle, join(dir, 'pool.sqlite'), undefined, { concurrency: threads });
  rows.push({
    setup: `in-process pool, ${threads} threads (SQLite)`,
    scans: r.scans,
    wallS: (r.timings['quantify'] ?? 0) + (r.timings['store'] ?? 0),
    peakRssMiB: peakRssMiB().toFixed(0),
  });
  for (const n of [1, 2]) rows.push(await workers(bundle, await cluster.createDatabase(`scale_${n}`), n));
  console.log(`\n${PATIENTS} patients, ${VOXEL_MM} mm voxels; load average ${loadAverage()}`);
  console.log(
    'setup                                   scans   wall s   scans/min   peak RSS MiB (per worker)',
  );
  for (const x of rows)
    console.log(
      `${x.setup.padEnd(40)}${String(x.scans).padStart(5)}${x.wallS.toFixed(1).padStart(9)}${((x.scans / x.wallS) * 60).toFixed(1).padStart(12)}   ${x.peakRssMiB}`,
    );
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}

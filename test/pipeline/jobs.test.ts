/**
 * Issue 17: scan quantification as jobs on a throw-away PostgreSQL. A simulated study (5 patients, 14
 * scans, 12 mm voxels) is submitted; two `carto worker` child processes take its jobs and one is killed
 * with SIGKILL while it holds a job: every scan ends done, stored exactly once, with the same VOI rows
 * and bit-identical metrics as `carto import` on SQLite (the in-process pool). Resubmitting enqueues
 * nothing; changing `quantification.organErosionMm` or `quantification.earlFilter` re-enqueues every
 * scan. A scan with a corrupt DICOM fails alone, with its error in `carto jobs --json`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulatedBundle } from '../../src/cli/simulated-bundle.js';
import { importBundle } from '../../src/pipeline/run.js';
import { submitBundle, runWorker } from '../../src/pipeline/queue.js';
import { jobSummary, loadJob } from '../../src/pipeline/job-store.js';
import { loadStudy, openStudyStore, type StudyStore } from '../../src/study/store.js';
import { register as registerJobs } from '../../src/cli/commands/jobs.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { startPgCluster, type PgCluster } from '../registry/pg-cluster.js';

const repo = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'carto-jobs-'));
let cluster: PgCluster;
let bundle: string;
const children: ChildProcess[] = [];

before(async () => {
  cluster = await startPgCluster();
  bundle = join(dir, 'bundle');
  await writeSimulatedBundle(bundle, { seed: 1, patients: 5, voxelMm: 12 });
});
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A `carto worker` child process whose stderr lines are collected. */
function startWorker(url: string): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [join(repo, 'bin', 'carto.js'), 'worker', '--db', url, '--job-expiry', '8'],
    { cwd: repo, env: { ...process.env, CARTO_FROM_SOURCE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(child);
  const lines: string[] = [];
  let rest = '';
  child.stderr.on('data', (b: Buffer) => {
    rest += b.toString();
    const parts = rest.split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, lines, exited };
}

/** Waits until `cond` holds, polling every 200 ms. */
async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Kills worker `w` (SIGKILL) while it holds a job, once it has finished one: its log is read every
 * 20 ms; when its last line is a job's start, the worker is frozen (SIGSTOP) and killed if the store
 * says that job is still running, else let go on (SIGCONT: it finished the job before it froze) until
 * its next job. A frozen worker cannot finish the job in between, so the job is held when it is killed,
 * however quickly jobs run (a poll that only watched the log could miss every short job).
 * @returns the job held, as the worker logs it: '<study id>/<scan id>'
 */
async function killHoldingJob(
  w: ReturnType<typeof startWorker>,
  db: StudyStore,
  timeoutMs: number,
): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const last = w.lines.at(-1) ?? '';
    if (w.lines.some((l) => / done$/.test(l)) && / running$/.test(last)) {
      w.child.kill('SIGSTOP');
      const job = last.replace(/: running$/, '');
      const [studyId, scanId] = job.split('/') as [string, string];
      if ((await loadJob(db, studyId, scanId))?.state === 'running') {
        w.child.kill('SIGKILL');
        await w.exited;
        return job;
      }
      w.child.kill('SIGCONT');
    }
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting for worker A to hold a job');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The stored VOIs of a study, without the rows' order. */
async function storedVois(db: StudyStore, name: string): Promise<Map<string, unknown>> {
  const s = await loadStudy(db, name);
  return new Map(s.vois.map((v) => [v.voiId, v]));
}

test('two workers, one killed mid-job: every scan done once, metrics bit-identical to carto import on SQLite', async () => {
  const sqlite = join(dir, 'ref.sqlite');
  const ref = await importBundle(bundle, sqlite, undefined, { concurrency: 2 });
  assert.equal(ref.scans, 14);
  const url = await cluster.createDatabase('jobs_main');
  const sub = await submitBundle(bundle, url);
  assert.deepEqual(sub, { study: ref.studyName, enqueued: 14, skipped: 0 });

  const a = startWorker(url);
  const b = startWorker(url);
  const db = await openStudyStore(url);
  try {
    // Kill worker A while it holds a job (after it has finished at least one, so it is well under way).
    const held = await killHoldingJob(a, db, 90_000);

    await until(
      async () => (await jobSummary(db, ref.studyName)).scans.done === 14,
      90_000,
      'all scans done',
    );
    await until(() => b.lines.some((l) => / analysed$/.test(l)), 120_000, 'the analysis');
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0, 'SIGTERM stops the worker gracefully');

    const summary = await jobSummary(db, ref.studyName);
    assert.deepEqual(summary, { scans: { pending: 0, running: 0, done: 14, failed: 0 }, failures: [] });
    // Each scan stored exactly once: one done (or analysed) line per scan over both workers.
    const stored = [...a.lines, ...b.lines]
      .filter((l) => / (done|analysed)$/.test(l))
      .map((l) => l.split(':')[0]);
    assert.equal(stored.length, 14);
    assert.equal(new Set(stored).size, 14);
    assert.ok(b.lines.includes(`${held}: running`), `the killed worker's job ${held} was retaken`);

    const sq = await openStudyStore(sqlite);
    try {
      const want = await storedVois(sq, ref.studyName);
      const got = await storedVois(db, ref.studyName);
      assert.equal(got.size, want.size);
      assert.equal(got.size, ref.vois);
      assert.deepStrictEqual(got, want, 'VOI rows and metrics bit for bit');
    } finally {
      await sq.destroy();
    }
    const runs = await db.selectFrom('analysis_run').select('run_id').execute();
    assert.equal(runs.length, 1, 'one analysis, by the worker that stored the last scan');

    // The same bundle again: nothing to do.
    assert.deepEqual(await submitBundle(bundle, url), { study: ref.studyName, enqueued: 0, skipped: 14 });
    // A quantification setting changed: every scan again, once per change.
    const studyJson = JSON.parse(readFileSync(join(bundle, 'study.json'), 'utf8')) as Record<string, unknown>;
    for (const quantification of [{ organErosionMm: 6 }, { organErosionMm: 6, earlFilter: 'EARL2→EARL1' }]) {
      writeFileSync(join(bundle, 'study.json'), JSON.stringify({ ...studyJson, quantification }));
      assert.deepEqual(await submitBundle(bundle, url), { study: ref.studyName, enqueued: 14, skipped: 0 });
      assert.deepEqual(await submitBundle(bundle, url), { study: ref.studyName, enqueued: 0, skipped: 14 });
    }
    writeFileSync(join(bundle, 'study.json'), JSON.stringify(studyJson));
  } finally {
    await db.destroy();
  }
});

test('a scan with a corrupt DICOM fails alone, with its error in carto jobs --json; the others complete', async () => {
  const bad = join(dir, 'corrupt');
  cpSync(bundle, bad, { recursive: true });
  const studyJson = JSON.parse(readFileSync(join(bad, 'study.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(bad, 'study.json'), JSON.stringify({ ...studyJson, name: 'corrupt study' }));
  const scans = readFileSync(join(bad, 'scans.csv'), 'utf8').trim().split('\n');
  const header = scans[0]!.split(',');
  const row = scans[3]!.split(',');
  const scanId = row[header.indexOf('scan_id')]!;
  const series = join(bad, row[header.indexOf('path')]!);
  const file = join(series, readdirSync(series).sort()[2]!);
  truncateSync(file, Math.floor(statSync(file).size / 2));

  const url = await cluster.createDatabase('jobs_corrupt');
  assert.equal((await submitBundle(bad, url)).enqueued, 14);
  const stop = new AbortController();
  const outcomes: string[] = [];
  const worker = runWorker(url, {
    signal: stop.signal,
    onJob: (e) => outcomes.push(`${e.scan}: ${e.outcome}`),
  });
  const db = await openStudyStore(url);
  try {
    await until(
      async () => {
        const s = (await jobSummary(db)).scans;
        return s.pending + s.running === 0;
      },
      120_000,
      'the queue to drain',
    );
  } finally {
    await db.destroy();
    stop.abort();
    await worker;
  }
  const r = await runInProcess(registerJobs, [
    'jobs',
    '--db',
    url,
    '--study',
    'corrupt study',
    '--json',
    '--watch',
  ]);
  assert.equal(r.code, 0);
  const j = JSON.parse(r.out) as {
    scans: Record<string, number>;
    failures: { scan: string; error: string }[];
  };
  assert.deepEqual(j.scans, { pending: 0, running: 0, done: 13, failed: 1 });
  assert.equal(j.failures.length, 1);
  assert.equal(j.failures[0]!.scan, scanId);
  assert.ok(j.failures[0]!.error.includes(file), j.failures[0]!.error);
  assert.ok(!outcomes.includes(`${scanId}: retry`), 'an input error is not retried');
  assert.ok(!outcomes.some((o) => o.endsWith('analysed')), 'no analysis while a scan failed');

  // The analysis on demand, on what is done: recorded, and saying which scan is missing.
  const a = await runInProcess(registerJobs, ['jobs', '--db', url, '--study', 'corrupt study', '--analyse']);
  assert.equal(a.code, 0);
  assert.match(a.out, /analysis run: \S+ \(1 scans missing\)/);
  const db2 = await openStudyStore(url);
  try {
    const runs = await db2.selectFrom('analysis_run').select('results_json').execute();
    assert.equal(runs.length, 1);
    assert.ok(runs[0]!.results_json.includes(`${scanId} (failed: `), 'the report names the missing scan');
  } finally {
    await db2.destroy();
  }
  const noStudy = await runInProcess(registerJobs, ['jobs', '--db', url, '--analyse']);
  assert.equal(noStudy.code, 2);
  assert.match(noStudy.err, /--analyse.*--study/);
});

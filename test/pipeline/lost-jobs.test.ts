/**
 * Issue 17, a job lost on its last attempt: on a throw-away PostgreSQL, a one-scan study is submitted;
 * the test takes the scan's pg-boss job as a worker does (fetch, our row `running`), then fails it the
 * way pg-boss's expiry does on the last attempt (retry count at the limit, so pg-boss's fail leaves it
 * `failed` with no retry; the expiry timer itself is pg-boss's and is not waited for). `reconcileLostJobs`
 * leaves the row alone while the job is active, then marks it failed with "worker lost (job expired
 * after 4 attempts)", once; `carto jobs --json` reports it among the failures.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PgBoss from 'pg-boss';
import { sql } from 'kysely';
import { register as registerJobs } from '../../src/cli/commands/jobs.js';
import { loadJob, setJobState } from '../../src/pipeline/job-store.js';
import {
  QUEUE_TIMING,
  reconcileLostJobs,
  SCAN_QUEUE,
  submitBundle,
  unqueuedPendingScans,
} from '../../src/pipeline/queue.js';
import { openStudyStore, type StudyStore } from '../../src/study/store.js';
import { droBundle } from '../helpers/bundles.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { startPgCluster, type PgCluster } from '../registry/pg-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-lost-jobs-'));
let cluster: PgCluster;
let url: string;
let db: StudyStore;
let boss: PgBoss;

before(async () => {
  cluster = await startPgCluster();
  url = await cluster.createDatabase('lost');
  const submitted = await submitBundle(droBundle(join(dir, 'dro')), url);
  assert.equal(submitted.enqueued, 1);
  db = await openStudyStore(url);
  boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
  await boss.start();
});
after(async () => {
  await boss?.stop({ graceful: false });
  await db?.destroy();
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a job pg-boss failed on its last attempt while our row says running is marked failed, once', async () => {
  const [job] = await boss.fetch<{ studyId: string; scanId: string; key: string }>(SCAN_QUEUE);
  assert.ok(job, 'the submitted job is fetched');
  const { studyId, scanId, key } = job.data;
  assert.ok(await setJobState(db, studyId, scanId, key, 'running'));
  // active in pg-boss: nothing to reconcile
  assert.deepEqual(await reconcileLostJobs(db), []);
  assert.equal((await loadJob(db, studyId, scanId))?.state, 'running');
  // the last attempt (retry count at the limit) fails: pg-boss leaves it failed, no retry
  await sql`update pgboss.job set retry_count = retry_limit where id = ${job.id}`.execute(db);
  await boss.fail(SCAN_QUEUE, job.id, { message: 'job failed by timeout in active state' });
  const given = await boss.getJobById(SCAN_QUEUE, job.id);
  assert.equal(given?.state, 'failed');
  const attempts = QUEUE_TIMING.retryLimit + 1;
  assert.deepEqual(await reconcileLostJobs(db), [{ studyId, scanId, attempts }]);
  const row = await db
    .selectFrom('scan_job')
    .select(['state', 'error'])
    .where('study_id', '=', studyId)
    .where('scan_id', '=', scanId)
    .executeTakeFirstOrThrow();
  assert.deepEqual(row, { state: 'failed', error: `worker lost (job expired after ${attempts} attempts)` });
  assert.deepEqual(await reconcileLostJobs(db), [], 'nothing left to reconcile');
  const cli = await runInProcess(registerJobs, ['jobs', '--db', url, '--json']);
  assert.equal(cli.code, 0, cli.err);
  assert.deepEqual(JSON.parse(cli.out), {
    scans: { pending: 0, running: 0, done: 0, failed: 1 },
    failures: [
      { scan: `${studyId}/${scanId}`, error: `worker lost (job expired after ${attempts} attempts)` },
    ],
  });
});

test('a scan left pending without a queued job (a crash after the submit committed) is enqueued again on resubmit', async () => {
  const other = await cluster.createDatabase('unqueued');
  const bundle = droBundle(join(dir, 'dro-unqueued'));
  assert.equal((await submitBundle(bundle, other)).enqueued, 1);
  const odb = await openStudyStore(other);
  try {
    // as if the submit had crashed between its commit and the enqueue: our row pending, no pg-boss job
    await sql`delete from pgboss.job where name = ${SCAN_QUEUE}`.execute(odb);
    assert.deepEqual(await unqueuedPendingScans(odb, 'DRO study'), ['S1']);
    assert.deepEqual(await submitBundle(bundle, other), { study: 'DRO study', enqueued: 1, skipped: 0 });
    assert.deepEqual(await unqueuedPendingScans(odb, 'DRO study'), []);
    // queued now: a third submit enqueues nothing
    assert.deepEqual(await submitBundle(bundle, other), { study: 'DRO study', enqueued: 0, skipped: 1 });
  } finally {
    await odb.destroy();
  }
});

test('reconciling is a no-op on a database where pg-boss never ran', async () => {
  const other = await cluster.createDatabase('noboss');
  const store = await openStudyStore(other);
  try {
    assert.deepEqual(await reconcileLostJobs(store), []);
  } finally {
    await store.destroy();
  }
});

/**
 * Quantification jobs on PostgreSQL (issue 17; docs/deployment.md): `submitBundle` validates a bundle,
 * stores its tables and enqueues one job per scan whose key is not stored (`carto submit`);
 * `runWorker` takes jobs until stopped (`carto worker`). The queue is pg-boss 10 (SKIP LOCKED fetch,
 * retries with back-off, expiry) in the schema `pgboss` of the same database; it only carries work —
 * the state of each scan's job is the study store's `scan_job` (job-store.ts), and each scan's result
 * is committed on its own (one transaction per scan). The worker that stores the last scan of a study
 * runs its analysis and records it in the database (analyse.ts). A job whose last retry expires on a
 * dead worker is marked failed by `reconcileLostJobs`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PgBoss from 'pg-boss';
import { sql } from 'kysely';
import { InputError } from '../errors.js';
import { isPostgresUrl } from '../store/db.js';
import { openStudyStore, storeStudyTables, type StudyStore } from '../study/store.js';
import { analyseStoredStudy } from './analyse.js';
import { loadJob, setJobState, storeScanQuantification } from './job-store.js';
import { prepareBundle, silent, type PipelineProgress } from './prepare.js';
import { resultRecord } from './run.js';
import { scanJobsOf, type ScanJobResult } from './scan-job.js';
import { runScanPool } from './scan-pool.js';

/** The pg-boss queue of scan quantification jobs. */
export const SCAN_QUEUE = 'carto-scan-quantification';

/** Times of the queue (seconds) and the retry limit; docs/deployment.md explains them. */
export const QUEUE_TIMING = {
  /** A job not completed this long after it was taken is expired and retried (its worker presumed dead). */
  expireInSeconds: 30,
  /** How often a worker's pg-boss checks for expired jobs. */
  maintenanceIntervalSeconds: 10,
  /** Retries after the first attempt (then the job stays failed). */
  retryLimit: 3,
  /** First retry delay; doubled each retry (back-off). */
  retryDelaySeconds: 2,
  /** How often an idle worker polls for a job. */
  pollingIntervalSeconds: 1,
} as const;

/**
 * Marks failed the scans whose job our store says is running while pg-boss has given it up: its latest
 * pg-boss job for the same scan and key (in `pgboss.job` or `pgboss.archive`) is `failed` and none is
 * waiting or active. That happens when the final retry of a job expires on a dead worker (pg-boss fails
 * it by timeout; no handler of ours runs to record it). The error becomes "worker lost (job expired
 * after N attempts)", N = pg-boss's attempts (retries + 1). A no-op before pg-boss created its schema.
 * `carto worker` runs it at start and after each pg-boss maintenance (which is what expires jobs), and
 * `carto jobs` on PostgreSQL before counting.
 * @returns the scans marked failed, as `{ studyId, scanId, attempts }`
 */
export async function reconcileLostJobs(
  db: StudyStore,
): Promise<{ studyId: string; scanId: string; attempts: number }[]> {
  const exists = await sql<{ t: string | null }>`select to_regclass('pgboss.job')::text as t`.execute(db);
  if (!exists.rows[0]?.t) return [];
  const jobs = sql`(select state::text as state, retry_count, created_on, data from pgboss.job where name = ${SCAN_QUEUE}
      union all
      select state::text, retry_count, created_on, data from pgboss.archive where name = ${SCAN_QUEUE})`;
  const lost = await sql<{ study_id: string; scan_id: string; job_key: string; retry_count: number }>`
    select j.study_id, j.scan_id, j.job_key, b.retry_count
    from scan_job j
    cross join lateral (
      select x.state, x.retry_count from ${jobs} x
      where x.data->>'studyId' = j.study_id and x.data->>'scanId' = j.scan_id and x.data->>'key' = j.job_key
      order by x.created_on desc limit 1
    ) b
    where j.state = 'running' and b.state = 'failed'
      and not exists (
        select 1 from pgboss.job w
        where w.name = ${SCAN_QUEUE} and w.state in ('created', 'retry', 'active')
          and w.data->>'studyId' = j.study_id and w.data->>'scanId' = j.scan_id and w.data->>'key' = j.job_key
      )`.execute(db);
  const out: { studyId: string; scanId: string; attempts: number }[] = [];
  for (const r of lost.rows) {
    const attempts = Number(r.retry_count) + 1;
    const error = `worker lost (job expired after ${attempts} attempts)`;
    if (await setJobState(db, r.study_id, r.scan_id, r.job_key, 'failed', error))
      out.push({ studyId: r.study_id, scanId: r.scan_id, attempts });
  }
  return out;
}

/**
 * The scans of `studyId` whose job our store holds `pending` with no pg-boss job waiting or active for
 * the same scan and key: submitted jobs that never reached the queue (a crash between the submit
 * transaction's commit and the enqueue). `submitBundle` enqueues them again. Every pending scan when
 * pg-boss has not created its schema yet.
 */
export async function unqueuedPendingScans(db: StudyStore, studyId: string): Promise<string[]> {
  const exists = await sql<{ t: string | null }>`select to_regclass('pgboss.job')::text as t`.execute(db);
  const queued = exists.rows[0]?.t
    ? sql`exists (select 1 from pgboss.job w
        where w.name = ${SCAN_QUEUE} and w.state in ('created', 'retry', 'active')
          and w.data->>'studyId' = j.study_id and w.data->>'scanId' = j.scan_id and w.data->>'key' = j.job_key)`
    : sql`false`;
  const rows = await sql<{ scan_id: string }>`
    select j.scan_id from scan_job j
    where j.study_id = ${studyId} and j.state = 'pending' and not ${queued}
    order by j.scan_id`.execute(db);
  return rows.rows.map((r) => r.scan_id);
}

/** What a job carries: which scan, and its key at submit (a stale key is skipped). */
interface ScanJobData {
  studyId: string;
  scanId: string;
  key: string;
}

/** @throws InputError naming the option and value when `url` is not a PostgreSQL URL */
function requirePostgres(url: string, option = '--db'): void {
  if (!isPostgresUrl(url))
    throw new InputError('the job queue needs PostgreSQL: give a postgres:// URL', {
      field: option,
      value: url,
    });
}

/** Starts pg-boss on `url` and creates the scan queue (idempotent). */
async function startBoss(url: string, expireInSeconds: number, supervise: boolean): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    max: 4,
    supervise,
    schedule: false,
    maintenanceIntervalSeconds: QUEUE_TIMING.maintenanceIntervalSeconds,
  });
  boss.on('error', (e: Error) => process.stderr.write(`carto: queue error: ${e.message}\n`));
  await boss.start();
  await boss.createQueue(SCAN_QUEUE, {
    name: SCAN_QUEUE,
    retryLimit: QUEUE_TIMING.retryLimit,
    retryDelay: QUEUE_TIMING.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds,
  });
  return boss;
}

/** What `submitBundle` did. */
export interface SubmitResult {
  study: string;
  /** Scans enqueued: new, changed or failed before, and pending ones that never reached the queue. */
  enqueued: number;
  /** Scans whose job with the same key is stored and done, running, or pending in the queue. */
  skipped: number;
}

/**
 * `carto submit`: validates the bundle, stores its tables and one job per scan (storeStudyTables, one
 * transaction) and enqueues the scans whose job key is not already stored, and any still pending that
 * never reached the queue (`unqueuedPendingScans`); returns without waiting.
 * @param opts.pacsUrl the DICOMweb server of `dicomweb:` scans, overriding study.json `pacs.url`
 * @throws InputError for invalid input (nothing is then stored or enqueued), or naming `--db` when the
 *   database is not PostgreSQL
 */
export async function submitBundle(
  bundleDir: string,
  url: string,
  opts: { pacsUrl?: string; expireInSeconds?: number } = {},
): Promise<SubmitResult> {
  requirePostgres(url);
  const { bundle, contentHash, qpcr, labAssays } = prepareBundle(bundleDir, silent, opts);
  const records = scanJobsOf(bundle).map((j) => ({
    scanId: j.spec.scan.scanId,
    key: j.key,
    specJson: JSON.stringify(j.spec),
  }));
  const db = await openStudyStore(url);
  let toQueue: string[];
  try {
    await db
      .transaction()
      .execute((trx) => storeStudyTables(trx, bundle, contentHash, records, qpcr, labAssays));
    // pending since an earlier submit that crashed before it enqueued: queue those again too
    toQueue = await unqueuedPendingScans(db, bundle.name);
  } finally {
    await db.destroy();
  }
  if (toQueue.length > 0) {
    const boss = await startBoss(url, opts.expireInSeconds ?? QUEUE_TIMING.expireInSeconds, false);
    try {
      const keyOf = new Map(records.map((r) => [r.scanId, r.key]));
      await boss.insert(
        toQueue.map((scanId) => ({
          name: SCAN_QUEUE,
          data: { studyId: bundle.name, scanId, key: keyOf.get(scanId)! } satisfies ScanJobData,
        })),
      );
    } finally {
      await boss.stop({ graceful: false });
    }
  }
  return { study: bundle.name, enqueued: toQueue.length, skipped: records.length - toQueue.length };
}

/** What became of a job (`running` when taken). */
export type JobOutcome = 'running' | 'done' | 'failed' | 'retry' | 'skipped' | 'analysed';

/** Options of `runWorker`. */
export interface WorkerOptions {
  /** Jobs taken at once (each on its own thread when more than 1). Default 1. */
  concurrency?: number;
  /** Folder the recorded relative paths are resolved against (default: the bundle folder at submit). */
  dataRoot?: string;
  /** DICOMweb server of `dicomweb:` scans, overriding the recorded one. */
  pacsUrl?: string;
  /** The folder the jobs write the viewer's images of their scans to (viewer-images.ts); none when not given. */
  viewerImages?: string;
  /** Expiry of a taken job (s), after which another worker retakes it (default 30). */
  expireInSeconds?: number;
  /** Stops the worker (as SIGTERM does for `carto worker`). */
  signal: AbortSignal;
  /** Called after each job with the scan and its outcome (for the log). */
  onJob?: (e: { study: string; scan: string; outcome: JobOutcome }) => void;
  progress?: PipelineProgress;
}

/**
 * `carto worker`: takes scan jobs until `opts.signal` aborts, then stops gracefully (the jobs in hand
 * are finished within 30 s, else given back to the queue) and resolves.
 * @throws InputError naming `--db` when the database is not PostgreSQL
 */
export async function runWorker(url: string, opts: WorkerOptions): Promise<void> {
  requirePostgres(url);
  const db = await openStudyStore(url);
  const boss = await startBoss(url, opts.expireInSeconds ?? QUEUE_TIMING.expireInSeconds, true);
  let reconciling: Promise<unknown> = Promise.resolve();
  const reconcile = (): void => {
    reconciling = reconciling
      .then(() => reconcileLostJobs(db))
      .then((lost) => {
        for (const l of lost) opts.onJob?.({ study: l.studyId, scan: l.scanId, outcome: 'failed' });
      })
      .catch((e: unknown) =>
        process.stderr.write(`carto: reconciling lost jobs: ${e instanceof Error ? e.message : String(e)}\n`),
      );
  };
  boss.on('maintenance', reconcile);
  reconcile();
  const concurrency = opts.concurrency ?? 1;
  const handler = async ([job]: PgBoss.JobWithMetadata<ScanJobData>[]): Promise<void> => {
    const outcome = await handleScanJob(db, job!, concurrency > 1, opts);
    opts.onJob?.({ study: job!.data.studyId, scan: job!.data.scanId, outcome });
  };
  try {
    for (let k = 0; k < concurrency; k++)
      await boss.work<ScanJobData>(
        SCAN_QUEUE,
        { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: QUEUE_TIMING.pollingIntervalSeconds },
        handler,
      );
    await new Promise<void>((resolveStop) => {
      if (opts.signal.aborted) resolveStop();
      opts.signal.addEventListener('abort', () => resolveStop(), { once: true });
    });
  } finally {
    await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    await reconciling;
    await db.destroy();
  }
}

/**
 * One job: skips a stale or finished one; marks the scan running; runs `runScanJob` (on a thread when
 * `inThread`); commits the result in one transaction (the study row locked, so that exactly one worker
 * sees its commit complete the study) and then analyses the study when it was the last scan. An
 * InputError (a corrupt series, a bad mask) fails the scan at once with its message; another error is
 * retried by the queue until the retry limit, then the scan stays failed with its error.
 */
async function handleScanJob(
  db: StudyStore,
  job: PgBoss.JobWithMetadata<ScanJobData>,
  inThread: boolean,
  opts: WorkerOptions,
): Promise<JobOutcome> {
  const { studyId, scanId, key } = job.data;
  const stored = await loadJob(db, studyId, scanId);
  if (!stored || stored.key !== key || stored.state === 'done') return 'skipped';
  if (!(await setJobState(db, studyId, scanId, key, 'running'))) return 'skipped';
  opts.onJob?.({ study: studyId, scan: scanId, outcome: 'running' });
  const root = opts.dataRoot ?? stored.bundleDir;
  let result: ScanJobResult;
  try {
    const out = await runScanPool(
      [
        {
          spec: stored.spec,
          root,
          ...(opts.pacsUrl !== undefined ? { pacsUrl: opts.pacsUrl } : {}),
          ...(opts.viewerImages !== undefined ? { viewerImages: { dir: opts.viewerImages, key } } : {}),
        },
      ],
      1,
      undefined,
      { inThread },
    );
    result = out[0]!;
    if (result.viewerImagesError !== undefined)
      process.stderr.write(`carto: warning: ${result.viewerImagesError}\n`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof InputError || job.retryCount >= job.retryLimit) {
      await setJobState(db, studyId, scanId, key, 'failed', message);
      return 'failed';
    }
    await setJobState(db, studyId, scanId, key, 'pending', message);
    opts.onJob?.({ study: studyId, scan: scanId, outcome: 'retry' });
    throw e;
  }
  const last = await db.transaction().execute(async (trx) => {
    await sql`select study_id from study where study_id = ${studyId} for update`.execute(trx);
    const record = resultRecord(stored.spec.vois, result);
    if (!(await storeScanQuantification(trx, studyId, key, stored.bundleDir, record))) return null;
    const left = await trx
      .selectFrom('scan_job')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('study_id', '=', studyId)
      .where('state', '!=', 'done')
      .executeTakeFirstOrThrow();
    return Number(left.n) === 0;
  });
  if (last === null) return 'skipped';
  if (!last) return 'done';
  const dir = mkdtempSync(join(tmpdir(), 'carto-analysis-'));
  try {
    await analyseStoredStudy(db, stored.studyName, dir, opts.progress ?? silent);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 'analysed';
}

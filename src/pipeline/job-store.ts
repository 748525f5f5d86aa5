/**
 * The state of scan quantification jobs in the study store (table `scan_job`, migration 0009) and the
 * per-scan commit of a job's result: `storeScanQuantification` (one transaction per scan),
 * `analysisRunnable` and the counts `carto jobs` prints (the image data the jobs stored: panels.ts). A queue only
 * carries work (pg-boss on PostgreSQL, the in-process pool on SQLite); the state lives here.
 */
import { isAbsolute, join } from 'node:path';
import { CartoError } from '../errors.js';
import type { Voi, VoiMetrics } from '../study/model.js';
import { bool, findStudy, insertChunked, type ScanQuantification, type StudyStore } from '../study/store.js';
import type { ScanJobSpec } from './scan-job.js';
import { scanImageRows, type ScanImageData } from './panels.js';
import { isSphereRef } from '../study/voi-sphere.js';

/** One scan's quantified result as `storeScanQuantification` stores it. */
export interface ScanResultRecord {
  scanId: string;
  /** The scan's VOI definitions; mask paths relative to `bundleDir` or absolute. */
  vois: Voi[];
  metrics: Map<string, VoiMetrics>;
  provenance: ScanQuantification;
  /** The image data of the scan's pictures (panels.ts), when computed. */
  images?: ScanImageData;
}

/**
 * Stores one scan's quantification: its VOI rows (metrics as numeric columns), its SUV provenance, the
 * image data of its pictures (`scan_projection`), and its job `done`. Nothing is stored when the scan's job is no longer `key` (the study was
 * re-submitted with other content or settings) or is already done (a job retaken after its worker was
 * presumed dead): each scan is stored once. Call inside one transaction per scan.
 * @param bundleDir the bundle folder as recorded, against which relative mask paths are stored absolute
 * @returns true when stored
 * @throws CartoError when a VOI of the scan has no metrics
 */
export async function storeScanQuantification(
  db: StudyStore,
  studyId: string,
  key: string,
  bundleDir: string,
  r: ScanResultRecord,
): Promise<boolean> {
  const where = { study_id: studyId, scan_id: r.scanId };
  const job = await db
    .selectFrom('scan_job')
    .select(['job_key', 'state'])
    .where('study_id', '=', studyId)
    .where('scan_id', '=', r.scanId)
    .executeTakeFirst();
  if (!job || job.job_key !== key || job.state === 'done') return false;
  for (const t of ['voi', 'scan_projection'] as const)
    await db.deleteFrom(t).where('study_id', '=', studyId).where('scan_id', '=', r.scanId).execute();
  await insertChunked(
    db,
    'voi',
    r.vois.map((v) => {
      const m = r.metrics.get(v.voiId);
      if (!m) throw new CartoError(`VOI ${v.voiId} was not quantified`);
      return {
        ...where,
        voi_id: v.voiId,
        kind: v.kind,
        label: v.label,
        lesion_id: v.lesionId,
        site: v.site,
        irradiated: bool(v.irradiated),
        mask_path:
          isAbsolute(v.maskPath) || isSphereRef(v.maskPath) ? v.maskPath : join(bundleDir, v.maskPath),
        mask_label: v.maskLabel,
        roi_name: v.roiName,
        voxel_count: m.voxelCount,
        volume_ml: m.volumeMl,
        suv_min: m.suvMin,
        suv_max: m.suvMax,
        suv_mean: m.suvMean,
        suv_median: m.suvMedian,
        suv_sd: m.suvSd,
        suv_peak_local: m.suvPeakLocal,
        suv_peak_global: m.suvPeakGlobal,
        matv_ml: m.matvMl,
      };
    }),
  );
  await db
    .updateTable('scan')
    .set({
      suv_units: r.provenance.suvUnits,
      decay_correction: r.provenance.decayCorrection,
      suv_type: r.provenance.suvType,
      grid_json: JSON.stringify(r.provenance.grid),
    })
    .where('study_id', '=', studyId)
    .where('scan_id', '=', r.scanId)
    .execute();
  if (r.images)
    for (const row of scanImageRows(r.images))
      await db
        .insertInto('scan_projection')
        .values({ ...where, ...row })
        .execute();
  await db
    .updateTable('scan_job')
    .set({ state: 'done', error: null, finished_at: new Date().toISOString() })
    .where('study_id', '=', studyId)
    .where('scan_id', '=', r.scanId)
    .execute();
  return true;
}

/**
 * Whether the study's analysis may run: every scan's job done. Otherwise the scans still pending or
 * running and those failed, for the message that says what an analysis on demand would miss.
 * @throws CartoError when no study of that name is stored
 */
export async function analysisRunnable(
  db: StudyStore,
  studyName: string,
): Promise<{ runnable: boolean; notDone: { scanId: string; state: string; error: string | null }[] }> {
  const study = await findStudy(db, studyName);
  if (!study) throw new CartoError(`no study named ${JSON.stringify(studyName)} in the store`);
  const rows = await db
    .selectFrom('scan_job')
    .select(['scan_id', 'state', 'error'])
    .where('study_id', '=', study.studyId)
    .where('state', '!=', 'done')
    .orderBy('scan_id')
    .execute();
  return {
    runnable: rows.length === 0,
    notDone: rows.map((r) => ({ scanId: r.scan_id, state: r.state, error: r.error })),
  };
}

/** Job states of scans. */
export type ScanJobState = 'pending' | 'running' | 'done' | 'failed';

/** What `carto jobs` prints: scans per state and the failed scans with their error. */
export interface JobSummary {
  scans: Record<ScanJobState, number>;
  failures: { scan: string; error: string }[];
}

/**
 * Scans per job state and the failures, of one study or (no `studyName`) of every study; a failure's
 * scan is `<study>/<scan>` when several studies are counted.
 * @throws CartoError when `studyName` names no stored study
 */
export async function jobSummary(db: StudyStore, studyName?: string): Promise<JobSummary> {
  if (studyName === undefined) return studyJobSummary(db, undefined, () => true);
  const study = await findStudy(db, studyName);
  if (!study) throw new CartoError(`no study named ${JSON.stringify(studyName)} in the store`);
  return studyJobSummary(db, study.studyId, () => true);
}

/**
 * The `carto jobs --json` summary of one study by its id (every study when undefined: a failure's scan
 * is then `<study>/<scan>`), counting only the scans `inScope` accepts (GET /api/studies/{id}/jobs: a
 * centre user's scans). A study with no jobs (or an unknown id) counts zero everywhere: the caller
 * checks the study exists.
 */
export async function studyJobSummary(
  db: StudyStore,
  studyId: string | undefined,
  inScope: (scanId: string) => boolean,
): Promise<JobSummary> {
  let q = db.selectFrom('scan_job').select(['study_id', 'scan_id', 'state', 'error']);
  if (studyId !== undefined) q = q.where('study_id', '=', studyId);
  const rows = (await q.orderBy('study_id').orderBy('scan_id').execute()).filter((r) => inScope(r.scan_id));
  const scans: Record<ScanJobState, number> = { pending: 0, running: 0, done: 0, failed: 0 };
  for (const r of rows) scans[r.state] += 1;
  const failures = rows
    .filter((r) => r.state === 'failed')
    .map((r) => ({
      scan: studyId === undefined ? `${r.study_id}/${r.scan_id}` : r.scan_id,
      error: r.error ?? '',
    }));
  return { scans, failures };
}

/** A scan's job as stored: its key, state, attempts and input, with the study's recorded bundle folder. */
export interface StoredJob {
  key: string;
  state: ScanJobState;
  attempts: number;
  spec: ScanJobSpec;
  bundleDir: string;
  studyName: string;
}

/** The stored job of a scan, or undefined when the study or scan has none. */
export async function loadJob(
  db: StudyStore,
  studyId: string,
  scanId: string,
): Promise<StoredJob | undefined> {
  const r = await db
    .selectFrom('scan_job')
    .innerJoin('study', 'study.study_id', 'scan_job.study_id')
    .select(['job_key', 'state', 'attempts', 'spec_json', 'bundle_dir', 'name'])
    .where('scan_job.study_id', '=', studyId)
    .where('scan_id', '=', scanId)
    .executeTakeFirst();
  if (!r) return undefined;
  return {
    key: r.job_key,
    state: r.state,
    attempts: r.attempts,
    spec: JSON.parse(r.spec_json) as ScanJobSpec,
    bundleDir: r.bundle_dir ?? '',
    studyName: r.name,
  };
}

/**
 * Sets the state of a scan's job when it still has `key` and is not done: 'running' (one more attempt,
 * started now, error cleared), 'pending' (given back, or to be retried: `error` kept) or 'failed'
 * (`error` kept).
 * @returns true when the row was updated
 */
export async function setJobState(
  db: StudyStore,
  studyId: string,
  scanId: string,
  key: string,
  state: Exclude<ScanJobState, 'done'>,
  error: string | null = null,
): Promise<boolean> {
  const now = new Date().toISOString();
  const r = await db
    .updateTable('scan_job')
    .set((eb) => ({
      state,
      error,
      ...(state === 'running' ? { attempts: eb('attempts', '+', 1), started_at: now } : {}),
      ...(state === 'failed' ? { finished_at: now } : {}),
    }))
    .where('study_id', '=', studyId)
    .where('scan_id', '=', scanId)
    .where('job_key', '=', key)
    .where('state', '!=', 'done')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

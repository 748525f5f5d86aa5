/**
 * The study tables of the deployment database (SQLite file or PostgreSQL, src/store/db.ts) through
 * Kysely.
 *
 * A study is written in three steps (issue 17): `storeStudyTables` (the tables and one pending job per
 * scan), `storeScanQuantification` (one scan's VOI rows, provenance and image data, one transaction per
 * scan) and `analysisRunnable` (every scan done). `carto import`/`run` call the first two in ONE
 * transaction (on any error the database is unchanged); `carto worker` commits each scan on its own.
 * Only pseudonymous IDs are stored.
 */
import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { CartoError } from '../errors.js';
import { openMigratedDatabase, type Connection } from '../store/db.js';
import { scanUid } from '../store/ids.js';
import { insertStudyRows } from './store-rows.js';
import {
  BIOPSY_FIELDS,
  EVENT_FIELDS,
  LAB_FIELDS,
  NOT_INFUSED_FIELDS,
  PATIENT_FIELDS,
  SCAN_FIELDS,
  TOXICITY_FIELDS,
  VOI_FIELDS,
  fromStoreRow,
  toStoreRow,
} from './record-fields.js';
import { splitLesionOutcomeRecords } from './lesion-outcomes.js';
import { loadAdverseEvents } from './adverse-events-store.js';
import type { StudyBundle } from './bundle.js';
import type { LabAssays, QuantifiedVoi, StudyData, VoiMetrics } from './model.js';
import type { QpcrStudyResult } from '../assays/qpcr-study.js';
import type { StudyDatabase } from './schema.js';

export type StudyStore = Kysely<StudyDatabase>;

/** The study tables' typed view of an open connection. */
export function studyView(conn: Connection): StudyStore {
  return conn.db;
}

/**
 * Opens (creating a SQLite file if needed) the deployment database and brings its schema up to date.
 * @param target - SQLite file path, ':memory:', or a `postgres://` URL
 * @param option - the command-line option that gave `target`, named in errors (default `--db`)
 * @throws InputError naming the option and path when the folder is missing, the path is a folder, it
 *   is not writable or not a SQLite database, or the URL scheme is unknown; CartoError when a
 *   migration fails
 */
export async function openStudyStore(target: string, option = '--db'): Promise<StudyStore> {
  return studyView(await openMigratedDatabase(target, { option }));
}

/** Per-scan SUV provenance kept in the store (no identifiers). */
export interface ScanQuantification {
  suvUnits: string;
  decayCorrection: string;
  suvType: string;
  grid: ScanGrid;
}

/**
 * A quantified scan's voxel grid: size [nx, ny, nz] in voxels, voxel size [dx, dy, dz] in mm and the
 * direction cosines (9 numbers: the i, j and k axes' unit vectors in LPS, as `Volume.direction` of
 * src/imaging/volume.ts; absent in scans stored before it was kept).
 */
export interface ScanGrid {
  size: number[];
  spacingMm: number[];
  direction?: number[];
}

/** The store's record of a study: id and content hash. */
export async function findStudy(
  db: StudyStore,
  name: string,
): Promise<{ studyId: string; contentHash: string } | undefined> {
  const row = await db
    .selectFrom('study')
    .select(['study_id', 'content_hash'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? { studyId: row.study_id, contentHash: row.content_hash } : undefined;
}

/** A boolean as the store keeps it (1/0, null). */
export const bool = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0);

/** The VOI metrics of a stored `voi` row (one numeric column per metric). */
export function voiMetricsOfRow(v: Selectable<StudyDatabase['voi']>): VoiMetrics {
  return {
    voxelCount: v.voxel_count,
    volumeMl: v.volume_ml,
    suvMin: v.suv_min,
    suvMax: v.suv_max,
    suvMean: v.suv_mean,
    suvMedian: v.suv_median,
    suvSd: v.suv_sd,
    suvPeakLocal: v.suv_peak_local,
    suvPeakGlobal: v.suv_peak_global,
    matvMl: v.matv_ml,
  };
}

/** The tables `storeStudyTables` replaces (everything of a study but its scans, VOIs and jobs). */
const STUDY_CHILD_TABLES = [
  'patient',
  'not_infused_patient',
  'event',
  'toxicity',
  'lab',
  'biopsy',
  'qpcr_curve',
  'qpcr_sample',
  'assay_record',
  'adverse_event',
  'analysis_run',
] as const;

/** Inserts `rows` into `table` in chunks of 200 (bounded statement size). */
export async function insertChunked<T extends keyof StudyDatabase>(
  db: StudyStore,
  table: T,
  rows: Insertable<StudyDatabase[T]>[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto(table)
      .values(rows.slice(i, i + 200))
      .execute();
}

/** One scan's quantification job as `storeStudyTables` records it (src/pipeline/scan-job.ts). */
export interface ScanJobRecord {
  scanId: string;
  /** SHA-256 of the scan's content, the quantification settings and the code version. */
  key: string;
  /** The job's input (`ScanJobSpec`) as JSON. */
  specJson: string;
}

/**
 * Stores a validated study's tables (study, patients, events, scans, toxicity, labs, biopsies, qPCR, lab
 * assays) and its scans' jobs, replacing an earlier import of the same study name. A scan whose job
 * key equals the stored one (and did not fail) keeps its quantification and job; every other scan's
 * row is written unquantified, its VOI rows and image data dropped, its job `pending`. Call inside one
 * transaction (`db` a transaction): on any error nothing is written.
 * @returns the scans whose job is pending (to run or enqueue) and those kept as they were
 */
export async function storeStudyTables(
  db: StudyStore,
  bundle: StudyBundle,
  contentHash: string,
  jobs: ScanJobRecord[],
  qpcr?: QpcrStudyResult,
  labAssays?: LabAssays,
): Promise<{ pending: string[]; kept: string[] }> {
  const existing = await findStudy(db, bundle.name);
  const studyId = existing?.studyId ?? bundle.name;
  const study = {
    name: bundle.name,
    tracer_name: bundle.tracer.name,
    nuclide: bundle.tracer.nuclide,
    half_life_s: bundle.tracer.halfLifeS,
    settings_json: JSON.stringify(bundle.settings),
    content_hash: contentHash,
    imported_at: new Date().toISOString(),
    bundle_dir: bundle.dir,
    data_roots_json: JSON.stringify(bundle.dataRoots),
  };
  if (existing) {
    await db.updateTable('study').set(study).where('study_id', '=', studyId).execute();
    for (const t of STUDY_CHILD_TABLES) await db.deleteFrom(t).where('study_id', '=', studyId).execute();
  } else
    await db
      .insertInto('study')
      .values({ study_id: studyId, ...study })
      .execute();
  const prior = new Map(
    (
      await db
        .selectFrom('scan_job')
        .select(['scan_id', 'job_key', 'state'])
        .where('study_id', '=', studyId)
        .execute()
    ).map((j) => [j.scan_id, j]),
  );
  const kept = jobs.filter(
    (j) => prior.get(j.scanId)?.job_key === j.key && prior.get(j.scanId)?.state !== 'failed',
  );
  const keep = kept.map((j) => j.scanId);
  for (const t of ['voi', 'scan_projection', 'scan_job', 'scan'] as const) {
    let q = db.deleteFrom(t).where('study_id', '=', studyId);
    if (keep.length > 0) q = q.where('scan_id', 'not in', keep);
    await q.execute();
  }
  const pending = jobs.filter((j) => !keep.includes(j.scanId));
  const pendingIds = new Set(pending.map((j) => j.scanId));
  await insertStudyRows(db, studyId, bundle, qpcr, labAssays);
  await insertChunked(
    db,
    'scan',
    bundle.scans
      .filter((s) => pendingIds.has(s.scanId))
      .map((s) => ({
        study_id: studyId,
        ...(toStoreRow(SCAN_FIELDS, s) as Omit<Insertable<StudyDatabase['scan']>, 'study_id' | 'uid'>),
        suv_units: null,
        decay_correction: null,
        suv_type: null,
        grid_json: null,
        uid: scanUid(studyId, s.scanId),
      })),
  );
  const now = new Date().toISOString();
  await insertChunked(
    db,
    'scan_job',
    pending.map((j) => ({
      study_id: studyId,
      scan_id: j.scanId,
      job_key: j.key,
      state: 'pending' as const,
      attempts: 0,
      error: null,
      spec_json: j.specJson,
      created_at: now,
      started_at: null,
      finished_at: null,
    })),
  );
  return { pending: pending.map((j) => j.scanId), kept: keep };
}

/**
 * Loads a stored study as the analysis plan's `StudyData`.
 * @throws CartoError when no study of that name is stored
 */
export async function loadStudy(db: StudyStore, name: string): Promise<StudyData> {
  const study = await db.selectFrom('study').selectAll().where('name', '=', name).executeTakeFirst();
  if (!study) throw new CartoError(`no study named ${JSON.stringify(name)} in the store`);
  const id = study.study_id;
  const [patients, events, scans, vois, toxicity, labs, biopsies, curves, samples] = await Promise.all([
    db.selectFrom('patient').selectAll().where('study_id', '=', id).orderBy('patient_id').execute(),
    db.selectFrom('event').selectAll().where('study_id', '=', id).orderBy('seq').execute(),
    db.selectFrom('scan').selectAll().where('study_id', '=', id).orderBy('scan_id').execute(),
    db.selectFrom('voi').selectAll().where('study_id', '=', id).orderBy('voi_id').execute(),
    db.selectFrom('toxicity').selectAll().where('study_id', '=', id).orderBy('patient_id').execute(),
    db.selectFrom('lab').selectAll().where('study_id', '=', id).orderBy('seq').execute(),
    db.selectFrom('biopsy').selectAll().where('study_id', '=', id).orderBy('seq').execute(),
    db
      .selectFrom('qpcr_curve')
      .selectAll()
      .where('study_id', '=', id)
      .orderBy('plate')
      .orderBy('target')
      .execute(),
    db.selectFrom('qpcr_sample').selectAll().where('study_id', '=', id).orderBy('seq').execute(),
  ]);
  const records = await db
    .selectFrom('assay_record')
    .selectAll()
    .where('study_id', '=', id)
    .orderBy('kind')
    .orderBy('seq')
    .execute();
  const { outcomes: lesionOutcomes, rest: assayRecords } = splitLesionOutcomeRecords(records);
  const labAssays = assayRecords.length > 0 ? decodeLabAssays(assayRecords) : undefined;
  const notInfused = await db
    .selectFrom('not_infused_patient')
    .selectAll()
    .where('study_id', '=', id)
    .orderBy('patient_id')
    .execute();
  const scanById = new Map(scans.map((s) => [s.scan_id, s]));
  return {
    name: study.name,
    tracer: { name: study.tracer_name, nuclide: study.nuclide, halfLifeS: study.half_life_s },
    settings: JSON.parse(study.settings_json) as StudyData['settings'],
    patients: patients.map((p) => fromStoreRow(PATIENT_FIELDS, p)),
    ...(notInfused.length > 0
      ? {
          notInfused: notInfused.map((p) => fromStoreRow(NOT_INFUSED_FIELDS, p)),
        }
      : {}),
    events: events.map((e) => fromStoreRow(EVENT_FIELDS, e)),
    scans: scans.map((s) => fromStoreRow(SCAN_FIELDS, s)),
    vois: vois.map((v): QuantifiedVoi => {
      const scan = scanById.get(v.scan_id)!;
      return {
        voiId: v.voi_id,
        ...fromStoreRow(VOI_FIELDS, v),
        patientId: scan.patient_id,
        timepoint: scan.timepoint,
        tracer: scan.tracer,
        ...voiMetricsOfRow(v),
      };
    }),
    toxicity: toxicity.map((t) => fromStoreRow(TOXICITY_FIELDS, t)),
    labs: labs.map((l) => fromStoreRow(LAB_FIELDS, l)),
    biopsies: biopsies.map((b) => fromStoreRow(BIOPSY_FIELDS, b)),
    ...qpcrOfRows(curves, samples),
    ...(labAssays ? { labAssays } : {}),
    ...(await loadAdverseEvents(db, id)),
    ...(lesionOutcomes.lesionProgression.length > 0 || lesionOutcomes.lesionRadiotherapy.length > 0
      ? { lesionOutcomes }
      : {}),
  };
}

/** The stored qPCR curves and samples as `StudyData['qpcr']` (absent when the study has neither). */
function qpcrOfRows(
  curves: Selectable<StudyDatabase['qpcr_curve']>[],
  samples: Selectable<StudyDatabase['qpcr_sample']>[],
): Pick<StudyData, 'qpcr'> {
  if (curves.length === 0 && samples.length === 0) return {};
  return {
    qpcr: {
      curves: curves.map((q) => ({
        plate: q.plate,
        target: q.target,
        slope: q.slope,
        intercept: q.intercept,
        rSquared: q.r_squared,
        amplificationFactor: 10 ** (-1 / q.slope),
        efficiencyPercent: q.efficiency_percent,
        n: q.n,
        acceptable: q.acceptable !== 0,
      })),
      samples: samples.map((q) => ({
        plate: q.plate,
        target: q.target,
        patientId: q.patient_id,
        day: q.day,
        meanCt: q.mean_ct ?? NaN,
        sdCt: q.sd_ct ?? NaN,
        nUsed: q.n_used,
        nFlagged: q.n_flagged,
        copiesPerUl: q.copies_per_ul ?? NaN,
      })),
    },
  };
}

const LAB_ASSAY_KINDS = [
  'flowSamples',
  'flowGates',
  'cytokineCurves',
  'cytokineSamples',
  'lysisPlates',
  'lysisSamples',
] as const satisfies readonly (keyof LabAssays)[];

/** Rebuilds `LabAssays` from stored JSON records (`{"$number": "NaN"}` and ±Infinity back to numbers). */
function decodeLabAssays(records: { kind: string; data_json: string }[]): LabAssays {
  const out = Object.fromEntries(LAB_ASSAY_KINDS.map((k) => [k, [] as unknown[]])) as Record<
    string,
    unknown[]
  >;
  for (const r of records) {
    const list = out[r.kind];
    if (!list) throw new CartoError(`unknown lab-assay record kind in the store: ${r.kind}`);
    list.push(
      JSON.parse(r.data_json, (_k, v: unknown) =>
        v !== null && typeof v === 'object' && '$number' in v
          ? Number((v as { $number: string }).$number)
          : v,
      ),
    );
  }
  return out as unknown as LabAssays;
}

/** A table or figure of a report folder, kept with its analysis run (`analysis_file`). */
export interface AnalysisFile {
  kind: 'table' | 'figure';
  /** The table's or figure's id: `tables/<id>.csv`, `figures/<id>.svg`. */
  fileId: string;
  mediaType: string;
  content: string;
}

/**
 * Records one analysis run of a stored study (results.json and the report's tables and figures) in
 * one transaction (migration 0008; docs/database.md).
 * @returns the new run's id
 * @throws CartoError when no study of that name is stored
 */
export async function recordAnalysisRun(
  db: StudyStore,
  studyName: string,
  run: { resultsJson: string; files: AnalysisFile[]; finishedAt?: string },
): Promise<string> {
  const study = await findStudy(db, studyName);
  if (!study) throw new CartoError(`no study named ${JSON.stringify(studyName)} in the store`);
  const runId = randomUUID();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('analysis_run')
      .values({
        run_id: runId,
        study_id: study.studyId,
        finished_at: run.finishedAt ?? new Date().toISOString(),
        content_hash: study.contentHash,
        results_json: run.resultsJson,
      })
      .execute();
    for (const f of run.files) {
      await trx
        .insertInto('analysis_file')
        .values({
          run_id: runId,
          kind: f.kind,
          file_id: f.fileId,
          media_type: f.mediaType,
          content: f.content,
        })
        .execute();
    }
  });
  return runId;
}

/**
 * The study's patients (infused and not infused) whose pseudonym matches no registry patient, sorted;
 * `null` when the database holds no registry patient at all (a study-only database: nothing to link).
 * Study patients link to registry patients by pseudonym: `patient_id` = `reg_patient.pseudonym`.
 * @throws CartoError when no study of that name is stored
 */
export async function unlinkedPatients(db: StudyStore, studyName: string): Promise<string[] | null> {
  const study = await findStudy(db, studyName);
  if (!study) throw new CartoError(`no study named ${JSON.stringify(studyName)} in the store`);
  const reg = db.withTables<{ reg_patient: { pseudonym: string } }>();
  const any = await reg.selectFrom('reg_patient').select('pseudonym').limit(1).executeTakeFirst();
  if (!any) return null;
  const unlinked = (table: 'patient' | 'not_infused_patient') =>
    reg
      .selectFrom(table)
      .select('patient_id')
      .where('study_id', '=', study.studyId)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('reg_patient')
              .select('pseudonym')
              .whereRef('reg_patient.pseudonym', '=', `${table}.patient_id`),
          ),
        ),
      )
      .execute();
  const rows = [...(await unlinked('patient')), ...(await unlinked('not_infused_patient'))];
  return rows.map((r) => r.patient_id).sort();
}

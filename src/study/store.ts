/**
 * The study tables of the deployment database (SQLite file or PostgreSQL, src/store/db.ts) through
 * Kysely.
 *
 * `saveStudy` writes one study in ONE transaction: on any error the database is unchanged. A study
 * whose content hash equals the stored one is not written at all, so importing the same bundle
 * twice changes nothing (not even the file's bytes). Only pseudonymous IDs are stored.
 */
import { lesionOutcomeRecords, splitLesionOutcomeRecords } from './lesion-outcomes.js';
import type { PreInfusionStage } from '../clinical/outcomes.js';
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { CartoError } from '../errors.js';
import { openMigratedDatabase, type Connection } from '../store/db.js';
import { scanUid } from '../store/ids.js';
import type { StudyBundle } from './bundle.js';
import type { LabAssays, QuantifiedVoi, StudyData, VoiMetrics } from './model.js';
import type { QpcrStudyResult } from '../assays/qpcr-study.js';
import type { StudyDatabase } from './schema.js';
import { loadAdverseEvents, saveAdverseEvents } from './adverse-events-store.js';

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
  grid: { size: number[]; spacingMm: number[] };
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

const bool = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0);
const unbool = (n: number | null): boolean | null => (n === null ? null : n !== 0);

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

/**
 * Writes a validated, quantified study in one transaction, replacing an earlier import of the same
 * study name. When the stored content hash equals `contentHash`, nothing is written.
 * @returns 'unchanged' or 'written'
 */
export async function saveStudy(
  db: StudyStore,
  bundle: StudyBundle,
  metrics: Map<string, VoiMetrics>,
  scans: Map<string, ScanQuantification>,
  contentHash: string,
  qpcr?: QpcrStudyResult,
  labAssays?: LabAssays,
): Promise<'unchanged' | 'written'> {
  const existing = await findStudy(db, bundle.name);
  if (existing?.contentHash === contentHash) return 'unchanged';
  const studyId = bundle.name;
  await db.transaction().execute(async (trx) => {
    if (existing) await trx.deleteFrom('study').where('study_id', '=', existing.studyId).execute();
    await trx
      .insertInto('study')
      .values({
        study_id: studyId,
        name: bundle.name,
        tracer_name: bundle.tracer.name,
        nuclide: bundle.tracer.nuclide,
        half_life_s: bundle.tracer.halfLifeS,
        settings_json: JSON.stringify(bundle.settings),
        content_hash: contentHash,
        imported_at: new Date().toISOString(),
        bundle_dir: bundle.dir,
        data_roots_json: JSON.stringify(bundle.dataRoots),
      })
      .execute();
    const chunks = <T>(rows: T[], size = 200): T[][] => {
      const out: T[][] = [];
      for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
      return out;
    };
    for (const c of chunks(bundle.notInfused)) {
      await trx
        .insertInto('not_infused_patient')
        .values(
          c.map((p) => ({
            study_id: studyId,
            patient_id: p.patientId,
            cohort: p.cohort,
            consort_stage: p.stage,
            dropout_reason: p.dropoutReason,
            dropout_date: p.dropoutDate,
          })),
        )
        .execute();
    }
    for (const c of chunks(bundle.patients)) {
      await trx
        .insertInto('patient')
        .values(
          c.map((p) => ({
            study_id: studyId,
            patient_id: p.patientId,
            cohort: p.cohort,
            age: p.age,
            sex: p.sex,
            weight_kg: p.weightKg,
            histology: p.histology,
            stage: p.stage,
            cns_involvement: bool(p.cnsInvolvement),
            ecog: p.ecog,
            previous_lines: p.previousLines,
            primary_refractory: bool(p.primaryRefractory),
            prior_asct: bool(p.priorAsct),
            bridging: p.bridging,
            product: p.product,
          })),
        )
        .execute();
    }
    for (const c of chunks(bundle.events.map((e, seq) => ({ e, seq })))) {
      await trx
        .insertInto('event')
        .values(
          c.map(({ e, seq }) => ({
            study_id: studyId,
            seq,
            patient_id: e.patientId,
            event: e.event,
            day: e.day,
            date: e.date,
            bridging_type: e.bridgingType,
            activity_mbq: e.activityMbq,
            scan_id: e.scanId,
            lugano: e.lugano,
            death_cause: e.deathCause,
          })),
        )
        .execute();
    }
    for (const c of chunks(bundle.scans)) {
      await trx
        .insertInto('scan')
        .values(
          c.map((s) => {
            const q = scans.get(s.scanId);
            return {
              study_id: studyId,
              scan_id: s.scanId,
              patient_id: s.patientId,
              tracer: s.tracer,
              timepoint: s.timepoint,
              day: s.day,
              path: s.path,
              format: s.format,
              suv_units: q?.suvUnits ?? null,
              decay_correction: q?.decayCorrection ?? null,
              suv_type: q?.suvType ?? null,
              grid_json: q ? JSON.stringify(q.grid) : null,
              uid: scanUid(studyId, s.scanId),
            };
          }),
        )
        .execute();
    }
    for (const c of chunks(bundle.vois)) {
      await trx
        .insertInto('voi')
        .values(
          c.map((v) => {
            const m = metrics.get(v.voiId);
            if (!m) throw new CartoError(`VOI ${v.voiId} was not quantified`);
            return {
              study_id: studyId,
              voi_id: v.voiId,
              scan_id: v.scanId,
              kind: v.kind,
              label: v.label,
              lesion_id: v.lesionId,
              site: v.site,
              irradiated: bool(v.irradiated),
              mask_path: v.maskPath,
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
        )
        .execute();
    }
    for (const c of chunks(bundle.toxicity)) {
      await trx
        .insertInto('toxicity')
        .values(
          c.map((t) => ({
            study_id: studyId,
            patient_id: t.patientId,
            crs_grade: t.crsGrade,
            icans_grade: t.icansGrade,
            tocilizumab: bool(t.tocilizumab),
            steroids: bool(t.steroids),
          })),
        )
        .execute();
    }
    for (const c of chunks(bundle.labs.map((l, seq) => ({ l, seq })))) {
      await trx
        .insertInto('lab')
        .values(
          c.map(({ l, seq }) => ({
            study_id: studyId,
            seq,
            patient_id: l.patientId,
            day: l.day,
            analyte: l.analyte,
            value: l.value,
          })),
        )
        .execute();
    }
    const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
    for (const c of chunks(qpcr?.curves ?? [])) {
      await trx
        .insertInto('qpcr_curve')
        .values(
          c.map((q) => ({
            study_id: studyId,
            plate: q.plate,
            target: q.target,
            slope: q.slope,
            intercept: q.intercept,
            r_squared: q.rSquared,
            efficiency_percent: q.efficiencyPercent,
            n: q.n,
            acceptable: q.acceptable ? 1 : 0,
          })),
        )
        .execute();
    }
    for (const c of chunks((qpcr?.samples ?? []).map((q, seq) => ({ q, seq })))) {
      await trx
        .insertInto('qpcr_sample')
        .values(
          c.map(({ q, seq }) => ({
            study_id: studyId,
            seq,
            plate: q.plate,
            target: q.target,
            patient_id: q.patientId,
            day: q.day,
            mean_ct: num(q.meanCt),
            sd_ct: num(q.sdCt),
            n_used: q.nUsed,
            n_flagged: q.nFlagged,
            copies_per_ul: num(q.copiesPerUl),
          })),
        )
        .execute();
    }
    const records = Object.entries(labAssays ?? {}).flatMap(([kind, rows]) =>
      (rows as Record<string, unknown>[]).map((r, seq) => ({
        study_id: studyId,
        kind,
        seq,
        patient_id: typeof r['patientId'] === 'string' ? r['patientId'] : null,
        day: typeof r['day'] === 'number' ? r['day'] : null,
        data_json: JSON.stringify(r, (_k, v: unknown) =>
          typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v,
        ),
      })),
    );
    records.push(...lesionOutcomeRecords(bundle.lesionOutcomes).map((r) => ({ study_id: studyId, ...r })));
    for (const c of chunks(records)) await trx.insertInto('assay_record').values(c).execute();
    await saveAdverseEvents(trx, studyId, bundle.adverseEvents);
    for (const c of chunks(bundle.biopsies.map((b, seq) => ({ b, seq })))) {
      await trx
        .insertInto('biopsy')
        .values(
          c.map(({ b, seq }) => ({
            study_id: studyId,
            seq,
            patient_id: b.patientId,
            lesion_id: b.lesionId,
            cd8_percent: b.cd8Percent,
          })),
        )
        .execute();
    }
  });
  return 'written';
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
    patients: patients.map((p) => ({
      patientId: p.patient_id,
      cohort: p.cohort,
      age: p.age,
      sex: p.sex as 'M' | 'F',
      weightKg: p.weight_kg,
      histology: p.histology,
      stage: p.stage,
      cnsInvolvement: unbool(p.cns_involvement),
      ecog: p.ecog,
      previousLines: p.previous_lines,
      primaryRefractory: unbool(p.primary_refractory),
      priorAsct: unbool(p.prior_asct),
      bridging: p.bridging as StudyData['patients'][number]['bridging'],
      product: p.product,
    })),
    ...(notInfused.length > 0
      ? {
          notInfused: notInfused.map((p) => ({
            patientId: p.patient_id,
            cohort: p.cohort,
            stage: p.consort_stage as PreInfusionStage,
            dropoutReason: p.dropout_reason,
            dropoutDate: p.dropout_date,
          })),
        }
      : {}),
    events: events.map((e) => ({
      patientId: e.patient_id,
      event: e.event as StudyData['events'][number]['event'],
      day: e.day,
      date: e.date,
      bridgingType: e.bridging_type as StudyData['events'][number]['bridgingType'],
      activityMbq: e.activity_mbq,
      scanId: e.scan_id,
      lugano: e.lugano as StudyData['events'][number]['lugano'],
      deathCause: e.death_cause as StudyData['events'][number]['deathCause'],
    })),
    scans: scans.map((s) => ({
      scanId: s.scan_id,
      patientId: s.patient_id,
      tracer: s.tracer,
      timepoint: s.timepoint,
      day: s.day,
      path: s.path,
      format: s.format as 'dicom' | 'nifti-suv',
    })),
    vois: vois.map((v): QuantifiedVoi => {
      const scan = scanById.get(v.scan_id)!;
      return {
        voiId: v.voi_id,
        scanId: v.scan_id,
        kind: v.kind as 'organ' | 'lesion',
        label: v.label,
        lesionId: v.lesion_id,
        site: v.site,
        irradiated: unbool(v.irradiated),
        maskPath: v.mask_path,
        maskLabel: v.mask_label,
        roiName: v.roi_name,
        patientId: scan.patient_id,
        timepoint: scan.timepoint,
        tracer: scan.tracer,
        ...voiMetricsOfRow(v),
      };
    }),
    toxicity: toxicity.map((t) => ({
      patientId: t.patient_id,
      crsGrade: t.crs_grade,
      icansGrade: t.icans_grade,
      tocilizumab: unbool(t.tocilizumab),
      steroids: unbool(t.steroids),
    })),
    labs: labs.map((l) => ({ patientId: l.patient_id, day: l.day, analyte: l.analyte, value: l.value })),
    biopsies: biopsies.map((b) => ({
      patientId: b.patient_id,
      lesionId: b.lesion_id,
      cd8Percent: b.cd8_percent,
    })),
    ...(curves.length > 0 || samples.length > 0
      ? {
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
        }
      : {}),
    ...(labAssays ? { labAssays } : {}),
    ...(await loadAdverseEvents(db, id)),
    ...(lesionOutcomes.lesionProgression.length > 0 || lesionOutcomes.lesionRadiotherapy.length > 0
      ? { lesionOutcomes }
      : {}),
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

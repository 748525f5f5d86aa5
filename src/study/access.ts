/**
 * Read-only, actor-scoped access to the stored studies for the HTTP API (src/server/routes/studies.ts),
 * under the registry's authorisation rules (src/registry/store.ts):
 * - admin and analyst: every study and every study patient; the analyst sees centres as their
 *   pseudo-codes;
 * - data_manager and clinician: the study patients linked to their centre's registry patients (a study
 *   patient links to the registry patient whose pseudonym equals its patient id), their scans and VOIs,
 *   and only the studies holding at least one of them. A study patient that links to no registry
 *   patient is visible to admins and analysts only. Study-wide analysis results (results.json, tables,
 *   figures) cover every patient, so they are for admins and analysts only (ForbiddenError otherwise).
 * Anything outside the scope answers like something that does not exist (NotFoundError). No file paths
 * leave this module.
 */
import type { Kysely } from 'kysely';
import { ForbiddenError, NotFoundError, type Actor } from '../registry/store.js';
import { studyJobSummary, type JobSummary } from '../pipeline/job-store.js';
import { voiLabelValues, type ScanSource } from '../pipeline/scan-images.js';
import type { Voi } from './model.js';
import type { StudyDatabase } from './schema.js';
import { voiMetricsOfRow, type ScanGrid } from './store.js';

/** The registry tables the scope needs, beside the study tables. */
interface LinkTables {
  reg_patient: { id: string; pseudonym: string; centre_id: string };
  reg_centre: { id: string; code: string; pseudo_code: string };
}
type Db = Kysely<StudyDatabase & LinkTables>;

/** A study as the API lists it. */
export interface StudySummary {
  id: string;
  name: string;
  tracer: { name: string; nuclide: string; halfLifeS: number };
  importedAt: string;
  /** Patients (infused or not) and scans visible to the caller. */
  patients: number;
  scans: number;
  /** The latest analysis run (admin and analyst only; null when there is none or it is not theirs). */
  latestRun: { runId: string; finishedAt: string } | null;
}

/** A stored scan's VOI with its metrics (SUV g/mL, volumes mL) and its value in labels.nii.gz. */
export interface VoiMetricsRow {
  voiId: string;
  kind: string;
  label: string;
  lesionId: string | null;
  site: string | null;
  irradiated: boolean | null;
  labelValue: number;
  voxelCount: number;
  volumeMl: number;
  suvMin: number;
  suvMax: number;
  suvMean: number;
  suvMedian: number;
  suvSd: number;
  suvPeakLocal: number;
  suvPeakGlobal: number;
  matvMl: number;
}

/** What the API says of every stored scan (no file paths); `id` is its API id for /api/scans/{id}. */
interface ScanIdentity {
  id: string;
  scanId: string;
  studyId: string;
  /** The study patient's pseudonym. */
  patientId: string;
  tracer: string;
  timepoint: string;
  /** Days from infusion, null when the bundle gave none. */
  day: number | null;
}

/** A stored scan as GET /api/scans/{id} answers it (see `StudyAccess.scan`). */
export interface ScanRecord extends ScanIdentity {
  /** Grid size [nx, ny, nz] in voxels. */
  size: number[] | null;
  /** Voxel size [dx, dy, dz] in mm. */
  voxelSizeMm: number[] | null;
  /**
   * Direction cosines: the i, j and k axes' unit vectors in LPS (9 numbers, `Volume.direction`); null
   * when the import stored no grid or none (scans stored before it was kept).
   */
  direction: number[] | null;
  voiCount: number;
}

/** A study patient's link to the registry patient of the same pseudonym, null when it links to none. */
interface RegistryLink {
  registryPatientId: string | null;
  /** The registry patient's centre code (the analyst sees its pseudo-code). */
  centre: string | null;
}

/**
 * A study patient in scope as GET /api/studies/{id}/patients answers it (see `StudyAccess.patients`):
 * an infused patient with the bundle's baseline fields (weight kg), or one never infused with the CONSORT
 * stage it reached; both with their registry link.
 */
export type StudyPatient = RegistryLink &
  (
    | {
        patientId: string;
        infused: true;
        cohort: string;
        age: number;
        sex: string;
        weightKg: number | null;
        histology: string;
        stage: string | null;
        ecog: number | null;
        bridging: string;
        product: string | null;
      }
    | { patientId: string; infused: false; cohort: string; consortStage: string }
  );

/** A stored scan as GET /api/studies/{id}/scans lists it (see `StudyAccess.scans`). */
export interface StudyScan extends ScanIdentity {
  format: string;
  /** SUV provenance of the quantified scan, null before it is quantified. */
  suvUnits: string | null;
  decayCorrection: string | null;
  suvType: string | null;
  /** The voxel grid (size, voxel size, direction; `ScanGrid`), null before the scan is quantified. */
  grid: ScanGrid | null;
}

const unbool = (n: number | null): boolean | null => (n === null ? null : n !== 0);

/** The stored studies as one actor may see them (see module doc). */
export class StudyAccess {
  private readonly db: Db;

  /** @param db the deployment database (any typed view of it) */
  constructor(
    db: Kysely<unknown>,
    readonly actor: Actor,
  ) {
    this.db = db;
    if ((actor.role === 'data_manager' || actor.role === 'clinician') && !actor.centreId)
      throw new ForbiddenError('a centre role without a centre has no access');
  }

  /** The caller's centre filter, or null (every patient). */
  private get scopeCentre(): string | null {
    return this.actor.role === 'admin' || this.actor.role === 'analyst' ? null : this.actor.centreId;
  }

  /** Patient ids of the study visible to the caller, or null for all. */
  private async visiblePatients(studyId: string): Promise<Set<string> | null> {
    const c = this.scopeCentre;
    if (c === null) return null;
    const rows = await this.db
      .selectFrom('reg_patient')
      .select('pseudonym')
      .where('centre_id', '=', c)
      .where((eb) =>
        eb.or([
          eb.exists(
            eb
              .selectFrom('patient')
              .select('patient_id')
              .where('patient.study_id', '=', studyId)
              .whereRef('patient.patient_id', '=', 'reg_patient.pseudonym'),
          ),
          eb.exists(
            eb
              .selectFrom('not_infused_patient')
              .select('patient_id')
              .where('not_infused_patient.study_id', '=', studyId)
              .whereRef('not_infused_patient.patient_id', '=', 'reg_patient.pseudonym'),
          ),
        ]),
      )
      .execute();
    return new Set(rows.map((r) => r.pseudonym));
  }

  /** The study row and the caller's visible patients. @throws NotFoundError when outside the scope */
  private async scopedStudy(studyId: string) {
    const study = await this.db
      .selectFrom('study')
      .selectAll()
      .where('study_id', '=', studyId)
      .executeTakeFirst();
    if (!study) throw new NotFoundError('study');
    const visible = await this.visiblePatients(studyId);
    if (visible !== null && visible.size === 0) throw new NotFoundError('study');
    return { study, visible };
  }

  private async summary(study: StudyDatabase['study'], visible: Set<string> | null): Promise<StudySummary> {
    const id = study.study_id;
    const ids = async (table: 'patient' | 'not_infused_patient' | 'scan') =>
      (await this.db.selectFrom(table).select('patient_id').where('study_id', '=', id).execute()).filter(
        (r) => visible === null || visible.has(r.patient_id),
      ).length;
    const run = visible === null ? await this.latestRunRow(id) : undefined;
    return {
      id,
      name: study.name,
      tracer: { name: study.tracer_name, nuclide: study.nuclide, halfLifeS: study.half_life_s },
      importedAt: study.imported_at,
      patients: (await ids('patient')) + (await ids('not_infused_patient')),
      scans: await ids('scan'),
      latestRun: run ? { runId: run.run_id, finishedAt: run.finished_at } : null,
    };
  }

  /** Studies in scope, by name. */
  async listStudies(): Promise<StudySummary[]> {
    const studies = await this.db.selectFrom('study').selectAll().orderBy('name').execute();
    const out: StudySummary[] = [];
    for (const s of studies) {
      const visible = await this.visiblePatients(s.study_id);
      if (visible === null || visible.size > 0) out.push(await this.summary(s, visible));
    }
    return out;
  }

  /** One study: its summary and analysis settings. @throws NotFoundError outside the scope */
  async getStudy(studyId: string): Promise<StudySummary & { settings: unknown }> {
    const { study, visible } = await this.scopedStudy(studyId);
    return { ...(await this.summary(study, visible)), settings: JSON.parse(study.settings_json) as unknown };
  }

  /**
   * The study's patients in scope (infused first, then not infused, each by id) with their link to the
   * registry: `registryPatientId` and `centre` (code; the pseudo-code for the analyst), null when the
   * patient links to no registry patient.
   * @throws NotFoundError outside the scope
   */
  async patients(studyId: string): Promise<StudyPatient[]> {
    const { visible } = await this.scopedStudy(studyId);
    const link = async (patientId: string) => {
      const r = await this.db
        .selectFrom('reg_patient')
        .innerJoin('reg_centre', 'reg_centre.id', 'reg_patient.centre_id')
        .select(['reg_patient.id', 'reg_centre.code', 'reg_centre.pseudo_code'])
        .where('reg_patient.pseudonym', '=', patientId)
        .executeTakeFirst();
      return {
        registryPatientId: r?.id ?? null,
        centre: r ? (this.actor.role === 'analyst' ? r.pseudo_code : r.code) : null,
      };
    };
    const inScope = (p: { patient_id: string }) => visible === null || visible.has(p.patient_id);
    const infused = await this.db
      .selectFrom('patient')
      .selectAll()
      .where('study_id', '=', studyId)
      .orderBy('patient_id')
      .execute();
    const notInfused = await this.db
      .selectFrom('not_infused_patient')
      .selectAll()
      .where('study_id', '=', studyId)
      .orderBy('patient_id')
      .execute();
    const out: StudyPatient[] = [];
    for (const p of infused.filter(inScope))
      out.push({
        patientId: p.patient_id,
        infused: true,
        cohort: p.cohort,
        age: p.age,
        sex: p.sex,
        weightKg: p.weight_kg,
        histology: p.histology,
        stage: p.stage,
        ecog: p.ecog,
        bridging: p.bridging,
        product: p.product,
        ...(await link(p.patient_id)),
      });
    for (const p of notInfused.filter(inScope))
      out.push({
        patientId: p.patient_id,
        infused: false,
        cohort: p.cohort,
        consortStage: p.consort_stage,
        ...(await link(p.patient_id)),
      });
    return out;
  }

  /** The study's scans in scope, by scan id (no file paths). @throws NotFoundError outside the scope */
  async scans(studyId: string): Promise<StudyScan[]> {
    const { visible } = await this.scopedStudy(studyId);
    const rows = await this.db
      .selectFrom('scan')
      .selectAll()
      .where('study_id', '=', studyId)
      .orderBy('scan_id')
      .execute();
    return rows
      .filter((s) => visible === null || visible.has(s.patient_id))
      .map((s): StudyScan => ({
        id: s.uid,
        scanId: s.scan_id,
        studyId: s.study_id,
        patientId: s.patient_id,
        tracer: s.tracer,
        timepoint: s.timepoint,
        day: s.day,
        format: s.format,
        suvUnits: s.suv_units,
        decayCorrection: s.decay_correction,
        suvType: s.suv_type,
        grid: s.grid_json === null ? null : (JSON.parse(s.grid_json) as ScanGrid),
      }));
  }

  /**
   * The study's quantification jobs as `carto jobs --json` prints them (src/pipeline/job-store.ts):
   * scans per state and the failed scans with their error, counting only the scans in scope.
   * @throws NotFoundError outside the scope
   */
  async jobs(studyId: string): Promise<JobSummary> {
    const { visible } = await this.scopedStudy(studyId);
    const patientOf = new Map(
      (
        await this.db
          .selectFrom('scan')
          .select(['scan_id', 'patient_id'])
          .where('study_id', '=', studyId)
          .execute()
      ).map((r) => [r.scan_id, r.patient_id]),
    );
    return studyJobSummary(
      this.db,
      studyId,
      (scanId) => visible === null || visible.has(patientOf.get(scanId) ?? ''),
    );
  }

  /** A scan by its API id, when in scope. @throws NotFoundError otherwise */
  private async scopedScan(uid: string) {
    const scan = await this.db.selectFrom('scan').selectAll().where('uid', '=', uid).executeTakeFirst();
    if (!scan) throw new NotFoundError('scan');
    const visible = await this.visiblePatients(scan.study_id);
    if (visible !== null && !visible.has(scan.patient_id)) throw new NotFoundError('scan');
    return scan;
  }

  /**
   * A scan's record in scope (no file paths): API id, study, patient pseudonym, timepoint, day relative
   * to infusion, grid size (voxels) and voxel size (mm; null when the import stored no grid) and its
   * number of VOIs. @throws NotFoundError outside the scope
   */
  async scan(scanUid: string): Promise<ScanRecord> {
    const s = await this.scopedScan(scanUid);
    const grid = s.grid_json === null ? null : (JSON.parse(s.grid_json) as ScanGrid);
    return {
      id: s.uid,
      scanId: s.scan_id,
      studyId: s.study_id,
      patientId: s.patient_id,
      tracer: s.tracer,
      timepoint: s.timepoint,
      day: s.day,
      size: grid ? grid.size : null,
      voxelSizeMm: grid ? grid.spacingMm : null,
      direction: grid?.direction ?? null,
      voiCount: (await this.voiRows(s)).length,
    };
  }

  private async voiRows(scan: { study_id: string; scan_id: string }) {
    return this.db
      .selectFrom('voi')
      .selectAll()
      .where('study_id', '=', scan.study_id)
      .where('scan_id', '=', scan.scan_id)
      .orderBy('voi_id')
      .execute();
  }

  /** The VOI metrics of a scan in scope, by VOI id. @throws NotFoundError outside the scope */
  async vois(scanUid: string): Promise<VoiMetricsRow[]> {
    const rows = await this.voiRows(await this.scopedScan(scanUid));
    const values = voiValues(rows);
    return rows.map((v) => ({
      voiId: v.voi_id,
      kind: v.kind,
      label: v.label,
      lesionId: v.lesion_id,
      site: v.site,
      irradiated: unbool(v.irradiated),
      labelValue: values.get(v.voi_id)!,
      ...voiMetricsOfRow(v),
    }));
  }

  /**
   * What src/pipeline/scan-images.ts needs to load a scan in scope: its files, net dose, data roots and
   * VOI definitions (server-side only: these hold paths), and the key of its quantification job when
   * done (its entry among the viewer's images on disk, src/pipeline/viewer-images.ts).
   * @throws NotFoundError outside the scope
   */
  async scanSource(
    scanUid: string,
  ): Promise<{ source: ScanSource; vois: Voi[]; importedAt: string; jobKey: string | null }> {
    const s = await this.scopedScan(scanUid);
    const job = await this.db
      .selectFrom('scan_job')
      .select('job_key')
      .where('study_id', '=', s.study_id)
      .where('scan_id', '=', s.scan_id)
      .where('state', '=', 'done')
      .executeTakeFirst();
    const study = await this.db
      .selectFrom('study')
      .select(['bundle_dir', 'data_roots_json', 'imported_at'])
      .where('study_id', '=', s.study_id)
      .executeTakeFirstOrThrow();
    const dose = await this.db
      .selectFrom('event')
      .select('activity_mbq')
      .where('study_id', '=', s.study_id)
      .where('event', '=', 'tracer_injection')
      .where('scan_id', '=', s.scan_id)
      .orderBy('seq')
      .executeTakeFirst();
    const roots = [
      ...(study.bundle_dir !== null ? [study.bundle_dir] : []),
      ...(study.data_roots_json !== null ? (JSON.parse(study.data_roots_json) as string[]) : []),
    ];
    const vois = (await this.voiRows(s)).map((v): Voi => ({
      voiId: v.voi_id,
      scanId: v.scan_id,
      kind: v.kind as Voi['kind'],
      label: v.label,
      lesionId: v.lesion_id,
      site: v.site,
      irradiated: unbool(v.irradiated),
      maskPath: v.mask_path,
      maskLabel: v.mask_label,
      roiName: v.roi_name,
    }));
    return {
      source: {
        scan: {
          scanId: s.scan_id,
          patientId: s.patient_id,
          tracer: s.tracer,
          timepoint: s.timepoint,
          day: s.day,
          path: s.path,
          format: s.format as 'dicom' | 'nifti-suv',
        },
        ...(dose?.activity_mbq != null ? { netDoseBq: dose.activity_mbq * 1e6 } : {}),
        dataRoots: roots,
      },
      vois,
      importedAt: study.imported_at,
      jobKey: job?.job_key ?? null,
    };
  }

  private async latestRunRow(studyId: string) {
    return this.db
      .selectFrom('analysis_run')
      .select(['run_id', 'finished_at', 'results_json'])
      .where('study_id', '=', studyId)
      .orderBy('finished_at', 'desc')
      .orderBy('run_id', 'desc')
      .executeTakeFirst();
  }

  /** Study-wide results are for admins and analysts. */
  private async resultsStudy(studyId: string): Promise<string> {
    await this.scopedStudy(studyId);
    if (this.scopeCentre !== null)
      throw new ForbiddenError('study-wide analysis results are for admins and analysts');
    return studyId;
  }

  /**
   * The latest analysis run's results.json (text) and run id.
   * @throws NotFoundError outside the scope or without a run; ForbiddenError for centre roles
   */
  async latestResults(studyId: string): Promise<{ runId: string; finishedAt: string; resultsJson: string }> {
    const run = await this.latestRunRow(await this.resultsStudy(studyId));
    if (!run) throw new NotFoundError('analysis run');
    return { runId: run.run_id, finishedAt: run.finished_at, resultsJson: run.results_json };
  }

  /**
   * A table (CSV) or figure (SVG) of the latest analysis run.
   * @throws NotFoundError outside the scope, without a run or without that file; ForbiddenError for
   *   centre roles
   */
  async latestRunFile(
    studyId: string,
    kind: 'table' | 'figure',
    fileId: string,
  ): Promise<{ runId: string; mediaType: string; content: string }> {
    const run = await this.latestRunRow(await this.resultsStudy(studyId));
    if (!run) throw new NotFoundError('analysis run');
    const f = await this.db
      .selectFrom('analysis_file')
      .select(['media_type', 'content'])
      .where('run_id', '=', run.run_id)
      .where('kind', '=', kind)
      .where('file_id', '=', fileId)
      .executeTakeFirst();
    if (!f) throw new NotFoundError(kind);
    return { runId: run.run_id, mediaType: f.media_type, content: f.content };
  }
}

/** `voiLabelValues` over stored VOI rows. */
function voiValues(rows: { voi_id: string; kind: string }[]): Map<string, number> {
  return voiLabelValues(rows.map((r) => ({ voiId: r.voi_id, kind: r.kind as Voi['kind'] })));
}

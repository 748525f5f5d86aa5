/**
 * The rows of a stored study's tables other than its scans, VOIs and jobs (patients, events, toxicity,
 * labs, biopsies, qPCR, lab assays), as `storeStudyTables` (store.ts) writes them. Only pseudonymous
 * IDs are stored.
 */
import type { QpcrStudyResult } from '../assays/qpcr-study.js';
import type { StudyBundle } from './bundle.js';
import type { LabAssays } from './model.js';
import { bool, insertChunked, type StudyStore } from './store.js';
import { saveAdverseEvents } from './adverse-events-store.js';
import { lesionOutcomeRecords } from './lesion-outcomes.js';

/** The rows of a study's tables other than scans and VOIs (`storeStudyTables`). */
export async function insertStudyRows(
  db: StudyStore,
  studyId: string,
  bundle: StudyBundle,
  qpcr?: QpcrStudyResult,
  labAssays?: LabAssays,
): Promise<void> {
  const sid = { study_id: studyId };
  await insertChunked(
    db,
    'not_infused_patient',
    bundle.notInfused.map((p) => ({
      ...sid,
      patient_id: p.patientId,
      cohort: p.cohort,
      consort_stage: p.stage,
      dropout_reason: p.dropoutReason,
      dropout_date: p.dropoutDate,
    })),
  );
  await insertChunked(
    db,
    'patient',
    bundle.patients.map((p) => ({
      ...sid,
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
  );
  await insertChunked(
    db,
    'event',
    bundle.events.map((e, seq) => ({
      ...sid,
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
  );
  await insertChunked(
    db,
    'toxicity',
    bundle.toxicity.map((t) => ({
      ...sid,
      patient_id: t.patientId,
      crs_grade: t.crsGrade,
      icans_grade: t.icansGrade,
      tocilizumab: bool(t.tocilizumab),
      steroids: bool(t.steroids),
    })),
  );
  await insertChunked(
    db,
    'lab',
    bundle.labs.map((l, seq) => ({
      ...sid,
      seq,
      patient_id: l.patientId,
      day: l.day,
      analyte: l.analyte,
      value: l.value,
    })),
  );
  const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
  await insertChunked(
    db,
    'qpcr_curve',
    (qpcr?.curves ?? []).map((q) => ({
      ...sid,
      plate: q.plate,
      target: q.target,
      slope: q.slope,
      intercept: q.intercept,
      r_squared: q.rSquared,
      efficiency_percent: q.efficiencyPercent,
      n: q.n,
      acceptable: q.acceptable ? 1 : 0,
    })),
  );
  await insertChunked(
    db,
    'qpcr_sample',
    (qpcr?.samples ?? []).map((q, seq) => ({
      ...sid,
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
  );
  const records = Object.entries(labAssays ?? {}).flatMap(([kind, rows]) =>
    (rows as Record<string, unknown>[]).map((r, seq) => ({
      ...sid,
      kind,
      seq,
      patient_id: typeof r['patientId'] === 'string' ? r['patientId'] : null,
      day: typeof r['day'] === 'number' ? r['day'] : null,
      data_json: JSON.stringify(r, (_k, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v,
      ),
    })),
  );
  records.push(...lesionOutcomeRecords(bundle.lesionOutcomes).map((r) => ({ ...sid, ...r })));
  await insertChunked(db, 'assay_record', records);
  await saveAdverseEvents(db, studyId, bundle.adverseEvents);
  await insertChunked(
    db,
    'biopsy',
    bundle.biopsies.map((b, seq) => ({
      ...sid,
      seq,
      patient_id: b.patientId,
      lesion_id: b.lesionId,
      cd8_percent: b.cd8Percent,
    })),
  );
}

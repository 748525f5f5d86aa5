/**
 * Per-patient outcomes of a study, derived from its records, never typed. The definitions are
 * src/clinical/outcomes.ts (docs/outcomes.md): this module only maps a study's records to a
 * `ClinicalJourney` (days from infusion) and the results to the analyses' shapes.
 *
 * Last contact (censoring) = the latest of every event (follow-up, response, progression, tracer
 * injection …), scan, lab value and lab-assay sample of the patient on or after the infusion.
 */
import {
  clinicalOutcome,
  type ClinicalJourney,
  type ClinicalOutcome,
  type LuganoResponse,
} from '../clinical/outcomes.js';
import type { Lugano, NotInfusedPatient, PatientEvent, StudyData } from '../study/model.js';

/** A time-to-event endpoint of one patient: time in days from infusion and whether the event occurred. */
export interface TimeToEvent {
  days: number;
  event: boolean;
}

/** An infused patient's endpoints in the analyses' shape, and every clinical outcome. */
export interface PatientOutcome {
  patientId: string;
  ttp: TimeToEvent;
  pfs: TimeToEvent;
  os: TimeToEvent;
  /** Best Lugano response after infusion and not after progression, null when none. */
  bestResponse: Lugano | null;
  clinical: ClinicalOutcome;
}

/** Days per month used to express times in months in the report (365.25 / 12). */
export const DAYS_PER_MONTH = 365.25 / 12;

/** Further dated records and grades of one patient (beyond its events). */
export interface PatientExtras {
  /** Days (from infusion) of scans, lab values, lab-assay samples. */
  contactDays?: readonly number[];
  maxCrs?: number | null;
  maxIcans?: number | null;
}

/**
 * The `ClinicalJourney` of one infused patient from the patient's events (days from infusion).
 * Assumes validated events (one infusion), as `readBundle` guarantees.
 */
export function eventJourney(
  patientId: string,
  events: readonly PatientEvent[],
  extras: PatientExtras = {},
): ClinicalJourney {
  const mine = events.filter((e) => e.patientId === patientId);
  const days = (k: PatientEvent['event']) => mine.filter((e) => e.event === k).map((e) => e.day);
  const death = mine.find((e) => e.event === 'death');
  return {
    infusionDay: Math.min(...days('infusion')),
    apheresisDays: days('apheresis'),
    responses: mine
      .filter((e) => e.event === 'response' && e.lugano !== null)
      .map((e) => ({ day: e.day, response: e.lugano as LuganoResponse })),
    progressionDays: days('progression'),
    death: death ? { day: death.day, cause: death.deathCause === 'lymphoma' ? 'lymphoma' : 'other' } : null,
    contactDays: [
      ...mine.filter((e) => e.event !== 'death').map((e) => e.day),
      ...(extras.contactDays ?? []),
    ],
    preInfusionStage: 'apheresed',
    dropoutReason: null,
    maxCrs: extras.maxCrs ?? null,
    maxIcans: extras.maxIcans ?? null,
  };
}

const asEvent = (t: { days: number; status: number } | null): TimeToEvent => ({
  days: t?.days ?? NaN,
  event: t?.status === 1,
});

/** Outcomes of one infused patient from that patient's events (and further dated records). */
export function derivePatientOutcome(
  patientId: string,
  events: readonly PatientEvent[],
  extras: PatientExtras = {},
): PatientOutcome {
  const clinical = clinicalOutcome(eventJourney(patientId, events, extras));
  return {
    patientId,
    ttp: asEvent(clinical.ttp),
    pfs: asEvent(clinical.pfs),
    os: asEvent(clinical.os),
    bestResponse: clinical.bestResponse,
    clinical,
  };
}

/** The records of a study (or of a bundle before import) that the outcomes read. */
export type OutcomeSources = Pick<StudyData, 'patients' | 'events' | 'scans' | 'labs' | 'toxicity'> & {
  notInfused?: readonly NotInfusedPatient[];
  /** Further dated samples (lab assays) per patient, days from infusion. */
  samples?: readonly { patientId: string | null; day: number }[];
};

function extrasOf(study: OutcomeSources): (patientId: string) => PatientExtras {
  const days = new Map<string, number[]>();
  const add = (id: string | null, d: number | null) => {
    if (id !== null && d !== null) days.set(id, [...(days.get(id) ?? []), d]);
  };
  for (const s of study.scans) add(s.patientId, s.day);
  for (const l of study.labs) add(l.patientId, l.day);
  for (const s of study.samples ?? []) add(s.patientId, s.day);
  const tox = new Map(study.toxicity.map((t) => [t.patientId, t]));
  return (id) => ({
    contactDays: days.get(id) ?? [],
    maxCrs: tox.get(id)?.crsGrade ?? null,
    maxIcans: tox.get(id)?.icansGrade ?? null,
  });
}

/** Outcomes of every (infused) patient of the study, in patient order. */
export function deriveOutcomes(study: OutcomeSources): PatientOutcome[] {
  const extras = extrasOf(study);
  return study.patients.map((p) => derivePatientOutcome(p.patientId, study.events, extras(p.patientId)));
}

/** One row of the per-patient outcome table (`carto outcomes`, the report's outcomes-per-patient table). */
export interface PatientOutcomeRow extends ClinicalOutcome {
  patient: string;
}

/**
 * The outcomes of every patient of a study or bundle, infused or not (infused first, in patient order,
 * then the patients who were not infused), as `carto outcomes` prints them.
 */
export function outcomeRows(study: OutcomeSources): PatientOutcomeRow[] {
  const rows: PatientOutcomeRow[] = deriveOutcomes(study).map((o) => ({
    patient: o.patientId,
    ...o.clinical,
  }));
  for (const p of study.notInfused ?? [])
    rows.push({
      patient: p.patientId,
      ...clinicalOutcome({
        infusionDay: null,
        apheresisDays: [],
        responses: [],
        progressionDays: [],
        death: null,
        contactDays: [],
        preInfusionStage: p.stage,
        dropoutReason: p.dropoutReason,
        maxCrs: null,
        maxIcans: null,
      }),
    });
  return rows;
}

/** The per-patient outcome table's columns (docs/outcomes.md). */
export const OUTCOME_COLUMNS = [
  'patient',
  'stage',
  'best_response',
  'vein_to_vein_days',
  'max_crs',
  'max_icans',
  'ttp_days',
  'ttp_event',
  'pfs_days',
  'pfs_event',
  'os_days',
  'os_event',
  'nrm_days',
  'nrm_status',
] as const;

/** One outcome row as table cells (`OUTCOME_COLUMNS`; null = missing / not applicable). */
export function outcomeCells(
  r: PatientOutcomeRow,
): Record<(typeof OUTCOME_COLUMNS)[number], string | number | null> {
  return {
    patient: r.patient,
    stage: r.stage,
    best_response: r.bestResponse,
    vein_to_vein_days: r.veinToVeinDays,
    max_crs: r.maxCrs,
    max_icans: r.maxIcans,
    ttp_days: r.ttp?.days ?? null,
    ttp_event: r.ttp?.status ?? null,
    pfs_days: r.pfs?.days ?? null,
    pfs_event: r.pfs?.status ?? null,
    os_days: r.os?.days ?? null,
    os_event: r.os?.status ?? null,
    nrm_days: r.nrm?.days ?? null,
    nrm_status: r.nrm?.status ?? null,
  };
}

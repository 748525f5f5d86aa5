/**
 * Per-patient outcomes derived from the event table, never typed (docs/references/clinical.md §6).
 *
 * All times are in days from the CAR T infusion (day 0):
 * - TTP: event = progression, or death from lymphoma; censored at death from other causes or at last
 *   follow-up.
 * - PFS: event = progression or death from any cause; censored at last follow-up.
 * - OS: event = death from any cause; censored at last follow-up.
 * The end of follow-up is the death day when the patient died, else the last follow-up day.
 */
import type { Lugano, PatientEvent, StudyData } from '../study/model.js';

/** A time-to-event endpoint of one patient: time in days and whether the event occurred. */
export interface TimeToEvent {
  days: number;
  event: boolean;
}

export interface PatientOutcome {
  patientId: string;
  ttp: TimeToEvent;
  pfs: TimeToEvent;
  os: TimeToEvent;
  /** Best Lugano response over all assessments (CR > PR > SD > PD), null when none. */
  bestResponse: Lugano | null;
}

const RESPONSE_RANK: Record<Lugano, number> = { CR: 4, PR: 3, SD: 2, PD: 1 };

/** Days per month used to express times in months in the report (365.25 / 12). */
export const DAYS_PER_MONTH = 365.25 / 12;

/**
 * Derives TTP, PFS, OS and best response for one patient from that patient's events.
 * Assumes validated events (exactly one infusion; a last follow-up or a death), as `readBundle`
 * guarantees. Events after the end of follow-up are ignored.
 */
export function derivePatientOutcome(patientId: string, events: PatientEvent[]): PatientOutcome {
  const mine = events.filter((e) => e.patientId === patientId);
  const death = mine.filter((e) => e.event === 'death').sort((a, b) => a.day - b.day)[0];
  const lastFu = Math.max(...mine.filter((e) => e.event === 'last_follow_up').map((e) => e.day), -Infinity);
  const endDay = death ? death.day : lastFu;
  const progression = mine
    .filter((e) => e.event === 'progression' && e.day <= endDay)
    .sort((a, b) => a.day - b.day)[0];

  let ttp: TimeToEvent;
  if (progression) ttp = { days: progression.day, event: true };
  else if (death && death.deathCause === 'lymphoma') ttp = { days: death.day, event: true };
  else ttp = { days: endDay, event: false };

  let pfs: TimeToEvent;
  if (progression) pfs = { days: progression.day, event: true };
  else if (death) pfs = { days: death.day, event: true };
  else pfs = { days: endDay, event: false };

  const os: TimeToEvent = death ? { days: death.day, event: true } : { days: endDay, event: false };

  let bestResponse: Lugano | null = null;
  for (const e of mine) {
    if (e.event !== 'response' || e.lugano === null) continue;
    if (bestResponse === null || RESPONSE_RANK[e.lugano] > RESPONSE_RANK[bestResponse])
      bestResponse = e.lugano;
  }
  return { patientId, ttp, pfs, os, bestResponse };
}

/** Outcomes of every patient of the study, in patient order. */
export function deriveOutcomes(study: Pick<StudyData, 'patients' | 'events'>): PatientOutcome[] {
  return study.patients.map((p) => derivePatientOutcome(p.patientId, study.events));
}

/**
 * The order of a CAR T patient journey and the plausible range of its dates: one pure rule set, used by
 * the study bundle reader (src/study/bundle-events.ts) and the registry's write path
 * (src/registry/validation.ts). This module owns the journey's ordering rules; it does no I/O.
 *
 * Order (docs/references/clinical.md §1; each "≤" allows the same day):
 *   referral ≤ every other event;
 *   apheresis ≤ lymphodepletion ≤ infusion; apheresis ≤ infusion; bridging (start) ≤ infusion;
 *   infusion ≤ response assessments, progression, follow-up, death;
 *   every event ≤ death (nothing after death but the death record itself).
 * Other dated records (tracer injections, toxicity, adverse events, therapies, samples …) only obey
 * referral ≤ record ≤ death.
 */

/** A kind of journey event, as far as its place in the order goes. */
export type JourneyStep =
  | 'referral'
  | 'apheresis'
  | 'bridging'
  | 'lymphodepletion'
  | 'infusion'
  | 'response'
  | 'progression'
  | 'follow_up'
  | 'death'
  | 'other';

/** One event of one patient's journey. `T` says where it came from (for the caller's error). */
export interface JourneyEntry<T = unknown> {
  step: JourneyStep;
  /** Position in days on one axis shared by all entries of the patient (days from infusion, or from 1970). */
  day: number;
  source: T;
}

/** Steps that must come on or after each step (besides the referral-first and death-last rules). */
const BEFORE: Partial<Record<JourneyStep, readonly JourneyStep[]>> = {
  apheresis: ['lymphodepletion', 'infusion'],
  lymphodepletion: ['infusion'],
  bridging: ['infusion'],
  infusion: ['response', 'progression', 'follow_up', 'death'],
};

/** True when an event of step `a` must be on or before one of step `b`. */
export function mustPrecede(a: JourneyStep, b: JourneyStep): boolean {
  if (a === b) return false;
  if (a === 'referral' || b === 'death') return true;
  return BEFORE[a]?.includes(b) ?? false;
}

/** Two entries in the wrong order: `later` is dated before `earlier` though it must not be. */
export interface JourneyConflict<T> {
  /** The entry that must come on or after `earlier` but is dated before it. */
  later: JourneyEntry<T>;
  earlier: JourneyEntry<T>;
}

/** The pair (`x`, `y`) as a conflict when out of order, else null. */
export function orderConflict<T>(x: JourneyEntry<T>, y: JourneyEntry<T>): JourneyConflict<T> | null {
  if (mustPrecede(x.step, y.step) && y.day < x.day) return { later: y, earlier: x };
  if (mustPrecede(y.step, x.step) && x.day < y.day) return { later: x, earlier: y };
  return null;
}

/**
 * The first conflict between `candidate` and any of `others` (in the order of `others`), or null.
 * For a write path: only pairs involving the new or changed entry are checked.
 */
export function candidateConflict<T>(
  candidate: JourneyEntry<T>,
  others: readonly JourneyEntry<T>[],
): JourneyConflict<T> | null {
  for (const o of others) {
    const c = orderConflict(candidate, o);
    if (c) return c;
  }
  return null;
}

/**
 * The first conflict of a whole journey, scanning entries in their given order (each against all
 * earlier ones), or null when the journey is in order. O(n²) in the patient's events.
 */
export function journeyConflict<T>(entries: readonly JourneyEntry<T>[]): JourneyConflict<T> | null {
  for (let i = 1; i < entries.length; i++) {
    const c = candidateConflict(entries[i]!, entries.slice(0, i));
    if (c) return c;
  }
  return null;
}

/** Words for an event step in messages ("the infusion", "a response assessment"). */
export function stepWords(step: JourneyStep): string {
  switch (step) {
    case 'follow_up':
      return 'the last follow-up';
    case 'response':
      return 'a response assessment';
    case 'other':
      return 'this record';
    default:
      return `the ${step}`;
  }
}

/** First plausible journey date (ISO). */
export const FIRST_PLAUSIBLE_DATE = '1990-01-01';

/**
 * The last plausible journey date: `today` + 1 year (ISO), so planned dates a little ahead pass and a
 * typo such as 2999 does not.
 */
export function lastPlausibleDate(today: Date): string {
  const d = new Date(Date.UTC(today.getUTCFullYear() + 1, today.getUTCMonth(), today.getUTCDate()));
  return d.toISOString().slice(0, 10);
}

/**
 * Why an ISO date `YYYY-MM-DD` is implausible for a CAR T journey, or null when it lies within
 * [1990-01-01, today + 1 year]. (The first CAR T infusions were in the 2010s; 1990 leaves room for
 * old referral histories while refusing 1900 placeholders.)
 * @param today the current date (pass it; this function reads no clock)
 */
export function implausibleDate(iso: string, today: Date): string | null {
  const last = lastPlausibleDate(today);
  if (iso < FIRST_PLAUSIBLE_DATE) return `date before ${FIRST_PLAUSIBLE_DATE} is not plausible`;
  if (iso > last) return `date after ${last} (today + 1 year) is not plausible`;
  return null;
}

/**
 * The largest plausible |day| relative to infusion: the span of plausible dates, in days. A day outside
 * ±this span cannot be a date in the plausible range whatever the infusion date.
 */
export function maxPlausibleDayOffset(today: Date): number {
  return Math.round(
    (Date.parse(`${lastPlausibleDate(today)}T00:00:00Z`) - Date.parse(`${FIRST_PLAUSIBLE_DATE}T00:00:00Z`)) /
      86_400_000,
  );
}

/** Whole days from ISO date `from` to ISO date `to` (UTC calendar days). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

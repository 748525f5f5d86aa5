/**
 * events.csv of a study bundle (docs/study-bundle.md "events.csv"): the patient journey, read strictly.
 * Dates become days relative to each patient's infusion; a row with both a date and a day must agree;
 * dates lie in the plausible range; and each patient's journey is in order (src/clinical/timeline.ts:
 * apheresis ≤ infusion ≤ responses, progression, death; nothing after death). Every error is an
 * InputError naming the file, row and column.
 */
import { InputError } from '../errors.js';
import type { CsvTable } from '../io/csv.js';
import {
  daysBetween,
  journeyConflict,
  maxPlausibleDayOffset,
  type JourneyConflict,
  stepWords,
  type JourneyEntry,
  type JourneyStep,
} from '../clinical/timeline.js';
import type { Bridging, EventKind, Lugano, PatientEvent, Scan } from './model.js';
import { RowReader } from './row-reader.js';

const EVENT_KINDS: readonly EventKind[] = [
  'apheresis',
  'bridging',
  'lymphodepletion',
  'infusion',
  'tracer_injection',
  'response',
  'progression',
  'death',
  'last_follow_up',
];
const BRIDGING_TYPES: readonly Exclude<Bridging, 'none'>[] = ['radiotherapy', 'systemic', 'combination'];
const LUGANO: readonly Lugano[] = ['CR', 'PR', 'SD', 'PD'];

/** The place of each bundle event kind in the journey order. */
const STEP: Record<EventKind, JourneyStep> = {
  apheresis: 'apheresis',
  bridging: 'bridging',
  lymphodepletion: 'lymphodepletion',
  infusion: 'infusion',
  tracer_injection: 'other',
  response: 'response',
  progression: 'progression',
  death: 'death',
  last_follow_up: 'follow_up',
};

interface RawEvent extends Omit<PatientEvent, 'day'> {
  day: number | null;
  /** 0-based data row. */
  row: number;
}

/** A patient-ID check for a table cell: returns the ID or throws naming file, row and column. */
export type PatientCheck = (r: RowReader, column?: string) => string;

function readRow(
  r: RowReader,
  i: number,
  knownPatient: PatientCheck,
  scanById: ReadonlyMap<string, Scan>,
  maxDay: number,
): RawEvent {
  const patientId = knownPatient(r);
  const event = r.enumValue('event', EVENT_KINDS, true);
  const date = r.date('date');
  const day = r.number('day', false, { min: -maxDay, max: maxDay });
  if (date === null && day === null) r.check(false, 'day', 'each event needs a date or a day');
  const e: RawEvent = {
    patientId,
    event,
    date,
    day,
    row: i,
    bridgingType: null,
    activityMbq: null,
    scanId: null,
    lugano: null,
    deathCause: null,
  };
  if (event === 'bridging') e.bridgingType = r.enumValue('bridging_type', BRIDGING_TYPES, true);
  if (event === 'tracer_injection') {
    e.activityMbq = r.number('activity_mbq', true, { min: 0 });
    if (r.has('scan_id')) {
      const s = r.requiredString('scan_id');
      r.check(scanById.has(s), 'scan_id', 'unknown scan (not in scans.csv)');
      r.check(scanById.get(s)!.patientId === patientId, 'scan_id', 'scan belongs to another patient');
      e.scanId = s;
    }
  }
  if (event === 'response') e.lugano = r.enumValue('lugano', LUGANO, true);
  if (event === 'death') e.deathCause = r.enumValue('death_cause', ['lymphoma', 'other'] as const, true);
  return e;
}

/** Each patient's infusion, checking every patient has exactly one, at most one death, and an end (follow-up or death). */
function infusions(
  ev: CsvTable,
  rawEvents: RawEvent[],
  patientIds: readonly string[],
): Map<string, RawEvent> {
  const infusion = new Map<string, RawEvent>();
  for (const e of rawEvents) {
    if (e.event !== 'infusion') continue;
    if (infusion.has(e.patientId)) {
      throw new InputError('patient has more than one infusion event', {
        file: ev.file,
        row: e.row + 1,
        field: 'event',
        value: e.patientId,
      });
    }
    infusion.set(e.patientId, e);
  }
  const deaths = new Set<string>();
  for (const e of rawEvents) {
    if (e.event !== 'death') continue;
    if (deaths.has(e.patientId)) {
      throw new InputError('patient has more than one death event', {
        file: ev.file,
        row: e.row + 1,
        field: 'event',
        value: e.patientId,
      });
    }
    deaths.add(e.patientId);
  }
  for (const p of patientIds) {
    if (!infusion.has(p)) {
      throw new InputError('patient has no infusion event', { file: ev.file, field: 'event', value: p });
    }
    if (!rawEvents.some((e) => e.patientId === p && (e.event === 'last_follow_up' || e.event === 'death'))) {
      throw new InputError('patient has neither a last_follow_up nor a death event', {
        file: ev.file,
        field: 'event',
        value: p,
      });
    }
  }
  return infusion;
}

/** The event's day relative to the infusion: its day, or computed from its date; both must agree. */
function dayOf(ev: CsvTable, e: RawEvent, inf: RawEvent): number {
  const at = { file: ev.file, row: e.row + 1 };
  let fromDate: number | null = null;
  if (e.date !== null && inf.date !== null) fromDate = daysBetween(inf.date, e.date);
  if (e.day === null) {
    if (fromDate === null) {
      throw new InputError('event has a date but the infusion has only a day; give the infusion a date', {
        ...at,
        field: 'date',
        value: e.date,
      });
    }
    return fromDate;
  }
  if (fromDate !== null && fromDate !== e.day) {
    throw new InputError(
      `day ${e.day} and date ${e.date} disagree: the date is day ${fromDate} from the infusion (${inf.date})`,
      { ...at, field: 'day', value: e.day },
    );
  }
  return e.day;
}

/** Steps that come before the treatment: a death before one of these is the misplaced record. */
const PRE_TREATMENT: readonly JourneyStep[] = [
  'referral',
  'apheresis',
  'bridging',
  'lymphodepletion',
  'infusion',
];

/**
 * The error for two events out of order, naming the misplaced row: a record after the death ("nothing
 * after death"), a death before the treatment, or an event dated before one it must follow.
 */
function conflictError(file: string, c: JourneyConflict<RawEvent>): InputError {
  const afterDeath = c.later.step === 'death' && !PRE_TREATMENT.includes(c.earlier.step);
  const bad = afterDeath ? c.earlier : c.later;
  const other = afterDeath ? c.later : c.earlier;
  const field = bad.source.date !== null ? 'date' : 'day';
  const where = `row ${other.source.row + 1}, day ${other.day}`;
  const message = afterDeath
    ? `${bad.source.event} on day ${bad.day} is after the death (${where}): nothing after death but the death record`
    : `${bad.source.event} on day ${bad.day} is before ${stepWords(other.step)} (${where}); the journey runs ` +
      'apheresis ≤ lymphodepletion ≤ infusion ≤ responses, progression, follow-up ≤ death';
  return new InputError(message, { file, row: bad.source.row + 1, field, value: bad.source[field] });
}

/**
 * Reads events.csv (its header already checked against BUNDLE_TABLES.events).
 *
 * @param patientIds every patient of patients.csv (each needs one infusion and a follow-up or death)
 * @param today bounds plausible dates and days (src/clinical/timeline.ts)
 * @returns the events in file order, days relative to each patient's infusion
 * @throws InputError naming file, row and column: a bad cell, an implausible date or day, a day and a
 *   date that disagree, a patient without exactly one infusion or without an end, or a journey out of
 *   order (the message names the event it conflicts with)
 */
export function readEvents(
  ev: CsvTable,
  knownPatient: PatientCheck,
  patientIds: readonly string[],
  scanById: ReadonlyMap<string, Scan>,
  today: Date,
): PatientEvent[] {
  if (!ev.columns.includes('date') && !ev.columns.includes('day')) {
    throw new InputError('events.csv needs a date or a day column', { file: ev.file, row: 0, field: 'date' });
  }
  const maxDay = maxPlausibleDayOffset(today);
  const rawEvents = ev.rows.map((_, i) =>
    readRow(new RowReader(ev, i, today), i, knownPatient, scanById, maxDay),
  );
  const infusion = infusions(ev, rawEvents, patientIds);
  const events = rawEvents.map((e) => ({ raw: e, day: dayOf(ev, e, infusion.get(e.patientId)!) }));
  for (const { raw, day } of events) {
    if (raw.event === 'infusion' && day !== 0) {
      throw new InputError('the infusion is day 0 by definition', {
        file: ev.file,
        row: raw.row + 1,
        field: 'day',
        value: day,
      });
    }
  }
  for (const p of patientIds) {
    const journey: JourneyEntry<RawEvent>[] = events
      .filter((x) => x.raw.patientId === p)
      .map((x) => ({ step: STEP[x.raw.event], day: x.day, source: x.raw }));
    const c = journeyConflict(journey);
    if (c) throw conflictError(ev.file, c);
  }
  return events.map(({ raw, day }) => {
    const { row: _row, ...rest } = raw;
    return { ...rest, day };
  });
}

/** Rows of another table with a patient and a day (a scan, a lab value, a sample). */
export interface DayRow {
  patientId: string;
  day: number | null;
  /** 1-based data row. */
  row: number;
}

/**
 * Nothing after death: each row's day must not be after its patient's death.
 * @param file the table the rows came from (named in the error, with the row and column `day`)
 * @throws InputError naming file, row, `day` and the value
 */
export function checkNotAfterDeath(
  file: string,
  rows: readonly DayRow[],
  events: readonly PatientEvent[],
): void {
  const death = new Map(events.filter((e) => e.event === 'death').map((e) => [e.patientId, e.day]));
  for (const r of rows) {
    const d = death.get(r.patientId);
    if (d !== undefined && r.day !== null && r.day > d) {
      throw new InputError(`day ${r.day} is after the patient's death (day ${d}): nothing after death`, {
        file,
        row: r.row,
        field: 'day',
        value: r.day,
      });
    }
  }
}

/**
 * adverse_events.csv of a study bundle (docs/study-bundle.md "adverse_events.csv"): adverse events
 * graded by CTCAE v5.0, with onset, attribution (tracer, CAR T, other, unrelated) and, for a
 * tracer-related event, the tracer injection it follows. Read strictly: every error is an InputError
 * naming the file, the 1-based data row, the column and the value.
 *
 * Source: NCI Common Terminology Criteria for Adverse Events v5.0 (2017): grades 1–5, grade 5 = death
 * related to the event; the paper's Methods (safety): tracer-related events are monitored from the
 * tracer injection until 30 days after it.
 */
import { daysBetween, maxPlausibleDayOffset } from '../clinical/timeline.js';
import type { CsvTable } from '../io/csv.js';
import type { AdverseEvent, AdverseEventAttribution, PatientEvent } from './model.js';
import type { PatientCheck } from './bundle-events.js';
import { RowReader } from './row-reader.js';

/** The attributions of adverse_events.csv `attribution`. */
export const AE_ATTRIBUTIONS: readonly AdverseEventAttribution[] = ['tracer', 'car-t', 'other', 'unrelated'];

/**
 * Reads adverse_events.csv (its header already checked against BUNDLE_TABLES.adverseEvents).
 *
 * @param table the parsed table
 * @param knownPatient the bundle's check of an infused patient ID (names file, row and column)
 * @param events the patients' validated journey (days from infusion): the infusion date converts
 *   `onset_date` to a day, the tracer injections are what `tracer_scan_id` names, and a death bounds
 *   the onset (nothing after death) and must exist for a grade-5 event
 * @param today bounds plausible dates (src/clinical/timeline.ts)
 * @returns the events in file order, onset as a day relative to the infusion
 * @throws InputError naming file, row, column and value for a bad cell; an onset with neither date nor
 *   day, a date and a day that disagree, or a date when the infusion has none; a `tracer_scan_id` on a
 *   row not attributed to the tracer, missing on one that is, or naming no tracer injection of the
 *   patient, or an onset before that injection; a grade-5 event of a patient with no death; an onset
 *   after the patient's death
 */
export function readAdverseEvents(
  table: CsvTable,
  knownPatient: PatientCheck,
  events: readonly PatientEvent[],
  today: Date,
): AdverseEvent[] {
  const maxDay = maxPlausibleDayOffset(today);
  const infusionDate = new Map(
    events.filter((e) => e.event === 'infusion').map((e) => [e.patientId, e.date] as const),
  );
  const injectionDay = new Map(
    events
      .filter((e) => e.event === 'tracer_injection' && e.scanId !== null)
      .map((e) => [`${e.patientId}\u0000${e.scanId}`, e.day] as const),
  );
  const deathDay = new Map(
    events.filter((e) => e.event === 'death').map((e) => [e.patientId, e.day] as const),
  );
  return table.rows.map((_, i): AdverseEvent => {
    const r: RowReader = new RowReader(table, i, today);
    const patientId = knownPatient(r);
    const ctcaeTerm = r.requiredString('ctcae_term');
    const grade = r.number('grade', true, { integer: true, min: 1, max: 5 });
    if (grade === 5 && !deathDay.has(patientId))
      r.fail('grade', 'grade 5 is death related to the event, but the patient has no death in events.csv', 5);
    const onsetDate = r.date('onset_date');
    const day = r.number('onset_day', false, { integer: true, min: -maxDay, max: maxDay });
    const onsetDay = onsetDayOf(r, patientId, onsetDate, day, infusionDate.get(patientId) ?? null);
    const death = deathDay.get(patientId);
    if (death !== undefined && onsetDay > death)
      r.fail(
        onsetDate !== null ? 'onset_date' : 'onset_day',
        `onset on day ${onsetDay} is after the patient's death (day ${death}): nothing after death`,
        onsetDate ?? onsetDay,
      );
    const attribution = r.enumValue('attribution', AE_ATTRIBUTIONS, true);
    const tracerScanId = r.optionalString('tracer_scan_id');
    let tracerInjectionDay: number | null = null;
    if (attribution !== 'tracer') {
      if (tracerScanId !== null)
        r.fail(
          'tracer_scan_id',
          `only a tracer-related event names a tracer injection (attribution is ${attribution})`,
          tracerScanId,
        );
    } else {
      if (tracerScanId === null)
        r.fail(
          'tracer_scan_id',
          'a tracer-related event names the tracer injection it follows (its scan_id in events.csv)',
          '',
        );
      const d = injectionDay.get(`${patientId}\u0000${tracerScanId}`);
      if (d === undefined)
        r.fail(
          'tracer_scan_id',
          `no tracer_injection of patient ${patientId} with this scan_id in events.csv`,
          tracerScanId,
        );
      if (onsetDay < d)
        r.fail(
          onsetDate !== null ? 'onset_date' : 'onset_day',
          `onset (day ${onsetDay}) is before the tracer injection it follows (day ${d})`,
          onsetDate ?? onsetDay,
        );
      tracerInjectionDay = d;
    }
    return {
      patientId,
      ctcaeTerm,
      grade,
      onsetDay,
      onsetDate,
      attribution,
      tracerInjectionDay,
      tracerScanId,
    };
  });
}

/** The onset day: `onset_day`, or computed from `onset_date` and the infusion date; both must agree. */
function onsetDayOf(
  r: RowReader,
  patientId: string,
  date: string | null,
  day: number | null,
  infusionDate: string | null,
): number {
  if (date === null && day === null)
    r.fail('onset_day', 'each adverse event needs an onset_date or an onset_day', '');
  if (date === null) return day!;
  if (infusionDate === null)
    r.fail(
      'onset_date',
      `the infusion of patient ${patientId} has only a day in events.csv; give it a date or use onset_day`,
      date,
    );
  const fromDate = daysBetween(infusionDate, date);
  if (day !== null && day !== fromDate)
    r.fail(
      'onset_day',
      `onset_day ${day} and onset_date ${date} disagree: the date is day ${fromDate} from the infusion (${infusionDate})`,
      day,
    );
  return fromDate;
}

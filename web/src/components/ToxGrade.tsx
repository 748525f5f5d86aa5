/**
 * The ASTCT 2019 CRS and ICANS grades of one toxicity observation, computed in the browser by the
 * server's own grading code (src/registry/grading/astct.ts), so the form shows while the user types the
 * grade the registry will compute.
 */
import { ENTITIES } from '../../../src/registry/model.js';
import {
  gradeCrs,
  gradeIcans,
  parseCrsWindow,
  parseIcansWindow,
} from '../../../src/registry/grading/astct.js';
import { createBody, type FormValues } from '../fields.js';

const TOX = ENTITIES.find((e) => e.path === 'toxicity-observations');
const CRS_FIELDS = [
  'maxTemperatureC',
  'feverMaskedByTreatment',
  'hypotension',
  'fluidsOnly',
  'vasopressors',
  'oxygenDevice',
  'oxygenLPerMin',
  'diedOfCrs',
];
const ICANS_FIELDS = [
  'iceScore',
  'iceNotPossible',
  'consciousness',
  'globalAphasia',
  'seizure',
  'motor',
  'cerebralOedema',
  'raisedIcpSigns',
];

function pick(row: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) out[n] = row[n] ?? null;
  return out;
}

export type Graded = { grade: number; drivenBy: string[] } | { error: string };

/** CRS and ICANS grade of an observation row (API shape), or the reason it cannot be graded yet. */
export function gradeObservation(row: Record<string, unknown>): { crs: Graded; icans: Graded } {
  const attempt = (f: () => { grade: number; drivenBy: string[] }): Graded => {
    try {
      return f();
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  };
  return {
    crs: attempt(() => gradeCrs(parseCrsWindow(pick(row, CRS_FIELDS)))),
    icans: attempt(() => gradeIcans(parseIcansWindow(pick(row, ICANS_FIELDS)))),
  };
}

/** "CRS grade 2 (hypotension)" or "CRS grade: not yet (…)". */
export function gradeText(name: 'CRS' | 'ICANS', g: Graded): string {
  if ('error' in g) return `${name} grade: not yet computable (${g.error})`;
  return `${name} grade ${g.grade}${g.drivenBy.length ? ` (${g.drivenBy.join(', ')})` : ''}`;
}

/** Live grade of the toxicity-observation form values. */
export function ToxGradePreview(props: { values: FormValues }) {
  const row = createBody(TOX?.fields ?? [], props.values);
  const { crs, icans } = gradeObservation(row);
  return (
    <div className="grade-preview">
      <p>
        ASTCT 2019 grade as the registry will compute it:{' '}
        <output aria-live="polite" data-testid="crs-grade">
          {gradeText('CRS', crs)}
        </output>
        {'; '}
        <output aria-live="polite" data-testid="icans-grade">
          {gradeText('ICANS', icans)}
        </output>
      </p>
    </div>
  );
}

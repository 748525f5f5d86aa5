/**
 * The patient list's filters and sort (GET /api/patients; `ScopedRegistry.listPatients`). Filters on
 * stored fields run in SQL: pseudonym prefix, histology, centre, referral period, infusion period; so
 * does the sort by a stored field or the infusion date, with limit/offset, so the first page of 10 000
 * patients costs one indexed query and a count (migration 0009). Stage and product are computed
 * outcomes (src/registry/outcomes.ts, the one definition): a filter or sort by them computes the
 * outcomes of the patients the SQL filters leave, then filters, sorts and pages those.
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import { CONSORT_STAGES, type ConsortStage } from '../clinical/outcomes.js';
import type { RegistryDb } from './db.js';
import type { HISTOLOGIES, PRODUCTS } from './model.js';
import type { ApiRow, PatientOutcome } from './outcomes.js';

/** Sort keys of the patient list: patient fields, the centre, the infusion date and two outcomes. */
export const PATIENT_SORTS = [
  'pseudonym',
  'centre',
  'referralDate',
  'ageAtReferral',
  'histology',
  'lineOfTherapy',
  'infusionDate',
  'stage',
  'product',
] as const;
export type PatientSort = (typeof PATIENT_SORTS)[number];

/** The list query (all optional; dates ISO YYYY-MM-DD, periods inclusive). */
export interface PatientListQuery {
  limit?: number;
  offset?: number;
  /** Case-sensitive literal prefix of the pseudonym. */
  pseudonymPrefix?: string;
  histology?: (typeof HISTOLOGIES)[number];
  /** Centre code (the analyst: the centre's pseudo-code, as the analyst sees it). */
  centre?: string;
  stage?: ConsortStage;
  product?: (typeof PRODUCTS)[number];
  referredFrom?: string;
  referredTo?: string;
  infusedFrom?: string;
  infusedTo?: string;
  /** Default: referral date, newest first. */
  sort?: PatientSort;
  order?: 'asc' | 'desc';
}

type PatientQuery = SelectQueryBuilder<RegistryDb, 'reg_patient', object>;

/** Infusion date of the outer patient row (one infusion per patient: unique index). */
const infusionDate = sql<
  string | null
>`(select infusion_date from reg_infusion where reg_infusion.patient_id = reg_patient.id)`;

/** True when the query needs the computed outcomes (stage or product filter or sort). */
export function needsOutcomes(q: PatientListQuery): boolean {
  return Boolean(q.stage || q.product || q.sort === 'stage' || q.sort === 'product');
}

/**
 * The SQL filters of `q` on `base` (a `reg_patient` query already limited to the caller's scope).
 * @param centreId the centre filter resolved from `q.centre` (null: none)
 */
export function filterPatients(
  base: PatientQuery,
  q: PatientListQuery,
  centreId: string | null,
): PatientQuery {
  let b = base;
  if (centreId !== null) b = b.where('centre_id', '=', centreId);
  if (q.histology) b = b.where('histology', '=', q.histology);
  if (q.pseudonymPrefix) {
    // literal prefix (no LIKE wildcards: `%` and `_` match themselves), case-sensitive on both dialects
    const prefix = q.pseudonymPrefix;
    b = b.where(sql<boolean>`substr(pseudonym, 1, ${prefix.length}) = ${prefix}`);
  }
  if (q.referredFrom) b = b.where('referral_date', '>=', q.referredFrom);
  if (q.referredTo) b = b.where('referral_date', '<=', q.referredTo);
  if (q.infusedFrom) b = b.where(sql<boolean>`${infusionDate} >= ${q.infusedFrom}`);
  if (q.infusedTo) b = b.where(sql<boolean>`${infusionDate} <= ${q.infusedTo}`);
  return b;
}

const COLUMN: Partial<Record<PatientSort, string>> = {
  pseudonym: 'pseudonym',
  referralDate: 'referral_date',
  ageAtReferral: 'age_at_referral',
  histology: 'histology',
  lineOfTherapy: 'line_of_therapy',
};

/**
 * Orders a patient query by a stored sort key (missing infusion dates last in both directions; ties by
 * pseudonym, the same direction), or
 * by the default (referral date, newest first). Stage and product are sorted by `sortComputed`.
 * @param analyst sort the centre by its pseudo-code (what the analyst sees)
 */
export function orderPatients<O>(
  q: SelectQueryBuilder<RegistryDb, 'reg_patient', O>,
  query: PatientListQuery,
  analyst: boolean,
): SelectQueryBuilder<RegistryDb, 'reg_patient', O> {
  const key = query.sort ?? 'referralDate';
  const dir = query.order ?? (query.sort === undefined ? 'desc' : 'asc');
  const col = COLUMN[key];
  const centreCol = analyst ? sql.raw('pseudo_code') : sql.raw('code');
  const expr =
    col !== undefined
      ? sql.ref(col)
      : key === 'centre'
        ? sql`(select ${centreCol} from reg_centre where reg_centre.id = reg_patient.centre_id)`
        : key === 'infusionDate'
          ? infusionDate
          : null;
  if (expr === null) return q.orderBy('pseudonym', dir);
  // only the infusion date can be missing (the patient fields sorted on are required)
  const ordered = key === 'infusionDate' ? q.orderBy(sql`case when ${expr} is null then 1 else 0 end`) : q;
  return ordered.orderBy(sql`${expr}`, dir).orderBy('pseudonym', dir);
}

/**
 * Filters patients (API rows with their computed outcomes) by stage and product and sorts them by
 * `query.sort` (computed keys and stored ones alike; missing values last; ties by pseudonym, the same
 * direction), as `orderPatients` orders.
 */
export function sortComputed(
  rows: { row: ApiRow; outcome: PatientOutcome }[],
  query: PatientListQuery,
): { row: ApiRow; outcome: PatientOutcome }[] {
  const kept = rows.filter(
    (r) =>
      (!query.stage || r.outcome.stage === query.stage) &&
      (!query.product || r.outcome.product === query.product),
  );
  const key = query.sort ?? 'referralDate';
  const sign = (query.order ?? (query.sort === undefined ? 'desc' : 'asc')) === 'desc' ? -1 : 1;
  const value = (r: { row: ApiRow; outcome: PatientOutcome }): string | number | null => {
    if (key === 'stage') return CONSORT_STAGES.indexOf(r.outcome.stage);
    if (key === 'product') return r.outcome.product;
    const v = r.row[key];
    return typeof v === 'number' || typeof v === 'string' ? v : null;
  };
  return kept.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va !== vb) {
      if (va === null) return 1;
      if (vb === null) return -1;
      return sign * (va < vb ? -1 : 1);
    }
    const pa = String(a.row['pseudonym']);
    const pb = String(b.row['pseudonym']);
    return pa === pb ? 0 : sign * (pa < pb ? -1 : 1);
  });
}

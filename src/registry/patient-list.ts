/**
 * The patient list (GET /api/patients; `ScopedRegistry.listPatients`): filters, sort and paging, all in
 * SQL — pseudonym prefix, histology, centre, referral period, infusion period, and the stage and product
 * (computed outcomes stored on `reg_patient` by every write, src/registry/stored-outcomes.ts, migration
 * 0013) — with limit/offset, so the first page of 10 000 patients costs one indexed query and a count
 * (indexes: migrations 0010 and 0013).
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import type { ConsortStage } from '../clinical/outcomes.js';
import { InputError } from '../errors.js';
import type { RegistryDb, Row } from './db.js';
import type { HISTOLOGIES, PRODUCTS } from './model.js';
import type { ApiRow } from './outcomes.js';
import type { Page } from './store-model.js';
import { stageOrdinal } from './stored-outcomes.js';

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
  if (q.stage) b = b.where('stage', '=', q.stage);
  if (q.product) b = b.where('product', '=', q.product);
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
  product: 'product',
};

/**
 * Orders a patient query by a sort key (the stage in CONSORT order, referred first; missing infusion
 * dates and products last in both directions; ties by pseudonym, the same direction), or by the default
 * (referral date, newest first).
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
          : key === 'stage'
            ? stageOrdinal
            : null;
  if (expr === null) return q.orderBy('pseudonym', dir);
  // only the infusion date and the product can be missing (the patient fields sorted on are required)
  const nullable = key === 'infusionDate' || key === 'product';
  const ordered = nullable ? q.orderBy(sql`case when ${expr} is null then 1 else 0 end`) : q;
  return ordered.orderBy(sql`${expr}`, dir).orderBy('pseudonym', dir);
}

/**
 * The page of `q`: `limit` (default 50) and `offset` (default 0).
 * @throws InputError naming `limit` (not an integer 1–500) or `offset` (not an integer ≥ 0)
 */
export function pageBounds(q: PatientListQuery): { limit: number; offset: number } {
  const limit = q.limit ?? 50;
  const offset = q.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new InputError('limit must be an integer 1–500', { field: 'limit', value: limit });
  if (!Number.isInteger(offset) || offset < 0)
    throw new InputError('offset must be a non-negative integer', { field: 'offset', value: offset });
  return { limit, offset };
}

/**
 * One page of the patient list: the total matching and the rows from `offset`, each the patient's API
 * row with its stored `stage` and `product` and its `infusionDate` (null when not infused).
 * @param base the scoped `reg_patient` query with the list's filters (`filterPatients`)
 * @param toApi the patient row as the caller sees it (src/registry/store-model.ts `rowToApi`)
 * @param analyst see `orderPatients`
 * @throws InputError naming `limit` (not an integer 1–500) or `offset` (not an integer ≥ 0)
 */
export async function patientPage(
  base: PatientQuery,
  q: PatientListQuery,
  toApi: (r: Row) => ApiRow,
  analyst: boolean,
): Promise<Page<ApiRow>> {
  const { limit, offset } = pageBounds(q);
  const totalRow = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  const rows = await orderPatients(base.selectAll().select(infusionDate.as('infusion_date_')), q, analyst)
    .limit(limit)
    .offset(offset)
    .execute();
  return {
    total: Number(totalRow?.['n'] ?? 0),
    limit,
    offset,
    items: rows.map((r) => ({
      ...toApi(r),
      stage: r['stage'],
      product: r['product'] ?? null,
      infusionDate: r['infusion_date_'] ?? null,
    })),
  };
}

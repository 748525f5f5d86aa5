/**
 * Reading whole patient records (the patient row and the rows of every journey entity, API shape) from
 * the registry tables, for the computed outcomes: the scoped views (src/registry/store-scoped.ts) and the
 * stored stage and product (src/registry/stored-outcomes.ts).
 */
import { type Row } from './db.js';
import { ENTITIES } from './model.js';
import type { PatientRecord } from './outcomes.js';
import { PATIENT_SPEC, inRowOrder, rowToApi, text, type Actor, type Centre, type Db } from './store-model.js';

/** `xs` in slices of at most `n`. */
export function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * How `readRecords` fetches the entity rows: by patient id in chunks of 500 (`ids`), or every row of
 * the database (`all`) or of one centre (`{ centre }`), for whole-scope reads (one scan of each table
 * beats hundreds of id-chunk queries).
 */
export type RecordsBy = 'ids' | 'all' | { centre: string };

/**
 * The records of the given patient rows, in their order, as `actor` sees them (src/registry/
 * store-model.ts `rowToApi`; entity rows in instance order, `inRowOrder`).
 * @param patientRows `reg_patient` rows (the caller's scope: rows of other patients are ignored)
 * @param centres the centres by id (for the `centre` field; an unknown id gives `centre: null`)
 */
export async function readRecords(
  db: Db,
  patientRows: Row[],
  view: { actor: Actor; centres: Map<string, Centre> },
  by: RecordsBy = 'ids',
): Promise<PatientRecord[]> {
  const { actor, centres } = view;
  const byId = new Map<string, PatientRecord>();
  for (const r of patientRows)
    byId.set(text(r['id']), { patient: rowToApi(PATIENT_SPEC, r, actor, centres), rows: {} });
  const ids = [...byId.keys()];
  const chunks = by === 'ids' ? chunk(ids, 500) : [null];
  if (chunks.length === 0 || ids.length === 0) return [];
  for (const e of ENTITIES) {
    for (const part of chunks) {
      let q = inRowOrder(e, db.selectFrom(e.table).selectAll());
      if (part !== null) q = q.where('patient_id', 'in', part);
      else if (typeof by === 'object') q = q.where('centre_id', '=', by.centre);
      for (const r of await q.execute()) {
        const rec = byId.get(text(r['patient_id']));
        if (!rec) continue;
        (rec.rows[e.path] ??= []).push(rowToApi(e, r, actor, centres));
      }
    }
  }
  return [...byId.values()];
}

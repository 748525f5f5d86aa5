/**
 * Stored derived values kept in step with the code that derives them. A table column that holds a value
 * computed from other rows (e.g. `reg_patient.stage`, src/registry/stored-outcomes.ts) is written by that
 * code at every write; when the code's definition changes, its version rises and the stored values are
 * recomputed once, right after the migration run of the next open (`refreshDerivedValues`, called by
 * `migrateDatabase`). `carto_derived` (migration 0014) records the version each kind was computed by.
 * Migrations themselves only change the schema: one that called today's derivation code would run it on
 * the schema of its own time.
 */
import type { Kysely } from 'kysely';
import type { RegistryDb } from '../registry/db.js';
import { refreshAllStoredOutcomes, STORED_OUTCOMES_VERSION } from '../registry/stored-outcomes.js';

/** One kind of stored derived value: its name in `carto_derived`, its version, how to recompute it all. */
interface DerivedKind {
  name: string;
  version: number;
  /** Recomputes every stored value of this kind in `trx`; returns how many changed. */
  refresh: (trx: Kysely<RegistryDb>) => Promise<number>;
}

const KINDS: readonly DerivedKind[] = [
  { name: 'stored-outcomes', version: STORED_OUTCOMES_VERSION, refresh: refreshAllStoredOutcomes },
];

type DerivedDb = RegistryDb & { carto_derived: { name: string; version: number } };

/**
 * Recomputes each kind of stored derived value whose recorded version is not the code's (or that has
 * none: a database migrated to 0014 for the first time), each in one transaction that first locks the
 * kind's `carto_derived` row, so two processes opening one PostgreSQL database at once recompute it
 * once. A database already in step is only read (one row per kind).
 * @returns the names of the kinds recomputed, with how many values changed
 */
export async function refreshDerivedValues(db: Kysely<unknown>): Promise<Record<string, number>> {
  const d = db as unknown as Kysely<DerivedDb>;
  const done: Record<string, number> = {};
  for (const kind of KINDS) {
    const row = await d
      .selectFrom('carto_derived')
      .select('version')
      .where('name', '=', kind.name)
      .executeTakeFirst();
    if (row && Number(row.version) === kind.version) continue;
    await d
      .insertInto('carto_derived')
      .values({ name: kind.name, version: 0 })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    await d.transaction().execute(async (trx) => {
      // the kind's row locked (a no-op update), then read again: another process may have done it meanwhile
      await trx
        .updateTable('carto_derived')
        .set({ version: (eb) => eb.ref('version') })
        .where('name', '=', kind.name)
        .execute();
      const now = await trx
        .selectFrom('carto_derived')
        .select('version')
        .where('name', '=', kind.name)
        .executeTakeFirstOrThrow();
      if (Number(now.version) === kind.version) return;
      done[kind.name] = await kind.refresh(trx as unknown as Kysely<RegistryDb>);
      await trx
        .updateTable('carto_derived')
        .set({ version: kind.version })
        .where('name', '=', kind.name)
        .execute();
    });
  }
  return done;
}

/**
 * In-place adoption of databases written before the registry and the study store shared one migration
 * history. The registry kept its history in `registry_migration` (+ `_lock`), the study store in Kysely's
 * default `kysely_migration` (+ `_lock`). A database holding either (or both) gets its applied
 * migrations recorded in `carto_migration` under their new names and the legacy tables dropped, in one
 * transaction; `migrateDatabase` (src/store/db.ts) then runs the migrations still missing — the other
 * store's tables and everything newer. The data is not touched.
 */
import { sql, type Kysely } from 'kysely';
import { CartoError } from '../errors.js';
import type { Connection } from './db.js';

/** Legacy migration tables and the new name of each migration they may hold. */
export const LEGACY_HISTORIES: readonly { table: string; names: Readonly<Record<string, string>> }[] = [
  {
    table: 'registry_migration',
    names: { '001_initial': '0001_registry_initial', '002_login_throttle': '0002_registry_login_throttle' },
  },
  {
    table: 'kysely_migration',
    names: {
      '0001_study_store': '0003_study_store',
      '0002_qpcr': '0004_study_qpcr',
      '0003_lab_assays': '0005_study_lab_assays',
      '0004_not_infused': '0006_study_not_infused',
    },
  },
];

interface MigrationRow {
  name: string;
  timestamp: string;
}
type HistoryDb = Record<string, MigrationRow>;

/**
 * Records a legacy migration history in `carto_migration` and drops the legacy tables (no-op when
 * there are none).
 * @throws CartoError naming the table and migration when a legacy history holds a migration this
 *   version does not know (nothing is changed then)
 */
export async function adoptLegacyHistory(conn: Connection): Promise<void> {
  const tables = new Set(
    (await conn.db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name),
  );
  const present = LEGACY_HISTORIES.filter((h) => tables.has(h.table));
  if (present.length === 0) return;
  const db = conn.db as unknown as Kysely<HistoryDb>;
  await db.transaction().execute(async (trx) => {
    if (!tables.has('carto_migration')) {
      // the same table Kysely's Migrator creates
      await trx.schema
        .createTable('carto_migration')
        .addColumn('name', 'varchar(255)', (c) => c.notNull().primaryKey())
        .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
        .execute();
    }
    const done = new Set(
      (await trx.selectFrom('carto_migration').select('name').execute()).map((r) => r.name),
    );
    for (const h of present) {
      const rows = await trx.selectFrom(h.table).select(['name', 'timestamp']).orderBy('name').execute();
      for (const r of rows) {
        const name = h.names[r.name];
        if (name === undefined)
          throw new CartoError(
            `the database holds migration ${r.name} in ${h.table}, which this version of Cartography does not know (written by a newer version?)`,
          );
        if (done.has(name)) continue;
        await trx.insertInto('carto_migration').values({ name, timestamp: r.timestamp }).execute();
        done.add(name);
      }
      await sql`drop table ${sql.table(h.table)}`.execute(trx);
      if (tables.has(`${h.table}_lock`)) await sql`drop table ${sql.table(`${h.table}_lock`)}`.execute(trx);
    }
  });
}

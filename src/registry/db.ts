/**
 * The registry's typed view of the deployment database (src/store/db.ts opens and migrates it; the
 * registry tables `reg_*` share one migration history with the study tables, docs/database.md).
 */
import type { Kysely } from 'kysely';
import { migrateDatabase, openDatabase, type Connection, type DialectName } from '../store/db.js';

export type { DialectName } from '../store/db.js';
/** Row of any registry table: column → value (text, number or null). */
export type Row = Record<string, unknown>;
/** The database as Kysely sees it: table name → row. Column names are checked by the model specs. */
export type RegistryDb = Record<string, Row>;

export interface RegistryConnection {
  db: Kysely<RegistryDb>;
  dialect: DialectName;
}

/** The registry's view of an open connection. */
export function registryView(conn: Connection): RegistryConnection {
  return { db: conn.db as unknown as Kysely<RegistryDb>, dialect: conn.dialect };
}

/**
 * Opens the database (not migrated; see `openDatabase` in src/store/db.ts for the targets and errors).
 * @param target a SQLite file path, `:memory:`, or a `postgres://` / `postgresql://` URL
 * @throws InputError naming the option and the value (unknown URL scheme, bad SQLite path or file)
 */
export function openRegistryDb(
  target: string,
  opts: { poolSize?: number; option?: string } = {},
): RegistryConnection {
  return registryView(openDatabase(target, opts));
}

/**
 * Brings the schema up to date (idempotent): every table of the database, not only the registry's.
 * @throws CartoError when a migration fails (the message carries the database error)
 */
export async function migrateRegistry(conn: RegistryConnection): Promise<void> {
  await migrateDatabase({ db: conn.db as unknown as Kysely<unknown>, dialect: conn.dialect });
}

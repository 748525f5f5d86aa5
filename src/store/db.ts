/**
 * The deployment's one database: a SQLite file (better-sqlite3, the embedded default) or a PostgreSQL
 * server (pg), through one Kysely code path, with ONE migration history (`carto_migration`) covering the
 * registry tables (`reg_*`), the study tables (study, patient, scan, voi, …) and the analysis runs.
 * `src/registry/store.ts` and `src/study/store.ts` are typed views of the same connection.
 *
 * PostgreSQL returns INT8 (count, identity) and NUMERIC as strings and DATE as a JS Date; the pool gets
 * its own type parsers (not the global ones) so both dialects hand back numbers and ISO text
 * (docs/references/engineering.md §2).
 *
 * Files written by earlier versions, with their own migration tables (`registry_migration` of the
 * registry, `kysely_migration` of the study store), are adopted in place: their applied migrations are
 * recorded under the new names and the remaining ones run (src/store/legacy.ts, docs/database.md).
 */
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { CartoError, InputError } from '../errors.js';
import { checkSqlitePath, sqliteOpenError } from '../io/sqlite-path.js';
import { refreshDerivedValues } from './derived.js';
import { adoptLegacyHistory } from './legacy.js';
import { storeMigrations } from './migrations/index.js';

export type DialectName = 'sqlite' | 'postgres';

/** An open database: the Kysely instance (untyped; the data-access modules add their table types). */
export interface Connection {
  db: Kysely<unknown>;
  dialect: DialectName;
}

/** Migrator table of the one migration history (its lock table is `carto_migration_lock`). */
export const MIGRATION_TABLE = 'carto_migration';

const PG_INT8 = 20;
const PG_NUMERIC = 1700;
const PG_DATE = 1082;

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (oid === PG_INT8 || oid === PG_NUMERIC) return (v: string) => Number(v);
      if (oid === PG_DATE) return (v: string) => v;
      return pg.types.getTypeParser(oid, format as 'text') as (v: string) => unknown;
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/** True for a `postgres://` or `postgresql://` connection URL (anything else is a SQLite path). */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/**
 * Opens the database without migrating it.
 * @param target a SQLite file path (`:memory:` for a throw-away one) or a `postgres://` /
 *   `postgresql://` connection URL
 * @param opts.poolSize PostgreSQL pool size (default 10)
 * @param opts.option the command-line option that gave `target`, named in errors (default `--db`)
 * @throws InputError naming the option and the value when the URL scheme is unknown, or the SQLite
 *   file's folder is missing, the path is a folder, not writable or not a SQLite database
 */
export function openDatabase(target: string, opts: { poolSize?: number; option?: string } = {}): Connection {
  if (isPostgresUrl(target)) {
    const pool = new pg.Pool({ connectionString: target, max: opts.poolSize ?? 10, types: pgTypes() });
    return { db: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
  }
  const option = opts.option ?? '--db';
  if (/^[a-z]+:\/\//i.test(target))
    throw new InputError('unsupported database URL (use a SQLite file path or postgres://)', {
      field: option,
      value: target,
    });
  checkSqlitePath(target, option);
  let database: Database.Database;
  try {
    database = new Database(target);
    // reads the header, so "file is not a database" surfaces here; WAL lets a server read while
    // `carto run` writes
    database.pragma('journal_mode = WAL');
  } catch (e) {
    throw sqliteOpenError(e, target, option);
  }
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return { db: new Kysely<unknown>({ dialect: new SqliteDialect({ database }) }), dialect: 'sqlite' };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectName) {}
  getMigrations() {
    return Promise.resolve(storeMigrations(this.dialect));
  }
}

/**
 * Brings the schema up to date (idempotent; a database already at the latest version is only read).
 * Adopts a legacy registry or study-store migration history first (src/store/legacy.ts), and afterwards
 * recomputes stored derived values whose definition changed (src/store/derived.ts).
 * @throws CartoError naming the migration when one fails (the message carries the database error), or
 *   when the database holds a migration this version does not know (it was written by a newer one)
 */
export async function migrateDatabase(conn: Connection): Promise<void> {
  await adoptLegacyHistory(conn);
  const migrator = new Migrator({
    db: conn.db,
    provider: new StaticProvider(conn.dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
    // a legacy study file gets the registry migrations, which sort before its own: they touch
    // disjoint tables, so their order does not matter
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new CartoError(
      `database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
  await refreshDerivedValues(conn.db);
}

/**
 * Opens and migrates the database (see `openDatabase`, `migrateDatabase`); the connection is closed
 * again when migrating fails.
 */
export async function openMigratedDatabase(
  target: string,
  opts: { poolSize?: number; option?: string } = {},
): Promise<Connection> {
  const conn = openDatabase(target, opts);
  try {
    await migrateDatabase(conn);
  } catch (e) {
    await conn.db.destroy();
    throw e;
  }
  return conn;
}

/**
 * `target` as it may be printed or logged: a PostgreSQL URL without its password (`postgres://user:***@host/db`),
 * a SQLite path unchanged.
 */
export function displayTarget(target: string): string {
  if (!isPostgresUrl(target)) return target;
  try {
    const u = new URL(target);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return target.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

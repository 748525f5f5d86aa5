/**
 * Registry database connection: one Kysely code path over SQLite (better-sqlite3) and PostgreSQL (pg).
 *
 * PostgreSQL returns INT8 (count, identity) and NUMERIC as strings and DATE as a JS Date; the pool gets
 * its own type parsers (not the global ones) so both dialects hand back numbers and ISO text
 * (docs/references/engineering.md §2). Migrations run with their own Migrator tables
 * (`registry_migration`, `registry_migration_lock`) so they never collide with the study store's.
 */
import Database from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import pg from 'pg';
import { CartoError, InputError } from '../errors.js';
import { checkSqlitePath, sqliteOpenError } from '../io/sqlite-path.js';
import { migration001 } from './migrations/001_initial.js';
import { migration002 } from './migrations/002_login_throttle.js';

/** Row of any registry table: column → value (text, number or null). */
export type Row = Record<string, unknown>;
/** The database as Kysely sees it: table name → row. Column names are checked by the model specs. */
export type RegistryDb = Record<string, Row>;
export type DialectName = 'sqlite' | 'postgres';

export interface RegistryConnection {
  db: Kysely<RegistryDb>;
  dialect: DialectName;
}

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

/**
 * Opens the registry database.
 * @param target a SQLite file path (`:memory:` for a throw-away one) or a `postgres://` / `postgresql://`
 *   connection URL
 * @param opts.poolSize PostgreSQL pool size (default 10)
 * @param opts.option the command-line option that gave `target`, named in errors (default `--db`)
 * @throws CartoError when the URL scheme is unknown; InputError naming the option and path when the
 *   SQLite file's folder is missing, the path is a folder, not writable or not a SQLite database
 */
export function openRegistryDb(
  target: string,
  opts: { poolSize?: number; option?: string } = {},
): RegistryConnection {
  if (/^postgres(ql)?:\/\//.test(target)) {
    const pool = new pg.Pool({ connectionString: target, max: opts.poolSize ?? 10, types: pgTypes() });
    return { db: new Kysely<RegistryDb>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
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
    database.pragma('journal_mode = WAL');
  } catch (e) {
    throw sqliteOpenError(e, target, option);
  }
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return { db: new Kysely<RegistryDb>({ dialect: new SqliteDialect({ database }) }), dialect: 'sqlite' };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectName) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve({
      '001_initial': migration001(this.dialect),
      '002_login_throttle': migration002(this.dialect),
    });
  }
}

/**
 * Brings the registry schema up to date (idempotent).
 * @throws CartoError when a migration fails (the message carries the database error)
 */
export async function migrateRegistry(conn: RegistryConnection): Promise<void> {
  const migrator = new Migrator({
    db: conn.db,
    provider: new StaticProvider(conn.dialect),
    migrationTableName: 'registry_migration',
    migrationLockTableName: 'registry_migration_lock',
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw new CartoError(`registry migration failed: ${String((error as Error).message ?? error)}`);
}

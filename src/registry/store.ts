/**
 * The registry data layer. Every read and write goes through a `ScopedRegistry` bound to an `Actor`, and
 * every query is filtered by the actor's scope here — not only in the HTTP routes:
 * - admin: every centre, read/write; manages centres and users;
 * - data_manager, clinician: their own centre only, read/write;
 * - analyst: every centre, read-only, pseudonymised (centre shown as its pseudo-code, free-text fields
 *   removed, no audit access).
 * A row outside the caller's scope is reported exactly like a row that does not exist (NotFoundError),
 * and counts only cover the scope, so nothing leaks.
 *
 * Every write runs in one transaction with its audit record (user, UTC time, reason, old and new
 * values) in the append-only `reg_audit` table. Each row carries a `version`; an update or delete with a
 * stale version throws ConflictError and changes nothing (optimistic concurrency).
 */
import { randomUUID } from 'node:crypto';
import { type Kysely } from 'kysely';
import { InputError } from '../errors.js';
import {
  migrateRegistry,
  openRegistryDb,
  type DialectName,
  type RegistryConnection,
  type RegistryDb,
  type Row,
} from './db.js';
import { ENTITIES, type Role } from './model.js';

import { ScopedRegistry } from './store-scoped.js';
import {
  isUniqueViolation,
  nowUtc,
  text,
  type AccessEvent,
  type Actor,
  type Centre,
  type ThrottleState,
  type UserRow,
} from './store-model.js';

export {
  ACCESS_TABLES,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PATIENT_SPEC,
  type AccessAction,
  type AccessEvent,
  type Actor,
  type AuditEntry,
  type Centre,
  type Page,
  type ThrottleState,
  type UserRow,
} from './store-model.js';
export { ScopedRegistry };
export type { DashboardFilter } from './store-scoped.js';

/** The registry: opens the database, runs migrations, and hands out actor-scoped views. */
export class RegistryStore {
  readonly db: Kysely<RegistryDb>;
  readonly dialect: DialectName;
  private centreCache: Map<string, Centre> | null = null;

  constructor(conn: RegistryConnection) {
    this.db = conn.db;
    this.dialect = conn.dialect;
  }

  /**
   * Opens (and migrates) a registry database.
   * @param target SQLite file path, `:memory:`, or a `postgres://` URL
   */
  static async open(target: string, opts: { poolSize?: number } = {}): Promise<RegistryStore> {
    const conn = openRegistryDb(target, opts);
    await migrateRegistry(conn);
    return new RegistryStore(conn);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** A view of the registry scoped to `actor`. */
  as(actor: Actor): ScopedRegistry {
    return new ScopedRegistry(this, actor);
  }

  /** All centres (id → centre), cached. */
  async centres(): Promise<Map<string, Centre>> {
    if (this.centreCache) return this.centreCache;
    const rows = await this.db.selectFrom('reg_centre').selectAll().execute();
    const m = new Map<string, Centre>();
    for (const r of rows)
      m.set(text(r['id']), {
        id: text(r['id']),
        code: text(r['code']),
        name: text(r['name']),
        pseudoCode: text(r['pseudo_code']),
      });
    this.centreCache = m;
    return m;
  }

  /** Centre by its short code, or undefined. */
  async centreByCode(code: string): Promise<Centre | undefined> {
    return [...(await this.centres()).values()].find((c) => c.code === code);
  }

  /**
   * Creates a centre (system operation: CLI `carto users add-centre` or an admin route).
   * @throws InputError (field code) when the code is taken or malformed
   */
  async createCentre(input: { code: string; name: string }): Promise<Centre> {
    if (!/^[A-Za-z0-9_-]{2,20}$/.test(input.code))
      throw new InputError('centre code: 2–20 letters, digits, - or _', { field: 'code', value: input.code });
    if (!input.name.trim()) throw new InputError('centre name is required', { field: 'name' });
    const c: Centre = {
      id: randomUUID(),
      code: input.code,
      name: input.name.trim(),
      pseudoCode: `C-${randomUUID().slice(0, 8)}`,
    };
    try {
      await this.db
        .insertInto('reg_centre')
        .values({ id: c.id, code: c.code, name: c.name, pseudo_code: c.pseudoCode, created_at: nowUtc() })
        .execute();
    } catch (e) {
      if (isUniqueViolation(e))
        throw new InputError('centre code already exists', { field: 'code', value: input.code });
      throw e;
    }
    this.centreCache = null;
    return c;
  }

  /**
   * Creates a user (system operation). Password hashing is the caller's job (src/server/auth.ts).
   * @throws InputError naming the field: bad role, unknown centre, centre missing for a centre role,
   *   duplicate username
   */
  async createUser(input: {
    username: string;
    passwordHash: string | null;
    role: Role;
    centreCode: string | null;
    externalSubject?: string | null;
  }): Promise<UserRow> {
    if (!/^[A-Za-z0-9_.@-]{3,64}$/.test(input.username))
      throw new InputError('username: 3–64 letters, digits, . _ @ -', {
        field: 'username',
        value: input.username,
      });
    const centreRole = input.role === 'data_manager' || input.role === 'clinician';
    let centreId: string | null = null;
    if (centreRole) {
      if (!input.centreCode) throw new InputError(`role ${input.role} needs a centre`, { field: 'centre' });
      const c = await this.centreByCode(input.centreCode);
      if (!c) throw new InputError('unknown centre', { field: 'centre', value: input.centreCode });
      centreId = c.id;
    } else if (input.centreCode) {
      throw new InputError(`role ${input.role} is programme-wide and takes no centre`, { field: 'centre' });
    }
    const u: UserRow = {
      id: randomUUID(),
      username: input.username,
      passwordHash: input.passwordHash,
      role: input.role,
      centreId,
      disabled: false,
    };
    try {
      await this.db
        .insertInto('reg_user')
        .values({
          id: u.id,
          username: u.username,
          password_hash: u.passwordHash,
          role: u.role,
          centre_id: centreId,
          external_subject: input.externalSubject ?? null,
          disabled: 0,
          created_at: nowUtc(),
        })
        .execute();
    } catch (e) {
      if (isUniqueViolation(e))
        throw new InputError('username already exists', { field: 'username', value: input.username });
      throw e;
    }
    return u;
  }

  /** User by username (for login), or undefined. */
  async userByUsername(username: string): Promise<UserRow | undefined> {
    const r = await this.db
      .selectFrom('reg_user')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return r ? this.userFromRow(r) : undefined;
  }

  /** User by id, or undefined. */
  async userById(id: string): Promise<UserRow | undefined> {
    const r = await this.db.selectFrom('reg_user').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? this.userFromRow(r) : undefined;
  }

  private userFromRow(r: Row): UserRow {
    return {
      id: text(r['id']),
      username: text(r['username']),
      passwordHash: r['password_hash'] === null ? null : text(r['password_hash']),
      role: text(r['role']) as Role,
      centreId: r['centre_id'] === null ? null : text(r['centre_id']),
      disabled: Number(r['disabled']) === 1,
    };
  }

  /** Stores a session (token hash, CSRF token, expiry as UTC ISO) and drops expired sessions. */
  async createSession(s: {
    tokenHash: string;
    userId: string;
    csrfToken: string;
    expiresAt: string;
  }): Promise<void> {
    await this.db.deleteFrom('reg_session').where('expires_at', '<=', nowUtc()).execute();
    await this.db
      .insertInto('reg_session')
      .values({
        token_hash: s.tokenHash,
        user_id: s.userId,
        csrf_token: s.csrfToken,
        expires_at: s.expiresAt,
      })
      .execute();
  }

  /** Session and its (enabled) user by token hash when not expired, or undefined (one query). */
  async session(tokenHash: string): Promise<{ user: UserRow; csrfToken: string } | undefined> {
    const r = await this.db
      .selectFrom('reg_session as s')
      .innerJoin('reg_user as u', 'u.id', 's.user_id')
      .select([
        's.csrf_token',
        'u.id',
        'u.username',
        'u.password_hash',
        'u.role',
        'u.centre_id',
        'u.disabled',
      ])
      .where('s.token_hash', '=', tokenHash)
      .where('s.expires_at', '>', nowUtc())
      .executeTakeFirst();
    if (!r) return undefined;
    const user = this.userFromRow(r);
    return user.disabled ? undefined : { user, csrfToken: text(r['csrf_token']) };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('reg_session').where('token_hash', '=', tokenHash).execute();
  }

  /** Appends an access event (sign-in, failed sign-in, sign-out, export) to the audit trail. */
  async recordAccess(e: AccessEvent, atUtc = nowUtc()): Promise<void> {
    await this.db
      .insertInto('reg_audit')
      .values({
        at_utc: atUtc,
        user_id: e.userId,
        username: e.username,
        centre_id: e.centreId,
        table_name: e.action === 'export' ? 'export' : 'access',
        row_id: e.rowId,
        patient_id: null,
        action: e.action,
        reason: e.reason,
        old_values: null,
        new_values: JSON.stringify(e.detail),
      })
      .execute();
  }

  /** Throttle counters of the given keys (keys without failures are absent). */
  async throttleStates(keys: string[]): Promise<ThrottleState[]> {
    if (keys.length === 0) return [];
    const rows = await this.db
      .selectFrom('reg_login_throttle')
      .selectAll()
      .where('throttle_key', 'in', keys)
      .execute();
    return rows.map((r) => ({
      key: text(r['throttle_key']),
      failures: Number(r['failures']),
      lastFailureMs: Number(r['last_failure_ms']),
    }));
  }

  /**
   * Counts one failed sign-in under each key (atomic increment, also across servers sharing the database).
   * A counter whose last failure is older than `forgetAfterMs` starts again at 1; rows that old are dropped.
   */
  async recordThrottleFailure(keys: string[], nowMs: number, forgetAfterMs: number): Promise<void> {
    const stale = nowMs - forgetAfterMs;
    await this.db.deleteFrom('reg_login_throttle').where('last_failure_ms', '<', stale).execute();
    for (const key of keys) {
      await this.db
        .insertInto('reg_login_throttle')
        .values({ throttle_key: key, failures: 1, last_failure_ms: nowMs })
        .onConflict((oc) =>
          oc.column('throttle_key').doUpdateSet((eb) => ({
            failures: eb(eb.ref('reg_login_throttle.failures'), '+', 1),
            last_failure_ms: nowMs,
          })),
        )
        .execute();
    }
  }

  /** Forgets the failed sign-ins of a key (after a successful sign-in). */
  async clearThrottle(key: string): Promise<void> {
    await this.db.deleteFrom('reg_login_throttle').where('throttle_key', '=', key).execute();
  }
}

export { ENTITIES };

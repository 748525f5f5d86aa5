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
import type { Kysely, Transaction } from 'kysely';
import { CartoError, InputError } from '../errors.js';
import {
  migrateRegistry,
  openRegistryDb,
  type DialectName,
  type RegistryConnection,
  type RegistryDb,
  type Row,
} from './db.js';
import {
  ENTITIES,
  PATIENT_FIELDS,
  entityByPath,
  type EntitySpec,
  type FieldSpec,
  type Role,
} from './model.js';
import {
  checkToxObservation,
  patientOutcome,
  type ApiRow,
  type PatientOutcome,
  type PatientRecord,
} from './outcomes.js';
import {
  filterPatients,
  needsOutcomes,
  orderPatients,
  sortComputed,
  type PatientListQuery,
} from './patient-list.js';
import { dashboardFigures, type DashboardFigures } from './dashboard.js';

/** The dashboard's filters (a subset of the patient list's). */
export type DashboardFilter = Pick<PatientListQuery, 'centre' | 'referredFrom' | 'referredTo' | 'product'>;
import { checkJourneyOrder, createSchema, deleteSchema, parseOrThrow, updateSchema } from './validation.js';

/** The authenticated caller. */
export interface Actor {
  userId: string;
  username: string;
  role: Role;
  /** The user's centre (null for admin and analyst). */
  centreId: string | null;
}

/** A row that does not exist or is outside the caller's scope (HTTP 404). */
export class NotFoundError extends CartoError {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}
/** A stale version (HTTP 409). */
export class ConflictError extends CartoError {
  constructor(
    message: string,
    readonly currentVersion: number,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}
/** The caller's role may not do this (HTTP 403). */
export class ForbiddenError extends CartoError {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

export interface Centre {
  id: string;
  code: string;
  name: string;
  pseudoCode: string;
}

export interface UserRow {
  id: string;
  username: string;
  passwordHash: string | null;
  role: Role;
  centreId: string | null;
  disabled: boolean;
}

export interface Page<T> {
  total: number;
  limit: number;
  offset: number;
  items: T[];
}

export interface AuditEntry {
  seq: number;
  atUtc: string;
  username: string;
  table: string;
  rowId: string;
  patientId: string | null;
  /** Data changes (`create`, `update`, `delete`) and access events (`sign-in`, `sign-in-failed`, `sign-out`, `export`). */
  action: 'create' | 'update' | 'delete' | AccessAction;
  reason: string;
  oldValues: Record<string, unknown> | null;
  newValues: Record<string, unknown> | null;
}

/** Access events kept in the audit trail beside the data changes. */
export type AccessAction = 'sign-in' | 'sign-in-failed' | 'sign-out' | 'export';

/**
 * `reg_audit.table_name` of access events: `access` for sign-in, failed sign-in and sign-out (row id = the
 * user's id, empty for an unknown user name), `export` for exports (row id = the export format).
 */
export const ACCESS_TABLES = ['access', 'export'] as const;

/** One access event for the audit trail. `detail` is stored as the entry's new values (JSON). */
export interface AccessEvent {
  action: AccessAction;
  /** The user's id, or '' for a failed sign-in under an unknown user name. */
  userId: string;
  /** The account's user name (for an unknown user name: `(unknown user name)`, see app.ts). */
  username: string;
  centreId: string | null;
  /** The row id of the entry: the user's id for sign-in events, the format for exports. */
  rowId: string;
  reason: string;
  detail: Record<string, unknown>;
}

/** Failed sign-ins counted under one throttle key (`client:<ip>` or `user:<name>`). */
export interface ThrottleState {
  key: string;
  failures: number;
  /** Epoch milliseconds of the last failure. */
  lastFailureMs: number;
}

const PATIENT_SPEC: EntitySpec = {
  path: 'patients',
  table: 'reg_patient',
  label: 'patient',
  dateField: 'referralDate',
  fields: PATIENT_FIELDS,
};

/** A DB/JSON scalar as text (numbers and booleans printed; anything else is a programming error). */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`expected a scalar, got ${typeof v}`);
}

function nowUtc(): string {
  return new Date().toISOString();
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err.code === '23505' ||
    err.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint/.test(err.message ?? '')
  );
}

/** DB value → API value of one field. */
function fromDb(fs: FieldSpec, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (fs.kind === 'bool') return v === 1 || v === true;
  if (fs.kind === 'list') return JSON.parse(text(v)) as unknown;
  if (fs.kind === 'int' || fs.kind === 'real') return Number(v);
  return v;
}

/** API value → DB value of one field. */
function toDb(fs: FieldSpec, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (fs.kind === 'bool') return v ? 1 : 0;
  if (fs.kind === 'list') return JSON.stringify(v);
  return v;
}

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

/** Maps a DB row of `spec` to the API shape seen by `actor`. */
function rowToApi(spec: EntitySpec, r: Row, actor: Actor, centres: Map<string, Centre>): ApiRow {
  const analyst = actor.role === 'analyst';
  const centre = centres.get(text(r['centre_id']));
  const out: ApiRow = { id: r['id'] };
  if (spec.path !== 'patients') out['patientId'] = r['patient_id'];
  if (analyst) out['centre'] = centre?.pseudoCode ?? null;
  else {
    out['centreId'] = r['centre_id'];
    out['centre'] = centre?.code ?? null;
  }
  for (const fs of spec.fields) {
    if (analyst && fs.freeText) continue;
    out[fs.name] = fromDb(fs, r[fs.column]);
  }
  out['version'] = Number(r['version']);
  out['createdAt'] = r['created_at'];
  out['updatedAt'] = r['updated_at'];
  return out;
}

/** Field values of a DB row (for the audit record and cross-field checks). */
function fieldValues(spec: EntitySpec, r: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fs of spec.fields) out[fs.name] = fromDb(fs, r[fs.column]);
  return out;
}

type Db = Kysely<RegistryDb> | Transaction<RegistryDb>;

/** `xs` in slices of at most `n`. */
function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** A list item: the patient row with its computed stage and product and its infusion date. */
function listed(rec: PatientRecord, o: PatientOutcome): ApiRow {
  return {
    ...rec.patient,
    stage: o.stage,
    product: o.product,
    infusionDate: rec.rows['infusions']?.[0]?.['infusionDate'] ?? null,
  };
}

/** Instance order of an entity's rows: by its clinical date, then entry time, then id (stable). */
function inRowOrder<Q extends { orderBy(col: string): Q }>(spec: EntitySpec, q: Q): Q {
  const dateCol = spec.dateField ? spec.fields.find((f) => f.name === spec.dateField)?.column : undefined;
  return (dateCol ? q.orderBy(dateCol) : q).orderBy('created_at').orderBy('id');
}

/** The registry as one actor may see and change it. */
export class ScopedRegistry {
  constructor(
    private readonly store: RegistryStore,
    readonly actor: Actor,
    private readonly trx: Transaction<RegistryDb> | null = null,
  ) {
    if ((actor.role === 'data_manager' || actor.role === 'clinician') && !actor.centreId)
      throw new ForbiddenError('a centre role without a centre has no access');
  }

  private get db(): Kysely<RegistryDb> {
    return this.trx ?? this.store.db;
  }

  /** Runs `fn` in this view's transaction, or in a new one. */
  private async tx<T>(fn: (trx: Transaction<RegistryDb>) => Promise<T>): Promise<T> {
    if (this.trx) return fn(this.trx);
    // warm the centre cache outside the transaction: SQLite has one connection, and a read through the
    // store's connection inside an open transaction would wait for it forever
    await this.store.centres();
    return this.store.db.transaction().execute(fn);
  }

  /**
   * Runs several writes atomically: `fn` gets a view bound to one transaction; if it throws, nothing
   * it wrote is kept (used by the importers).
   */
  async batch<T>(fn: (reg: ScopedRegistry) => Promise<T>): Promise<T> {
    if (this.trx) return fn(this);
    await this.store.centres(); // see tx()
    return this.store.db.transaction().execute((trx) => fn(new ScopedRegistry(this.store, this.actor, trx)));
  }

  /** The centre filter of this actor, or null (all centres). */
  private get scopeCentre(): string | null {
    return this.actor.role === 'admin' || this.actor.role === 'analyst' ? null : this.actor.centreId;
  }

  private assertCanWrite(): void {
    if (this.actor.role === 'analyst') throw new ForbiddenError('the analyst role is read-only');
  }

  private async scopedRow(db: Db, spec: EntitySpec, id: string): Promise<Row> {
    let q = db.selectFrom(spec.table).selectAll().where('id', '=', id);
    const c = this.scopeCentre;
    if (c !== null) q = q.where('centre_id', '=', c);
    const r = await q.executeTakeFirst();
    if (!r) throw new NotFoundError(spec.label);
    return r;
  }

  private async audit(
    db: Db,
    spec: EntitySpec,
    row: { id: string; centreId: string; patientId: string | null },
    action: AuditEntry['action'],
    reason: string,
    oldValues: Record<string, unknown> | null,
    newValues: Record<string, unknown> | null,
  ): Promise<void> {
    await db
      .insertInto('reg_audit')
      .values({
        at_utc: nowUtc(),
        user_id: this.actor.userId,
        username: this.actor.username,
        centre_id: row.centreId,
        table_name: spec.table,
        row_id: row.id,
        patient_id: row.patientId,
        action,
        reason,
        old_values: oldValues ? JSON.stringify(oldValues) : null,
        new_values: newValues ? JSON.stringify(newValues) : null,
      })
      .execute();
  }

  // ---------------------------------------------------------------- patients

  /**
   * Lists patients in scope, filtered, sorted and paged (src/registry/patient-list.ts); each item
   * carries its computed `stage`, `product` and `infusionDate`.
   * @param opts.limit 1–500 (default 50); opts.offset ≥ 0; filters and sort: `PatientListQuery`
   * @throws InputError naming `limit`, `offset` or `centre` (unknown code, or another centre than a
   *   centre role's own)
   */
  async listPatients(opts: PatientListQuery = {}): Promise<Page<ApiRow>> {
    const limit = opts.limit ?? 50;
    const offset = opts.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new InputError('limit must be an integer 1–500', { field: 'limit', value: limit });
    if (!Number.isInteger(offset) || offset < 0)
      throw new InputError('offset must be a non-negative integer', { field: 'offset', value: offset });
    const centres = await this.store.centres();
    const base = filterPatients(this.scopedPatients(), opts, this.centreFilter(opts.centre, centres));
    const analyst = this.actor.role === 'analyst';
    const withOutcomes = async (rows: Row[]) => {
      // many patients: one scan of each entity over the scope beats hundreds of id-chunk queries
      const recs = await this.recordsOf(rows, centres, rows.length > 1000 ? this.scopeMode : 'ids');
      return recs.map((rec) => {
        const outcome = patientOutcome(rec);
        return { row: listed(rec, outcome), outcome };
      });
    };
    if (!needsOutcomes(opts)) {
      const totalRow = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
      const rows = await orderPatients(base.selectAll(), opts, analyst).limit(limit).offset(offset).execute();
      return {
        total: Number(totalRow?.['n'] ?? 0),
        limit,
        offset,
        items: (await withOutcomes(rows)).map((r) => r.row),
      };
    }
    const all = sortComputed(await withOutcomes(await base.selectAll().execute()), opts);
    return { total: all.length, limit, offset, items: all.slice(offset, offset + limit).map((r) => r.row) };
  }

  /** How `recordsOf` reads a whole scope: every row, or the centre's. */
  private get scopeMode(): 'all' | 'centre' {
    return this.scopeCentre === null ? 'all' : 'centre';
  }

  /** The patients of the caller's scope (a query to filter further). */
  private scopedPatients() {
    const q = this.db.selectFrom('reg_patient');
    const c = this.scopeCentre;
    return c !== null ? q.where('centre_id', '=', c) : q;
  }

  /**
   * The centre id of a list's `centre` filter (a code; the analyst's pseudo-code), or null.
   * @throws InputError (field centre) for an unknown code, or another centre than a centre role's own
   */
  private centreFilter(code: string | undefined, centres: Map<string, Centre>): string | null {
    if (!code) return null;
    const analyst = this.actor.role === 'analyst';
    const found = [...centres.values()].find((x) => (analyst ? x.pseudoCode : x.code) === code);
    const own = this.scopeCentre;
    if (!found || (own !== null && found.id !== own))
      throw new InputError(own !== null ? 'a centre role lists its own centre only' : 'unknown centre', {
        field: 'centre',
        value: code,
      });
    return found.id;
  }

  /** One patient in scope. @throws NotFoundError */
  async getPatient(id: string): Promise<ApiRow> {
    const r = await this.scopedRow(this.db, PATIENT_SPEC, id);
    return rowToApi(PATIENT_SPEC, r, this.actor, await this.store.centres());
  }

  /**
   * Registers a referred patient.
   * @param input patient fields (src/registry/model.ts PATIENT_FIELDS) plus `centre` (centre code; a
   *   centre role may only use its own centre — any other code is "unknown centre") and optional `reason`
   * @throws InputError naming the field (validation, unknown centre, duplicate pseudonym); ForbiddenError
   */
  async createPatient(input: unknown): Promise<ApiRow> {
    this.assertCanWrite();
    const obj = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
    const { centre: centreCode, ...rest } = obj;
    if (typeof centreCode !== 'string')
      throw new InputError('required field is missing', { field: 'centre' });
    const body = parseOrThrow<Record<string, unknown>>(createSchema(PATIENT_FIELDS), rest);
    const centre = await this.store.centreByCode(centreCode);
    const c = this.scopeCentre;
    if (!centre || (c !== null && centre.id !== c))
      throw new InputError('unknown centre', { field: 'centre', value: centreCode });
    const id = randomUUID();
    const now = nowUtc();
    const values: Row = { id, centre_id: centre.id, version: 1, created_at: now, updated_at: now };
    for (const fs of PATIENT_FIELDS) values[fs.column] = toDb(fs, body[fs.name]);
    try {
      await this.tx(async (trx) => {
        await trx.insertInto('reg_patient').values(values).execute();
        await this.audit(
          trx,
          PATIENT_SPEC,
          { id, centreId: centre.id, patientId: id },
          'create',
          text(body['reason'] ?? 'initial entry'),
          null,
          {
            ...fieldValues(PATIENT_SPEC, values),

            version: 1,
          },
        );
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new InputError('pseudonym already in use', { field: 'pseudonym', value: body['pseudonym'] });
      throw e;
    }
    return this.getPatient(id);
  }

  /** Updates patient fields (not the centre). @throws InputError, NotFoundError, ConflictError */
  async updatePatient(id: string, input: unknown): Promise<ApiRow> {
    return this.updateRow(PATIENT_SPEC, id, input);
  }

  /** Deletes a patient that has no journey rows. @throws InputError when rows exist */
  async deletePatient(id: string, input: unknown): Promise<void> {
    this.assertCanWrite();
    const body = parseOrThrow(deleteSchema, input);
    await this.tx(async (trx) => {
      const old = await this.scopedRow(trx, PATIENT_SPEC, id);
      for (const e of ENTITIES) {
        const n = await trx.selectFrom(e.table).select('id').where('patient_id', '=', id).executeTakeFirst();
        if (n) throw new InputError(`patient has ${e.label} rows; delete them first`, { field: 'id' });
      }
      await this.deleteWithVersion(trx, PATIENT_SPEC, old, body.version, body.reason, id);
    });
  }

  // ---------------------------------------------------------------- journey entities

  private spec(path: string): EntitySpec {
    const s = entityByPath(path);
    if (!s) throw new NotFoundError(`entity type ${path}`);
    return s;
  }

  /** Rows of entity `path` for one patient in scope. @throws NotFoundError */
  async listRows(path: string, patientId: string): Promise<ApiRow[]> {
    const spec = this.spec(path);
    await this.scopedRow(this.db, PATIENT_SPEC, patientId);
    const rows = await inRowOrder(
      spec,
      this.db.selectFrom(spec.table).selectAll().where('patient_id', '=', patientId),
    ).execute();
    const centres = await this.store.centres();
    return rows.map((r) => rowToApi(spec, r, this.actor, centres));
  }

  /** One row of entity `path` in scope. @throws NotFoundError */
  async getRow(path: string, id: string): Promise<ApiRow> {
    const spec = this.spec(path);
    const r = await this.scopedRow(this.db, spec, id);
    return rowToApi(spec, r, this.actor, await this.store.centres());
  }

  /**
   * Adds a row of entity `path` to a patient in scope.
   * @throws InputError naming the field (validation; infusion before apheresis; a second row of a
   *   one-per-patient entity), NotFoundError (patient not in scope), ForbiddenError (analyst)
   */
  async createRow(path: string, patientId: string, input: unknown): Promise<ApiRow> {
    this.assertCanWrite();
    const spec = this.spec(path);
    const body = parseOrThrow<Record<string, unknown>>(createSchema(spec.fields), input);
    const id = randomUUID();
    try {
      await this.tx(async (trx) => {
        const patient = await this.scopedRow(trx, PATIENT_SPEC, patientId);
        const values: Row = {
          id,
          patient_id: patientId,
          centre_id: patient['centre_id'],
          version: 1,
          created_at: nowUtc(),
          updated_at: nowUtc(),
        };
        for (const fs of spec.fields) values[fs.column] = toDb(fs, body[fs.name]);
        const fields = fieldValues(spec, values);
        await this.checkDomain(trx, spec, patientId, fields, null);
        await trx.insertInto(spec.table).values(values).execute();
        await this.audit(
          trx,
          spec,
          { id, centreId: text(patient['centre_id']), patientId },
          'create',
          text(body['reason'] ?? 'initial entry'),
          null,
          { ...fields, version: 1 },
        );
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new InputError(`patient already has a ${spec.label}`, { field: 'patientId', value: patientId });
      throw e;
    }
    return this.getRow(path, id);
  }

  /** Updates a row of entity `path` (body: changed fields, `version`, `reason`). */
  async updateEntityRow(path: string, id: string, input: unknown): Promise<ApiRow> {
    return this.updateRow(this.spec(path), id, input);
  }

  /** Deletes a row of entity `path` (body: `version`, `reason`). */
  async deleteRow(path: string, id: string, input: unknown): Promise<void> {
    this.assertCanWrite();
    const spec = this.spec(path);
    const body = parseOrThrow(deleteSchema, input);
    await this.tx(async (trx) => {
      const old = await this.scopedRow(trx, spec, id);
      await this.deleteWithVersion(trx, spec, old, body.version, body.reason, text(old['patient_id']));
    });
  }

  private async deleteWithVersion(
    trx: Db,
    spec: EntitySpec,
    old: Row,
    version: number,
    reason: string,
    patientId: string,
  ): Promise<void> {
    const current = Number(old['version']);
    if (current !== version)
      throw new ConflictError(`stale version ${version} (current ${current})`, current);
    const res = await trx
      .deleteFrom(spec.table)
      .where('id', '=', text(old['id']))
      .where('version', '=', version)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) !== 1) throw new ConflictError('row changed concurrently', current);
    await this.audit(
      trx,
      spec,
      { id: text(old['id']), centreId: text(old['centre_id']), patientId },
      'delete',
      reason,
      { ...fieldValues(spec, old), version: current },
      null,
    );
  }

  private async updateRow(spec: EntitySpec, id: string, input: unknown): Promise<ApiRow> {
    this.assertCanWrite();
    const body = parseOrThrow<Record<string, unknown>>(updateSchema(spec.fields), input);
    const version = Number(body['version']);
    try {
      await this.tx(async (trx) => {
        const old = await this.scopedRow(trx, spec, id);
        const current = Number(old['version']);
        if (current !== version)
          throw new ConflictError(`stale version ${version} (current ${current})`, current);
        const oldFields = fieldValues(spec, old);
        const patch: Row = {};
        const newFields = { ...oldFields };
        for (const fs of spec.fields) {
          if (!(fs.name in body)) continue;
          if (fs.required && body[fs.name] === null)
            throw new InputError('required field cannot be null', { field: fs.name });
          patch[fs.column] = toDb(fs, body[fs.name]);
          newFields[fs.name] = body[fs.name] ?? null;
        }
        const patientId = spec.path === 'patients' ? id : text(old['patient_id']);
        await this.checkDomain(trx, spec, patientId, newFields, id);
        const res = await trx
          .updateTable(spec.table)
          .set({ ...patch, version: current + 1, updated_at: nowUtc() })
          .where('id', '=', id)
          .where('version', '=', current)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) throw new ConflictError('row changed concurrently', current);
        await this.audit(
          trx,
          spec,
          { id, centreId: text(old['centre_id']), patientId },
          'update',
          text(body['reason']),
          { ...oldFields, version: current },
          { ...newFields, version: current + 1 },
        );
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new InputError('pseudonym already in use', { field: 'pseudonym', value: body['pseudonym'] });
      throw e;
    }
    return spec.path === 'patients' ? this.getPatient(id) : this.getRow(spec.path, id);
  }

  /** Cross-row rules: the journey in order (src/clinical/timeline.ts); toxicity windows consistent. */
  private async checkDomain(
    trx: Db,
    spec: EntitySpec,
    patientId: string,
    fields: Record<string, unknown>,
    selfId: string | null,
  ): Promise<void> {
    const others = async (table: string, column: string): Promise<string[]> => {
      let q = trx.selectFrom(table).select(column).where('patient_id', '=', patientId);
      if (selfId !== null) q = q.where('id', '!=', selfId);
      const rows = await q.execute();
      return rows.map((r) => String(r[column])).filter((d) => d !== 'null');
    };
    await checkJourneyOrder(spec, fields, async (table, column) =>
      table === 'reg_patient'
        ? (await trx.selectFrom(table).select(column).where('id', '=', patientId).execute()).map((r) =>
            String(r[column]),
          )
        : others(table, column),
    );
    if (spec.path === 'toxicity-observations') checkToxObservation(fields);
  }

  // ---------------------------------------------------------------- computed views

  /** Everything about one patient (API shape), for outcomes and the timeline. */
  async patientRecord(patientId: string): Promise<{ patient: ApiRow; rows: Record<string, ApiRow[]> }> {
    const patient = await this.getPatient(patientId);
    const centres = await this.store.centres();
    const rows: Record<string, ApiRow[]> = {};
    // issued together: on SQLite they queue back to back on the one connection, on PostgreSQL they run
    // on several pool connections (one round of waiting instead of one per entity)
    const lists = await Promise.all(
      ENTITIES.map((e) =>
        inRowOrder(e, this.db.selectFrom(e.table).selectAll().where('patient_id', '=', patientId)).execute(),
      ),
    );
    ENTITIES.forEach((e, i) => {
      rows[e.path] = (lists[i] ?? []).map((r) => rowToApi(e, r, this.actor, centres));
    });
    return { patient, rows };
  }

  /** Computed outcomes of one patient in scope. @throws NotFoundError */
  async outcome(patientId: string): Promise<PatientOutcome> {
    return patientOutcome(await this.patientRecord(patientId));
  }

  /**
   * The patient's journey as a dated list (referral first), with the computed CRS/ICANS grade per day.
   * @throws NotFoundError
   */
  async timeline(patientId: string): Promise<{ patient: ApiRow; events: ApiRow[]; outcome: PatientOutcome }> {
    const rec = await this.patientRecord(patientId);
    const events: ApiRow[] = [{ kind: 'referral', date: rec.patient['referralDate'], id: rec.patient['id'] }];
    for (const e of ENTITIES) {
      for (const r of rec.rows[e.path] ?? [])
        events.push({ kind: e.label, entity: e.path, date: e.dateField ? r[e.dateField] : null, ...r });
    }
    events.sort((a, b) => text(a['date'] ?? '9999').localeCompare(text(b['date'] ?? '9999')));
    return { patient: rec.patient, events, outcome: patientOutcome(rec) };
  }

  /** All patient records in scope (bulk, for exports and the dashboard). */
  async allRecords(): Promise<{ patient: ApiRow; rows: Record<string, ApiRow[]> }[]> {
    const c = this.scopeCentre;
    let pq = this.db.selectFrom('reg_patient').selectAll().orderBy('pseudonym');
    if (c !== null) pq = pq.where('centre_id', '=', c);
    return this.recordsOf(await pq.execute(), await this.store.centres(), this.scopeMode);
  }

  /**
   * The records of the given patient rows (in scope), in their order: every entity's rows, fetched by
   * patient id in chunks, or (`by` all/centre) every row of the scope, for whole-scope reads.
   */
  private async recordsOf(
    patientRows: Row[],
    centres: Map<string, Centre>,
    by: 'ids' | 'all' | 'centre' = 'ids',
  ): Promise<PatientRecord[]> {
    const byId = new Map<string, PatientRecord>();
    for (const r of patientRows)
      byId.set(text(r['id']), { patient: rowToApi(PATIENT_SPEC, r, this.actor, centres), rows: {} });
    const ids = [...byId.keys()];
    const chunks = by === 'ids' ? chunk(ids, 500) : [null];
    if (chunks.length === 0) return [];
    for (const e of ENTITIES) {
      for (const part of chunks) {
        let q = inRowOrder(e, this.db.selectFrom(e.table).selectAll());
        if (part !== null) q = q.where('patient_id', 'in', part);
        else if (by === 'centre' && this.scopeCentre !== null)
          q = q.where('centre_id', '=', this.scopeCentre);
        for (const r of await q.execute()) {
          const rec = byId.get(text(r['patient_id']));
          if (!rec) continue;
          (rec.rows[e.path] ??= []).push(rowToApi(e, r, this.actor, centres));
        }
      }
    }
    return [...byId.values()];
  }

  /**
   * Programme dashboard figures over the caller's scope, optionally filtered by centre, referral
   * period and product (src/registry/dashboard.ts).
   * @throws InputError naming `centre` (see `listPatients`)
   */
  async dashboard(filter: DashboardFilter = {}): Promise<DashboardFigures> {
    return dashboardFigures(await this.outcomesWhere(filter));
  }

  /** Computed outcomes of the patients in scope matching `filter` (the dashboard's filters). */
  async outcomesWhere(filter: DashboardFilter): Promise<PatientOutcome[]> {
    if (!filter.centre && !filter.referredFrom && !filter.referredTo && !filter.product)
      return (await this.allRecords()).map(patientOutcome);
    const centres = await this.store.centres();
    const base = filterPatients(this.scopedPatients(), filter, this.centreFilter(filter.centre, centres));
    const rows = await base.selectAll().execute();
    const recs = await this.recordsOf(rows, centres, rows.length > 1000 ? this.scopeMode : 'ids');
    return recs.map(patientOutcome).filter((o) => !filter.product || o.product === filter.product);
  }

  /**
   * Audit trail in scope, oldest first (admin: all; centre roles: own centre; analyst: forbidden).
   * @param filter optional table/rowId/patientId
   */
  async auditLog(filter: { table?: string; rowId?: string; patientId?: string } = {}): Promise<AuditEntry[]> {
    if (this.actor.role === 'analyst') throw new ForbiddenError('the analyst role has no audit access');
    let q = this.db.selectFrom('reg_audit').selectAll().orderBy('seq');
    const c = this.scopeCentre;
    if (c !== null) q = q.where('centre_id', '=', c);
    if (filter.table) q = q.where('table_name', '=', filter.table);
    if (filter.rowId) q = q.where('row_id', '=', filter.rowId);
    if (filter.patientId) q = q.where('patient_id', '=', filter.patientId);
    const rows = await q.execute();
    return rows.map((r) => ({
      seq: Number(r['seq']),
      atUtc: text(r['at_utc']),
      username: text(r['username']),
      table: text(r['table_name']),
      rowId: text(r['row_id']),
      patientId: r['patient_id'] === null ? null : text(r['patient_id']),
      action: text(r['action']) as AuditEntry['action'],
      reason: text(r['reason']),
      oldValues:
        r['old_values'] === null ? null : (JSON.parse(text(r['old_values'])) as Record<string, unknown>),
      newValues:
        r['new_values'] === null ? null : (JSON.parse(text(r['new_values'])) as Record<string, unknown>),
    }));
  }

  /**
   * Records an export of this actor's scope in the audit trail (any role, the analyst included).
   * @param e.format the export (`csv-long`, `csv-wide`, `odm`, `bundle`); e.patients how many patients it
   *   holds; e.client the client address (HTTP) or `cli`
   */
  async recordExport(e: { format: string; patients: number; client: string }): Promise<void> {
    await this.store.recordAccess({
      action: 'export',
      userId: this.actor.userId,
      username: this.actor.username,
      centreId: this.actor.centreId,
      rowId: e.format,
      reason: `export ${e.format} of ${e.patients} patient(s)`,
      detail: { format: e.format, patients: e.patients, client: e.client, role: this.actor.role },
    });
  }
}

export { ENTITIES, PATIENT_SPEC };

/**
 * The registry data layer's vocabulary (src/registry/store.ts): the caller (`Actor`), the errors the
 * store throws (404, 409, 403), the rows it returns (centres, users, audit entries, access events,
 * throttle states) and the mapping of a database row to the API shape an actor sees.
 */

import { type Kysely, type Transaction } from 'kysely';
import { CartoError } from '../errors.js';
import { type RegistryDb, type Row } from './db.js';
import { PATIENT_FIELDS, type EntitySpec, type FieldSpec, type Role } from './model.js';
import { type ApiRow } from './outcomes.js';

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

/** A `reg_audit` row as an `AuditEntry` (the old and new values parsed from their JSON). */
export function auditEntryOf(r: Row): AuditEntry {
  const json = (v: unknown) => (v === null ? null : (JSON.parse(text(v)) as Record<string, unknown>));
  return {
    seq: Number(r['seq']),
    atUtc: text(r['at_utc']),
    username: text(r['username']),
    table: text(r['table_name']),
    rowId: text(r['row_id']),
    patientId: r['patient_id'] === null ? null : text(r['patient_id']),
    action: text(r['action']) as AuditEntry['action'],
    reason: text(r['reason']),
    oldValues: json(r['old_values']),
    newValues: json(r['new_values']),
  };
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

export const PATIENT_SPEC: EntitySpec = {
  path: 'patients',
  table: 'reg_patient',
  label: 'patient',
  dateField: 'referralDate',
  fields: PATIENT_FIELDS,
};

/** A DB/JSON scalar as text (numbers and booleans printed; anything else is a programming error). */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`expected a scalar, got ${typeof v}`);
}

export function nowUtc(): string {
  return new Date().toISOString();
}

export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err.code === '23505' ||
    err.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint/.test(err.message ?? '')
  );
}

/** DB value → API value of one field. */
export function fromDb(fs: FieldSpec, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (fs.kind === 'bool') return v === 1 || v === true;
  if (fs.kind === 'list') return JSON.parse(text(v)) as unknown;
  if (fs.kind === 'int' || fs.kind === 'real') return Number(v);
  return v;
}

/** API value → DB value of one field. */
export function toDb(fs: FieldSpec, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (fs.kind === 'bool') return v ? 1 : 0;
  if (fs.kind === 'list') return JSON.stringify(v);
  return v;
}

/** Maps a DB row of `spec` to the API shape seen by `actor`. */
export function rowToApi(spec: EntitySpec, r: Row, actor: Actor, centres: Map<string, Centre>): ApiRow {
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
export function fieldValues(spec: EntitySpec, r: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fs of spec.fields) out[fs.name] = fromDb(fs, r[fs.column]);
  return out;
}

export type Db = Kysely<RegistryDb> | Transaction<RegistryDb>;

/** Instance order of an entity's rows: by its clinical date, then entry time, then id (stable). */
export function inRowOrder<Q extends { orderBy(col: string): Q }>(spec: EntitySpec, q: Q): Q {
  const dateCol = spec.dateField ? spec.fields.find((f) => f.name === spec.dateField)?.column : undefined;
  return (dateCol ? q.orderBy(dateCol) : q).orderBy('created_at').orderBy('id');
}

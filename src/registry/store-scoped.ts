/**
 * The registry as one actor may see and change it (`ScopedRegistry`, handed out by
 * `RegistryStore.as(actor)`, src/registry/store.ts): every query filtered by the actor's scope, every
 * write in one transaction with its audit record, optimistic concurrency by row version. Every write
 * recomputes the patient's stored stage and product in its transaction (src/registry/stored-outcomes.ts;
 * in a `batch`, once per patient at its end). The list query is src/registry/patient-list.ts; the
 * record reads src/registry/records.ts.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, type Transaction } from 'kysely';
import { InputError } from '../errors.js';
import { type RegistryDb, type Row } from './db.js';
import { ENTITIES, PATIENT_FIELDS, entityByPath, type EntitySpec } from './model.js';
import { checkToxObservation, patientOutcome, type ApiRow, type PatientOutcome } from './outcomes.js';
import { filterPatients, pageBounds, patientPage, type PatientListQuery } from './patient-list.js';
import { readRecords, type RecordsBy } from './records.js';
import { refreshStoredOutcomes } from './stored-outcomes.js';
import { dashboardFigures, type DashboardFigures } from './dashboard.js';
import { checkJourneyOrder, createSchema, deleteSchema, parseOrThrow, updateSchema } from './validation.js';

import type { RegistryStore } from './store.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PATIENT_SPEC,
  fieldValues,
  inRowOrder,
  isUniqueViolation,
  nowUtc,
  rowToApi,
  text,
  toDb,
  type Actor,
  type AuditEntry,
  type Centre,
  type Db,
  type Page,
  auditEntryOf,
} from './store-model.js';

/** The dashboard's filters (a subset of the patient list's). */
export type DashboardFilter = Pick<PatientListQuery, 'centre' | 'referredFrom' | 'referredTo' | 'product'>;

/** The registry as one actor may see and change it. */
export class ScopedRegistry {
  constructor(
    private readonly store: RegistryStore,
    readonly actor: Actor,
    private readonly trx: Transaction<RegistryDb> | null = null,
    /** In a `batch`: the patients whose stored outcomes are recomputed when the batch ends. */
    private readonly touched: Set<string> | null = null,
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
   * it wrote is kept (used by the importers). The stored outcomes of the patients it wrote to are
   * recomputed once each, at its end, in the same transaction.
   */
  async batch<T>(fn: (reg: ScopedRegistry) => Promise<T>): Promise<T> {
    if (this.trx) return fn(this);
    await this.store.centres(); // see tx()
    return this.store.db.transaction().execute(async (trx) => {
      const touched = new Set<string>();
      const out = await fn(new ScopedRegistry(this.store, this.actor, trx, touched));
      await refreshStoredOutcomes(trx, touched);
      return out;
    });
  }

  /** After a write to a patient's rows (in `trx`): recomputes its stored outcomes, or in a batch notes it. */
  private async journeyChanged(trx: Db, patientId: string): Promise<void> {
    if (this.touched) this.touched.add(patientId);
    else await refreshStoredOutcomes(trx, [patientId]);
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
   * Lists patients in scope, filtered, sorted and paged in SQL (src/registry/patient-list.ts); each item
   * carries its stored `stage` and `product` and its `infusionDate`.
   * @param opts.limit 1–500 (default 50); opts.offset ≥ 0; filters and sort: `PatientListQuery`
   * @throws InputError naming `limit`, `offset` or `centre` (unknown code, or another centre than a
   *   centre role's own)
   */
  async listPatients(opts: PatientListQuery = {}): Promise<Page<ApiRow>> {
    pageBounds(opts);
    const centres = await this.store.centres();
    const base = filterPatients(this.scopedPatients(), opts, this.centreFilter(opts.centre, centres));
    const analyst = this.actor.role === 'analyst';
    return patientPage(base, opts, (r) => rowToApi(PATIENT_SPEC, r, this.actor, centres), analyst);
  }

  /** How `readRecords` reads a whole scope: every row, or the centre's. */
  private get scopeMode(): RecordsBy {
    const c = this.scopeCentre;
    return c === null ? 'all' : { centre: c };
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
        await this.journeyChanged(trx, id);
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
        await this.journeyChanged(trx, patientId);
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
    if (spec.path !== 'patients') await this.journeyChanged(trx, patientId);
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
        await this.journeyChanged(trx, patientId);
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

  /** The records of the given patient rows (in scope) as this actor sees them (src/registry/records.ts). */
  private async recordsOf(patientRows: Row[], centres: Map<string, Centre>, by: RecordsBy = 'ids') {
    return readRecords(this.db, patientRows, { actor: this.actor, centres }, by);
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
    return recs.map(patientOutcome);
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
    return (await q.execute()).map(auditEntryOf);
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

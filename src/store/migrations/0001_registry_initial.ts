/**
 * Migration 0001 (the registry's `001_initial` before the stores shared one history): centres, users, sessions, patients, one table per journey entity
 * (src/registry/model.ts at version 1) and the append-only audit log. Same Kysely schema calls on both
 * dialects; the only differences are the audit sequence column and the trigger syntax.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../db.js';
import { ENTITIES, PATIENT_FIELDS, type FieldSpec } from '../../registry/model.js';

function columnType(fs: FieldSpec): 'text' | 'integer' | 'double precision' {
  switch (fs.kind) {
    case 'int':
    case 'bool':
      return 'integer';
    case 'real':
      return 'double precision';
    default:
      return 'text';
  }
}

export function registryInitial(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('reg_centre')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('pseudo_code', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('reg_user')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('centre_id', 'text', (c) => c.references('reg_centre.id'))
        .addColumn('external_subject', 'text')
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('reg_session')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('reg_user.id'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      let patient = db.schema
        .createTable('reg_patient')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('centre_id', 'text', (c) => c.notNull().references('reg_centre.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull());
      for (const fs of PATIENT_FIELDS) {
        patient = patient.addColumn(fs.column, columnType(fs), (c) =>
          fs.name === 'pseudonym' ? c.notNull().unique() : c,
        );
      }
      await patient.execute();
      await db.schema.createIndex('reg_patient_centre').on('reg_patient').column('centre_id').execute();
      for (const e of ENTITIES) {
        let t = db.schema
          .createTable(e.table)
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('patient_id', 'text', (c) => c.notNull().references('reg_patient.id'))
          .addColumn('centre_id', 'text', (c) => c.notNull().references('reg_centre.id'))
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull());
        for (const fs of e.fields) t = t.addColumn(fs.column, columnType(fs));
        await t.execute();
        let idx = db.schema.createIndex(`${e.table}_patient`).on(e.table).column('patient_id');
        if (e.single) idx = idx.unique(); // at most one row per patient, enforced by the database
        await idx.execute();
        await db.schema.createIndex(`${e.table}_centre`).on(e.table).column('centre_id').execute();
      }
      let audit = db.schema.createTable('reg_audit');
      audit =
        dialect === 'postgres'
          ? audit.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
          : audit.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
      await audit
        .addColumn('at_utc', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('centre_id', 'text')
        .addColumn('table_name', 'text', (c) => c.notNull())
        .addColumn('row_id', 'text', (c) => c.notNull())
        .addColumn('patient_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('old_values', 'text')
        .addColumn('new_values', 'text')
        .execute();
      await db.schema
        .createIndex('reg_audit_row')
        .on('reg_audit')
        .columns(['table_name', 'row_id'])
        .execute();
      await db.schema.createIndex('reg_audit_patient').on('reg_audit').column('patient_id').execute();
      if (dialect === 'postgres') {
        await sql`CREATE FUNCTION reg_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'reg_audit is append-only: % refused', TG_OP; END $$`.execute(db);
        await sql`CREATE TRIGGER reg_audit_no_change BEFORE UPDATE OR DELETE ON reg_audit
          FOR EACH ROW EXECUTE FUNCTION reg_audit_append_only()`.execute(db);
        await sql`CREATE TRIGGER reg_audit_no_truncate BEFORE TRUNCATE ON reg_audit
          FOR EACH STATEMENT EXECUTE FUNCTION reg_audit_append_only()`.execute(db);
      } else {
        await sql`CREATE TRIGGER reg_audit_no_update BEFORE UPDATE ON reg_audit
          BEGIN SELECT RAISE(ABORT, 'reg_audit is append-only: UPDATE refused'); END`.execute(db);
        await sql`CREATE TRIGGER reg_audit_no_delete BEFORE DELETE ON reg_audit
          BEGIN SELECT RAISE(ABORT, 'reg_audit is append-only: DELETE refused'); END`.execute(db);
      }
    },
  };
}

/**
 * Migration 0009: quantification as jobs (issue 17). `scan_job` keeps the state of each scan's
 * quantification job (pending | running | done | failed, attempts, last error, timestamps) and what the
 * job needs (`spec_json`: the scan, its VOIs and the quantification settings, paths relative to the
 * bundle folder); its `job_key` is the SHA-256 of the scan's content, the settings and the
 * quantification code version (src/pipeline/scan-job.ts). A queue (pg-boss on PostgreSQL) only carries
 * the work; the state lives here. `scan_picture` keeps the pictures a job rendered (the report's MIP and
 * image panels, PNG as base64 in JSON), committed with the scan's VOI rows.
 */
import type { Kysely, Migration } from 'kysely';

export const scanJobs: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('scan_job')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('scan_id', 'text', (c) => c.notNull())
      .addColumn('job_key', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('spec_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addPrimaryKeyConstraint('scan_job_pk', ['study_id', 'scan_id'])
      .execute();
    await db.schema.createIndex('scan_job_state').on('scan_job').columns(['study_id', 'state']).execute();
    await db.schema
      .createTable('scan_picture')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('scan_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('data_json', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('scan_picture_pk', ['study_id', 'scan_id', 'kind'])
      .execute();
  },
};

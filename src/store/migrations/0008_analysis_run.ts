/**
 * Migration 0008: analysis runs (`analysis_run`: one row per `carto run`, holding results.json) and
 * their report tables and figures (`analysis_file`, as text: CSV and SVG), so that `carto serve` on the
 * same database serves a study's results without the report folder (src/study/schema.ts).
 */
import type { Kysely, Migration } from 'kysely';

export const analysisRun: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('analysis_run')
      .addColumn('run_id', 'text', (c) => c.primaryKey())
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('finished_at', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('results_json', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('analysis_run_study')
      .on('analysis_run')
      .columns(['study_id', 'finished_at'])
      .execute();
    await db.schema
      .createTable('analysis_file')
      .addColumn('run_id', 'text', (c) => c.notNull().references('analysis_run.run_id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('file_id', 'text', (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('analysis_file_pk', ['run_id', 'kind', 'file_id'])
      .execute();
  },
};

/** Migration 0003 (the study store's `0001_study_store`: study, patient, event, scan, voi (VOI metrics as numeric columns, one row per scan and VOI), toxicity, lab, biopsy). */
import { sql, type Kysely, type Migration } from 'kysely';

export const studyStore: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('study')
      .addColumn('study_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('tracer_name', 'text', (c) => c.notNull())
      .addColumn('nuclide', 'text', (c) => c.notNull())
      .addColumn('half_life_s', 'double precision', (c) => c.notNull())
      .addColumn('settings_json', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('imported_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('patient')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('patient_id', 'text', (c) => c.notNull())
      .addColumn('cohort', 'text', (c) => c.notNull())
      .addColumn('age', 'double precision', (c) => c.notNull())
      .addColumn('sex', 'text', (c) => c.notNull())
      .addColumn('weight_kg', 'double precision')
      .addColumn('histology', 'text', (c) => c.notNull())
      .addColumn('stage', 'text')
      .addColumn('cns_involvement', 'integer')
      .addColumn('ecog', 'integer')
      .addColumn('previous_lines', 'integer')
      .addColumn('primary_refractory', 'integer')
      .addColumn('prior_asct', 'integer')
      .addColumn('bridging', 'text', (c) => c.notNull())
      .addColumn('product', 'text')
      .addPrimaryKeyConstraint('patient_pk', ['study_id', 'patient_id'])
      .execute();
    await db.schema
      .createTable('event')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('patient_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('day', 'double precision', (c) => c.notNull())
      .addColumn('date', 'text')
      .addColumn('bridging_type', 'text')
      .addColumn('activity_mbq', 'double precision')
      .addColumn('scan_id', 'text')
      .addColumn('lugano', 'text')
      .addColumn('death_cause', 'text')
      .addPrimaryKeyConstraint('event_pk', ['study_id', 'seq'])
      .execute();
    await db.schema
      .createTable('scan')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('scan_id', 'text', (c) => c.notNull())
      .addColumn('patient_id', 'text', (c) => c.notNull())
      .addColumn('tracer', 'text', (c) => c.notNull())
      .addColumn('timepoint', 'text', (c) => c.notNull())
      .addColumn('day', 'double precision')
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('suv_units', 'text')
      .addColumn('decay_correction', 'text')
      .addColumn('suv_type', 'text')
      .addColumn('grid_json', 'text')
      .addPrimaryKeyConstraint('scan_pk', ['study_id', 'scan_id'])
      .execute();
    await db.schema
      .createTable('voi')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('voi_id', 'text', (c) => c.notNull())
      .addColumn('scan_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('lesion_id', 'text')
      .addColumn('site', 'text')
      .addColumn('irradiated', 'integer')
      .addColumn('mask_path', 'text', (c) => c.notNull())
      .addColumn('mask_label', 'integer')
      .addColumn('roi_name', 'text')
      .addColumn('voxel_count', 'integer', (c) => c.notNull())
      .addColumn('volume_ml', 'double precision', (c) => c.notNull())
      .addColumn('suv_min', 'double precision', (c) => c.notNull())
      .addColumn('suv_max', 'double precision', (c) => c.notNull())
      .addColumn('suv_mean', 'double precision', (c) => c.notNull())
      .addColumn('suv_median', 'double precision', (c) => c.notNull())
      .addColumn('suv_sd', 'double precision', (c) => c.notNull())
      .addColumn('suv_peak_local', 'double precision', (c) => c.notNull())
      .addColumn('suv_peak_global', 'double precision', (c) => c.notNull())
      .addColumn('matv_ml', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint('voi_pk', ['study_id', 'voi_id'])
      .execute();
    await db.schema
      .createTable('toxicity')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('patient_id', 'text', (c) => c.notNull())
      .addColumn('crs_grade', 'integer', (c) => c.notNull())
      .addColumn('icans_grade', 'integer', (c) => c.notNull())
      .addColumn('tocilizumab', 'integer')
      .addColumn('steroids', 'integer')
      .addPrimaryKeyConstraint('toxicity_pk', ['study_id', 'patient_id'])
      .execute();
    await db.schema
      .createTable('lab')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('patient_id', 'text', (c) => c.notNull())
      .addColumn('day', 'double precision', (c) => c.notNull())
      .addColumn('analyte', 'text', (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint('lab_pk', ['study_id', 'seq'])
      .execute();
    await db.schema
      .createTable('biopsy')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('patient_id', 'text', (c) => c.notNull())
      .addColumn('lesion_id', 'text', (c) => c.notNull())
      .addColumn('cd8_percent', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint('biopsy_pk', ['study_id', 'seq'])
      .execute();
    await sql`create index voi_scan on voi (study_id, scan_id)`.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const t of ['biopsy', 'lab', 'toxicity', 'voi', 'scan', 'event', 'patient', 'study']) {
      await db.schema.dropTable(t).execute();
    }
  },
};

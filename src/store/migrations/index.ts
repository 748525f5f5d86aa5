/**
 * The one migration history of the database (docs/database.md), in order. Names sort in the order they
 * run; a migration, once released, is never edited: a change is a new migration at the end.
 * 0001–0002 were the registry's `001_initial`, `002_login_throttle`; 0003–0006 the study store's
 * `0001_study_store` … `0004_not_infused` (src/store/legacy.ts maps the old names).
 */
import type { Migration } from 'kysely';
import type { DialectName } from '../db.js';
import { registryInitial } from './0001_registry_initial.js';
import { registryLoginThrottle } from './0002_registry_login_throttle.js';
import { studyStore } from './0003_study_store.js';
import { studyQpcr } from './0004_study_qpcr.js';
import { studyLabAssays } from './0005_study_lab_assays.js';
import { studyNotInfused } from './0006_study_not_infused.js';
import { studySources } from './0007_study_sources.js';
import { analysisRun } from './0008_analysis_run.js';
import { studyAdverseEvents } from './0009_study_adverse_events.js';
import { registryPatientList } from './0010_registry_patient_list.js';
import { scanJobs } from './0011_scan_jobs.js';
import { scanProjections } from './0012_scan_projections.js';
import { patientStage } from './0013_patient_stage.js';
import { derivedVersions } from './0014_derived_versions.js';

/** The migrations for `dialect`, by name. */
export function storeMigrations(dialect: DialectName): Record<string, Migration> {
  return {
    '0001_registry_initial': registryInitial(dialect),
    '0002_registry_login_throttle': registryLoginThrottle(dialect),
    '0003_study_store': studyStore,
    '0004_study_qpcr': studyQpcr,
    '0005_study_lab_assays': studyLabAssays,
    '0006_study_not_infused': studyNotInfused,
    '0007_study_sources': studySources,
    '0008_analysis_run': analysisRun,
    '0009_study_adverse_events': studyAdverseEvents,
    '0010_registry_patient_list': registryPatientList,
    '0011_scan_jobs': scanJobs,
    '0012_scan_projections': scanProjections(dialect),
    '0013_patient_stage': patientStage,
    '0014_derived_versions': derivedVersions,
  };
}

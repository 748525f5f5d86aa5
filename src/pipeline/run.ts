/**
 * The main job: import a study bundle into the store (validate → quantify every scan on the
 * in-process pool → one transaction), then analyse the stored study and write the report. This module
 * orchestrates I/O; the computations live in the core modules it calls.
 */
import { join, resolve } from 'node:path';
import { analysisRunnable, storeScanQuantification, type ScanResultRecord } from './job-store.js';
import type { Voi } from '../study/model.js';
import {
  openStudyStore,
  storeStudyTables,
  findStudy,
  unlinkedPatients,
  type StudyStore,
} from '../study/store.js';
import { isPostgresUrl } from '../store/db.js';
import { writeOutputFolder } from '../io/output-folder.js';
import { analyseStoredStudy } from './analyse.js';
import { prepareBundle, silent, type PipelineProgress } from './prepare.js';
import { scanJobsOf, type ScanJobResult } from './scan-job.js';
import { poolSize, runScanPool } from './scan-pool.js';
import { viewerImagesBeside } from './viewer-images.js';

export type { PipelineProgress } from './prepare.js';

export interface ImportResult {
  studyName: string;
  status: 'written' | 'unchanged';
  contentHash: string;
  patients: number;
  scans: number;
  vois: number;
  /** Scans quantified by this import (the others kept their stored quantification: same job key). */
  quantified: number;
  /** Seconds per stage. */
  timings: Record<string, number>;
  /**
   * Study patients whose pseudonym matches no registry patient of the database (sorted; empty when
   * every one links, or when the database holds no registry patients). They are stored all the same,
   * visible to admins and analysts only (docs/database.md).
   */
  unlinkedPatients: string[];
  /** One line per unlinked patient, for the CLI to print (exit code stays 0). */
  warnings: string[];
}

/** Options of `importBundle` and `runStudy`. */
export interface ImportOptions {
  /** The DICOMweb server of `dicomweb:` scans, overriding study.json `pacs.url`. */
  pacsUrl?: string;
  /** Threads of the in-process pool (default `os.availableParallelism()`). */
  concurrency?: number;
  /**
   * The folder of the viewer's images (viewer-images.ts) the jobs write to; default
   * `viewerImagesBeside(dbFile)` (beside a SQLite file; none for PostgreSQL); null: none.
   */
  viewerImages?: string | null;
}

/**
 * Imports a bundle into the database `dbFile` (a SQLite file or a `postgres://` URL): reads and
 * validates it, quantifies each scan whose job key (scan-job.ts: its content and the quantification
 * settings) is not stored as done, on the in-process pool of worker threads (scan-pool.ts; the same job
 * function as `carto worker`), and writes the tables and every scan's result in one transaction. When
 * the store already holds this exact content (same hash) with every scan done, nothing is quantified or
 * written. Then checks the study patients' links to the registry patients of the same database.
 * @throws InputError for any invalid input (the database is then unchanged)
 */
export async function importBundle(
  bundleDir: string,
  dbFile: string,
  progress: PipelineProgress = silent,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const prepared = prepareBundle(bundleDir, progress, opts);
  const { bundle, contentHash, timings } = prepared;
  const db = await openStudyStore(dbFile);
  try {
    const existing = await findStudy(db, bundle.name);
    const counts = { patients: bundle.patients.length, scans: bundle.scans.length, vois: bundle.vois.length };
    if (existing?.contentHash === contentHash && (await analysisRunnable(db, bundle.name)).runnable) {
      return {
        studyName: bundle.name,
        status: 'unchanged',
        contentHash,
        ...counts,
        quantified: 0,
        timings,
        ...(await registryLinks(db, bundle.name)),
      };
    }
    let t0 = performance.now();
    const jobs = scanJobsOf(bundle);
    const done = await doneKeys(db, existing?.studyId);
    const todo = jobs.filter((j) => done.get(j.spec.scan.scanId) !== j.key);
    progress.stage('quantify', todo.length);
    const images = opts.viewerImages === undefined ? viewerImagesBeside(dbFile) : opts.viewerImages;
    const results = await runScanPool(
      todo.map((j) => ({
        spec: j.spec,
        root: bundle.dir,
        ...(opts.pacsUrl !== undefined ? { pacsUrl: opts.pacsUrl } : {}),
        ...(images !== null ? { viewerImages: { dir: images, key: j.key } } : {}),
      })),
      poolSize(opts.concurrency),
      (scanId) => progress.tick(scanId),
    );
    progress.done();
    timings['quantify'] = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await db.transaction().execute(async (trx) => {
      const records = jobs.map((j) => ({
        scanId: j.spec.scan.scanId,
        key: j.key,
        specJson: JSON.stringify(j.spec),
      }));
      await storeStudyTables(trx, bundle, contentHash, records, prepared.qpcr, prepared.labAssays);
      for (const [i, j] of todo.entries())
        await storeScanQuantification(
          trx,
          bundle.name,
          j.key,
          bundle.dir,
          resultRecord(j.spec.vois, results[i]!),
        );
    });
    timings['store'] = (performance.now() - t0) / 1000;
    const links = await registryLinks(db, bundle.name);
    const imageWarnings = results.flatMap((r) =>
      r.viewerImagesError !== undefined ? [r.viewerImagesError] : [],
    );
    return {
      studyName: bundle.name,
      status: 'written',
      contentHash,
      ...counts,
      quantified: todo.length,
      timings,
      ...links,
      warnings: [...links.warnings, ...imageWarnings],
    };
  } finally {
    await db.destroy();
  }
}

/** Job keys of the study's scans whose job is done (empty for a new study). */
async function doneKeys(db: StudyStore, studyId: string | undefined): Promise<Map<string, string>> {
  if (studyId === undefined) return new Map();
  const rows = await db
    .selectFrom('scan_job')
    .select(['scan_id', 'job_key'])
    .where('study_id', '=', studyId)
    .where('state', '=', 'done')
    .execute();
  return new Map(rows.map((r) => [r.scan_id, r.job_key]));
}

/** A job's result as `storeScanQuantification` stores it. */
export function resultRecord(vois: Voi[], r: ScanJobResult): ScanResultRecord {
  return {
    scanId: r.scanId,
    vois,
    metrics: new Map(r.metrics),
    provenance: r.provenance,
    ...(r.images ? { images: r.images } : {}),
  };
}

/** The stored study's unlinked patients and one warning line for each (see `ImportResult`). */
async function registryLinks(
  db: StudyStore,
  studyName: string,
): Promise<{ unlinkedPatients: string[]; warnings: string[] }> {
  const unlinked = (await unlinkedPatients(db, studyName)) ?? [];
  return {
    unlinkedPatients: unlinked,
    warnings: unlinked.map(
      (p) =>
        `study ${studyName}: patient ${p} matches no registry patient (pseudonym); stored, visible to admins and analysts only`,
    ),
  };
}

export interface RunResult extends ImportResult {
  /** Absolute path of the report folder. */
  reportDir: string;
  /**
   * The database the run used: the absolute path of a SQLite file (`REPORT_DB_NAME` in the report
   * folder by default) or the `postgres://` URL as given.
   */
  dbFile: string;
  /** Id of the analysis run recorded in the database (`analysis_run.run_id`). */
  runId: string;
  sections: { id: string; status: string; reason?: string }[];
}

/** File name of the study store a run keeps inside its report folder when no `--db` is given. */
export const REPORT_DB_NAME = 'cartography.sqlite';

/**
 * `carto run`: import (see `importBundle`), analyse the stored study, write the report folder
 * `outDir` under the output-folder rule (src/io/output-folder.ts): a new or empty folder, or an
 * earlier report, replaced only once the new one is complete; and record the run (results.json, the
 * tables and figures) in the database, for `carto serve` (`recordAnalysisRun`).
 * @param dbFile the database: a SQLite file or a `postgres://` URL; when undefined, a fresh SQLite
 *   file `REPORT_DB_NAME` inside the report folder (written and replaced with it). An explicit file
 *   must not lie inside `outDir`.
 * @param opts pacsUrl: the DICOMweb server of `dicomweb:` scans (overrides study.json `pacs.url`)
 * @throws InputError for invalid input, or naming `--out` and the path when `outDir` is refused (the
 *   working folder, a non-empty folder that is not an earlier report, the bundle or a folder holding
 *   it or `dbFile`); nothing is then written and an earlier report is intact
 */
export async function runStudy(
  bundleDir: string,
  outDir: string,
  dbFile?: string,
  progress: PipelineProgress = silent,
  opts: ImportOptions = {},
): Promise<RunResult> {
  const reportDir = resolve(outDir);
  const url = dbFile !== undefined && isPostgresUrl(dbFile);
  const inputs = [bundleDir, ...(dbFile !== undefined && !url ? [dbFile] : [])];
  const run = await writeOutputFolder(reportDir, { kind: 'report', option: '--out', inputs }, (dir) =>
    analyseAndReport(bundleDir, dir, dbFile ?? join(dir, REPORT_DB_NAME), progress, opts),
  );
  return {
    ...run,
    reportDir,
    dbFile: dbFile === undefined ? join(reportDir, REPORT_DB_NAME) : url ? dbFile : resolve(dbFile),
  };
}

/** Import, analysis and report files of `runStudy`, written into the (staging) folder `dir`. */
async function analyseAndReport(
  bundleDir: string,
  dir: string,
  dbFile: string,
  progress: PipelineProgress,
  opts: ImportOptions,
): Promise<Omit<RunResult, 'reportDir' | 'dbFile'>> {
  const imported = await importBundle(bundleDir, dbFile, progress, opts);
  const db = await openStudyStore(dbFile);
  try {
    const a = await analyseStoredStudy(db, imported.studyName, dir, progress);
    return {
      ...imported,
      timings: { ...imported.timings, ...a.timings },
      runId: a.runId,
      sections: a.sections.map((s) => ({
        id: s.id,
        status: s.status,
        ...(s.reason ? { reason: s.reason } : {}),
      })),
    };
  } finally {
    await db.destroy();
  }
}

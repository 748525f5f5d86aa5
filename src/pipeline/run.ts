/**
 * The main job: import a study bundle into the store (validate → quantify every scan → one
 * transaction), then analyse the stored study and write the report. This module orchestrates I/O;
 * the computations live in the core modules it calls.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { qpcrCopiesPerCell } from '../assays/qpcr-study.js';
import { cytokineConcentrations, type BelowLloqRule } from '../assays/cytokine-study.js';
import type { CurveModel } from '../assays/curves.js';
import { lysisOfStudy } from '../assays/lysis-study.js';
import { flowOfStudy } from './flow.js';
import { InputError } from '../errors.js';
import { readBundle, type StudyBundle } from '../study/bundle.js';
import type { LabAssays, VoiMetrics } from '../study/model.js';
import {
  loadStudy,
  openStudyStore,
  recordAnalysisRun,
  saveStudy,
  findStudy,
  unlinkedPatients,
  type AnalysisFile,
  type ScanQuantification,
  type StudyStore,
} from '../study/store.js';
import { isPostgresUrl } from '../store/db.js';
import { runAnalysisPlan } from '../analysis/plan.js';
import type { AnalysisSection, ResultFigure } from '../analysis/types.js';
import { quantificationSection } from '../analysis/quantification.js';
import { writeReportFiles } from '../report/write.js';
import { writeOutputFolder } from '../io/output-folder.js';
import { bundleContentHash } from './hash.js';
import { quantifyScan, requirePacsUrls, type QuantifyOptions, type ScanPicture } from './quantify.js';
import { imagePanelsSection, type ScanPanel } from './panels.js';

/** Progress callbacks of the pipeline (the CLI draws bars from them). */
export interface PipelineProgress {
  stage(name: string, total: number): void;
  tick(detail?: string): void;
  done(): void;
}

const silent: PipelineProgress = { stage: () => undefined, tick: () => undefined, done: () => undefined };

export interface ImportResult {
  studyName: string;
  status: 'written' | 'unchanged';
  contentHash: string;
  patients: number;
  scans: number;
  vois: number;
  /** Seconds per stage. */
  timings: Record<string, number>;
  /** MIP of the first scan (for the report), when quantification ran. */
  picture?: ScanPicture;
  /**
   * Study patients whose pseudonym matches no registry patient of the database (sorted; empty when
   * every one links, or when the database holds no registry patients). They are stored all the same,
   * visible to admins and analysts only (docs/database.md).
   */
  unlinkedPatients: string[];
  /** One line per unlinked patient, for the CLI to print (exit code stays 0). */
  warnings: string[];
  /** Image panels of every scan (for the report's `image-panels` section), when asked for a picture. */
  panels?: ScanPanel[];
}

/**
 * Imports a bundle into the database `dbFile` (a SQLite file or a `postgres://` URL): reads and
 * validates it, quantifies every VOI on every scan, and writes everything in one transaction. When the
 * store already holds this exact content (same hash), nothing is quantified or written. Then checks
 * the study patients' links to the registry patients of the same database (`unlinkedPatients`).
 * `opts.pacsUrl`: the DICOMweb server of `dicomweb:` scans, overriding study.json `pacs.url`.
 * @throws InputError for any invalid input (the database is then unchanged)
 */
export async function importBundle(
  bundleDir: string,
  dbFile: string,
  progress: PipelineProgress = silent,
  opts: { picture?: boolean; pacsUrl?: string } = {},
): Promise<ImportResult> {
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const bundle = readBundle(
    bundleDir,
    undefined,
    opts.pacsUrl !== undefined ? { pacsUrl: opts.pacsUrl } : {},
  );
  requirePacsUrls(bundle.scans); // before any work: a dicomweb: scan without a server is a bundle error
  const contentHash = bundleContentHash(bundle);
  // qPCR wells → copies per cell per patient and day, stored as lab values (before any DB access:
  // an error here leaves the database unchanged).
  const qpcr =
    bundle.qpcrWells.length > 0
      ? qpcrCopiesPerCell(bundle.qpcrWells, qpcrReferenceTarget(bundle), join(bundle.dir, 'qpcr.csv'))
      : undefined;
  if (qpcr) bundle.labs.push(...qpcr.copiesPerCell);
  timings['validate'] = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const labAssays = processLabAssays(bundle, progress);
  if (labAssays) timings['lab-assays'] = (performance.now() - t0) / 1000;

  const db = await openStudyStore(dbFile);
  try {
    const existing = await findStudy(db, bundle.name);
    const counts = { patients: bundle.patients.length, scans: bundle.scans.length, vois: bundle.vois.length };
    if (existing?.contentHash === contentHash) {
      // Nothing to write; only the report's picture needs one scan loaded.
      t0 = performance.now();
      const { picture, panels } = opts.picture ? await pictureOnly(bundle) : {};
      if (picture) timings['picture'] = (performance.now() - t0) / 1000;
      return {
        studyName: bundle.name,
        status: 'unchanged',
        contentHash,
        ...counts,
        timings,
        ...(picture ? { picture } : {}),
        ...(await registryLinks(db, bundle.name)),
        ...(panels ? { panels } : {}),
      };
    }
    t0 = performance.now();
    const { metrics, scans, picture, panels } = await quantifyBundle(bundle, progress, opts.picture ?? false);
    timings['quantify'] = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const status = await saveStudy(db, bundle, metrics, scans, contentHash, qpcr, labAssays);
    timings['store'] = (performance.now() - t0) / 1000;
    return {
      studyName: bundle.name,
      status,
      contentHash,
      ...counts,
      timings,
      ...(picture ? { picture } : {}),
      ...(await registryLinks(db, bundle.name)),
      ...(opts.picture ? { panels } : {}),
    };
  } finally {
    await db.destroy();
  }
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

/**
 * Cytokine plates, ⁵¹Cr-release plates and flow cytometry files of the bundle → lab values per patient and day
 * (pushed onto `bundle.labs`) and the detail the store keeps. Runs before any database access, so an error leaves
 * the store unchanged. Undefined when the bundle has none of these tables.
 * @throws InputError naming the file, row and field (src/assays/*-study.ts, src/pipeline/flow.ts)
 */
function processLabAssays(bundle: StudyBundle, progress: PipelineProgress): LabAssays | undefined {
  const { cytokineWells, lysisWells, flowFiles } = bundle;
  if (cytokineWells.length === 0 && lysisWells.length === 0 && flowFiles.length === 0) return undefined;
  // A lab value computed here must not also come from labs.csv (which one would the analyses use?).
  const key = (l: { patientId: string; day: number; analyte: string }): string =>
    `${l.patientId}\u0000${l.day}\u0000${l.analyte}`;
  const fromLabsCsv = new Set(bundle.labs.map(key));
  const add = (labs: StudyBundle['labs'], table: string): void => {
    for (const l of labs) {
      if (fromLabsCsv.has(key(l))) {
        throw new InputError(
          `${l.analyte} of patient ${l.patientId} on day ${l.day} is both in labs.csv and computed from ${table}`,
          { file: join(bundle.dir, table), field: 'analyte', value: l.analyte },
        );
      }
      bundle.labs.push(l);
    }
  };
  const out: LabAssays = {
    flowSamples: [],
    flowGates: [],
    cytokineCurves: [],
    cytokineSamples: [],
    lysisPlates: [],
    lysisSamples: [],
  };
  if (cytokineWells.length > 0) {
    const model = bundle.settings['cytokineCurveModel'];
    const below = bundle.settings['cytokineBelowLloq'];
    const r = cytokineConcentrations(
      cytokineWells,
      {
        model: typeof model === 'string' ? (model as CurveModel) : '4pl',
        belowLloq: typeof below === 'string' ? (below as BelowLloqRule) : 'half-lloq',
      },
      join(bundle.dir, 'cytokines.csv'),
    );
    add(r.labs, 'cytokines.csv');
    out.cytokineCurves = r.curves;
    out.cytokineSamples = r.samples;
  }
  if (lysisWells.length > 0) {
    const r = lysisOfStudy(lysisWells, join(bundle.dir, 'cytotoxicity.csv'));
    add(r.labs, 'cytotoxicity.csv');
    out.lysisPlates = r.plates;
    out.lysisSamples = r.samples;
  }
  if (flowFiles.length > 0) {
    progress.stage('flow cytometry', flowFiles.length);
    const results = flowOfStudy(flowFiles, bundle.flow!, join(bundle.dir, 'flow.csv'), () => progress.tick());
    progress.done();
    const rel = (f: string): string => relative(bundle.dir, f);
    for (const r of results) {
      add(r.labs, 'flow.csv');
      out.flowSamples.push({
        patientId: r.patientId,
        day: r.day,
        file: rel(r.file),
        eventCount: r.eventCount,
        compensated: r.compensated,
      });
      out.flowGates.push(...r.gates.map((g) => ({ ...g, file: rel(g.file) })));
    }
  }
  return out;
}

/** The qPCR reference gene of the study (study.json `analysis.qpcrReferenceTarget`, default GATA2). */
function qpcrReferenceTarget(bundle: StudyBundle): string {
  const v = bundle.settings['qpcrReferenceTarget'];
  return typeof v === 'string' ? v : 'GATA2';
}

/** The scan the report's MIP shows: the first pre-CART scan, else the first scan. */
function pictureScanOf(bundle: StudyBundle): string | undefined {
  return (bundle.scans.find((s) => s.timepoint === 'pre') ?? bundle.scans[0])?.scanId;
}

/** Renders the MIP of the picture scan and every scan's panels (the study is already stored). */
async function pictureOnly(bundle: StudyBundle): Promise<{ picture?: ScanPicture; panels: ScanPanel[] }> {
  const pictureScan = pictureScanOf(bundle);
  let picture: ScanPicture | undefined;
  const panels: ScanPanel[] = [];
  for (const scan of bundle.scans) {
    const q = await quantifyScan(
      scan,
      bundle.vois.filter((v) => v.scanId === scan.scanId),
      scanOptions(bundle, scan.scanId, scan.scanId === pictureScan, true),
    );
    if (q.picture) picture = q.picture;
    if (q.panel) panels.push(q.panel);
  }
  return { ...(picture ? { picture } : {}), panels };
}

/**
 * Quantification options of one scan: the study's MATV threshold and, when a tracer_injection event
 * names the scan, its net injected activity (replacing the header dose, explicitly).
 */
function scanOptions(bundle: StudyBundle, scanId: string, picture: boolean, panel: boolean): QuantifyOptions {
  const doseEvent = bundle.events.find((e) => e.event === 'tracer_injection' && e.scanId === scanId);
  return {
    matvThresholdSuv: bundle.settings.matvThresholdSuv,
    ...(doseEvent?.activityMbq != null ? { netDoseBq: doseEvent.activityMbq * 1e6 } : {}),
    picture,
    panel,
    dataRoots: [bundle.dir, ...bundle.dataRoots],
  };
}

/** Quantifies every scan of the bundle (sequentially; each scan's volume is released after use). */
async function quantifyBundle(
  bundle: StudyBundle,
  progress: PipelineProgress,
  wantPicture: boolean,
): Promise<{
  metrics: Map<string, VoiMetrics>;
  scans: Map<string, ScanQuantification>;
  picture?: ScanPicture;
  panels: ScanPanel[];
}> {
  const metrics = new Map<string, VoiMetrics>();
  const panels: ScanPanel[] = [];
  const scans = new Map<string, ScanQuantification>();
  let picture: ScanPicture | undefined;
  progress.stage('quantify', bundle.scans.length);
  // The MIP shows the first pre-CART scan (or the first scan).
  const pictureScan = wantPicture ? pictureScanOf(bundle) : undefined;
  for (const scan of bundle.scans) {
    const vois = bundle.vois.filter((v) => v.scanId === scan.scanId);
    const q = await quantifyScan(
      scan,
      vois,
      scanOptions(bundle, scan.scanId, scan.scanId === pictureScan, wantPicture),
    );
    if (q.panel) panels.push(q.panel);
    for (const [id, m] of q.metrics) metrics.set(id, m);
    scans.set(scan.scanId, q.provenance);
    if (q.picture) picture = q.picture;
    progress.tick(scan.scanId);
  }
  progress.done();
  return { metrics, scans, ...(picture ? { picture } : {}), panels };
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
  opts: { pacsUrl?: string } = {},
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
  opts: { pacsUrl?: string },
): Promise<Omit<RunResult, 'reportDir' | 'dbFile'>> {
  const imported = await importBundle(bundleDir, dbFile, progress, { ...opts, picture: true });
  const timings = { ...imported.timings };
  let t0 = performance.now();
  const db = await openStudyStore(dbFile);
  let sections: AnalysisSection[];
  let runId: string;
  try {
    const study = await loadStudy(db, imported.studyName);
    progress.stage('analyse', 1);
    const quant = quantificationSection(study);
    if (imported.picture) {
      const fig: ResultFigure = {
        id: 'mip',
        title: `Maximum-intensity projection (coronal, anterior view) of scan ${imported.picture.scanId}`,
        caption: `SUV window 0–${imported.picture.windowMaxSuv} g/mL; VOI outlines in colour.`,
        source: {
          kind: 'png',
          dataBase64: Buffer.from(imported.picture.png).toString('base64'),
          widthPx: imported.picture.widthPx,
          heightPx: imported.picture.heightPx,
        },
      };
      quant.figures.push(fig);
    }
    sections = [...runAnalysisPlan(study), quant, imagePanelsSection(imported.panels ?? [])];
    progress.tick();
    progress.done();
    timings['analyse'] = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const written = await writeReportFiles(dir, { studyName: study.name, tracer: study.tracer, sections });
    timings['report'] = (performance.now() - t0) / 1000;
    runId = await recordAnalysisRun(db, study.name, reportContents(dir, written));
  } finally {
    await db.destroy();
  }
  const { panels: _panels, ...importedRest } = imported; // PNG bytes: in the report, not the result
  return {
    ...importedRest,
    timings,
    runId,
    sections: sections.map((s) => ({
      id: s.id,
      status: s.status,
      ...(s.reason ? { reason: s.reason } : {}),
    })),
  };
}

/**
 * results.json, the tables and the figures of a written report folder, as `recordAnalysisRun` takes
 * them (index.html is not kept: it is the same content rendered, and the server renders its own).
 * @param files the paths `writeReportFiles` wrote, relative to `dir`
 */
function reportContents(dir: string, files: string[]): { resultsJson: string; files: AnalysisFile[] } {
  const out: AnalysisFile[] = [];
  let resultsJson: string | undefined;
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const m = /^(tables|figures)\/(.+)\.(csv|svg)$/.exec(f);
    if (f === 'results.json') resultsJson = text;
    else if (m)
      out.push({
        kind: m[1] === 'tables' ? 'table' : 'figure',
        fileId: m[2]!,
        mediaType: m[3] === 'csv' ? 'text/csv' : 'image/svg+xml',
        content: text,
      });
  }
  if (resultsJson === undefined) throw new Error('the report writer wrote no results.json');
  return { resultsJson, files: out };
}

/**
 * The analysis of a stored study (`carto run`, and `carto worker` when the last scan of a study is
 * done): the analysis plan on what the store holds, the quantification section with its MIP and the
 * image panels (drawn by the report from the image data the scans' jobs stored), the report files, and
 * the run recorded in the database.
 * When some scans are not done (an analysis on demand) the quantification section says which.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAnalysisPlan } from '../analysis/plan.js';
import type { AnalysisSection } from '../analysis/types.js';
import { quantificationSection } from '../analysis/quantification.js';
import { imagePanelsSection, quantificationMipFigure } from '../report/image-panels.js';
import { writeReportFiles } from '../report/write.js';
import {
  findStudy,
  loadStudy,
  recordAnalysisRun,
  type AnalysisFile,
  type StudyStore,
} from '../study/store.js';
import { analysisRunnable } from './job-store.js';
import { storedScanImages } from './panels.js';
import type { PipelineProgress } from './prepare.js';

/** What `analyseStoredStudy` did. */
export interface StoredAnalysis {
  sections: AnalysisSection[];
  /** Id of the analysis run recorded in the database. */
  runId: string;
  /** Scans whose quantification is not done (the analysis left them out), with state and error. */
  missing: { scanId: string; state: string; error: string | null }[];
  timings: Record<string, number>;
}

/**
 * Analyses the stored study `studyName` and writes its report into `dir` (results.json, tables,
 * figures, index.html), then records the run in the database (`recordAnalysisRun`).
 * @throws CartoError when no study of that name is stored
 */
export async function analyseStoredStudy(
  db: StudyStore,
  studyName: string,
  dir: string,
  progress: PipelineProgress,
): Promise<StoredAnalysis> {
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const study = await loadStudy(db, studyName);
  const { studyId } = (await findStudy(db, studyName))!;
  const images = await storedScanImages(db, studyId);
  const { notDone } = await analysisRunnable(db, studyName);
  progress.stage('analyse', 1);
  const quant = quantificationSection(study);
  if (notDone.length > 0) {
    const list = notDone.map((s) => `${s.scanId} (${s.state}${s.error ? `: ${s.error}` : ''})`).join('; ');
    quant.findings = [
      `Analysis on what is quantified: ${notDone.length} scan(s) not done are left out: ${list}.`,
      ...(quant.findings ?? []),
    ];
  }
  // The quantification section shows the first pre-CART scan (patient, then day order), else the first.
  const mipScan = images.find((s) => s.timepoint === 'pre') ?? images[0];
  if (mipScan) quant.figures.push(quantificationMipFigure(mipScan));
  const sections = [...runAnalysisPlan(study), quant, imagePanelsSection(images)];
  progress.tick();
  progress.done();
  timings['analyse'] = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const written = await writeReportFiles(dir, { studyName: study.name, tracer: study.tracer, sections });
  timings['report'] = (performance.now() - t0) / 1000;
  const runId = await recordAnalysisRun(db, study.name, reportContents(dir, written));
  return { sections, runId, missing: notDone, timings };
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

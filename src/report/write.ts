/**
 * Writes a report folder: `index.html` (self-contained), `results.json` (every number unrounded),
 * `tables/<id>.csv` and `figures/<id>.svg`, into a staging folder that src/io/output-folder.ts renames
 * into place at the end, so a failed run never leaves a half-written report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisSection } from '../analysis/types.js';
import { formatCsv } from '../io/csv.js';
import { figureToSvg } from './figures.js';
import { renderReportHtml } from './html.js';

export interface ReportInput {
  studyName: string;
  tracer: { name: string; nuclide: string; halfLifeS: number };
  sections: AnalysisSection[];
  /** Extra top-level entries of results.json: the stage timings (s) of the run. */
  extra?: { timings?: Record<string, number> };
}

/** One section in results.json: the section without its tables' and figures' content (their ids only). */
export interface ResultsDocumentSection {
  title: string;
  status: AnalysisSection['status'];
  reason?: string;
  description: string;
  formula?: string;
  n?: AnalysisSection['n'];
  /** The section's results, of its own exported interface (src/analysis, e.g. `ResponseResults`). */
  results: AnalysisSection['results'];
  findings?: string[];
  warnings?: string[];
  tables: string[];
  figures: string[];
}

/** The results.json document (schema: docs/results.schema.json). */
export interface ResultsDocument {
  generator: string;
  study: { name: string; tracer: ReportInput['tracer'] };
  /** Section ids in report order. */
  sectionOrder: string[];
  sections: Record<string, ResultsDocumentSection>;
  timings?: Record<string, number>;
}

/** JSON replacer: non-finite numbers become null; typed arrays become arrays. */
function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}

/** The results.json document (schema: docs/results.schema.json). */
export function resultsDocument(input: ReportInput): ResultsDocument {
  const sections: Record<string, ResultsDocumentSection> = {};
  for (const s of input.sections) {
    sections[s.id] = {
      title: s.title,
      status: s.status,
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      description: s.description,
      ...(s.formula !== undefined ? { formula: s.formula } : {}),
      ...(s.n !== undefined ? { n: s.n } : {}),
      results: s.results,
      ...(s.findings !== undefined ? { findings: s.findings } : {}),
      ...(s.warnings !== undefined ? { warnings: s.warnings } : {}),
      tables: s.tables.map((t) => t.id),
      figures: s.figures.map((f) => f.id),
    };
  }
  return {
    generator: 'cartography 0.1.0',
    study: { name: input.studyName, tracer: input.tracer },
    sectionOrder: input.sections.map((s) => s.id),
    sections,
    ...(input.extra ?? {}),
  };
}

/**
 * Renders the report into the existing empty folder `dir`: `figures/<id>.svg`, `tables/<id>.csv`,
 * `results.json` and `index.html`. `runStudy` (src/pipeline/run.ts) calls it on the staging folder of
 * the output rule (src/io/output-folder.ts).
 * @returns the paths written, relative to `dir`
 */
export async function writeReportFiles(dir: string, input: ReportInput): Promise<string[]> {
  mkdirSync(join(dir, 'tables'), { recursive: true });
  mkdirSync(join(dir, 'figures'), { recursive: true });
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    writeFileSync(join(dir, name), text);
    files.push(name);
  };
  const figureSvg = new Map<string, string>();
  const seenIds = new Set<string>();
  for (const s of input.sections) {
    for (const f of s.figures) {
      if (seenIds.has(f.id)) throw new Error(`duplicate figure id ${f.id}`);
      seenIds.add(f.id);
      let svg: string;
      try {
        svg = await figureToSvg(f);
      } catch (e) {
        // A figure that cannot be drawn must not take the report down: the section says so.
        const msg = `figure ${f.id} could not be drawn: ${(e as Error).message}`;
        (s.warnings ??= []).push(msg);
        process.stderr.write(`warning: ${msg}\n`);
        continue;
      }
      figureSvg.set(f.id, svg);
      put(`figures/${f.id}.svg`, svg);
    }
    for (const t of s.tables) put(`tables/${t.id}.csv`, formatCsv(t.columns, t.rows));
  }
  put('results.json', `${JSON.stringify(resultsDocument(input), replacer, 2)}\n`);
  put(
    'index.html',
    renderReportHtml({
      title: `${input.studyName} — Cartography report`,
      subtitle: `Tracer ${input.tracer.name} (${input.tracer.nuclide}, half-life ${(input.tracer.halfLifeS / 3600).toFixed(2)} h)`,
      sections: input.sections,
      figureSvg,
    }),
  );
  return files;
}

/**
 * The contract between the analysis plan and the report. Each analysis is a typed function
 * `(study: StudyData, settings) => AnalysisSection`; it does no I/O. The report renders sections in
 * order; `results.json` carries each section's `results` unrounded.
 */

/** A table of a section: becomes `tables/<id>.csv` and an HTML table. */
export interface ResultTable {
  id: string;
  title: string;
  columns: string[];
  rows: Record<string, string | number | boolean | null>[];
}

/** A figure of a section: a Vega-Lite spec (rendered to SVG by the report) or a ready image. */
export type FigureSource =
  | { kind: 'vega-lite'; spec: Record<string, unknown> }
  | { kind: 'png'; dataBase64: string; widthPx: number; heightPx: number };

export interface ResultFigure {
  id: string;
  title: string;
  caption?: string;
  source: FigureSource;
}

/** One section of the report. */
export interface AnalysisSection {
  /** Stable id, also the key in results.json (kebab-case, e.g. 'outcomes-km'). */
  id: string;
  title: string;
  /** 'not-run' when the data cannot support the analysis; `reason` says why. */
  status: 'ok' | 'not-run';
  reason?: string;
  /** The model or method in words. */
  description: string;
  /** R-like formula(s) of the model, where there is one. */
  formula?: string;
  /** Numbers of units the analysis used. */
  n?: { patients?: number; lesions?: number; scans?: number; observations?: number };
  /** Every number, unrounded, for results.json. */
  results: Record<string, unknown>;
  /** Short human-readable findings, already formatted (3 significant digits, p < 0.001 style). */
  findings?: string[];
  tables: ResultTable[];
  figures: ResultFigure[];
  /** Warnings raised while running (e.g. singular fit). */
  warnings?: string[];
}

/**
 * A section that could not run: its id, title and description with the reason, and no results, tables or figures.
 * @param base id, title and description (and any fields such as `formula` or `n` to keep)
 * @param reason why the data cannot support the analysis, in words for the report
 */
export function notRunSection<B extends Pick<AnalysisSection, 'id' | 'title' | 'description'>>(
  base: B,
  reason: string,
): AnalysisSection {
  return { ...base, status: 'not-run', reason, results: {}, tables: [], figures: [] };
}

/**
 * The contract between the analysis plan and the report. Each analysis is a pure function
 * `(study: StudyData) => SectionBody<R>` with its own exported results interface `R`; the plan
 * (plan.ts) gives it its id and title and makes it an `AnalysisSection<R>`. The report renders sections
 * in order; `results.json` carries each section's `results` unrounded.
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

/** The results of a section that could not run and has nothing to report: `{}`. */
export type NoResults = Record<string, never>;

/**
 * One section of the report with results of type `R` (each section exports its results interface;
 * `unknown` where sections of any kind are handled together, e.g. by the report writer).
 */
export interface AnalysisSection<R = unknown> {
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
  /** Every number, unrounded, for results.json; `{}` when the section could not run. */
  results: R | NoResults;
  /** Short human-readable findings, already formatted (3 significant digits, p < 0.001 style). */
  findings?: string[];
  tables: ResultTable[];
  figures: ResultFigure[];
  /** Warnings raised while running (e.g. singular fit). */
  warnings?: string[];
}

/**
 * What a section function returns: the section without its id and title, which the plan's entry
 * holds once (plan.ts `runSection` adds them).
 */
export type SectionBody<R> = Omit<AnalysisSection<R>, 'id' | 'title'>;

/**
 * A section that could not run: its description (and any fields such as `formula` or `n` to keep)
 * with the reason, and no results, tables or figures.
 * @param base the description and any fields to keep
 * @param reason why the data cannot support the analysis, in words for the report
 */
export function notRunSection<B extends Pick<SectionBody<unknown>, 'description'>>(
  base: B,
  reason: string,
): B & SectionBody<never> {
  return { ...base, status: 'not-run', reason, results: {}, tables: [], figures: [] };
}

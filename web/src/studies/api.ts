/**
 * The stored studies from the browser (docs/registry.md, "Studies"; src/server/routes/studies.ts):
 * the shapes the study routes answer and a hook that fetches one of them.
 */
import { useEffect, useState } from 'react';
import { ApiError, get } from '../api.js';

// The answer shapes below are the fields the pages read of src/study/access.ts's StudySummary and
// VoiMetricsRow (not imported: that module brings the pipeline's types into the browser's typecheck).

/** A study as GET /api/studies lists it. */
export interface StudySummary {
  id: string;
  name: string;
  tracer: { name: string; nuclide: string; halfLifeS: number };
  importedAt: string;
  patients: number;
  scans: number;
  latestRun: { runId: string; finishedAt: string } | null;
}

/** A scan's VOI with its metrics (SUV g/mL, volumes mL) and its value in labels.nii.gz. */
export interface VoiMetricsRow {
  voiId: string;
  kind: string;
  label: string;
  site: string | null;
  labelValue: number;
  voxelCount: number;
  volumeMl: number;
  suvMax: number;
  suvMean: number;
  suvPeakLocal: number;
  matvMl: number;
}

/** A study patient in scope with its registry link (GET /api/studies/{id}/patients). */
export interface StudyPatient {
  patientId: string;
  infused: boolean;
  cohort: number | string | null;
  registryPatientId: string | null;
  /** Centre code (pseudo-code for analysts), null when the patient links to no registry patient. */
  centre: string | null;
}

/** A stored scan (GET /api/studies/{id}/scans); `id` is its API id for /api/scans/{id}. */
export interface StudyScan {
  id: string;
  scanId: string;
  studyId: string;
  patientId: string;
  tracer: string;
  timepoint: string;
  day: number | null;
  grid: { size: number[]; spacingMm?: number[] } | null;
}

/** A stored scan's record (GET /api/scans/{id}; src/study/access.ts's ScanRecord). */
export interface ScanRecord {
  id: string;
  scanId: string;
  studyId: string;
  /** The study patient's pseudonym. */
  patientId: string;
  tracer: string;
  timepoint: string;
  day: number | null;
  size: number[] | null;
  voxelSizeMm: number[] | null;
  voiCount: number;
}

/**
 * A study's quantification jobs (GET /api/studies/{id}/jobs; the `carto jobs --json` shape of
 * src/pipeline/job-store.ts's JobSummary): scans in scope per state, and the failed ones with their error.
 */
export interface StudyJobs {
  scans: { pending: number; running: number; done: number; failed: number };
  failures: { scan: string; error: string }[];
}

/** One section of results.json (docs/results.schema.json). */
export interface ResultsSection {
  title: string;
  status: 'ok' | 'not-run';
  reason?: string;
  description: string;
  formula?: string;
  n?: Record<string, number>;
  findings?: string[];
  warnings?: string[];
  tables: string[];
  figures: string[];
}

/** The latest analysis run's results.json (the fields the study page shows). */
export interface ResultsDocument {
  sectionOrder: string[];
  sections: Record<string, ResultsSection>;
}

/** A fetch's state: loading, the data, or the API's error (status and message). */
export type Loaded<T> =
  { kind: 'loading' } | { kind: 'ok'; data: T } | { kind: 'error'; status: number; message: string };

/** GETs `url` (JSON) and re-fetches when it changes; `null` fetches nothing (stays loading). */
export function useApi<T>(url: string | null): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ kind: 'loading' });
  useEffect(() => {
    if (url === null) return;
    let live = true;
    setState({ kind: 'loading' });
    get<T>(url).then(
      (data) => live && setState({ kind: 'ok', data }),
      (e: unknown) =>
        live &&
        setState({
          kind: 'error',
          status: e instanceof ApiError ? e.status : 0,
          message: e instanceof Error ? e.message : String(e),
        }),
    );
    return () => {
      live = false;
    };
  }, [url]);
  return state;
}

/** `/api/studies/{id}` with the study id encoded. */
export function studyUrl(studyId: string, rest = ''): string {
  return `/api/studies/${encodeURIComponent(studyId)}${rest}`;
}

/**
 * Parses CSV text as written by src/io/csv.ts (RFC 4180: comma, double-quoted fields with "" escapes,
 * CRLF or LF line ends) into rows of fields; the first row is the header.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

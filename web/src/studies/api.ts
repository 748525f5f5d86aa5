/**
 * The stored studies from the browser (docs/registry.md, "Studies"; src/server/routes/studies.ts):
 * the shapes the study routes answer and a hook that fetches one of them.
 */
import { useEffect, useState } from 'react';
import { ApiError, get } from '../api.js';

// The answer shapes of the study routes have one home on the server: src/study/access.ts, the job
// summary's src/pipeline/job-store.ts, results.json's src/report/write.ts. Imported as types only, so
// nothing of the server's code enters the bundle (test/server/web-size.test.ts).
export type {
  ScanRecord,
  StudyPatient,
  StudyScan,
  StudySummary,
  VoiMetricsRow,
} from '../../../src/study/access.js';
/** A study's quantification jobs (GET /api/studies/{id}/jobs; the `carto jobs --json` shape). */
export type { JobSummary as StudyJobs } from '../../../src/pipeline/job-store.js';

/** The latest analysis run's results.json (docs/results.schema.json), and one of its sections. */
export type { ResultsDocument, ResultsDocumentSection as ResultsSection } from '../../../src/report/write.js';

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

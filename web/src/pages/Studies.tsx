/** The stored studies in the caller's scope (GET /api/studies), each linking to its study page. */
import { Link } from '../router.js';
import { useApi, type StudySummary } from '../studies/api.js';

export function StudiesPage() {
  const studies = useApi<StudySummary[]>('/api/studies');
  return (
    <>
      <h1>Studies</h1>
      {studies.kind === 'loading' && <p role="status">Loading…</p>}
      {studies.kind === 'error' && <p role="alert">The studies could not be loaded: {studies.message}</p>}
      {studies.kind === 'ok' && studies.data.length === 0 && (
        <p>
          No study is stored with patients you may see. A study is stored by <code>carto run --db</code> or{' '}
          <code>carto import</code>; a centre sees the study patients linked to its registry patients.
        </p>
      )}
      {studies.kind === 'ok' && studies.data.length > 0 && (
        <table className="studies">
          <caption>{studies.data.length === 1 ? '1 study' : `${studies.data.length} studies`}</caption>
          <thead>
            <tr>
              <th scope="col">Study</th>
              <th scope="col">Tracer</th>
              <th scope="col">Patients</th>
              <th scope="col">Scans</th>
              <th scope="col">Imported</th>
              <th scope="col">Latest analysis</th>
            </tr>
          </thead>
          <tbody>
            {studies.data.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link href={`/studies/${encodeURIComponent(s.id)}`}>{s.name}</Link>
                </td>
                <td>
                  {s.tracer.name} ({s.tracer.nuclide})
                </td>
                <td>{s.patients}</td>
                <td>{s.scans}</td>
                <td>{s.importedAt.slice(0, 10)}</td>
                <td>{s.latestRun ? s.latestRun.finishedAt.slice(0, 16).replace('T', ' ') : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

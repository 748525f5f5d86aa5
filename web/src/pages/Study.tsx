/**
 * One stored study: its tracer and counts, its scans' quantification jobs (done, pending, running,
 * failed, and each failure's error), the latest analysis run's report (sections with status,
 * findings, tables and the report's SVG figures; admins and analysts only — a centre role is told why it
 * is not shown) and the study patients in scope with their scans, each opening the PET viewer.
 */
import { useEffect, useState } from 'react';
import { parseCsv } from '../../../src/io/csv-text.js';
import { Link } from '../router.js';
import {
  studyUrl,
  useApi,
  type ResultsDocument,
  type ResultsSection,
  type StudyJobs,
  type StudyPatient,
  type StudyScan,
  type StudySummary,
} from '../studies/api.js';

export function StudyPage(props: { id: string }) {
  const study = useApi<StudySummary>(studyUrl(props.id));
  if (study.kind === 'loading') return <p role="status">Loading…</p>;
  if (study.kind === 'error')
    return (
      <>
        <h1>Study</h1>
        <p role="alert">
          {study.status === 404
            ? 'This study is not stored, or none of its patients is linked to your centre.'
            : `The study could not be loaded: ${study.message}`}
        </p>
        <Link href="/studies">All studies</Link>
      </>
    );
  const s = study.data;
  return (
    <>
      <h1>Study {s.name}</h1>
      <p>
        Tracer {s.tracer.name} ({s.tracer.nuclide}, half-life {(s.tracer.halfLifeS / 3600).toFixed(2)} h) ·{' '}
        {s.patients} patients · {s.scans} scans · imported {s.importedAt.slice(0, 10)}
      </p>
      <Jobs studyId={s.id} />
      <PatientScans studyId={s.id} />
      <Report studyId={s.id} />
    </>
  );
}

/** The study's quantification jobs in scope: counts per state and the failed scans with their error. */
function Jobs(props: { studyId: string }) {
  const jobs = useApi<StudyJobs>(studyUrl(props.studyId, '/jobs'));
  if (jobs.kind === 'loading') return <p role="status">Loading the quantification jobs…</p>;
  if (jobs.kind === 'error')
    return <p role="alert">The quantification jobs could not be loaded: {jobs.message}</p>;
  const c = jobs.data.scans;
  return (
    <section aria-labelledby="jobs-h">
      <h2 id="jobs-h">Quantification</h2>
      <p data-testid="job-counts">
        Quantification: {c.done} done, {c.pending} pending, {c.running} running, {c.failed} failed
      </p>
      {jobs.data.failures.length > 0 && (
        <ul className="job-failures" aria-label="Failed scans">
          {jobs.data.failures.map((f) => (
            <li key={f.scan}>
              Scan {f.scan}: {f.error}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function PatientScans(props: { studyId: string }) {
  const patients = useApi<StudyPatient[]>(studyUrl(props.studyId, '/patients'));
  const scans = useApi<StudyScan[]>(studyUrl(props.studyId, '/scans'));
  if (patients.kind === 'loading' || scans.kind === 'loading') return <p role="status">Loading scans…</p>;
  if (patients.kind === 'error' || scans.kind === 'error')
    return <p role="alert">The patients and scans could not be loaded.</p>;
  const byPatient = new Map<string, StudyScan[]>();
  for (const x of scans.data) byPatient.set(x.patientId, [...(byPatient.get(x.patientId) ?? []), x]);
  return (
    <section aria-labelledby="scans-h">
      <h2 id="scans-h">Patients and scans</h2>
      <table className="study-scans">
        <caption>{patients.data.length} patients in your scope</caption>
        <thead>
          <tr>
            <th scope="col">Patient</th>
            <th scope="col">Registry</th>
            <th scope="col">Scans (timepoint, day)</th>
          </tr>
        </thead>
        <tbody>
          {patients.data.map((p) => (
            <tr key={p.patientId}>
              <th scope="row">{p.patientId}</th>
              <td>
                {p.registryPatientId ? (
                  <Link href={`/patients/${encodeURIComponent(p.registryPatientId)}`}>
                    {p.centre ?? 'registry'} record
                  </Link>
                ) : (
                  'not linked'
                )}
              </td>
              <td>
                <ul className="scan-links">
                  {(byPatient.get(p.patientId) ?? []).map((x) => (
                    <li key={x.id}>
                      <Link
                        href={`/scans/${x.id}?study=${encodeURIComponent(props.studyId)}&scan=${encodeURIComponent(x.scanId)}`}
                      >
                        {x.scanId} ({x.timepoint}
                        {x.day !== null ? `, day ${x.day}` : ''})
                      </Link>
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Report(props: { studyId: string }) {
  const results = useApi<ResultsDocument>(studyUrl(props.studyId, '/results'));
  return (
    <section aria-labelledby="report-h">
      <h2 id="report-h">Report</h2>
      {results.kind === 'loading' && <p role="status">Loading the report…</p>}
      {results.kind === 'error' && results.status === 403 && (
        <p className="note" data-testid="report-restricted">
          The report covers every patient of the study, so it is shown to admins and analysts only. Your role
          sees this study&apos;s patients and scans of your centre.
        </p>
      )}
      {results.kind === 'error' && results.status === 404 && (
        <p className="note">No analysis run of this study is stored yet.</p>
      )}
      {results.kind === 'error' && results.status !== 403 && results.status !== 404 && (
        <p role="alert">The report could not be loaded: {results.message}</p>
      )}
      {results.kind === 'ok' &&
        results.data.sectionOrder.map((id) => {
          const sec = results.data.sections[id];
          return sec ? <ReportSection key={id} studyId={props.studyId} id={id} section={sec} /> : null;
        })}
    </section>
  );
}

function ReportSection(props: { studyId: string; id: string; section: ResultsSection }) {
  const s = props.section;
  return (
    <article className="report-section" aria-labelledby={`sec-${props.id}`}>
      <h3 id={`sec-${props.id}`}>
        {s.title} <span className={`status status-${s.status}`}>{s.status === 'ok' ? 'run' : 'not run'}</span>
      </h3>
      {s.reason && <p className="note">Not run: {s.reason}</p>}
      <p>{s.description}</p>
      {s.formula && (
        <p>
          Model: <code>{s.formula}</code>
        </p>
      )}
      {s.findings && s.findings.length > 0 && (
        <ul className="findings">
          {s.findings.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
      {s.warnings?.map((w) => (
        <p key={w} className="note">
          Warning: {w}
        </p>
      ))}
      {s.figures.map((f) => (
        <figure key={f}>
          <img
            src={studyUrl(props.studyId, `/results/figures/${encodeURIComponent(f)}`)}
            alt={`Figure ${f} of ${s.title}`}
          />
          <figcaption>{f}</figcaption>
        </figure>
      ))}
      {s.tables.map((t) => (
        <CsvTable key={t} studyId={props.studyId} tableId={t} />
      ))}
    </article>
  );
}

const MAX_ROWS = 50;

/** A report table (tables/<id>.csv), its first rows, with a link to the whole CSV. */
function CsvTable(props: { studyId: string; tableId: string }) {
  const url = studyUrl(props.studyId, `/results/tables/${encodeURIComponent(props.tableId)}.csv`);
  const [rows, setRows] = useState<string[][] | null>(null);
  useEffect(() => {
    fetch(url, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((text) => {
        // The project's CSV grammar (src/io/csv-text.ts): cells trimmed, blank lines skipped.
        const t = parseCsv(text, url);
        setRows([t.columns, ...t.rows.map((r) => t.columns.map((c) => r[c]!))]);
      })
      .catch(() => setRows([]));
  }, [url]);
  const [head, ...body] = rows ?? [];
  return (
    <div className="report-table">
      {rows === null && <p role="status">Loading table {props.tableId}…</p>}
      {rows !== null && head && (
        <table>
          <caption>
            Table {props.tableId} ({body.length} rows
            {body.length > MAX_ROWS ? `, first ${MAX_ROWS} shown` : ''}) — <a href={url}>CSV</a>
          </caption>
          <thead>
            <tr>
              {head.map((c, i) => (
                <th key={i} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {body.slice(0, MAX_ROWS).map((r, i) => (
              <tr key={i}>
                {r.map((c, j) => (
                  <td key={j}>{c}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rows !== null && !head && <p className="note">Table {props.tableId} could not be loaded.</p>}
    </div>
  );
}

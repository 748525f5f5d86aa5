/** The audit trail (GET /api/audit; admin: everything, centre roles: their centre), filterable. */
import { useEffect, useState } from 'react';
import type { AuditEntry } from '../../../src/registry/store.js';
import { get, may } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';

const PAGE = 100;

export function AuditPage() {
  const { me } = useSession();
  const { query } = useLocation();
  const q = Object.fromEntries(query.entries());
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = `${q['table'] ?? ''}|${q['patientId'] ?? ''}|${q['rowId'] ?? ''}`;
  useEffect(() => {
    if (!may.audit(me.role)) return;
    setEntries(null);
    get<AuditEntry[]>('/api/audit', { table: q['table'], patientId: q['patientId'], rowId: q['rowId'] }).then(
      (e) => setEntries(e.reverse()),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [key, me.role]);
  if (!may.audit(me.role))
    return (
      <>
        <h1>Audit trail</h1>
        <p>The analyst role has no access to the audit trail.</p>
      </>
    );
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(query);
    if (v) next.set(k, v);
    else next.delete(k);
    navigate(`/audit?${next.toString()}`, { replace: true });
  };
  const shown = (entries ?? []).filter(
    (e) =>
      (!q['user'] || e.username.includes(q['user'] ?? '')) &&
      (!q['action'] || e.action === q['action']) &&
      (!q['from'] || e.atUtc >= (q['from'] ?? '')) &&
      (!q['to'] || e.atUtc.slice(0, 10) <= (q['to'] ?? '')),
  );
  const page = Math.max(1, Number(q['page'] ?? '1') || 1);
  const text = (id: string, label: string, k: string, type = 'text') => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type={type} value={q[k] ?? ''} onChange={(e) => set(k, e.target.value)} />
    </div>
  );
  return (
    <>
      <h1>Audit trail</h1>
      <form className="filters" aria-label="Audit filters" onSubmit={(e) => e.preventDefault()}>
        {text('a-table', 'Table', 'table')}
        {text('a-patient', 'Patient id', 'patientId')}
        {text('a-row', 'Row id', 'rowId')}
        {text('a-user', 'User', 'user')}
        <div className="field">
          <label htmlFor="a-action">Action</label>
          <select id="a-action" value={q['action'] ?? ''} onChange={(e) => set('action', e.target.value)}>
            <option value="">any</option>
            {['create', 'update', 'delete', 'sign-in', 'sign-in-failed', 'sign-out', 'export'].map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </div>
        {text('a-from', 'From', 'from', 'date')}
        {text('a-to', 'Until', 'to', 'date')}
      </form>
      {error ? <p role="alert">{error}</p> : null}
      {entries ? (
        <>
          <table className="audit">
            <caption>
              {shown.length} entries, newest first{shown.length > PAGE ? ` (page ${page})` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Table</th>
                <th scope="col">Reason</th>
                <th scope="col">Old value</th>
                <th scope="col">New value</th>
              </tr>
            </thead>
            <tbody>
              {shown.slice((page - 1) * PAGE, page * PAGE).map((e) => (
                <tr key={e.seq}>
                  <td>{e.atUtc}</td>
                  <td>{e.username}</td>
                  <td>{e.action}</td>
                  <td>{e.table}</td>
                  <td>{e.reason}</td>
                  <td>
                    <Values v={e.oldValues} other={e.newValues} />
                  </td>
                  <td>
                    <Values v={e.newValues} other={e.oldValues} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <button type="button" disabled={page <= 1} onClick={() => set('page', String(page - 1))}>
              Previous page
            </button>
            <button
              type="button"
              disabled={page * PAGE >= shown.length}
              onClick={() => set('page', String(page + 1))}
            >
              Next page
            </button>
          </nav>
        </>
      ) : (
        <p role="status">Loading…</p>
      )}
    </>
  );
}

/** The values of one side of an audit record; on an update only the fields that changed. */
function Values(props: { v: Record<string, unknown> | null; other: Record<string, unknown> | null }) {
  if (!props.v) return <>—</>;
  const keys = Object.keys(props.v).filter(
    (k) => !props.other || JSON.stringify(props.v?.[k]) !== JSON.stringify(props.other[k]),
  );
  return (
    <code className="values">{keys.map((k) => `${k}: ${JSON.stringify(props.v?.[k])}`).join('; ')}</code>
  );
}

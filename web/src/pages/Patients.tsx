/**
 * The patient list: search by pseudonym and filter by histology over the API (GET /api/patients with
 * pseudonymPrefix, histology, limit, offset); the filters the API does not have (centre, referral
 * period, stage, product) and sorting by any column run in the browser over every patient in scope
 * (src/scope.ts), which the page says while it loads them.
 */
import { useEffect, useState } from 'react';
import { HISTOLOGIES, PRODUCTS } from '../../../src/registry/model.js';
import { get, may, type Page, type Row } from '../api.js';
import { Link, navigate, useLocation } from '../router.js';
import { allPatients, outcomesOf, type PatientOutcome } from '../scope.js';
import { useSession } from '../session.js';
import { cell } from '../labels.js';

const PAGE_SIZE = 25;
const STAGES = ['referred', 'accepted', 'apheresed', 'infused', 'evaluable'] as const;
const COLUMNS = [
  { key: 'pseudonym', name: 'Pseudonym' },
  { key: 'centre', name: 'Centre' },
  { key: 'referralDate', name: 'Referral date' },
  { key: 'ageAtReferral', name: 'Age' },
  { key: 'histology', name: 'Histology' },
  { key: 'lineOfTherapy', name: 'Line' },
] as const;
/** Filters and sort keys that need the whole scope in the browser. */
const LOCAL_KEYS = ['centre', 'from', 'to', 'stage', 'product', 'sort'] as const;

type Listed = { rows: (Row & { stage?: string; product?: string | null })[]; total: number; local: boolean };

export function PatientsPage() {
  const { me } = useSession();
  const { query } = useLocation();
  const q = Object.fromEntries(query.entries());
  const pageNo = Math.max(1, Number(q['page'] ?? '1') || 1);
  const local = LOCAL_KEYS.some((k) => q[k]);
  const needOutcomes = Boolean(
    q['stage'] || q['product'] || q['sort'] === 'stage' || q['sort'] === 'product',
  );
  const [listed, setListed] = useState<Listed | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [centres, setCentres] = useState<{ code?: string; name?: string; centre?: string }[]>([]);
  const key = query.toString();

  useEffect(() => {
    if (may.admin(me.role))
      get<{ code: string; name: string }[]>('/api/centres').then(setCentres, () => setCentres([]));
  }, [me.role]);

  useEffect(() => {
    let live = true;
    setError(null);
    const server = { pseudonymPrefix: q['q'], histology: q['histology'] };
    const run = async (): Promise<Listed> => {
      if (!local) {
        const page = await get<Page<Row>>('/api/patients', {
          ...server,
          limit: PAGE_SIZE,
          offset: (pageNo - 1) * PAGE_SIZE,
        });
        return { rows: page.items, total: page.total, local: false };
      }
      const all = await allPatients(server, (d, t) => live && setProgress(`Loading patients ${d} of ${t}…`));
      let rows: Listed['rows'] = all.filter(
        (p) =>
          (!q['centre'] || p['centre'] === q['centre']) &&
          (!q['from'] || String(p['referralDate']) >= (q['from'] ?? '')) &&
          (!q['to'] || String(p['referralDate']) <= (q['to'] ?? '')),
      );
      if (needOutcomes) {
        const outs: Map<string, PatientOutcome> = await outcomesOf(
          rows.map((r) => r.id),
          (d, t) => live && setProgress(`Computing outcomes ${d} of ${t}…`),
        );
        rows = rows
          .map((r) => ({ ...r, stage: outs.get(r.id)?.stage, product: outs.get(r.id)?.product ?? null }))
          .filter(
            (r) => (!q['stage'] || r.stage === q['stage']) && (!q['product'] || r.product === q['product']),
          );
      }
      if (q['sort']) {
        const k = q['sort'];
        const sign = q['dir'] === 'desc' ? -1 : 1;
        rows = [...rows].sort((a, b) => sign * compare(a[k], b[k]));
      }
      return {
        rows: rows.slice((pageNo - 1) * PAGE_SIZE, pageNo * PAGE_SIZE),
        total: rows.length,
        local: true,
      };
    };
    run().then(
      (r) => {
        if (!live) return;
        setListed(r);
        setProgress(null);
      },
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [key]);

  const set = (patch: Record<string, string>) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('page' in patch)) next.delete('page');
    navigate(`/patients?${next.toString()}`, { replace: true });
  };
  const sortBy = (k: string) =>
    set({ sort: k, dir: q['sort'] === k && q['dir'] !== 'desc' ? 'desc' : 'asc' });
  const showOutcomeCols = needOutcomes;
  const pages = listed ? Math.max(1, Math.ceil(listed.total / PAGE_SIZE)) : 1;

  return (
    <>
      <div className="page-head">
        <h1>Patients</h1>
        {may.write(me.role) ? (
          <Link className="button" href="/patients/new">
            New patient
          </Link>
        ) : null}
      </div>
      <form className="filters" role="search" aria-label="Patients" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="f-q">Search by pseudonym</label>
          <input id="f-q" type="search" value={q['q'] ?? ''} onChange={(e) => set({ q: e.target.value })} />
        </div>
        <Select
          id="f-histology"
          label="Histology"
          value={q['histology']}
          options={HISTOLOGIES}
          onChange={(v) => set({ histology: v })}
        />
        {may.admin(me.role) ? (
          <Select
            id="f-centre"
            label="Centre"
            value={q['centre']}
            options={centres.map((c) => c.code ?? '')}
            onChange={(v) => set({ centre: v })}
          />
        ) : null}
        <Select
          id="f-stage"
          label="Stage"
          value={q['stage']}
          options={STAGES}
          onChange={(v) => set({ stage: v })}
        />
        <Select
          id="f-product"
          label="Product"
          value={q['product']}
          options={PRODUCTS}
          onChange={(v) => set({ product: v })}
        />
        <div className="field">
          <label htmlFor="f-from">Referred from</label>
          <input
            id="f-from"
            type="date"
            value={q['from'] ?? ''}
            onChange={(e) => set({ from: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="f-to">Referred until</label>
          <input id="f-to" type="date" value={q['to'] ?? ''} onChange={(e) => set({ to: e.target.value })} />
        </div>
      </form>
      {local ? (
        <p className="note">
          Centre, period, stage and product filters and sorting work on every patient in your scope, loaded in
          the browser (the API filters by pseudonym and histology only).
        </p>
      ) : null}
      {progress ? <p role="status">{progress}</p> : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {listed ? (
        <>
          <table className="patients">
            <caption>
              {listed.total} patient{listed.total === 1 ? '' : 's'}
              {listed.total > 0
                ? `, ${(pageNo - 1) * PAGE_SIZE + 1}–${Math.min(pageNo * PAGE_SIZE, listed.total)} shown`
                : ''}
            </caption>
            <thead>
              <tr>
                {[
                  ...COLUMNS,
                  ...(showOutcomeCols
                    ? [
                        { key: 'stage', name: 'Stage' },
                        { key: 'product', name: 'Product' },
                      ]
                    : []),
                ].map((c) => (
                  <th
                    key={c.key}
                    scope="col"
                    aria-sort={
                      q['sort'] === c.key ? (q['dir'] === 'desc' ? 'descending' : 'ascending') : undefined
                    }
                  >
                    <button type="button" className="sort" onClick={() => sortBy(c.key)}>
                      {c.name}
                      <span className="visually-hidden">, sort</span>
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {listed.rows.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link href={`/patients/${encodeURIComponent(p.id)}`}>{cell(p['pseudonym'])}</Link>
                  </td>
                  <td>{cell(p['centre'])}</td>
                  <td>{cell(p['referralDate'])}</td>
                  <td>{cell(p['ageAtReferral'])}</td>
                  <td>{cell(p['histology'])}</td>
                  <td>{cell(p['lineOfTherapy'])}</td>
                  {showOutcomeCols ? (
                    <>
                      <td>{p.stage ?? ''}</td>
                      <td>{p.product ?? '—'}</td>
                    </>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <button type="button" disabled={pageNo <= 1} onClick={() => set({ page: String(pageNo - 1) })}>
              Previous page
            </button>
            <span>
              Page {pageNo} of {pages}
            </span>
            <button
              type="button"
              disabled={pageNo >= pages}
              onClick={() => set({ page: String(pageNo + 1) })}
            >
              Next page
            </button>
          </nav>
        </>
      ) : !error ? (
        <p role="status">Loading…</p>
      ) : null}
    </>
  );
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return cell(a).localeCompare(cell(b));
}

/** A labelled select with an "any" option. */
export function Select(props: {
  id: string;
  label: string;
  value: string | undefined;
  options: readonly string[];
  onChange: (v: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">any</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

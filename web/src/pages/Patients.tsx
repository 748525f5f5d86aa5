/**
 * The patient list: search by pseudonym, filters (histology, centre for admins, stage, product,
 * referral and infusion period), sorting by any column and paging, all done by the API
 * (GET /api/patients; src/registry/patient-list.ts): the page asks for one page of 25 and shows it.
 * The filters live in the URL query, named as the API's parameters (`q` is `pseudonymPrefix`).
 */
import { useEffect, useState } from 'react';
import { HISTOLOGIES, PRODUCTS } from '../../../src/registry/model.js';
import { get, may, type Page, type Row } from '../api.js';
import { DateField, Select } from '../components/Select.js';
import { useCentreCodes, useQueryState } from '../filters.js';
import { cell } from '../labels.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

export { Select } from '../components/Select.js';

const PAGE_SIZE = 25;
const STAGES = ['referred', 'accepted', 'apheresed', 'infused', 'evaluable'] as const;
const COLUMNS = [
  { key: 'pseudonym', name: 'Pseudonym' },
  { key: 'centre', name: 'Centre' },
  { key: 'referralDate', name: 'Referral date' },
  { key: 'ageAtReferral', name: 'Age' },
  { key: 'histology', name: 'Histology' },
  { key: 'lineOfTherapy', name: 'Line' },
  { key: 'stage', name: 'Stage' },
  { key: 'product', name: 'Product' },
  { key: 'infusionDate', name: 'Infusion date' },
] as const;
/** URL query keys passed to the API as they are. */
const API_KEYS = [
  'histology',
  'centre',
  'stage',
  'product',
  'referredFrom',
  'referredTo',
  'infusedFrom',
  'infusedTo',
  'sort',
  'order',
] as const;

type Query = Record<string, string>;
type Listed = { rows: Row[]; total: number };

/** The page of patients the URL query asks for (GET /api/patients), with its error. */
function usePatientPage(
  q: Query,
  key: string,
  pageNo: number,
): { listed: Listed | null; error: string | null } {
  const [listed, setListed] = useState<Listed | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    const params: Record<string, string | number | undefined> = {
      pseudonymPrefix: q['q'],
      limit: PAGE_SIZE,
      offset: (pageNo - 1) * PAGE_SIZE,
    };
    for (const k of API_KEYS) params[k] = q[k];
    get<Page<Row>>('/api/patients', params).then(
      (page) => live && setListed({ rows: page.items, total: page.total }),
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return { listed, error };
}

export function PatientsPage() {
  const { me } = useSession();
  const { q, key, set } = useQueryState('/patients');
  const pageNo = Math.max(1, Number(q['page'] ?? '1') || 1);
  const { listed, error } = usePatientPage(q, key, pageNo);
  const sortBy = (k: string) =>
    set({ sort: k, order: q['sort'] === k && q['order'] !== 'desc' ? 'desc' : 'asc' });
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
      <PatientFilters q={q} set={set} admin={may.admin(me.role)} />
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {listed ? (
        <>
          <PatientTable listed={listed} pageNo={pageNo} sort={q['sort']} order={q['order']} onSort={sortBy} />
          <Pager pageNo={pageNo} total={listed.total} go={(n) => set({ page: String(n) })} />
        </>
      ) : !error ? (
        <p role="status">Loading…</p>
      ) : null}
    </>
  );
}

/** The search and filter form (each change replaces the URL query and goes back to page 1). */
function PatientFilters(props: { q: Query; set: (patch: Query) => void; admin: boolean }) {
  const { q, set } = props;
  const { me } = useSession();
  const centres = useCentreCodes(me.role);
  return (
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
      {props.admin ? (
        <Select
          id="f-centre"
          label="Centre"
          value={q['centre']}
          options={centres}
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
      <DateField
        id="f-from"
        label="Referred from"
        value={q['referredFrom']}
        onChange={(v) => set({ referredFrom: v })}
      />
      <DateField
        id="f-to"
        label="Referred until"
        value={q['referredTo']}
        onChange={(v) => set({ referredTo: v })}
      />
      <DateField
        id="f-ifrom"
        label="Infused from"
        value={q['infusedFrom']}
        onChange={(v) => set({ infusedFrom: v })}
      />
      <DateField
        id="f-ito"
        label="Infused until"
        value={q['infusedTo']}
        onChange={(v) => set({ infusedTo: v })}
      />
    </form>
  );
}

/** One page of patients with sortable column headers. */
function PatientTable(props: {
  listed: Listed;
  pageNo: number;
  sort: string | undefined;
  order: string | undefined;
  onSort: (key: string) => void;
}) {
  const { listed, pageNo } = props;
  return (
    <table className="patients">
      <caption>
        {listed.total} patient{listed.total === 1 ? '' : 's'}
        {listed.total > 0
          ? `, ${(pageNo - 1) * PAGE_SIZE + 1}–${Math.min(pageNo * PAGE_SIZE, listed.total)} shown`
          : ''}
      </caption>
      <thead>
        <tr>
          {COLUMNS.map((c) => (
            <th
              key={c.key}
              scope="col"
              aria-sort={
                props.sort === c.key ? (props.order === 'desc' ? 'descending' : 'ascending') : undefined
              }
            >
              <button type="button" className="sort" onClick={() => props.onSort(c.key)}>
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
            {COLUMNS.slice(1).map((c) => (
              <td key={c.key}>{c.key === 'product' ? cell(p[c.key]) || '—' : cell(p[c.key])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Pager(props: { pageNo: number; total: number; go: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(props.total / PAGE_SIZE));
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={props.pageNo <= 1} onClick={() => props.go(props.pageNo - 1)}>
        Previous page
      </button>
      <span>
        Page {props.pageNo} of {pages}
      </span>
      <button type="button" disabled={props.pageNo >= pages} onClick={() => props.go(props.pageNo + 1)}>
        Next page
      </button>
    </nav>
  );
}

/**
 * The programme dashboard: CONSORT flow with drop-out reasons per step, vein-to-vein distribution,
 * CRS/ICANS grade rates, Kaplan–Meier curves of PFS and OS by product with numbers at risk and medians
 * with 95% CIs; filters by referral period, product and centre (admins). Every number is the API's
 * (GET /api/dashboard with the filters); the figures are SVG rendered by the server from Vega-Lite
 * specs (GET /api/dashboard/figures/{name}.svg, the report's renderer), so no chart library is loaded.
 */
import { useEffect, useState } from 'react';
import { PRODUCTS } from '../../../src/registry/model.js';
import type { DashboardFigures, MedianCi } from '../../../src/registry/dashboard.js';
import { get, may } from '../api.js';
import { Figure } from '../components/Chart.js';
import { DateField, Select } from '../components/Select.js';
import { useCentreCodes, useQueryState } from '../filters.js';
import { days } from '../labels.js';
import { useSession } from '../session.js';

const STAGES = ['referred', 'accepted', 'apheresed', 'infused', 'evaluable'] as const;
/** The dashboard's query keys, named as the API's parameters. */
const FILTER_KEYS = ['referredFrom', 'referredTo', 'product', 'centre'] as const;

export function DashboardPage() {
  const { me } = useSession();
  const { q, set } = useQueryState('/dashboard');
  const filters = Object.fromEntries(FILTER_KEYS.flatMap((k) => (q[k] ? [[k, q[k]]] : []))) as Record<
    string,
    string
  >;
  const filterKey = new URLSearchParams(filters).toString();
  const [figures, setFigures] = useState<DashboardFigures | null>(null);
  const [error, setError] = useState<string | null>(null);
  const centres = useCentreCodes(me.role);

  useEffect(() => {
    let live = true;
    setError(null);
    get<DashboardFigures>('/api/dashboard', filters).then(
      (f) => live && setFigures(f),
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [filterKey]);

  const src = (name: string) => `/api/dashboard/figures/${name}.svg${filterKey ? `?${filterKey}` : ''}`;
  return (
    <>
      <h1>Programme dashboard</h1>
      <form className="filters" aria-label="Dashboard filters" onSubmit={(e) => e.preventDefault()}>
        <DateField
          id="d-from"
          label="Referred from"
          value={q['referredFrom']}
          onChange={(v) => set({ referredFrom: v })}
        />
        <DateField
          id="d-to"
          label="Referred until"
          value={q['referredTo']}
          onChange={(v) => set({ referredTo: v })}
        />
        <Select
          id="d-product"
          label="Product"
          value={q['product']}
          options={PRODUCTS}
          onChange={(v) => set({ product: v })}
        />
        {may.admin(me.role) ? (
          <Select
            id="d-centre"
            label="Centre"
            value={q['centre']}
            options={centres}
            onChange={(v) => set({ centre: v })}
          />
        ) : null}
      </form>
      <p className="note">
        {filterKey ? 'Patients in your scope matching the filters.' : 'All patients in your scope.'} Figures
        and numbers: GET /api/dashboard.
      </p>
      {error ? <p role="alert">{error}</p> : null}
      {figures ? (
        <>
          <Summary figures={figures} src={src} />
          <Survival figures={figures} src={src} />
        </>
      ) : !error ? (
        <p role="status">Loading…</p>
      ) : null}
    </>
  );
}

const reasons = (r: Record<string, number> | undefined) =>
  Object.entries(r ?? {})
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** CONSORT flow, vein-to-vein and grade rates. */
function Summary(props: { figures: DashboardFigures; src: (name: string) => string }) {
  const f = props.figures;
  return (
    <div className="dash-grid">
      <section aria-labelledby="consort-title">
        <h2 id="consort-title">CONSORT flow</h2>
        <ol className="consort">
          {STAGES.map((s, i) => (
            <li key={s}>
              <span className="box">
                <strong>{s}</strong> <span data-testid={`flow-${s}`}>{f.flow[s]}</span>
              </span>
              {i < STAGES.length - 1 && f.dropoutsByStage[s] ? (
                <span className="lost">left at this step: {reasons(f.dropoutsByStage[s])}</span>
              ) : null}
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="v2v-title">
        <h2 id="v2v-title">Vein-to-vein time</h2>
        <p>
          {f.veinToVein.n} infused patients: median {days(f.veinToVein.medianDays)} (IQR{' '}
          {days(f.veinToVein.q1Days)} – {days(f.veinToVein.q3Days)})
        </p>
        {f.veinToVein.n > 0 ? (
          <Figure src={props.src('vein-to-vein')} label="Histogram of vein-to-vein times in days" />
        ) : null}
      </section>
      <section aria-labelledby="tox-title">
        <h2 id="tox-title">CRS and ICANS</h2>
        <Figure src={props.src('grades')} label="Maximum CRS and ICANS grade per infused patient" />
        <GradeTable figures={f} />
      </section>
    </div>
  );
}

function GradeTable(props: { figures: DashboardFigures }) {
  const f = props.figures;
  const keys = [...new Set([...Object.keys(f.maxCrs), ...Object.keys(f.maxIcans)])].sort();
  return (
    <table>
      <caption>Maximum grade per infused patient (patients)</caption>
      <thead>
        <tr>
          <th scope="col">Toxicity</th>
          {keys.map((g) => (
            <th key={g} scope="col">
              {g === 'not-observed' ? 'not observed' : `grade ${g}`}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {(['CRS', 'ICANS'] as const).map((t) => (
          <tr key={t}>
            <th scope="row">{t}</th>
            {keys.map((g) => (
              <td key={g}>{(t === 'CRS' ? f.maxCrs : f.maxIcans)[g] ?? 0}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** KM curves of PFS and OS by product, numbers at risk, medians with 95% CI. */
function Survival(props: { figures: DashboardFigures; src: (name: string) => string }) {
  const s = props.figures.survival;
  if (s.length === 0)
    return (
      <section aria-labelledby="km-title">
        <h2 id="km-title">Survival</h2>
        <p>No infused patient in the selection yet.</p>
      </section>
    );
  const days0 = s[0]?.atRisk.map((a) => a.day) ?? [];
  return (
    <section aria-labelledby="km-title">
      <h2 id="km-title">Progression-free and overall survival</h2>
      <div className="dash-grid">
        <Figure
          src={props.src('km-pfs')}
          label="Kaplan–Meier curves of progression-free survival by product"
        />
        <Figure src={props.src('km-os')} label="Kaplan–Meier curves of overall survival by product" />
      </div>
      <table className="medians">
        <caption>Medians by product (days, 95% CI; NR = not reached)</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Infused</th>
            <th scope="col">Median PFS</th>
            <th scope="col">Median OS</th>
          </tr>
        </thead>
        <tbody>
          {s.map((p) => (
            <tr key={p.product}>
              <th scope="row">{p.product}</th>
              <td>{p.infused}</td>
              <td data-testid={`median-pfs-${p.product}`}>{median(p.pfs)}</td>
              <td data-testid={`median-os-${p.product}`}>{median(p.os)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="at-risk">
        <caption>Numbers at risk (PFS / OS) by day after infusion</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            {days0.map((d) => (
              <th key={d} scope="col">
                day {d}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {s.map((p) => (
            <tr key={p.product}>
              <th scope="row">{p.product}</th>
              {p.atRisk.map((a) => (
                <td key={a.day}>
                  {a.pfs} / {a.os}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function median(m: MedianCi): string {
  const v = (x: number | null) => (x === null ? 'NR' : String(Math.round(x * 10) / 10));
  return `${v(m.days)} (${v(m.lowerDays)}–${v(m.upperDays)})`;
}

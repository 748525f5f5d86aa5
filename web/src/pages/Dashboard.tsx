/**
 * The programme dashboard: CONSORT flow with drop-out reasons per step, vein-to-vein distribution,
 * CRS/ICANS grade rates, Kaplan–Meier curves of PFS and OS by product with numbers at risk and medians
 * with 95% CIs. Without filters the figures are the API's (GET /api/dashboard); the curves, the
 * distribution and every filtered figure are computed in the browser from each patient's outcomes by
 * the server's own code (src/registry/outcomes.ts programmeFigures, src/stats/survival/km.ts).
 */
import { useEffect, useMemo, useState } from 'react';
import { PRODUCTS } from '../../../src/registry/model.js';
import { programmeFigures, type ProgrammeFigures } from '../../../src/registry/outcomes.js';
import { kaplanMeier, type KmResult } from '../../../src/stats/survival/km.js';
import { get, may, type Row } from '../api.js';
import { gradeSpec, kmSpec, veinToVeinSpec } from '../charts.js';
import { Chart } from '../components/Chart.js';
import { days } from '../labels.js';
import { useLocation, navigate } from '../router.js';
import { allPatients, outcomesOf, type PatientOutcome } from '../scope.js';
import { useSession } from '../session.js';
import { Select } from './Patients.js';

type Figures = ProgrammeFigures & { patients: number };
const STAGES = ['referred', 'accepted', 'apheresed', 'infused', 'evaluable'] as const;
const AT_RISK_DAYS = [0, 90, 180, 365, 730];

export function DashboardPage() {
  const { me } = useSession();
  const { query } = useLocation();
  const q = Object.fromEntries(query.entries());
  const filtered = Boolean(q['from'] || q['to'] || q['product'] || q['centre']);
  const [api, setApi] = useState<Figures | null>(null);
  const [scope, setScope] = useState<{ patients: Row[]; outcomes: Map<string, PatientOutcome> } | null>(null);
  const [progress, setProgress] = useState<string | null>('Loading…');
  const [error, setError] = useState<string | null>(null);
  const [centres, setCentres] = useState<string[]>([]);

  useEffect(() => {
    get<Figures>('/api/dashboard').then(setApi, (e: unknown) => setError(String(e)));
    if (may.admin(me.role))
      get<{ code: string }[]>('/api/centres').then(
        (cs) => setCentres(cs.map((c) => c.code)),
        () => undefined,
      );
    let live = true;
    (async () => {
      const patients = await allPatients({}, (d, t) => live && setProgress(`Loading patients ${d} of ${t}…`));
      const outcomes = await outcomesOf(
        patients.map((p) => p.id),
        (d, t) => live && setProgress(`Computing outcomes ${d} of ${t}…`),
      );
      if (live) {
        setScope({ patients, outcomes });
        setProgress(null);
      }
    })().catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [me.role]);

  const selected = useMemo(() => {
    if (!scope) return null;
    return scope.patients
      .filter(
        (p) =>
          (!q['centre'] || p['centre'] === q['centre']) &&
          (!q['from'] || String(p['referralDate']) >= (q['from'] ?? '')) &&
          (!q['to'] || String(p['referralDate']) <= (q['to'] ?? '')),
      )
      .map((p) => scope.outcomes.get(p.id))
      .filter((o): o is PatientOutcome => o !== undefined && (!q['product'] || o.product === q['product']));
  }, [scope, query.toString()]);

  const figures: Figures | null = filtered
    ? selected && { patients: selected.length, ...programmeFigures(selected) }
    : api;
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(query);
    if (v) next.set(k, v);
    else next.delete(k);
    navigate(`/dashboard?${next.toString()}`, { replace: true });
  };

  return (
    <>
      <h1>Programme dashboard</h1>
      <form className="filters" aria-label="Dashboard filters" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="d-from">Referred from</label>
          <input
            id="d-from"
            type="date"
            value={q['from'] ?? ''}
            onChange={(e) => set('from', e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="d-to">Referred until</label>
          <input id="d-to" type="date" value={q['to'] ?? ''} onChange={(e) => set('to', e.target.value)} />
        </div>
        <Select
          id="d-product"
          label="Product"
          value={q['product']}
          options={PRODUCTS}
          onChange={(v) => set('product', v)}
        />
        {may.admin(me.role) ? (
          <Select
            id="d-centre"
            label="Centre"
            value={q['centre']}
            options={centres}
            onChange={(v) => set('centre', v)}
          />
        ) : null}
      </form>
      <p className="note">
        {filtered
          ? 'Filtered figures, computed in the browser from each patient’s outcomes with the registry’s own code.'
          : 'All patients in your scope (GET /api/dashboard).'}
      </p>
      {error ? <p role="alert">{error}</p> : null}
      {progress ? <p role="status">{progress}</p> : null}
      {figures ? <Summary figures={figures} selected={filtered ? selected : (selected ?? null)} /> : null}
      {selected ? <Survival outcomes={selected} /> : null}
    </>
  );
}

/** CONSORT flow, vein-to-vein and grade rates. */
function Summary(props: { figures: Figures; selected: PatientOutcome[] | null }) {
  const f = props.figures;
  const v2v = props.selected?.flatMap((o) => (o.veinToVeinDays === null ? [] : [o.veinToVeinDays])) ?? null;
  const gradeChart = useMemo(() => gradeSpec(f.maxCrs, f.maxIcans), [f]);
  const v2vChart = useMemo(() => (v2v ? veinToVeinSpec(v2v) : null), [v2v?.join(',')]);
  return (
    <div className="dash-grid">
      <section aria-labelledby="consort-title">
        <h2 id="consort-title">CONSORT flow</h2>
        <ol className="consort">
          {STAGES.map((s, i) => {
            const lost = props.selected ? dropouts(props.selected, s) : null;
            return (
              <li key={s}>
                <span className="box">
                  <strong>{s}</strong> <span data-testid={`flow-${s}`}>{f.flow[s]}</span>
                </span>
                {i < STAGES.length - 1 && lost && Object.keys(lost).length ? (
                  <span className="lost">
                    left at this step:{' '}
                    {Object.entries(lost)
                      .map(([r, n]) => `${r} ${n}`)
                      .join(', ')}
                  </span>
                ) : null}
              </li>
            );
          })}
        </ol>
        {!props.selected && Object.keys(f.dropoutReasons).length ? (
          <p>
            Drop-out reasons:{' '}
            {Object.entries(f.dropoutReasons)
              .map(([r, n]) => `${r} ${n}`)
              .join(', ')}
          </p>
        ) : null}
      </section>
      <section aria-labelledby="v2v-title">
        <h2 id="v2v-title">Vein-to-vein time</h2>
        <p>
          {f.veinToVein.n} infused patients: median {days(f.veinToVein.medianDays)} (IQR{' '}
          {days(f.veinToVein.q1Days)} – {days(f.veinToVein.q3Days)})
        </p>
        {v2vChart ? <Chart spec={v2vChart} label="Histogram of vein-to-vein times in days" /> : null}
      </section>
      <section aria-labelledby="tox-title">
        <h2 id="tox-title">CRS and ICANS</h2>
        <Chart spec={gradeChart} label="Maximum CRS and ICANS grade per infused patient" />
        <table>
          <caption>Maximum grade per infused patient (patients)</caption>
          <thead>
            <tr>
              <th scope="col">Toxicity</th>
              {gradeKeys(f).map((g) => (
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
                {gradeKeys(f).map((g) => (
                  <td key={g}>{(t === 'CRS' ? f.maxCrs : f.maxIcans)[g] ?? 0}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function gradeKeys(f: Figures): string[] {
  return [...new Set([...Object.keys(f.maxCrs), ...Object.keys(f.maxIcans)])].sort();
}

/** Drop-out reasons of the patients whose furthest stage is `stage` (they left after it). */
function dropouts(outcomes: PatientOutcome[], stage: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes)
    if (o.stage === stage && stage !== 'evaluable') {
      const r = o.dropoutReason ?? (stage === 'infused' ? 'not evaluable yet' : 'pending');
      out[r] = (out[r] ?? 0) + 1;
    }
  return out;
}

/** KM curves of PFS and OS by product, numbers at risk, medians with 95% CI. */
function Survival(props: { outcomes: PatientOutcome[] }) {
  const infused = props.outcomes.filter((o) => o.os !== null);
  const products = [...new Set(infused.map((o) => o.product ?? 'unknown'))].sort();
  const fits = useMemo(() => {
    const fit = (g: PatientOutcome[], k: 'pfs' | 'os') =>
      kaplanMeier(
        g.map((o) => o[k]?.days ?? 0),
        g.map((o) => o[k]?.status ?? 0),
      );
    return products.map((p) => {
      const g = infused.filter((o) => (o.product ?? 'unknown') === p);
      return { product: p, n: g.length, pfs: fit(g, 'pfs'), os: fit(g, 'os'), g };
    });
  }, [props.outcomes]);
  const pfsSpec = useMemo(
    () =>
      kmSpec(
        'PFS',
        fits.map((f) => ({ product: f.product, km: f.pfs })),
      ),
    [fits],
  );
  const osSpec = useMemo(
    () =>
      kmSpec(
        'OS',
        fits.map((f) => ({ product: f.product, km: f.os })),
      ),
    [fits],
  );
  if (infused.length === 0)
    return (
      <section aria-labelledby="km-title">
        <h2 id="km-title">Survival</h2>
        <p>No infused patient in the selection yet.</p>
      </section>
    );
  return (
    <section aria-labelledby="km-title">
      <h2 id="km-title">Progression-free and overall survival</h2>
      <div className="dash-grid">
        <Chart spec={pfsSpec} label="Kaplan–Meier curves of progression-free survival by product" />
        <Chart spec={osSpec} label="Kaplan–Meier curves of overall survival by product" />
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
          {fits.map((f) => (
            <tr key={f.product}>
              <th scope="row">{f.product}</th>
              <td>{f.n}</td>
              <td data-testid={`median-pfs-${f.product}`}>{median(f.pfs)}</td>
              <td data-testid={`median-os-${f.product}`}>{median(f.os)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="at-risk">
        <caption>Numbers at risk (PFS / OS) by day after infusion</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            {AT_RISK_DAYS.map((d) => (
              <th key={d} scope="col">
                day {d}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {fits.map((f) => (
            <tr key={f.product}>
              <th scope="row">{f.product}</th>
              {AT_RISK_DAYS.map((d) => (
                <td key={d}>
                  {atRisk(f.g, 'pfs', d)} / {atRisk(f.g, 'os', d)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Patients still at risk at day `d` (follow-up time ≥ d). */
function atRisk(g: PatientOutcome[], k: 'pfs' | 'os', d: number): number {
  return g.filter((o) => (o[k]?.days ?? -1) >= d).length;
}

function median(km: KmResult): string {
  const v = (x: number) => (Number.isNaN(x) ? 'NR' : String(Math.round(x * 10) / 10));
  return `${v(km.median)} (${v(km.medianLower)}–${v(km.medianUpper)})`;
}

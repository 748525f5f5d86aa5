/**
 * The programme dashboard over a set of patients' computed outcomes (GET /api/dashboard and its
 * figures): the programme figures (src/registry/outcomes.ts `programmeFigures`), the drop-out reasons
 * at each CONSORT step, and per product the Kaplan–Meier fits of PFS and OS (src/stats/survival/km.ts,
 * validated against R survival) with medians, 95% CIs and numbers at risk; and the figures as
 * Vega-Lite specs (src/registry/dashboard-charts.ts).
 */
import { InputError } from '../errors.js';
import { kaplanMeier, type KmResult } from '../stats/survival/km.js';
import { gradeSpec, kmSpec, veinToVeinSpec, type VlSpec } from './dashboard-charts.js';
import { programmeFigures, type PatientOutcome, type ProgrammeFigures } from './outcomes.js';

/** Days after infusion at which the numbers at risk are given. */
export const AT_RISK_DAYS = [0, 90, 180, 365, 730] as const;

/** A median survival (days) with its 95% CI; null = not reached (or no bound). */
export interface MedianCi {
  days: number | null;
  lowerDays: number | null;
  upperDays: number | null;
}

/** The survival of one product's infused patients. */
export interface ProductSurvival {
  product: string;
  infused: number;
  pfs: MedianCi;
  os: MedianCi;
  /** Patients still at risk (follow-up ≥ day) per `AT_RISK_DAYS` entry. */
  atRisk: { day: number; pfs: number; os: number }[];
}

/** What GET /api/dashboard returns. */
export interface DashboardFigures extends ProgrammeFigures {
  patients: number;
  /** Drop-out reasons of the patients whose furthest stage is each step (they left after it). */
  dropoutsByStage: Record<string, Record<string, number>>;
  survival: ProductSurvival[];
}

/** The figures of the dashboard, by the name of their SVG route. */
export const DASHBOARD_FIGURES = ['km-pfs', 'km-os', 'vein-to-vein', 'grades'] as const;
export type DashboardFigureName = (typeof DASHBOARD_FIGURES)[number];

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

function fits(
  outcomes: PatientOutcome[],
): { product: string; g: PatientOutcome[]; pfs: KmResult; os: KmResult }[] {
  const infused = outcomes.filter((o) => o.os !== null);
  const products = [...new Set(infused.map((o) => o.product ?? 'unknown'))].sort();
  const fit = (g: PatientOutcome[], k: 'pfs' | 'os') =>
    kaplanMeier(
      g.map((o) => o[k]?.days ?? 0),
      g.map((o) => o[k]?.status ?? 0),
    );
  return products.map((product) => {
    const g = infused.filter((o) => (o.product ?? 'unknown') === product);
    return { product, g, pfs: fit(g, 'pfs'), os: fit(g, 'os') };
  });
}

/** The dashboard's figures over `outcomes` (see module doc). */
export function dashboardFigures(outcomes: PatientOutcome[]): DashboardFigures {
  const dropoutsByStage: Record<string, Record<string, number>> = {};
  for (const o of outcomes) {
    if (o.stage === 'evaluable') continue;
    const r = o.dropoutReason ?? (o.stage === 'infused' ? 'not evaluable yet' : 'pending');
    const at = (dropoutsByStage[o.stage] ??= {});
    at[r] = (at[r] ?? 0) + 1;
  }
  const median = (km: KmResult): MedianCi => ({
    days: orNull(km.median),
    lowerDays: orNull(km.medianLower),
    upperDays: orNull(km.medianUpper),
  });
  const atRisk = (g: PatientOutcome[], k: 'pfs' | 'os', d: number) =>
    g.filter((o) => (o[k]?.days ?? -1) >= d).length;
  return {
    patients: outcomes.length,
    ...programmeFigures(outcomes),
    dropoutsByStage,
    survival: fits(outcomes).map((f) => ({
      product: f.product,
      infused: f.g.length,
      pfs: median(f.pfs),
      os: median(f.os),
      atRisk: AT_RISK_DAYS.map((day) => ({ day, pfs: atRisk(f.g, 'pfs', day), os: atRisk(f.g, 'os', day) })),
    })),
  };
}

/**
 * The Vega-Lite spec of one dashboard figure over `outcomes`.
 * @throws InputError (field name) for a name not in `DASHBOARD_FIGURES`
 */
export function dashboardSpec(name: string, outcomes: PatientOutcome[]): VlSpec {
  switch (name) {
    case 'km-pfs':
    case 'km-os': {
      const k = name === 'km-pfs' ? 'pfs' : 'os';
      return kmSpec(
        k === 'pfs' ? 'PFS' : 'OS',
        fits(outcomes).map((f) => ({ product: f.product, km: f[k] })),
      );
    }
    case 'vein-to-vein':
      return veinToVeinSpec(outcomes.flatMap((o) => (o.veinToVeinDays === null ? [] : [o.veinToVeinDays])));
    case 'grades': {
      const f = programmeFigures(outcomes);
      return gradeSpec(f.maxCrs, f.maxIcans);
    }
    default:
      throw new InputError(`unknown figure; one of ${DASHBOARD_FIGURES.join(', ')} (.svg)`, {
        field: 'name',
        value: name,
      });
  }
}

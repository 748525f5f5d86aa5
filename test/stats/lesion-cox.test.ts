// The lesion-level hazard of progression per 10 SUVpeak units (src/analysis/lesion-progression.ts
// `lesionHazard`) against R (fixtures/lesion-cox.R → lesion-cox.json): survival::coxph with
// cluster(patient) for the robust SE, and an independent R Firth fit (penalised log partial likelihood
// from coxph's Breslow loglik and information, optim + profile uniroot). Tolerance 1e-6 relative.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lesionHazard, type LesionTimeRow } from '../../src/analysis/lesion-progression.js';
import { assertClose } from '../helpers/assert-close.js';

interface Fit {
  [k: string]: number | number[];
}
interface Case {
  name: string;
  patient: string[];
  suvpeak: number[];
  time: number[];
  status: number[];
  events: number;
  firth: Fit;
  robust: Fit;
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/lesion-cox.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const TOL = 1e-6;

for (const c of fx.cases) {
  const rows: LesionTimeRow[] = c.time.map((t, i) => ({
    patientId: c.patient[i]!,
    lesionId: `L${i}`,
    suvPeak: c.suvpeak[i]!,
    days: t,
    status: c.status[i] === 1 ? 1 : 0,
  }));
  const h = lesionHazard(rows);
  test(`lesionHazard ${c.name}: Firth estimate, SE, profile CI and penalised LRT equal the R Firth fit`, () => {
    const f = c.firth;
    assert.equal(h.events, c.events);
    for (const [ours, r] of [
      ['estimate', 'estimate'],
      ['se', 'se'],
      ['lower', 'lower'],
      ['upper', 'upper'],
      ['hr', 'hr'],
      ['hrLower', 'hr_lower'],
      ['hrUpper', 'hr_upper'],
      ['chisq', 'chisq'],
      ['p', 'p'],
    ] as const)
      assertClose(h.firth[ours], f[r] as number, TOL, `firth ${ours}`, 1e-9);
  });
  test(`lesionHazard ${c.name}: Cox estimate and robust SE clustered by patient equal survival::coxph`, () => {
    const r = c.robust;
    for (const [ours, rk] of [
      ['estimate', 'estimate'],
      ['se', 'se'],
      ['robustSe', 'robust_se'],
      ['z', 'z'],
      ['p', 'p'],
      ['hr', 'hr'],
      ['hrLower', 'hr_lower'],
      ['hrUpper', 'hr_upper'],
    ] as const)
      assertClose(h.clusteredCox[ours], r[rk] as number, TOL, `cox ${ours}`);
    assert.equal(h.patients, new Set(c.patient).size);
  });
}

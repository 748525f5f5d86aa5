/**
 * Numeric core of the Cox model: data sorted for backward risk-set sums, the log partial likelihood
 * with score and information (Breslow or Efron ties), and score residuals. No validation here; see
 * `cox.ts` for the public API.
 */
import { orderByTime } from './input.js';

/** Right-censored data sorted by (stratum, time) ascending, with row-major covariates. */
export interface CoxData {
  n: number;
  p: number;
  /** Original row index of each sorted row. */
  rowOf: Uint32Array;
  time: Float64Array;
  status: Uint8Array;
  weight: Float64Array;
  /** Row-major n × p covariates (already centred/scaled by the caller when it wishes). */
  x: Float64Array;
  /** Sorted-row start of each stratum, plus n at the end. */
  strataStart: Int32Array;
}

/** Sorts the inputs by (stratum, time) ascending; covariate columns are copied row-major. */
export function sortCoxData(
  time: Float64Array,
  status: Uint8Array,
  columns: ArrayLike<number>[],
  weight: Float64Array,
  strataCodes: Int32Array | null,
  nStrata: number,
): CoxData {
  const n = time.length;
  const p = columns.length;
  const byTime = orderByTime(time);
  let order = byTime;
  const strataStart = new Int32Array(nStrata + 1);
  if (strataCodes !== null && nStrata > 1) {
    for (let i = 0; i < n; i++) strataStart[strataCodes[i]! + 1]!++;
    for (let h = 1; h <= nStrata; h++) strataStart[h]! += strataStart[h - 1]!;
    const pos = strataStart.slice();
    order = new Uint32Array(n);
    for (let q = 0; q < n; q++) {
      const i = byTime[q]!;
      order[pos[strataCodes[i]!]!++] = i;
    }
  } else {
    strataStart[nStrata] = n;
  }
  const t = new Float64Array(n);
  const s = new Uint8Array(n);
  const w = new Float64Array(n);
  const x = new Float64Array(n * p);
  for (let q = 0; q < n; q++) {
    const i = order[q]!;
    t[q] = time[i]!;
    s[q] = status[i]!;
    w[q] = weight[i]!;
  }
  for (let j = 0; j < p; j++) {
    const col = columns[j]!;
    for (let q = 0; q < n; q++) x[q * p + j] = col[order[q]!]!;
  }
  return { n, p, rowOf: order, time: t, status: s, weight: w, x, strataStart };
}

/** Log partial likelihood, score u (p) and information imat (p × p, row-major, symmetric). */
export interface CoxEval {
  loglik: number;
  u: Float64Array;
  imat: Float64Array;
}

/**
 * ℓ(β), U(β), I(β) as survival's coxfit6.c: backward walk over times within strata; at each time the
 * d tied deaths contribute Breslow's term or Efron's Σ_{k<d} w̄·log(S_R − (k/d)S_D).
 */
export function coxEvaluate(data: CoxData, beta: Float64Array, efron: boolean, eta?: Float64Array): CoxEval {
  const { p, time, status, weight, x, strataStart } = data;
  const u = new Float64Array(p);
  const imat = new Float64Array(p * p);
  const a = new Float64Array(p);
  const a2 = new Float64Array(p);
  const cmat = new Float64Array(p * p);
  const cmat2 = new Float64Array(p * p);
  let loglik = 0;
  const nStrata = strataStart.length - 1;
  for (let h = nStrata - 1; h >= 0; h--) {
    const from = strataStart[h]!;
    let q = strataStart[h + 1]! - 1;
    let denom = 0;
    a.fill(0);
    cmat.fill(0);
    while (q >= from) {
      const tq = time[q]!;
      let ndead = 0;
      let deadwt = 0;
      let efronwt = 0;
      if (efron) {
        a2.fill(0);
        cmat2.fill(0);
      }
      while (q >= from && time[q] === tq) {
        const off = q * p;
        let zb = 0;
        for (let j = 0; j < p; j++) zb += beta[j]! * x[off + j]!;
        if (eta) eta[q] = zb;
        const wq = weight[q]!;
        const risk = Math.exp(zb) * wq;
        denom += risk;
        for (let i = 0; i < p; i++) {
          const rx = risk * x[off + i]!;
          a[i]! += rx;
          const ci = i * p;
          for (let j = 0; j <= i; j++) cmat[ci + j]! += rx * x[off + j]!;
        }
        if (status[q] === 1) {
          ndead++;
          deadwt += wq;
          loglik += wq * zb;
          for (let i = 0; i < p; i++) u[i]! += wq * x[off + i]!;
          if (efron) {
            efronwt += risk;
            for (let i = 0; i < p; i++) {
              const rx = risk * x[off + i]!;
              a2[i]! += rx;
              const ci = i * p;
              for (let j = 0; j <= i; j++) cmat2[ci + j]! += rx * x[off + j]!;
            }
          }
        }
        q--;
      }
      if (ndead === 0) continue;
      if (!efron || ndead === 1) {
        loglik -= deadwt * Math.log(denom);
        for (let i = 0; i < p; i++) {
          const m = a[i]! / denom;
          u[i]! -= deadwt * m;
          const ci = i * p;
          for (let j = 0; j <= i; j++) imat[ci + j]! += (deadwt * (cmat[ci + j]! - m * a[j]!)) / denom;
        }
      } else {
        const wtave = deadwt / ndead;
        for (let k = 0; k < ndead; k++) {
          const temp = k / ndead;
          const d2 = denom - temp * efronwt;
          loglik -= wtave * Math.log(d2);
          for (let i = 0; i < p; i++) {
            const m = (a[i]! - temp * a2[i]!) / d2;
            u[i]! -= wtave * m;
            const ci = i * p;
            for (let j = 0; j <= i; j++) {
              imat[ci + j]! +=
                (wtave / d2) * (cmat[ci + j]! - temp * cmat2[ci + j]! - m * (a[j]! - temp * a2[j]!));
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) imat[j * p + i] = imat[i * p + j]!;
  return { loglik, u, imat };
}

/**
 * Score residuals r_i (n × p, in ORIGINAL row order, unweighted) at β: the martingale-based
 * decomposition Σ_i w_i r_i = U(β), with Efron's partial weights (1 − k/d) for the tied deaths, as
 * `residuals(coxph, type = "score")`. O(n·p) after the backward sums.
 */
export function coxScoreResiduals(data: CoxData, beta: Float64Array, efron: boolean): Float64Array {
  const { n, p, time, status, weight, x, strataStart, rowOf } = data;
  const res = new Float64Array(n * p);
  const eta = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    let zb = 0;
    for (let j = 0; j < p; j++) zb += beta[j]! * x[q * p + j]!;
    eta[q] = zb;
  }
  // Per time group (backward pass): H, G (all at risk), H', G' (the deaths' own partial weights), M.
  const groupStart: number[] = [];
  const groupH: number[] = [];
  const groupHd: number[] = [];
  const groupG: number[] = [];
  const groupGd: number[] = [];
  const groupM: number[] = [];
  const a = new Float64Array(p);
  const a2 = new Float64Array(p);
  const nStrata = strataStart.length - 1;
  for (let h = nStrata - 1; h >= 0; h--) {
    const from = strataStart[h]!;
    let q = strataStart[h + 1]! - 1;
    let denom = 0;
    a.fill(0);
    while (q >= from) {
      const tq = time[q]!;
      const end = q;
      let ndead = 0;
      let deadwt = 0;
      let efronwt = 0;
      a2.fill(0);
      while (q >= from && time[q] === tq) {
        const risk = Math.exp(eta[q]!) * weight[q]!;
        denom += risk;
        for (let i = 0; i < p; i++) a[i]! += risk * x[q * p + i]!;
        if (status[q] === 1) {
          ndead++;
          deadwt += weight[q]!;
          efronwt += risk;
          for (let i = 0; i < p; i++) a2[i]! += risk * x[q * p + i]!;
        }
        q--;
      }
      groupStart.push(q + 1, end);
      let hSum = 0;
      let hdSum = 0;
      const g = new Float64Array(p);
      const gd = new Float64Array(p);
      const mean = new Float64Array(p);
      if (ndead > 0) {
        if (!efron || ndead === 1) {
          const hz = deadwt / denom;
          hSum = hz;
          hdSum = hz;
          for (let i = 0; i < p; i++) {
            const xb = a[i]! / denom;
            g[i] = hz * xb;
            gd[i] = hz * xb;
            mean[i] = xb;
          }
        } else {
          const wtave = deadwt / ndead;
          for (let k = 0; k < ndead; k++) {
            const temp = k / ndead;
            const d2 = denom - temp * efronwt;
            const hz = wtave / d2;
            hSum += hz;
            hdSum += (1 - temp) * hz;
            for (let i = 0; i < p; i++) {
              const xb = (a[i]! - temp * a2[i]!) / d2;
              g[i]! += hz * xb;
              gd[i]! += (1 - temp) * hz * xb;
              mean[i]! += xb / ndead;
            }
          }
        }
      }
      groupH.push(hSum);
      groupHd.push(hdSum);
      for (let i = 0; i < p; i++) {
        groupG.push(g[i]!);
        groupGd.push(gd[i]!);
        groupM.push(mean[i]!);
      }
    }
  }
  // Forward pass over the groups (they were stored in descending time within descending strata).
  const nGroups = groupH.length;
  const cg = new Float64Array(p);
  let ch = 0;
  let currentStratumEnd = -1;
  for (let gi = nGroups - 1; gi >= 0; gi--) {
    const from = groupStart[2 * gi]!;
    const to = groupStart[2 * gi + 1]!;
    if (from > currentStratumEnd) {
      // new stratum: reset cumulative sums
      ch = 0;
      cg.fill(0);
      let h = 0;
      while (strataStart[h + 1]! <= from) h++;
      currentStratumEnd = strataStart[h + 1]! - 1;
    }
    const chBefore = ch;
    const hd = groupHd[gi]!;
    ch += groupH[gi]!;
    for (let q = from; q <= to; q++) {
      const r = Math.exp(eta[q]!);
      const out = rowOf[q]! * p;
      if (status[q] === 1) {
        for (let i = 0; i < p; i++) {
          const xi = x[q * p + i]!;
          const cgBefore = cg[i]!;
          res[out + i] =
            xi - groupM[gi * p + i]! - r * (xi * (chBefore + hd) - (cgBefore + groupGd[gi * p + i]!));
        }
      } else {
        for (let i = 0; i < p; i++) {
          const xi = x[q * p + i]!;
          res[out + i] = -r * (xi * ch - (cg[i]! + groupG[gi * p + i]!));
        }
      }
    }
    for (let i = 0; i < p; i++) cg[i]! += groupG[gi * p + i]!;
  }
  return res;
}

/**
 * Harrell's concordance index as R's `survival::concordance` / `concordancefit` (timewt = "n")
 * computes it, with the infinitesimal-jackknife standard error. O(n log n) with Fenwick trees.
 */
import { InputError } from '../../errors.js';
import { factorCodes, factorLevels, labelInput, orderByTime, orderByValue, survInput } from './input.js';
import type { SurvFieldNames } from './input.js';

/** Options of `concordance`. */
export interface ConcordanceOptions {
  /** Merge times closer than √ε (R's `timefix = TRUE`, aeqSurv); default true. */
  timefix?: boolean;
  /**
   * false (default): a larger predictor should go with LONGER survival (R `concordance(y ~ x)`);
   * true: larger predictor = higher risk = shorter survival (R `reverse = TRUE`, used for a Cox
   * linear predictor).
   */
  reverse?: boolean;
  /** Stratum per observation: only pairs within a stratum are compared. */
  strata?: ArrayLike<string>;
  /** Case weights (> 0): a pair (i, j) counts w_i·w_j. */
  weights?: ArrayLike<number>;
  /** Cluster per observation: influence terms are summed within clusters before squaring (R `cluster`). */
  cluster?: ArrayLike<string>;
  names?: SurvFieldNames & { predictor?: string };
}

/** Result of `concordance` (R: `concordance(...)`: `concordance`, `sqrt(var)`, `count`). */
export interface ConcordanceResult {
  /** C = (concordant + tiedX/2) / (concordant + discordant + tiedX). */
  concordance: number;
  /** Infinitesimal-jackknife standard error of C (R `sqrt(fit$var)`). */
  se: number;
  /** Variance of C. */
  variance: number;
  concordant: number;
  discordant: number;
  /** Comparable pairs tied on the predictor. */
  tiedX: number;
  /** Pairs with tied event times (not comparable), predictor not tied. */
  tiedY: number;
  /** Pairs with tied event times and tied predictor. */
  tiedXY: number;
  n: number;
}

/**
 * Harrell's C (R: `concordance(Surv(time, status) ~ x, reverse)`, `timewt = "n"`).
 *
 * A pair is comparable when the shorter time is an event; two events at the same time are not
 * comparable (tiedY/tiedXY); a censoring at an event's time counts as the longer one. Somers'
 * D = (c − d)/(c + d + t_x), C = (D + 1)/2. Variance: Σ_i dfbeta_i²/4 with
 * dfbeta_i = w_i·((c_i − d_i)/N − D·(c_i + d_i + t_x,i)/N), where c_i, d_i, t_x,i are the (partner-
 * weighted) concordant, discordant and x-tied comparable pairs containing i and N = c + d + t_x.
 *
 * @param time follow-up times (≥ 0). @param status 1 event / 0 censored. @param predictor finite numbers.
 * @throws InputError for bad time/status/predictor/weights/strata.
 * Source: Harrell et al. (1982) JAMA 247:2543; Therneau & Watson, `concordance` vignette; R survival
 * `concordancefit` (concordance3.c).
 */
export function concordance(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  predictor: ArrayLike<number>,
  opts: ConcordanceOptions = {},
): ConcordanceResult {
  const { time: t, status: s } = survInput(time, status, opts.names, opts.timefix !== false);
  const n = t.length;
  const pf = opts.names?.predictor ?? 'predictor';
  if (predictor.length !== n)
    throw new InputError(`${pf} has ${predictor.length} values, expected ${n}`, { field: pf });
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = predictor[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError('predictor value missing or not finite', { field: pf, row: i + 1, value: v });
    }
    x[i] = v;
  }
  const w = new Float64Array(n).fill(1);
  if (opts.weights !== undefined) {
    if (opts.weights.length !== n) throw new InputError('weights length differs', { field: 'weights' });
    for (let i = 0; i < n; i++) {
      const v = opts.weights[i]!;
      if (!(v > 0) || !Number.isFinite(v))
        throw new InputError('weights must be > 0', { field: 'weights', row: i + 1, value: v });
      w[i] = v;
    }
  }
  let strataCodes: Int32Array | null = null;
  let nStrata = 1;
  if (opts.strata !== undefined) {
    const sf = opts.names?.strata ?? 'strata';
    const sl = labelInput(opts.strata, n, sf);
    const lev = factorLevels(sl, undefined, sf);
    strataCodes = factorCodes(sl, lev);
    nStrata = lev.length;
  }
  // Ranks of x (ties share a rank), 1-based for the Fenwick tree.
  const byX = orderByValue(x);
  const rank = new Int32Array(n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = byX[k]!;
    if (k === 0 || x[i] !== x[byX[k - 1]!]) m++;
    rank[i] = m;
  }
  const byTime = orderByTime(t);
  // Stable partition by stratum.
  const starts = new Int32Array(nStrata + 1);
  let order = byTime;
  if (strataCodes !== null) {
    for (let i = 0; i < n; i++) starts[strataCodes[i]! + 1]!++;
    for (let h = 1; h <= nStrata; h++) starts[h]! += starts[h - 1]!;
    const pos = starts.slice();
    order = new Uint32Array(n);
    for (let q = 0; q < n; q++) {
      const i = byTime[q]!;
      order[pos[strataCodes[i]!]!++] = i;
    }
  } else {
    starts[1] = n;
  }

  const rev = opts.reverse === true;
  // Gather rank/status/weight/time into the (stratum, time) order once: the passes below index them
  // by sorted position (i = k) and read memory sequentially; influence terms are accumulated in that
  // order and scattered back at the end.
  const rk = new Int32Array(n);
  const st = new Uint8Array(n);
  const wt = new Float64Array(n);
  const tt = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const i = order[q]!;
    rk[q] = rank[i]!;
    st[q] = s[i]!;
    wt[q] = w[i]!;
    tt[q] = t[i]!;
  }
  const cq = new Float64Array(n);
  const dq = new Float64Array(n);
  const tq0 = new Float64Array(n);
  let conc = 0;
  let disc = 0;
  let tiedX = 0;
  let tiedY = 0;
  let tiedXY = 0;
  const tree = new Float64Array(m + 1);
  // weight per rank (exact ties without a second tree query)
  const atRank = new Float64Array(m + 1);
  const add = (r: number, v: number): void => {
    atRank[r]! += v;
    for (let k = r; k <= m; k += k & -k) tree[k]! += v;
  };
  const clear = (from: number, to: number, deathsOnly: boolean): void => {
    if ((to - from) * 20 > m) {
      tree.fill(0);
      atRank.fill(0);
      return;
    }
    for (let k = from; k < to; k++) {
      const i = k;
      if (deathsOnly && st[i] !== 1) continue;
      const r = rk[i]!;
      atRank[r] = 0;
      for (let j = r; j <= m; j += j & -j) tree[j] = 0;
    }
  };
  const prefix = (r: number): number => {
    let sum = 0;
    for (let k = r; k > 0; k -= k & -k) sum += tree[k]!;
    return sum;
  };
  const touched: number[] = [];

  for (let h = 0; h < nStrata; h++) {
    const from = starts[h]!;
    const to = starts[h + 1]!;
    // Pass A: descending time; tree holds the weights of the subjects with longer follow-up.
    let total = 0;
    let q = to - 1;
    while (q >= from) {
      const tq = tt[q]!;
      let g0 = q;
      while (g0 - 1 >= from && tt[g0 - 1] === tq) g0--;
      for (let k = g0; k <= q; k++) {
        const i = k;
        if (st[i] === 0) {
          add(rk[i]!, wt[i]!);
          total += wt[i]!;
        }
      }
      for (let k = g0; k <= q; k++) {
        const i = k;
        if (st[i] !== 1) continue;
        const r = rk[i]!;
        const below = prefix(r - 1);
        const tie = atRank[r]!;
        const above = total - below - tie;
        const c = rev ? below : above;
        const d = rev ? above : below;
        cq[i]! += c;
        dq[i]! += d;
        tq0[i]! += tie;
        conc += wt[i]! * c;
        disc += wt[i]! * d;
        tiedX += wt[i]! * tie;
      }
      // Tied event times among the deaths of this group.
      let sw = 0;
      let sw2 = 0;
      touched.length = 0;
      for (let k = g0; k <= q; k++) {
        const i = k;
        if (st[i] !== 1) continue;
        sw += wt[i]!;
        sw2 += wt[i]! * wt[i]!;
        touched.push(i);
      }
      if (touched.length > 1) {
        const allPairs = (sw * sw - sw2) / 2;
        touched.sort((a, b) => rk[a]! - rk[b]!);
        let same = 0;
        let a0 = 0;
        while (a0 < touched.length) {
          let a1 = a0;
          let gw = 0;
          let gw2 = 0;
          while (a1 < touched.length && rk[touched[a1]!] === rk[touched[a0]!]) {
            gw += wt[touched[a1]!]!;
            gw2 += wt[touched[a1]!]! ** 2;
            a1++;
          }
          same += (gw * gw - gw2) / 2;
          a0 = a1;
        }
        tiedXY += same;
        tiedY += allPairs - same;
      }
      for (let k = g0; k <= q; k++) {
        const i = k;
        if (st[i] === 1) {
          add(rk[i]!, wt[i]!);
          total += wt[i]!;
        }
      }
      q = g0 - 1;
    }
    // clear the tree for the next pass / stratum
    clear(from, to, false);
    // Pass B: ascending time; tree holds the weights of the earlier events (partner influence).
    total = 0;
    q = from;
    while (q < to) {
      const tq = tt[q]!;
      let g1 = q;
      while (g1 + 1 < to && tt[g1 + 1] === tq) g1++;
      const credit = (i: number): void => {
        const r = rk[i]!;
        const below = prefix(r - 1);
        const tie = atRank[r]!;
        const above = total - below - tie;
        // partner j = i is the longer one: concordant when the event's x is smaller (not reversed)
        cq[i]! += rev ? above : below;
        dq[i]! += rev ? below : above;
        tq0[i]! += tie;
      };
      for (let k = q; k <= g1; k++) if (st[k] === 1) credit(k);
      for (let k = q; k <= g1; k++) {
        const i = k;
        if (st[i] === 1) {
          add(rk[i]!, wt[i]!);
          total += wt[i]!;
        }
      }
      for (let k = q; k <= g1; k++) if (st[k] === 0) credit(k);
      q = g1 + 1;
    }
    clear(from, to, true);
  }

  const infC = new Float64Array(n);
  const infD = new Float64Array(n);
  const infT = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const i = order[q]!;
    infC[i] = cq[q]!;
    infD[i] = dq[q]!;
    infT[i] = tq0[q]!;
  }
  const npair = conc + disc + tiedX;
  const somer = (conc - disc) / npair;
  let v = 0;
  const dfb = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    dfb[i] = w[i]! * ((infC[i]! - infD[i]!) / npair - (somer / npair) * (infC[i]! + infD[i]! + infT[i]!));
  }
  if (opts.cluster !== undefined) {
    const cl = labelInput(opts.cluster, n, 'cluster');
    const lev = factorLevels(cl, undefined, 'cluster');
    const codes = factorCodes(cl, lev);
    const sums = new Float64Array(lev.length);
    for (let i = 0; i < n; i++) sums[codes[i]!]! += dfb[i]!;
    for (let c = 0; c < lev.length; c++) v += sums[c]! * sums[c]!;
  } else {
    for (let i = 0; i < n; i++) v += dfb[i]! * dfb[i]!;
  }
  const variance = v / 4;
  return {
    concordance: (somer + 1) / 2,
    se: Math.sqrt(variance),
    variance,
    concordant: conc,
    discordant: disc,
    tiedX,
    tiedY,
    tiedXY,
    n,
  };
}

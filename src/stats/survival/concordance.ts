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

/** Validated inputs of `concordance`: times, statuses, predictor, weights and strata codes. */
interface ConcordanceInputs {
  n: number;
  t: Float64Array;
  s: Uint8Array;
  x: Float64Array;
  w: Float64Array;
  strataCodes: Int32Array | null;
  nStrata: number;
}

/**
 * Validates time/status, the predictor (finite numbers), weights (> 0) and strata.
 * @throws InputError naming the field, row and value
 */
function concordanceInputs(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  predictor: ArrayLike<number>,
  opts: ConcordanceOptions,
): ConcordanceInputs {
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
  return { n, t, s, x, w, strataCodes, nStrata };
}

/** Ranks of x (ties share a rank), 1-based for the Fenwick tree; `m` is the largest rank. */
function ranksOf(x: Float64Array): { rank: Int32Array; m: number } {
  const n = x.length;
  const byX = orderByValue(x);
  const rank = new Int32Array(n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = byX[k]!;
    if (k === 0 || x[i] !== x[byX[k - 1]!]) m++;
    rank[i] = m;
  }
  return { rank, m };
}

/**
 * Time order, stably partitioned by stratum.
 * @returns `order` (input index per sorted position) and `starts` (first position of each stratum, n at the end)
 */
function strataTimeOrder(
  t: Float64Array,
  strataCodes: Int32Array | null,
  nStrata: number,
): { order: Uint32Array; starts: Int32Array } {
  const n = t.length;
  const byTime = orderByTime(t);
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
  return { order, starts };
}

/**
 * Rank/status/weight/time in (stratum, time) order, the Fenwick tree over ranks, and the running
 * pair counts and per-position influence terms (concordant, discordant, x-tied).
 */
class PairCounter {
  readonly cq: Float64Array;
  readonly dq: Float64Array;
  readonly tq0: Float64Array;
  conc = 0;
  disc = 0;
  tiedX = 0;
  tiedY = 0;
  tiedXY = 0;
  private readonly tree: Float64Array;
  /** Weight per rank (exact ties without a second tree query). */
  private readonly atRank: Float64Array;
  private readonly touched: number[] = [];

  readonly rk: Int32Array;
  readonly st: Uint8Array;
  readonly wt: Float64Array;
  readonly tt: Float64Array;
  readonly m: number;
  readonly rev: boolean;

  constructor(rk: Int32Array, st: Uint8Array, wt: Float64Array, tt: Float64Array, m: number, rev: boolean) {
    this.rk = rk;
    this.st = st;
    this.wt = wt;
    this.tt = tt;
    this.m = m;
    this.rev = rev;
    const n = rk.length;
    this.cq = new Float64Array(n);
    this.dq = new Float64Array(n);
    this.tq0 = new Float64Array(n);
    this.tree = new Float64Array(m + 1);
    this.atRank = new Float64Array(m + 1);
  }

  /** Adds weight `v` at rank `r`. */
  add(r: number, v: number): void {
    this.atRank[r]! += v;
    for (let k = r; k <= this.m; k += k & -k) this.tree[k]! += v;
  }

  /** Removes the positions [from, to) (only events when `deathsOnly`) from the tree. */
  clear(from: number, to: number, deathsOnly: boolean): void {
    const { tree, atRank, st, rk, m } = this;
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
  }

  /** Total weight at ranks 1..r. */
  prefix(r: number): number {
    let sum = 0;
    for (let k = r; k > 0; k -= k & -k) sum += this.tree[k]!;
    return sum;
  }

  /** Pass A over one stratum: descending time; the tree holds the weights of the subjects with longer follow-up. */
  passDescending(from: number, to: number): void {
    const { rk, st, wt, tt, rev, cq, dq, tq0, atRank } = this;
    let total = 0;
    let q = to - 1;
    while (q >= from) {
      const tq = tt[q]!;
      let g0 = q;
      while (g0 - 1 >= from && tt[g0 - 1] === tq) g0--;
      for (let k = g0; k <= q; k++) {
        const i = k;
        if (st[i] === 0) {
          this.add(rk[i]!, wt[i]!);
          total += wt[i]!;
        }
      }
      for (let k = g0; k <= q; k++) {
        const i = k;
        if (st[i] !== 1) continue;
        const r = rk[i]!;
        const below = this.prefix(r - 1);
        const tie = atRank[r]!;
        const above = total - below - tie;
        const c = rev ? below : above;
        const d = rev ? above : below;
        cq[i]! += c;
        dq[i]! += d;
        tq0[i]! += tie;
        this.conc += wt[i]! * c;
        this.disc += wt[i]! * d;
        this.tiedX += wt[i]! * tie;
      }
      this.countTiedTimes(g0, q);
      for (let k = g0; k <= q; k++) {
        const i = k;
        if (st[i] === 1) {
          this.add(rk[i]!, wt[i]!);
          total += wt[i]!;
        }
      }
      q = g0 - 1;
    }
  }

  /** Tied event times among the deaths of the time group [g0, q]: adds to tiedXY and tiedY. */
  private countTiedTimes(g0: number, q: number): void {
    const { rk, st, wt, touched } = this;
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
      this.tiedXY += same;
      this.tiedY += allPairs - same;
    }
  }

  /** Pass B over one stratum: ascending time; the tree holds the weights of the earlier events (partner influence). */
  passAscending(from: number, to: number): void {
    const { rk, st, wt, tt, rev, cq, dq, tq0, atRank } = this;
    let total = 0;
    let q = from;
    while (q < to) {
      const tq = tt[q]!;
      let g1 = q;
      while (g1 + 1 < to && tt[g1 + 1] === tq) g1++;
      const credit = (i: number): void => {
        const r = rk[i]!;
        const below = this.prefix(r - 1);
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
          this.add(rk[i]!, wt[i]!);
          total += wt[i]!;
        }
      }
      for (let k = q; k <= g1; k++) if (st[k] === 0) credit(k);
      q = g1 + 1;
    }
  }
}

/**
 * Infinitesimal-jackknife variance of C: Σ dfbeta²/4, with dfbeta summed within clusters first
 * when `cluster` is given. Influence terms are in sorted order and scattered back by `order`.
 * @throws InputError for bad cluster labels
 */
function jackknifeVariance(
  pc: PairCounter,
  order: Uint32Array,
  w: Float64Array,
  cluster: ArrayLike<string> | undefined,
): { somer: number; variance: number } {
  const n = w.length;
  const { cq, dq, tq0 } = pc;
  const npair = pc.conc + pc.disc + pc.tiedX;
  const somer = (pc.conc - pc.disc) / npair;
  let v = 0;
  // dfbeta of each observation, computed in sorted order and scattered back to input order (the
  // sums below run in input order).
  const dfb = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const i = order[q]!;
    dfb[i] = w[i]! * ((cq[q]! - dq[q]!) / npair - (somer / npair) * (cq[q]! + dq[q]! + tq0[q]!));
  }
  if (cluster !== undefined) {
    const cl = labelInput(cluster, n, 'cluster');
    const lev = factorLevels(cl, undefined, 'cluster');
    const codes = factorCodes(cl, lev);
    const sums = new Float64Array(lev.length);
    for (let i = 0; i < n; i++) sums[codes[i]!]! += dfb[i]!;
    for (let c = 0; c < lev.length; c++) v += sums[c]! * sums[c]!;
  } else {
    for (let i = 0; i < n; i++) v += dfb[i]! * dfb[i]!;
  }
  return { somer, variance: v / 4 };
}

/**
 * The checked inputs of `concordance` gathered into (stratum, time) order, in a PairCounter (the
 * unsorted copies are dropped on return: 10⁶-row fits).
 */
function sortedPairCounter(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  predictor: ArrayLike<number>,
  opts: ConcordanceOptions,
): { n: number; w: Float64Array; order: Uint32Array; starts: Int32Array; nStrata: number; pc: PairCounter } {
  const { n, t, s, x, w, strataCodes, nStrata } = concordanceInputs(time, status, predictor, opts);
  const { rank, m } = ranksOf(x);
  const { order, starts } = strataTimeOrder(t, strataCodes, nStrata);

  // Gather rank/status/weight/time into the (stratum, time) order once: the passes index them
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
  return { n, w, order, starts, nStrata, pc: new PairCounter(rk, st, wt, tt, m, opts.reverse === true) };
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
  const { n, w, order, starts, nStrata, pc } = sortedPairCounter(time, status, predictor, opts);
  for (let h = 0; h < nStrata; h++) {
    const from = starts[h]!;
    const to = starts[h + 1]!;
    pc.passDescending(from, to);
    // clear the tree for the next pass / stratum
    pc.clear(from, to, false);
    pc.passAscending(from, to);
    pc.clear(from, to, true);
  }

  const { somer, variance } = jackknifeVariance(pc, order, w, opts.cluster);
  return {
    concordance: (somer + 1) / 2,
    se: Math.sqrt(variance),
    variance,
    concordant: pc.conc,
    discordant: pc.disc,
    tiedX: pc.tiedX,
    tiedY: pc.tiedY,
    tiedXY: pc.tiedXY,
    n,
  };
}

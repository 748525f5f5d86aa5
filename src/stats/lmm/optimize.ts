/**
 * Bounded derivative-free minimisation for the variance parameters θ: a Nelder–Mead search with
 * box constraints (points projected onto the box) followed by a projected Newton polish on a
 * finite-difference gradient and Hessian, with an active set for parameters at their lower bound.
 * The polish converges quadratically on the smooth profiled deviance, which lets θ agree with a tightly
 * converged lme4 fit (BOBYQA, xtol_abs 1e-12) far beyond lme4's default tolerances.
 * Sources: Nelder & Mead (1965) Comput J 7:308; Nocedal & Wright (2006) §16.7 (projected Newton).
 */
import { symEigen } from './dense.js';

/** Outcome of the minimisation. */
export interface OptimResult {
  x: number[];
  fx: number;
  evaluations: number;
  /** Finite-difference gradient at x over the free parameters (0 for active bounds). */
  gradient: number[];
  /** max |H⁻¹ g| over the free parameters at the last Newton iteration (lme4's scaled gradient). */
  scaledGradient: number;
  /** Indices of parameters held at their lower bound. */
  atBound: number[];
  converged: boolean;
  message: string;
}

/** Nelder–Mead only brings θ into the Newton polish's region of fast convergence (loose tolerances). */
const NM_FTOL = 1e-6;
const NM_XTOL = 1e-2;
/**
 * Newton steps below this (relative to 1 + |θ|) end the polish. The objective's rounding noise (≈ n·ε
 * from the residual sum of squares) moves the finite-difference Newton step by ~1e-9–1e-8, so a
 * much tighter test only wanders in the noise; after a step this small the quadratic model puts θ
 * within ~max(STEP_TOL², noise) ≈ 1e-7 of the optimum, inside the 1e-6 agreement with lme4 the goldens
 * ask for.
 */
const STEP_TOL = 1e-6;

function project(x: number[], lower: number[]): number[] {
  return x.map((v, i) => Math.max(v, lower[i]!));
}

function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  lower: number[],
  maxEval: number,
  ftol: number,
  xtol: number,
): { x: number[]; fx: number; evals: number } {
  const k = x0.length;
  let evals = 0;
  const F = (x: number[]): number => {
    evals++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  const pts: number[][] = [project(x0, lower)];
  for (let i = 0; i < k; i++) {
    const x = [...x0];
    x[i] = x[i]! + (Math.abs(x[i]!) > 0.1 ? 0.25 * Math.abs(x[i]!) : 0.25);
    pts.push(project(x, lower));
  }
  let vals = pts.map(F);
  while (evals < maxEval) {
    const order = vals.map((_, i) => i).sort((a, b) => vals[a]! - vals[b]!);
    const sp = order.map((i) => pts[i]!);
    const sv = order.map((i) => vals[i]!);
    pts.splice(0, pts.length, ...sp);
    vals = sv;
    const spread = Math.abs(vals[k]! - vals[0]!);
    let size = 0;
    for (let i = 1; i <= k; i++)
      for (let j = 0; j < k; j++) size = Math.max(size, Math.abs(pts[i]![j]! - pts[0]![j]!));
    if (spread <= ftol * (1 + Math.abs(vals[0]!)) && size < xtol) break;
    const centroid = new Array<number>(k).fill(0);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) centroid[j]! += pts[i]![j]! / k;
    const worst = pts[k]!;
    const at = (t: number): number[] =>
      project(
        centroid.map((c, j) => c + t * (worst[j]! - c)),
        lower,
      );
    const xr = at(-1);
    const fr = F(xr);
    if (fr < vals[0]!) {
      const xe = at(-2);
      const fe = F(xe);
      if (fe < fr) {
        pts[k] = xe;
        vals[k] = fe;
      } else {
        pts[k] = xr;
        vals[k] = fr;
      }
    } else if (fr < vals[k - 1]!) {
      pts[k] = xr;
      vals[k] = fr;
    } else {
      const xc = fr < vals[k]! ? at(-0.5) : at(0.5);
      const fc = F(xc);
      if (fc < Math.min(fr, vals[k]!)) {
        pts[k] = xc;
        vals[k] = fc;
      } else {
        for (let i = 1; i <= k; i++) {
          pts[i] = project(
            pts[i]!.map((v, j) => pts[0]![j]! + 0.5 * (v - pts[0]![j]!)),
            lower,
          );
          vals[i] = F(pts[i]!);
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < vals.length; i++) if (vals[i]! < vals[best]!) best = i;
  return { x: pts[best]!, fx: vals[best]!, evals };
}

/**
 * Minimises f over the box x ≥ lower (−Infinity = unbounded).
 * @param f objective (returns Infinity/NaN where undefined)
 * @param x0 start value
 * @param lower lower bounds per parameter
 * @param fCoarse cheaper approximation of f for the Nelder–Mead phase (default f)
 */
export function minimizeBounded(
  f: (x: number[]) => number,
  x0: number[],
  lower: number[],
  fCoarse: (x: number[]) => number = f,
): OptimResult {
  const k = x0.length;
  // Nelder–Mead only brings θ near the optimum; the Newton polish below does the tight convergence
  const nm = nelderMead(fCoarse, x0, lower, 400 * (k + 1) ** 2, NM_FTOL, NM_XTOL);
  let x = nm.x;
  let evals = nm.evals;
  const F = (y: number[]): number => {
    evals++;
    const v = f(y);
    return Number.isFinite(v) ? v : Infinity;
  };
  let fx = F(x);
  let converged = false;
  let message = 'Newton polish did not converge in 100 iterations';
  let grad = new Array<number>(k).fill(0);
  let scaledGradient = 0;
  let active: number[] = [];
  for (let iter = 0; iter < 100; iter++) {
    const h = x.map((v) => 1e-5 * Math.max(Math.abs(v), 0.1));
    // one-sided differences at a bound: use forward points only
    const g = new Array<number>(k).fill(0);
    const H = new Float64Array(k * k);
    const fplus: number[] = [];
    const fminus: number[] = [];
    for (let i = 0; i < k; i++) {
      const xp = [...x];
      xp[i] = xp[i]! + h[i]!;
      const xm = [...x];
      xm[i] = xm[i]! - h[i]!;
      fplus.push(F(xp));
      if (xm[i]! < lower[i]!) {
        // second-order one-sided: f'(x) ≈ (−3f0 + 4f1 − f2)/(2h)
        const x2 = [...x];
        x2[i] = x2[i]! + 2 * h[i]!;
        const f2 = F(x2);
        g[i] = (-3 * fx + 4 * fplus[i]! - f2) / (2 * h[i]!);
        H[i * k + i] = (fx - 2 * fplus[i]! + f2) / (h[i]! * h[i]!);
        fminus.push(NaN);
      } else {
        fminus.push(F(xm));
        g[i] = (fplus[i]! - fminus[i]!) / (2 * h[i]!);
        H[i * k + i] = (fplus[i]! - 2 * fx + fminus[i]!) / (h[i]! * h[i]!);
      }
    }
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const xpp = [...x];
        xpp[i] = xpp[i]! + h[i]!;
        xpp[j] = xpp[j]! + h[j]!;
        const v = (F(xpp) - fplus[i]! - fplus[j]! + fx) / (h[i]! * h[j]!);
        H[i * k + j] = v;
        H[j * k + i] = v;
      }
    }
    // parameters within 1e-6 of their bound with the gradient pushing outwards: snap onto the bound
    // (otherwise projected Newton steps only halve the distance each iteration)
    const near = x.map((v, i) => i).filter((i) => x[i]! > lower[i]! && x[i]! - lower[i]! < 1e-6 && g[i]! > 0);
    if (near.length > 0) {
      const xs = x.map((v, i) => (near.includes(i) ? lower[i]! : v));
      const fs = F(xs);
      if (fs <= fx + 1e-14 * Math.abs(fx)) {
        x = xs;
        fx = fs;
        continue;
      }
    }
    active = [];
    for (let i = 0; i < k; i++) if (x[i]! <= lower[i]! && g[i]! >= 0) active.push(i);
    const free = x.map((_, i) => i).filter((i) => !active.includes(i));
    grad = g.map((v, i) => (active.includes(i) ? 0 : v));
    if (free.length === 0) {
      converged = true;
      message = 'all parameters at their lower bounds';
      break;
    }
    const kf = free.length;
    const Hf = new Float64Array(kf * kf);
    free.forEach((a, r) => free.forEach((b, c) => (Hf[r * kf + c] = H[a * k + b]!)));
    const gf = free.map((i) => g[i]!);
    // Newton direction via eigen-decomposition with eigenvalues floored (modified Newton)
    const eig = symEigen(Hf, kf);
    const maxEv = Math.max(...eig.values.map(Math.abs), 1e-12);
    const dir = new Array<number>(kf).fill(0);
    for (let e = 0; e < kf; e++) {
      const lam = Math.max(Math.abs(eig.values[e]!), 1e-8 * maxEv);
      let proj = 0;
      for (let r = 0; r < kf; r++) proj += eig.vectors[r * kf + e]! * gf[r]!;
      for (let r = 0; r < kf; r++) dir[r]! -= (eig.vectors[r * kf + e]! * proj) / lam;
    }
    // lme4's convergence check uses the Hessian-scaled gradient max|H⁻¹g| (tolerance 2e-3)
    scaledGradient = Math.max(...dir.map(Math.abs));
    // a Newton step below STEP_TOL (relative) is at the objective's noise level: take it if it does not
    // increase f and stop, without halving a step that noise may reject
    const tiny = free.every((i, r) => Math.abs(dir[r]!) < STEP_TOL * (1 + Math.abs(x[i]!)));
    let step = 1;
    let improved = false;
    let xn = x;
    let fn = fx;
    for (let ls = 0; ls < 40; ls++) {
      const cand = [...x];
      free.forEach((i, r) => (cand[i] = x[i]! + step * dir[r]!));
      const pc = project(cand, lower);
      const fc = F(pc);
      // accept within the objective's rounding noise (~1e-14 relative): near the optimum the Newton
      // step is driven by the gradient, whose finite-difference estimate is far less noisy than f
      if (fc <= fx + 1e-14 * Math.abs(fx)) {
        xn = pc;
        fn = fc;
        improved = !pc.every((v, i) => v === x[i]);
        break;
      }
      if (tiny) break;
      step /= 2;
    }
    const dx = Math.max(...xn.map((v, i) => Math.abs(v - x[i]!) / (1 + Math.abs(x[i]!))));
    const df = fx - fn;
    if (fn < fx || dx < 1e-6) {
      x = xn;
      fx = fn;
    }
    if (!improved || tiny || dx < STEP_TOL || (Math.abs(df) < 1e-14 * (1 + Math.abs(fx)) && dx < 1e-9)) {
      converged = true;
      message = 'converged';
      break;
    }
  }
  return { x, fx, evaluations: evals, gradient: grad, scaledGradient, atBound: active, converged, message };
}

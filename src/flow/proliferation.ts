/**
 * Proliferation from a dye-dilution channel (CFSE, CellTrace Violet, eFluor 670): the generation peaks fitted
 * as a Gaussian mixture on log2 intensity, and FlowJo's proliferation-platform indices
 * (docs/references/assays.md §9; FlowJo v10 documentation "Proliferation"; Roederer M, Cytometry A 2011;79:95).
 *
 * Model. Each division halves a cell's dye, so generation g sits at log2 intensity μ₀ − g·s (s = log2(1 / peak
 * ratio) = 1 for an ideal halving) with a common width σ: x ~ Σ_g π_g N(μ₀ − g·s, σ²) over g = 0 … G−1
 * (G = 8 by default, FlowJo's default number of peaks). The mixture is fitted by expectation–maximisation on a
 * fine histogram of x (bin 0.005 log2 units). The undivided peak μ₀ comes from an unstimulated control
 * (`undividedPeak`) and is then held fixed; otherwise it is fitted, started from the best of a grid of
 * positions, and moved down one generation while the top peak holds < 0.1 % of the cells (so the undivided
 * peak is the highest-intensity peak that holds cells).
 *
 * Indices from the cells per generation N_g, with N_g / 2^g the original (precursor) cells of generation g:
 *   % divided = 100 · Σ_{g≥1} N_g/2^g / Σ_g N_g/2^g
 *   division index = Σ_g g·N_g/2^g / Σ_g N_g/2^g            (divisions per original cell, undivided included)
 *   proliferation index = Σ_{g≥1} g·N_g/2^g / Σ_{g≥1} N_g/2^g (divisions per original cell that divided)
 *   expansion index = Σ_g N_g / Σ_g N_g/2^g                 (fold expansion of the whole culture)
 *   replication index = Σ_{g≥1} N_g / Σ_{g≥1} N_g/2^g       (fold expansion of the responding cells)
 * flowFit's "proliferation index" (Munson 2010) is the expansion index here.
 */
import { ComputationError, InputError } from '../errors.js';
import { medianInPlace } from '../imaging/voi-stats.js';
import type { Column } from './types.js';

/** FlowJo's proliferation-platform indices. */
export interface ProliferationIndices {
  /** Σ_g N_g / 2^g: cells at the start that gave the cells seen. */
  originalCells: number;
  /** Σ_{g≥1} N_g / 2^g: original cells that divided at least once. */
  dividedOriginalCells: number;
  percentDivided: number;
  divisionIndex: number;
  /** NaN when no cell divided. */
  proliferationIndex: number;
  expansionIndex: number;
  /** NaN when no cell divided. */
  replicationIndex: number;
}

/**
 * Proliferation indices from the cells counted (or fitted) in each generation (module doc for the formulas).
 * @param countsPerGeneration N_0 (undivided), N_1, … (non-negative, not all 0)
 * @throws InputError for an empty list, a negative or non-finite count, or no cells at all
 */
export function proliferationIndices(countsPerGeneration: readonly number[]): ProliferationIndices {
  if (countsPerGeneration.length === 0)
    throw new InputError('no generations given', { field: 'countsPerGeneration' });
  let orig = 0;
  let origDiv = 0;
  let total = 0;
  let totalDiv = 0;
  let divisions = 0;
  countsPerGeneration.forEach((n, g) => {
    if (!(Number.isFinite(n) && n >= 0))
      throw new InputError(`generation ${g}: count must be a finite number ≥ 0`, {
        field: 'countsPerGeneration',
        value: n,
      });
    const o = n / 2 ** g;
    orig += o;
    total += n;
    divisions += g * o;
    if (g >= 1) {
      origDiv += o;
      totalDiv += n;
    }
  });
  if (!(total > 0))
    throw new InputError('no cells in any generation', { field: 'countsPerGeneration', value: 0 });
  return {
    originalCells: orig,
    dividedOriginalCells: origDiv,
    percentDivided: (100 * origDiv) / orig,
    divisionIndex: divisions / orig,
    proliferationIndex: origDiv > 0 ? divisions / origDiv : NaN,
    expansionIndex: total / orig,
    replicationIndex: origDiv > 0 ? totalDiv / origDiv : NaN,
  };
}

/** The undivided peak on log2 intensity. */
export interface UndividedPeak {
  meanLog2: number;
  sdLog2: number;
}

/** log2 of the positive values within the parent, and how many were not positive. */
function log2Values(values: Column, parent: Uint8Array | null): { x: Float64Array; nonPositive: number } {
  if (parent !== null && parent.length !== values.length)
    throw new InputError('parent membership length differs from the event count', { value: parent.length });
  const out: number[] = [];
  let nonPositive = 0;
  for (let i = 0; i < values.length; i++) {
    if (parent !== null && !parent[i]) continue;
    const v = values[i]!;
    if (v > 0 && Number.isFinite(v)) out.push(Math.log2(v));
    else nonPositive++;
  }
  return { x: Float64Array.from(out), nonPositive };
}

/**
 * The undivided peak from an unstimulated (or day-0) control: median and 1.4826 × MAD of log2 intensity of its
 * positive values (robust to a few dividing or dead cells).
 * @throws InputError when fewer than 20 positive values are in the parent
 */
export function undividedPeakFromControl(values: Column, parent: Uint8Array | null): UndividedPeak {
  const { x } = log2Values(values, parent);
  if (x.length < 20)
    throw new InputError('the control has too few positive dye values to place the undivided peak', {
      field: 'control',
      value: x.length,
    });
  const meanLog2 = medianInPlace(x.slice());
  const dev = x.map((v) => Math.abs(v - meanLog2));
  const sdLog2 = 1.4826 * medianInPlace(dev);
  if (!(sdLog2 > 0))
    throw new InputError('the control dye values have no spread (MAD 0)', { field: 'control', value: 0 });
  return { meanLog2, sdLog2 };
}

/** Options of `fitDyeDilution`. */
export interface DyeDilutionOptions {
  /** Peaks fitted, undivided included (default 8, FlowJo's default). */
  generations?: number;
  /** The undivided peak from a control (held fixed); fitted when absent. */
  undividedPeak?: UndividedPeak;
  /** Hold σ at the control's width instead of fitting it (default false; needs `undividedPeak`). */
  fixWidth?: boolean;
  /** Intensity ratio of successive generations (default 0.5). */
  peakRatio?: number;
  maxIterations?: number;
}

/** One fitted generation. */
export interface GenerationFit {
  generation: number;
  /** Peak position in linear intensity (2^μ_g). */
  peakIntensity: number;
  /** Fraction of the fitted cells in this generation (π_g). */
  fraction: number;
  /** π_g × cells fitted. */
  count: number;
  /** Gate limits halfway (in log2) between neighbouring peaks, in linear intensity (FlowJo "Create Gates"). */
  lowerIntensity: number;
  upperIntensity: number;
}

/** Result of `fitDyeDilution`. */
export interface DyeDilutionFit {
  generations: GenerationFit[];
  undividedMeanLog2: number;
  sdLog2: number;
  /** Log2 spacing of the peaks (log2(1 / peakRatio)). */
  spacingLog2: number;
  /** Events fitted (positive dye values within the parent). */
  cellsFitted: number;
  /** Events within the parent whose dye value was ≤ 0 (not fitted). */
  nonPositive: number;
  /** Log-likelihood of the binned log2 values (bin centres) under the fitted mixture. */
  logLikelihood: number;
  iterations: number;
  indices: ProliferationIndices;
}

const BIN = 0.005;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

interface Hist {
  x: Float64Array;
  w: Float64Array;
  n: number;
}

function histogram(x: Float64Array): Hist {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const nb = Math.floor((hi - lo) / BIN) + 1;
  const w = new Float64Array(nb);
  for (const v of x) w[Math.floor((v - lo) / BIN)]!++;
  const keep: number[] = [];
  for (let b = 0; b < nb; b++) if (w[b]! > 0) keep.push(b);
  return {
    x: Float64Array.from(keep, (b) => lo + (b + 0.5) * BIN),
    w: Float64Array.from(keep, (b) => w[b]!),
    n: x.length,
  };
}

interface Mixture {
  mu0: number;
  sd: number;
  pi: Float64Array;
}

/** EM iterations on the histogram; returns the log-likelihood of the final parameters. */
function em(
  h: Hist,
  m: Mixture,
  s: number,
  opts: { fixMu0: boolean; fixSd: boolean; maxIterations: number },
): { logLik: number; iterations: number } {
  const G = m.pi.length;
  const r = new Float64Array(G);
  let prev = -Infinity;
  let logLik = -Infinity;
  let it = 0;
  for (; it < opts.maxIterations; it++) {
    const sumR = new Float64Array(G);
    let sumShift = 0;
    let ll = 0;
    const logNorm = -Math.log(m.sd) - LOG_SQRT_2PI;
    // E-step, and the sufficient statistics of μ0 and π
    for (let b = 0; b < h.x.length; b++) {
      const x = h.x[b]!;
      let tot = 0;
      for (let g = 0; g < G; g++) {
        const z = (x - (m.mu0 - g * s)) / m.sd;
        const p = m.pi[g]! * Math.exp(logNorm - 0.5 * z * z);
        r[g] = p;
        tot += p;
      }
      if (!(tot > 0)) continue;
      const w = h.w[b]!;
      ll += w * Math.log(tot);
      for (let g = 0; g < G; g++) {
        const rg = (w * r[g]!) / tot;
        sumR[g]! += rg;
        sumShift += rg * (x + g * s);
      }
    }
    logLik = ll;
    let used = 0;
    for (let g = 0; g < G; g++) used += sumR[g]!;
    if (!(used > 0)) throw new ComputationError('the dye values are far from every generation peak');
    for (let g = 0; g < G; g++) m.pi[g] = sumR[g]! / used;
    if (!opts.fixMu0) m.mu0 = sumShift / used;
    if (!opts.fixSd) {
      let ss = 0;
      for (let b = 0; b < h.x.length; b++) {
        const x = h.x[b]!;
        let tot = 0;
        for (let g = 0; g < G; g++) {
          const z = (x - (m.mu0 - g * s)) / m.sd;
          r[g] = m.pi[g]! * Math.exp(-0.5 * z * z);
          tot += r[g]!;
        }
        if (!(tot > 0)) continue;
        for (let g = 0; g < G; g++) {
          const d = x - (m.mu0 - g * s);
          ss += (h.w[b]! * r[g]! * d * d) / tot;
        }
      }
      // Sheppard's correction for the histogram bin width.
      m.sd = Math.sqrt(Math.max(ss / used - (BIN * BIN) / 12, (BIN * BIN) / 4));
    }
    if (Math.abs(ll - prev) <= 1e-10 * Math.abs(ll)) break;
    prev = ll;
  }
  return { logLik, iterations: it + 1 };
}

/**
 * Fits the generation peaks of a dye-dilution channel and computes the proliferation indices from the fitted
 * cells per generation (module doc).
 * @param values the dye channel (linear intensity, e.g. compensated CFSE-A) of all events
 * @param parent 0/1 membership of the population to model (e.g. live CD8+ T cells; null = all events)
 * @throws InputError for fewer than 50 positive dye values, a parent mask of the wrong length, or options out
 *   of range (generations < 2, peakRatio outside (0, 1), fixWidth without undividedPeak)
 */
export function fitDyeDilution(
  values: Column,
  parent: Uint8Array | null,
  options: DyeDilutionOptions = {},
): DyeDilutionFit {
  const G = options.generations ?? 8;
  const ratio = options.peakRatio ?? 0.5;
  if (!(Number.isInteger(G) && G >= 2 && G <= 20))
    throw new InputError('generations must be a whole number in 2…20', { field: 'generations', value: G });
  if (!(ratio > 0 && ratio < 1))
    throw new InputError('peakRatio must be in (0, 1)', { field: 'peakRatio', value: ratio });
  if (options.fixWidth && !options.undividedPeak)
    throw new InputError('fixWidth needs the undivided peak of a control', {
      field: 'fixWidth',
      value: true,
    });
  const s = Math.log2(1 / ratio);
  const { x, nonPositive } = log2Values(values, parent);
  if (x.length < 50)
    throw new InputError('too few positive dye values to fit generations', {
      field: 'values',
      value: x.length,
    });
  const h = histogram(x);
  const maxIterations = options.maxIterations ?? 2000;
  const flat = (): Float64Array => new Float64Array(G).fill(1 / G);
  let m: Mixture;
  const fixMu0 = options.undividedPeak !== undefined;
  if (options.undividedPeak) {
    m = { mu0: options.undividedPeak.meanLog2, sd: options.undividedPeak.sdLog2, pi: flat() };
  } else {
    // Grid of undivided-peak positions over the upper half of the data; keep the most likely.
    const sorted = x.slice().sort();
    const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    let best: { ll: number; m: Mixture } | null = null;
    for (let mu0 = q(0.5); mu0 <= q(0.999) + s / 2; mu0 += s / 10) {
      const trial: Mixture = { mu0, sd: s / 5, pi: flat() };
      const { logLik } = em(h, trial, s, { fixMu0: true, fixSd: false, maxIterations: 25 });
      if (!best || logLik > best.ll) best = { ll: logLik, m: trial };
    }
    m = best!.m;
    m.pi = flat();
  }
  let fit = em(h, m, s, { fixMu0, fixSd: options.fixWidth ?? false, maxIterations });
  if (!fixMu0) {
    for (let k = 0; k < G && m.pi[0]! < 0.001; k++) {
      m = { mu0: m.mu0 - s, sd: m.sd, pi: flat() };
      fit = em(h, m, s, { fixMu0: false, fixSd: false, maxIterations });
    }
  }
  const n = x.length;
  const generations: GenerationFit[] = Array.from({ length: G }, (_, g) => {
    const mu = m.mu0 - g * s;
    return {
      generation: g,
      peakIntensity: 2 ** mu,
      fraction: m.pi[g]!,
      count: m.pi[g]! * n,
      lowerIntensity: g === G - 1 ? 0 : 2 ** (mu - s / 2),
      upperIntensity: g === 0 ? Infinity : 2 ** (mu + s / 2),
    };
  });
  return {
    generations,
    undividedMeanLog2: m.mu0,
    sdLog2: m.sd,
    spacingLog2: s,
    cellsFitted: n,
    nonPositive,
    logLikelihood: fit.logLik,
    iterations: fit.iterations,
    indices: proliferationIndices(generations.map((g) => g.count)),
  };
}

/**
 * Fluorescence compensation: spillover inverse (and least-squares unmixing for non-square spectrum
 * matrices), and the spillover matrix from single-stain controls as flowCore `spillover()` computes it.
 *
 * Convention (FCS 3.1 `$SPILLOVER`, flowCore `compensate`): row i of S is the spill of fluorochrome i into the
 * detectors; an event is a row vector, compensated x_c = x_raw · S⁻¹.
 */
import { inverse, Matrix } from 'ml-matrix';
import { ComputationError, InputError } from '../errors.js';
import { parameterIndex, type Column, type FlowEvents, type SpilloverMatrix } from './types.js';

/**
 * Unmixing matrix U (detectors × fluorochromes) with fluorochromes = detectors · U: S⁻¹ for a square S,
 * otherwise the least-squares solution Sᵀ(S Sᵀ)⁻¹ (spectral unmixing, Gating-ML 2.0 spectrumMatrix).
 * @param spectrum row-major fluorochromes × detectors
 * @throws ComputationError when S (or S Sᵀ) is singular
 */
export function unmixingMatrix(spectrum: number[][]): number[][] {
  const S = new Matrix(spectrum);
  try {
    if (S.rows === S.columns) return inverse(S).to2DArray();
    const St = S.transpose();
    return St.mmul(inverse(S.mmul(St))).to2DArray();
  } catch (err) {
    throw new ComputationError(`spillover/spectrum matrix cannot be inverted: ${(err as Error).message}`);
  }
}

/**
 * Compensates events with a spillover matrix; columns not in the matrix are returned unchanged (shared).
 * @param events events with columns named by `$PnN`
 * @param spill spillover matrix whose names are detectors of `events`
 * @param inPlace overwrite the detector columns instead of allocating new ones (saves memory for big files)
 * @returns events whose detector columns are replaced by compensated values (row · S⁻¹)
 * @throws InputError when a matrix parameter is not in the events; ComputationError for a singular matrix
 */
export function compensate(
  events: FlowEvents,
  spill: SpilloverMatrix,
  options: { inPlace?: boolean } = {},
): FlowEvents {
  const idx = spill.parameterNames.map((name) => {
    const i = parameterIndex(events, name);
    if (i < 0)
      throw new InputError('spillover parameter not in the data', { field: 'spillover', value: name });
    return i;
  });
  const U = unmixingMatrix(spill.values);
  const out = unmix(events, idx, U, options.inPlace === true);
  const columns = events.columns.slice();
  idx.forEach((ci, k) => (columns[ci] = out[k]!));
  return { parameterNames: events.parameterNames.slice(), columns, eventCount: events.eventCount };
}

/**
 * Applies an unmixing matrix to detector columns.
 * @param detectorIdx column indices of the detectors, in matrix row order
 * @param U detectors × outputs unmixing matrix
 * @returns one new column per output (or the detector columns overwritten when `inPlace` and square)
 */
export function unmix(events: FlowEvents, detectorIdx: number[], U: number[][], inPlace = false): Column[] {
  const n = detectorIdx.length;
  const m = U[0]?.length ?? 0;
  const src = detectorIdx.map((i) => events.columns[i]!);
  const square = n === m;
  const dst: Column[] =
    inPlace && square
      ? src
      : Array.from({ length: m }, () =>
          src[0] instanceof Float32Array
            ? new Float32Array(events.eventCount)
            : new Float64Array(events.eventCount),
        );
  // Blocks of events: copy detectors into a float64 scratch, accumulate each output as column operations
  // (tight monomorphic loops), then write back — the in-place case is safe because a block is read fully first.
  const B = 4096;
  const N = events.eventCount;
  // Nonzero coefficients of each output, in detector order (the order of the sums).
  const terms = Array.from({ length: m }, (_, j) => {
    const t: { i: number; u: number }[] = [];
    for (let i = 0; i < n; i++) if (U[i]![j]! !== 0) t.push({ i, u: U[i]![j]! });
    return t;
  });
  const tmp = new Float64Array(n * B);
  const acc = new Float64Array(m * B);
  for (let start = 0; start < N; start += B) {
    const len = Math.min(B, N - start);
    for (let i = 0; i < n; i++) {
      const s = src[i]!;
      const o = i * B;
      for (let e = 0; e < len; e++) tmp[o + e] = s[start + e]!;
    }
    acc.fill(0);
    for (let j = 0; j < m; j++) accumulateOutput(acc, j * B, tmp, B, terms[j]!, len);
    for (let j = 0; j < m; j++) dst[j]!.set(acc.subarray(j * B, j * B + len), start);
  }
  return dst;
}

/**
 * acc[oj + e] += Σ u·tmp[i·B + e] over `terms` for e < len, adding the terms one by one in their order
 * (four per pass over the block, so the block's accumulator is loaded and stored once per four terms;
 * the same operations in the same order as one term per pass: identical results).
 */
function accumulateOutput(
  acc: Float64Array,
  oj: number,
  tmp: Float64Array,
  B: number,
  terms: { i: number; u: number }[],
  len: number,
): void {
  let p = 0;
  for (; p + 4 <= terms.length; p += 4) {
    const u0 = terms[p]!.u;
    const u1 = terms[p + 1]!.u;
    const u2 = terms[p + 2]!.u;
    const u3 = terms[p + 3]!.u;
    const o0 = terms[p]!.i * B;
    const o1 = terms[p + 1]!.i * B;
    const o2 = terms[p + 2]!.i * B;
    const o3 = terms[p + 3]!.i * B;
    for (let e = 0; e < len; e++) {
      let a = acc[oj + e]!;
      a += u0 * tmp[o0 + e]!;
      a += u1 * tmp[o1 + e]!;
      a += u2 * tmp[o2 + e]!;
      a += u3 * tmp[o3 + e]!;
      acc[oj + e] = a;
    }
  }
  for (; p < terms.length; p++) {
    const u = terms[p]!.u;
    const o = terms[p]!.i * B;
    for (let e = 0; e < len; e++) acc[oj + e] = acc[oj + e]! + u * tmp[o + e]!;
  }
}

function median(col: ArrayLike<number>): number {
  const a = Float64Array.from(col).sort();
  const n = a.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? a[(n - 1) / 2]! : 0.5 * (a[n / 2 - 1]! + a[n / 2]!);
}

/**
 * Spillover matrix from single-stain controls, flowCore `spillover(method = "median")`:
 * S[i][j] = (median_j(stain_i) − median_j(unstained)) / (median_i(stain_i) − median_i(unstained)).
 * @param controls one single-stained control per detector: `detector` is the $PnN of its primary channel
 * @param unstained the unstained control
 * @param detectors detector names in matrix order (default: the controls' detectors)
 * @throws InputError when a detector is absent from a control; ComputationError when a stain gives no signal
 *   above unstained in its own detector
 */
export function spilloverFromSingleStains(
  controls: { detector: string; events: FlowEvents }[],
  unstained: FlowEvents,
  detectors: string[] = controls.map((c) => c.detector),
): SpilloverMatrix {
  const col = (ev: FlowEvents, name: string): Column => {
    const i = parameterIndex(ev, name);
    if (i < 0) throw new InputError('detector not in control', { field: 'detector', value: name });
    return ev.columns[i]!;
  };
  const base = detectors.map((d) => median(col(unstained, d)));
  const values = detectors.map((di, i) => {
    const ctrl = controls.find((c) => c.detector === di);
    if (!ctrl) throw new InputError('no single-stain control for detector', { field: 'detector', value: di });
    const med = detectors.map((d) => median(col(ctrl.events, d)));
    const own = med[i]! - base[i]!;
    if (!(own > 0)) {
      throw new ComputationError('single stain has no signal above unstained in its own detector', {
        field: di,
        value: own,
      });
    }
    return med.map((m, j) => (m - base[j]!) / own);
  });
  return { parameterNames: detectors.slice(), values };
}

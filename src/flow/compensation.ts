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
import { isShared, runThreadsSync, threadCount } from '../parallel/pool.js';

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
 * @param inPlace overwrite the detector columns instead of allocating new ones (saves memory for big files; the
 *   values are then rounded to the columns' precision)
 * @returns events whose detector columns are replaced by compensated values (row · S⁻¹; float64 columns
 *   unless in place)
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
  const out = unmix(events, idx, U, options.inPlace === true, { float64: true });
  const columns = events.columns.slice();
  idx.forEach((ci, k) => (columns[ci] = out[k]!));
  return { parameterNames: events.parameterNames.slice(), columns, eventCount: events.eventCount };
}

/**
 * Applies an unmixing matrix to detector columns.
 * @param detectorIdx column indices of the detectors, in matrix row order
 * @param U detectors × outputs unmixing matrix
 * @param opts threads: thread count when the detector columns live in SharedArrayBuffers (default
 *   CARTO_THREADS, else os.availableParallelism(), for ≥ 2²² events); the threads take chunks of events
 *   in turn, each event computed as on one thread (bit-identical). Non-shared columns: one thread.
 *   float64: new output columns are float64 even when the detectors are float32 (default: the detectors'
 *   precision, to save memory). outputs: m float64 columns of N values to write the outputs into (not in place).
 * @returns one new column per output (or the detector columns overwritten when `inPlace` and square)
 */
export function unmix(
  events: FlowEvents,
  detectorIdx: number[],
  U: number[][],
  inPlace = false,
  opts: { threads?: number; float64?: boolean; outputs?: Float64Array[] } = {},
): Column[] {
  const n = detectorIdx.length;
  const m = U[0]?.length ?? 0;
  const src = detectorIdx.map((i) => events.columns[i]!);
  const square = n === m;
  const N = events.eventCount;
  // Threads only on columns in shared memory (no copy): explicit count, else CARTO_THREADS / cores
  // for ≥ 2²² events.
  const allShared = src.every((c) => isShared(c));
  let threads = allShared ? threadCount(N, opts.threads) : 1;
  threads = Math.max(1, Math.min(threads, Math.ceil(N / UNMIX_BLOCK)));
  if (opts.outputs && !opts.outputs.every((c) => isShared(c))) threads = 1;
  const f32 = src[0] instanceof Float32Array && opts.float64 !== true;
  const alloc = (): Column => {
    const buffer = threads > 1 ? new SharedArrayBuffer(N * (f32 ? 4 : 8)) : null;
    if (f32) return buffer ? new Float32Array(buffer) : new Float32Array(N);
    return buffer ? new Float64Array(buffer) : new Float64Array(N);
  };
  const dst: Column[] = inPlace && square ? src : (opts.outputs ?? Array.from({ length: m }, alloc));
  // Nonzero coefficients of each output, in detector order (the order of the sums).
  const terms = Array.from({ length: m }, (_, j) => {
    const t: { i: number; u: number }[] = [];
    for (let i = 0; i < n; i++) if (U[i]![j]! !== 0) t.push({ i, u: U[i]![j]! });
    return t;
  });
  // Threads take chunks of blocks in turn from a shared counter (a thread the OS holds back does not hold
  // back the others); each event is computed the same whoever takes it.
  const next = new Int32Array(threads > 1 ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
  const tasks: UnmixTask[] = Array.from({ length: threads }, () => ({
    src,
    dst,
    terms,
    next,
    eventCount: N,
  }));
  runThreadsSync(import.meta.url, 'unmixTask', unmixTask, tasks);
  return dst;
}

/** Events per block of `unmix`. */
const UNMIX_BLOCK = 1024;

/** Blocks per chunk taken from the work counter. */
const UNMIX_CHUNK_BLOCKS = 16;

/** A thread's view of `unmix`: takes chunks of UNMIX_CHUNK_BLOCKS blocks of UNMIX_BLOCK events from `next`. */
interface UnmixTask {
  src: Column[];
  dst: Column[];
  terms: { i: number; u: number }[][];
  /** Shared work counter: the next chunk to take. */
  next: Int32Array;
  eventCount: number;
}

/**
 * Worker entry (src/parallel/pool.ts) and single-thread body of `unmix`. Blocks of events: copy the
 * detectors into a float64 scratch, accumulate each output as column operations (tight monomorphic
 * loops), then write back — the in-place case is safe because a block is read fully first. Internal.
 */
export function unmixTask(task: UnmixTask): void {
  const { src, dst, terms, eventCount: N } = task;
  const B = UNMIX_BLOCK;
  const n = src.length;
  const m = dst.length;
  const tmp = new Float64Array(n * B);
  const acc = new Float64Array(m * B);
  const chunkEvents = UNMIX_CHUNK_BLOCKS * B;
  for (let c = Atomics.add(task.next, 0, 1); c * chunkEvents < N; c = Atomics.add(task.next, 0, 1))
    unmixChunk(src, dst, terms, tmp, acc, c * chunkEvents, Math.min(N, (c + 1) * chunkEvents));
}

/** Events [e0, e1) of `unmix`, block by block (see `unmixTask`). */
function unmixChunk(
  src: Column[],
  dst: Column[],
  terms: { i: number; u: number }[][],
  tmp: Float64Array,
  acc: Float64Array,
  e0: number,
  e1: number,
): void {
  const B = UNMIX_BLOCK;
  const n = src.length;
  const m = dst.length;
  // float64 outputs that are not detectors: summed in place (no accumulator copy)
  const direct = dst.every((d) => d instanceof Float64Array && !src.includes(d));
  for (let start = e0; start < e1; start += B) {
    const len = Math.min(B, e1 - start);
    for (let i = 0; i < n; i++) {
      const s = src[i]!;
      const o = i * B;
      for (let e = 0; e < len; e++) tmp[o + e] = s[start + e]!;
    }
    if (direct) {
      for (let j = 0; j < m; j++) {
        const d = dst[j] as Float64Array;
        d.fill(0, start, start + len);
        accumulateOutput(d, start, tmp, B, terms[j]!, len);
      }
      continue;
    }
    acc.fill(0);
    for (let j = 0; j < m; j++) accumulateOutput(acc, j * B, tmp, B, terms[j]!, len);
    for (let j = 0; j < m; j++) dst[j]!.set(acc.subarray(j * B, j * B + len), start);
  }
}

/**
 * acc[oj + e] += Σ u·tmp[i·B + e] over `terms` for e < len, adding the terms one by one in their order
 * (eight, then four per pass over the block, so the block's accumulator is loaded and stored once per
 * eight terms; the same operations in the same order as one term per pass: identical results).
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
  for (; p + 8 <= terms.length; p += 8) {
    const u0 = terms[p]!.u;
    const u1 = terms[p + 1]!.u;
    const u2 = terms[p + 2]!.u;
    const u3 = terms[p + 3]!.u;
    const u4 = terms[p + 4]!.u;
    const u5 = terms[p + 5]!.u;
    const u6 = terms[p + 6]!.u;
    const u7 = terms[p + 7]!.u;
    const o0 = terms[p]!.i * B;
    const o1 = terms[p + 1]!.i * B;
    const o2 = terms[p + 2]!.i * B;
    const o3 = terms[p + 3]!.i * B;
    const o4 = terms[p + 4]!.i * B;
    const o5 = terms[p + 5]!.i * B;
    const o6 = terms[p + 6]!.i * B;
    const o7 = terms[p + 7]!.i * B;
    for (let e = 0; e < len; e++) {
      let a = acc[oj + e]!;
      a += u0 * tmp[o0 + e]!;
      a += u1 * tmp[o1 + e]!;
      a += u2 * tmp[o2 + e]!;
      a += u3 * tmp[o3 + e]!;
      a += u4 * tmp[o4 + e]!;
      a += u5 * tmp[o5 + e]!;
      a += u6 * tmp[o6 + e]!;
      a += u7 * tmp[o7 + e]!;
      acc[oj + e] = a;
    }
  }
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

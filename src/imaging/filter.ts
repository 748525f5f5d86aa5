/**
 * Separable Gaussian smoothing with the width given as FWHM in mm (converted per axis with the voxel
 * spacing), e.g. the EARL2 → EARL1 harmonisation filter of 7 mm FWHM. No I/O.
 *
 * σ_mm = FWHM / (2·√(2·ln 2)) ≈ FWHM / 2.3548; σ_vox = σ_mm / spacing along that axis. The sampled
 * kernel exp(−x²/(2σ²)) is truncated at ±ceil(4σ) voxels and normalised to sum 1. At the volume border
 * the weights that fall outside are dropped and the rest renormalised (a flat image stays flat; no
 * mirrored or zero padding).
 * Source: Kaalep et al., EJNMMI Phys 2019 6:28 (EARL2 with 7 mm Gaussian ≈ EARL1); docs/references/imaging.md §8.
 */
import { InputError } from '../errors.js';
import type { Vec3, Volume } from './volume.js';
import { barrier, isShared, newSyncState, runThreadsSync, threadCount } from '../parallel/pool.js';
import type { SyncState } from '../parallel/pool.js';
import { SimdAxisPass, wasmSimdAvailable } from './gaussian-simd.js';

/** FWHM → σ factor: 2·√(2·ln 2). */
export const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

/** EARL2 → EARL1 post-filter FWHM (mm). */
export const EARL1_FROM_EARL2_FWHM_MM = 7;

/** Largest FWHM accepted (mm): harmonisation filters are 4–10 mm; 50 mm bounds the kernel size. */
export const MAX_FWHM_MM = 50;

/** Normalised 1D Gaussian kernel (length 2r+1) for σ in voxels. */
export function gaussianKernel(sigmaVox: number, truncate = 4): Float64Array {
  const r = Math.max(0, Math.ceil(truncate * sigmaVox));
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let x = -r; x <= r; x++) {
    const w = sigmaVox > 0 ? Math.exp(-(x * x) / (2 * sigmaVox * sigmaVox)) : x === 0 ? 1 : 0;
    k[x + r] = w;
    s += w;
  }
  for (let x = 0; x < k.length; x++) k[x] = k[x]! / s;
  return k;
}

/**
 * Gaussian filter of a volume.
 *
 * Large volumes (≥ 2²² voxels) are filtered on several threads (src/parallel/pool.ts): the output lives
 * in a SharedArrayBuffer and each pass along an axis is split into independent lines/planes that the
 * threads take in turn from a shared counter, so every voxel is computed exactly as on one thread
 * (bit-identical results whatever the thread count).
 * The line convolutions run in WebAssembly SIMD (src/imaging/gaussian-simd.wat; bit-identical to the scalar
 * TypeScript below, which is the reference and is used only where the engine has no WebAssembly SIMD).
 *
 * @param volume image (any unit; the result keeps it).
 * @param fwhmMm FWHM in mm, the same for all axes or one per grid axis (0 = no smoothing on that axis).
 * @param truncate kernel half-width in σ (default 4).
 * @param opts threads: thread count (default CARTO_THREADS, else os.availableParallelism(), for
 *   volumes of ≥ 2²² voxels; 1 below); an explicit count is used on any volume. simd: false runs the scalar
 *   reference code (default: WebAssembly SIMD when the engine has it; an engine that has it but fails to
 *   instantiate the module is an error). inPlace: the caller gives up `volume`: a float32 input (in shared
 *   memory, as readNifti gives, when on several threads) is filtered in its own memory and returned (no
 *   new volume of memory to allocate); any other input is left as it is.
 * @returns a new Float32 volume on the same grid.
 * @param opts field: the name to give `fwhmMm` in errors (e.g. the CLI option '--filter-fwhm-mm').
 * @throws InputError naming the field for a FWHM that is not finite, negative or over `MAX_FWHM_MM`,
 *   or a truncation outside 0.5…10 σ; RangeError for a thread count that is not a whole number ≥ 1.
 */
export function gaussianFilter(
  volume: Volume<Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Int32Array>,
  fwhmMm: number | Vec3,
  truncate = 4,
  opts: { field?: string; threads?: number; simd?: boolean; inPlace?: boolean } = {},
): Volume<Float32Array> {
  const field = opts.field ?? 'fwhmMm';
  const fwhm: Vec3 = typeof fwhmMm === 'number' ? [fwhmMm, fwhmMm, fwhmMm] : fwhmMm;
  for (const f of fwhm) {
    if (!Number.isFinite(f) || f < 0 || f > MAX_FWHM_MM)
      throw new InputError(`FWHM must be 0…${MAX_FWHM_MM} mm`, { field, value: f });
  }
  if (!(truncate >= 0.5 && truncate <= 10))
    throw new InputError('kernel truncation must be 0.5…10 σ', { field: 'truncate', value: truncate });
  const n = volume.data.length;
  const threads = Math.min(threadCount(n, opts.threads), Math.max(1, Math.min(...volume.size)));
  // In place: the input's own float32 memory when the caller gives it up and every thread can see it.
  const d = volume.data;
  const inPlace = opts.inPlace === true && d instanceof Float32Array && (threads === 1 || isShared(d));
  const out = inPlace
    ? d
    : threads > 1
      ? new Float32Array(new SharedArrayBuffer(4 * n))
      : new Float32Array(n);
  const kernels: (Float64Array | null)[] = [0, 1, 2].map((ax) => {
    const sigmaVox = fwhm[ax]! / FWHM_PER_SIGMA / volume.spacingMm[ax]!;
    return sigmaVox === 0 ? null : gaussianKernel(sigmaVox, truncate);
  });
  const size: Vec3 = [...volume.size];
  const simd = opts.simd ?? wasmSimdAvailable();
  // The first pass reads the input and writes `out` when every thread can see the input (one thread, or
  // shared memory as readNifti gives): no copy, and the threads share the first touch of `out`'s pages
  // (costly: ~3 s/GB of CPU on some virtual machines). Else the threads first touch the pages together,
  // then this thread copies the input in (`prefault`).
  // (`out` already holds the voxels in place; with no pass to run, they are copied here.)
  const copyIn = !inPlace && kernels.some((k) => k !== null);
  const direct = threads === 1 || isShared(volume.data);
  if (!inPlace && !copyIn) out.set(volume.data);
  const input = copyIn && direct ? volume.data : null;
  const copyFrom = copyIn && !direct ? volume.data : null;
  // Work counters of the page touching and the three passes (threads take chunks in turn: a thread that
  // the OS holds back does not hold back the others; each line is computed the same whoever takes it).
  const next = new Int32Array(threads > 1 ? new SharedArrayBuffer(16) : new ArrayBuffer(16));
  if (threads === 1) {
    filterPart({ input, copyFrom: null, prefault: false, out, size, kernels, next, sync: null, simd });
  } else {
    const sync = newSyncState(threads);
    const tasks: FilterTask[] = [];
    for (let part = 0; part < threads; part++) {
      const prefault = copyFrom !== null;
      tasks.push({
        input,
        copyFrom: part === 0 ? copyFrom : null,
        prefault,
        out,
        size,
        kernels,
        next,
        sync,
        simd,
      });
    }
    runThreadsSync(import.meta.url, 'filterPart', filterPart, tasks, sync);
  }
  return { ...volume, size, data: out, unit: volume.unit };
}

/** Values of `out` per chunk of the page touching (`FilterTask.prefault`). */
const PREFAULT_CHUNK = 1 << 20;

/** Rows of the i pass per chunk taken from the work counter (the j and k passes take one plane). */
const ROWS_PER_CHUNK = 64;

/** Voxel arrays the filter reads (any `gaussianFilter` input). */
type FilterInput = Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Int32Array;

/**
 * A thread's view of the filter: every thread runs the three axis passes on `out`, the first one reading
 * `input` (converted to float32 on the way in, as `out.set(input)` would) when given, the others in place.
 */
interface FilterTask {
  /** The volume's voxels when the first pass reads them (null: `out` already holds them). */
  input: FilterInput | null;
  /** Touch `out`'s pages together first (then the calling thread copies `copyFrom` into `out`). */
  prefault: boolean;
  /** The volume's voxels, on the calling thread's task only, when they are not shared (see `prefault`). */
  copyFrom: FilterInput | null;
  out: Float32Array;
  size: Vec3;
  kernels: (Float64Array | null)[];
  /** Shared work counters (page touching, then one per axis pass): the next chunk to take. */
  next: Int32Array;
  /** Barrier between the axis passes (null on one thread). */
  sync: SyncState | null;
  /** true: the WebAssembly SIMD kernels (gaussian-simd.ts); false: the scalar reference code. */
  simd: boolean;
}

/**
 * Worker entry (src/parallel/pool.ts) and single-thread body: the three axis passes, each as chunks of
 * lines taken from the pass's work counter until none is left, then the barrier. Internal.
 */
export function filterPart(task: FilterTask): void {
  const { out, size, kernels, next, sync, simd } = task;
  const [nx, ny, nz] = size;
  let src: FilterInput = task.input ?? out;
  if (task.prefault && sync) {
    const chunks = Math.ceil(out.length / PREFAULT_CHUNK);
    for (let c = Atomics.add(next, 0, 1); c < chunks; c = Atomics.add(next, 0, 1)) {
      const end = Math.min(out.length, (c + 1) * PREFAULT_CHUNK);
      for (let q = c * PREFAULT_CHUNK; q < end; q += 1024) out[q] = 0; // 1024 float32 = one 4 KiB page
    }
    barrier(sync);
    if (task.copyFrom) out.set(task.copyFrom);
    barrier(sync);
  }
  for (let ax = 0; ax < 3; ax++) {
    const kern = kernels[ax];
    if (!kern) continue;
    const from = src;
    src = out;
    // Along i (chunks of rows), j (planes = slices k) or k (planes = rows j).
    const chunks = ax === 0 ? Math.ceil((ny * nz) / ROWS_PER_CHUNK) : ax === 1 ? nz : ny;
    if (simd) {
      const tile = nx * (ax === 0 ? Math.min(ROWS_PER_CHUNK, ny * nz) : ax === 1 ? ny : nz);
      const pass = new SimdAxisPass(kern, foldedScale(kern), tile);
      for (let c = Atomics.add(next, 1 + ax, 1); c < chunks; c = Atomics.add(next, 1 + ax, 1)) {
        if (ax === 0)
          pass.rows(from, out, nx, c * ROWS_PER_CHUNK, Math.min(ny * nz, (c + 1) * ROWS_PER_CHUNK));
        else pass.plane(from, out, size, ax as 1 | 2, c);
      }
      if (sync) barrier(sync);
      continue;
    }
    // Scratch: one line (i pass) or one plane of lines (j, k passes), and a float64 accumulator row.
    const scratch = new Float32Array(ax === 0 ? nx : nx * (ax === 1 ? ny : nz));
    const acc = new Float64Array(nx);
    for (let c = Atomics.add(next, 1 + ax, 1); c < chunks; c = Atomics.add(next, 1 + ax, 1)) {
      if (ax === 0) {
        const row1 = Math.min(ny * nz, (c + 1) * ROWS_PER_CHUNK);
        filterRows(from, out, nx, kern, c * ROWS_PER_CHUNK, row1, scratch, acc);
      } else filterPlanes(from, out, size, ax, kern, c, scratch, acc);
    }
    if (sync) barrier(sync);
  }
}

/**
 * One output line of `len` values from a symmetric kernel over rows of `src` (each `len` long):
 * dst[o + i] = (c·src[mid + i] + Σ_{d=r…1} w_d·(src[mid − d·step + i] + src[mid + d·step + i])) · scale,
 * with c = kern[r], w_d = kern[r − d] = kern[r + d]: the centre first, then the pairs from the outermost
 * in (the order of scipy.ndimage.correlate1d for a symmetric kernel), accumulated in float64 in `acc`.
 * The pairs are added eight per sweep over the line (`addPairs8`), then four, then one by one: the same
 * sums in the same order whatever the grouping.
 */
function foldedLine(
  src: Float32Array,
  mid: number,
  step: number,
  len: number,
  kern: Float64Array,
  scale: number,
  acc: Float64Array,
  dst: Float32Array,
  o: number,
): void {
  const r = (kern.length - 1) / 2;
  const c = kern[r]!;
  for (let i = 0; i < len; i++) acc[i] = c * src[mid + i]!;
  let d = r;
  for (; d >= 8; d -= 8) addPairs8(src, mid, step, len, kern, d, acc);
  for (; d >= 4; d -= 4) addPairs4(src, mid, step, len, kern, d, acc);
  for (; d >= 1; d--) {
    const w = kern[r - d]!;
    const a0 = mid - d * step;
    const b0 = mid + d * step;
    for (let i = 0; i < len; i++) acc[i] = acc[i]! + w * (src[a0 + i]! + src[b0 + i]!);
  }
  for (let i = 0; i < len; i++) dst[o + i] = acc[i]! * scale;
}

/** acc[i] += the pairs at distances d, d − 1, …, d − 7 (in that order) of `foldedLine`. */
function addPairs8(
  src: Float32Array,
  mid: number,
  step: number,
  len: number,
  kern: Float64Array,
  d: number,
  acc: Float64Array,
): void {
  const k = (kern.length - 1) / 2 - d;
  const w0 = kern[k]!;
  const w1 = kern[k + 1]!;
  const w2 = kern[k + 2]!;
  const w3 = kern[k + 3]!;
  const w4 = kern[k + 4]!;
  const w5 = kern[k + 5]!;
  const w6 = kern[k + 6]!;
  const w7 = kern[k + 7]!;
  const a0 = mid - d * step;
  const a1 = a0 + step;
  const a2 = a1 + step;
  const a3 = a2 + step;
  const a4 = a3 + step;
  const a5 = a4 + step;
  const a6 = a5 + step;
  const a7 = a6 + step;
  const b0 = mid + d * step;
  const b1 = b0 - step;
  const b2 = b1 - step;
  const b3 = b2 - step;
  const b4 = b3 - step;
  const b5 = b4 - step;
  const b6 = b5 - step;
  const b7 = b6 - step;
  for (let i = 0; i < len; i++) {
    let a = acc[i]!;
    a += w0 * (src[a0 + i]! + src[b0 + i]!);
    a += w1 * (src[a1 + i]! + src[b1 + i]!);
    a += w2 * (src[a2 + i]! + src[b2 + i]!);
    a += w3 * (src[a3 + i]! + src[b3 + i]!);
    a += w4 * (src[a4 + i]! + src[b4 + i]!);
    a += w5 * (src[a5 + i]! + src[b5 + i]!);
    a += w6 * (src[a6 + i]! + src[b6 + i]!);
    a += w7 * (src[a7 + i]! + src[b7 + i]!);
    acc[i] = a;
  }
}

/** acc[i] += the pairs at distances d, d − 1, d − 2, d − 3 (in that order) of `foldedLine`. */
function addPairs4(
  src: Float32Array,
  mid: number,
  step: number,
  len: number,
  kern: Float64Array,
  d: number,
  acc: Float64Array,
): void {
  const k = (kern.length - 1) / 2 - d;
  const w0 = kern[k]!;
  const w1 = kern[k + 1]!;
  const w2 = kern[k + 2]!;
  const w3 = kern[k + 3]!;
  const a0 = mid - d * step;
  const a1 = a0 + step;
  const a2 = a1 + step;
  const a3 = a2 + step;
  const b0 = mid + d * step;
  const b1 = b0 - step;
  const b2 = b1 - step;
  const b3 = b2 - step;
  for (let i = 0; i < len; i++) {
    let a = acc[i]!;
    a += w0 * (src[a0 + i]! + src[b0 + i]!);
    a += w1 * (src[a1 + i]! + src[b1 + i]!);
    a += w2 * (src[a2 + i]! + src[b2 + i]!);
    a += w3 * (src[a3 + i]! + src[b3 + i]!);
    acc[i] = a;
  }
}

/**
 * One output line near the volume border (taps u = lo…hi of the line's `count` rows exist): weights
 * outside dropped and the rest renormalised, dst[o + i] = Σ_u kern[u − t + r]·src[u·step + i] / Σ_u kern[…].
 */
function borderLine(
  src: Float32Array,
  t: number,
  count: number,
  step: number,
  len: number,
  kern: Float64Array,
  acc: Float64Array,
  dst: Float32Array,
  o: number,
): void {
  const r = (kern.length - 1) / 2;
  const lo = Math.max(0, t - r);
  const hi = Math.min(count - 1, t + r);
  acc.fill(0, 0, len);
  let w = 0;
  for (let u = lo; u <= hi; u++) {
    const kw = kern[u - t + r]!;
    w += kw;
    const s = u * step;
    for (let i = 0; i < len; i++) acc[i] = acc[i]! + kw * src[s + i]!;
  }
  for (let i = 0; i < len; i++) dst[o + i] = acc[i]! / w;
}

/** 1 / (sum of the kernel in the folded order of `foldedLine`): interior voxels of a flat image stay flat. */
function foldedScale(kern: Float64Array): number {
  const r = (kern.length - 1) / 2;
  let s = kern[r]!;
  for (let d = r; d >= 1; d--) s += kern[r - d]! + kern[r + d]!;
  return 1 / s;
}

/**
 * Filters rows [row0, row1) of length nx along i (rows are contiguous): each row is copied to the scratch
 * `line` (nx; `acc` nx float64), the interior (r ≤ i < nx − r) is swept as shifted copies of the line (`foldedLine` with step 1),
 * the r values at either end renormalised (`borderLine` on one value).
 */
function filterRows(
  from: FilterInput,
  out: Float32Array,
  nx: number,
  kern: Float64Array,
  row0: number,
  row1: number,
  line: Float32Array,
  acc: Float64Array,
): void {
  const r = (kern.length - 1) / 2;
  const scale = foldedScale(kern);
  const inner = Math.max(0, nx - 2 * r);
  for (let row = row0; row < row1; row++) {
    const start = row * nx;
    line.set(from.subarray(start, start + nx));
    if (inner > 0) foldedLine(line, r, 1, inner, kern, scale, acc, out, start + r);
    for (let t = 0; t < nx; t++) {
      if (t === r && inner > 0) t = nx - r;
      if (t >= nx) break;
      borderLine(line, t, nx, 1, 1, kern, acc, out, start + t);
    }
  }
}
/**
 * Filters along j (ax 1) or k (ax 2) in one plane (slice k or row j): the plane's lines are copied as
 * rows of nx contiguous values into the scratch `buf` (len × nx), then each output row is a kernel-weighted sum of whole rows
 * (`foldedLine` with step nx; `borderLine` for the r rows at either end), so every inner loop runs over
 * contiguous i.
 */
function filterPlanes(
  from: FilterInput,
  out: Float32Array,
  size: Vec3,
  ax: number,
  kern: Float64Array,
  plane: number,
  buf: Float32Array,
  acc: Float64Array,
): void {
  const [nx, ny, nz] = size;
  const r = (kern.length - 1) / 2;
  const len = ax === 1 ? ny : nz;
  const scale = foldedScale(kern);
  const base = (t: number) => (ax === 1 ? nx * (t + ny * plane) : nx * (plane + ny * t));
  if (ax === 1) buf.set(from.subarray(base(0), base(len)));
  else for (let t = 0; t < len; t++) buf.set(from.subarray(base(t), base(t) + nx), t * nx);
  for (let t = 0; t < len; t++) {
    if (t >= r && t < len - r) foldedLine(buf, t * nx, nx, nx, kern, scale, acc, out, base(t));
    else borderLine(buf, t, len, nx, nx, kern, acc, out, base(t));
  }
}

/** EARL2 → EARL1 harmonisation: Gaussian post-filter of 7 mm FWHM (Kaalep et al. 2019). */
export function earl2ToEarl1(volume: Volume<Float32Array | Float64Array>): Volume<Float32Array> {
  return gaussianFilter(volume, EARL1_FROM_EARL2_FWHM_MM);
}

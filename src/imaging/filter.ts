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
import { barrier, newSyncState, runThreadsSync, splitRange, threadCount } from '../parallel/pool.js';
import type { SyncState } from '../parallel/pool.js';

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
 * in a SharedArrayBuffer and each pass along an axis is split into independent lines/planes, so every
 * voxel is computed exactly as on one thread (bit-identical results whatever the thread count).
 *
 * @param volume image (any unit; the result keeps it).
 * @param fwhmMm FWHM in mm, the same for all axes or one per grid axis (0 = no smoothing on that axis).
 * @param truncate kernel half-width in σ (default 4).
 * @param opts threads: thread count (default CARTO_THREADS, else os.availableParallelism(), for
 *   volumes of ≥ 2²² voxels; 1 below); an explicit count is used on any volume.
 * @returns a new Float32 volume on the same grid.
 * @param opts field: the name to give `fwhmMm` in errors (e.g. the CLI option '--filter-fwhm-mm').
 * @throws InputError naming the field for a FWHM that is not finite, negative or over `MAX_FWHM_MM`,
 *   or a truncation outside 0.5…10 σ; RangeError for a thread count that is not a whole number ≥ 1.
 */
export function gaussianFilter(
  volume: Volume<Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Int32Array>,
  fwhmMm: number | Vec3,
  truncate = 4,
  opts: { field?: string; threads?: number } = {},
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
  const out = threads > 1 ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n);
  out.set(volume.data);
  const kernels: (Float64Array | null)[] = [0, 1, 2].map((ax) => {
    const sigmaVox = fwhm[ax]! / FWHM_PER_SIGMA / volume.spacingMm[ax]!;
    return sigmaVox === 0 ? null : gaussianKernel(sigmaVox, truncate);
  });
  const size: Vec3 = [...volume.size];
  if (threads === 1) {
    filterPart({ out, size, kernels, part: 0, parts: 1, sync: null });
  } else {
    const sync = newSyncState(threads);
    const tasks: FilterTask[] = [];
    for (let part = 0; part < threads; part++) tasks.push({ out, size, kernels, part, parts: threads, sync });
    runThreadsSync(import.meta.url, 'filterPart', filterPart, tasks, sync);
  }
  return { ...volume, size, data: out, unit: volume.unit };
}

/** One thread's share of the filter: part `part` of `parts` of every axis pass, in place on `out`. */
interface FilterTask {
  out: Float32Array;
  size: Vec3;
  kernels: (Float64Array | null)[];
  part: number;
  parts: number;
  /** Barrier between the axis passes (null on one thread). */
  sync: SyncState | null;
}

/** Worker entry (src/parallel/pool.ts) and single-thread body: the three axis passes. Internal. */
export function filterPart(task: FilterTask): void {
  const { out, size, kernels, part, parts, sync } = task;
  const [nx, ny, nz] = size;
  for (let ax = 0; ax < 3; ax++) {
    const kern = kernels[ax];
    if (!kern) continue;
    if (ax === 0) {
      const [r0, r1] = splitRange(ny * nz, parts)[part]!;
      filterRows(out, nx, kern, r0, r1);
    } else {
      // Along j (planes = slices k) or k (planes = rows j).
      const [p0, p1] = splitRange(ax === 1 ? nz : ny, parts)[part]!;
      filterPlanes(out, size, ax, kern, p0, p1);
    }
    if (sync) barrier(sync);
  }
}

/** Filters rows [row0, row1) of length nx along i (rows are contiguous). */
function filterRows(out: Float32Array, nx: number, kern: Float64Array, row0: number, row1: number): void {
  const r = (kern.length - 1) / 2;
  const line = new Float64Array(nx);
  // Sum of the whole kernel, added in the same order as at a border position (same value).
  let wFull = 0;
  for (let u = 0; u < kern.length; u++) wFull += kern[u]!;
  for (let row = row0; row < row1; row++) {
    const start = row * nx;
    for (let t = 0; t < nx; t++) line[t] = out[start + t]!;
    for (let t = 0; t < nx; t++) {
      let acc = 0;
      const lo = t - r;
      const hi = t + r;
      if (lo >= 0 && hi <= nx - 1) {
        for (let u = lo; u <= hi; u++) acc += kern[u - lo]! * line[u]!;
        out[start + t] = acc / wFull;
        continue;
      }
      let w = 0;
      const lo0 = Math.max(0, lo);
      const hi0 = Math.min(nx - 1, hi);
      for (let u = lo0; u <= hi0; u++) {
        const kw = kern[u - t + r]!;
        acc += kw * line[u]!;
        w += kw;
      }
      out[start + t] = acc / w;
    }
  }
}

/**
 * Filters along j (ax 1) or k (ax 2) in planes [plane0, plane1): the lines of one plane are gathered as
 * rows of nx contiguous values, so the inner loop runs over i (cache-friendly).
 */
function filterPlanes(
  out: Float32Array,
  size: Vec3,
  ax: number,
  kern: Float64Array,
  plane0: number,
  plane1: number,
): void {
  const [nx, ny, nz] = size;
  const r = (kern.length - 1) / 2;
  const len = ax === 1 ? ny : nz;
  const buf = new Float64Array(len * nx);
  const acc = new Float64Array(nx);
  const base = (plane: number, t: number) => (ax === 1 ? nx * (t + ny * plane) : nx * (plane + ny * t));
  for (let plane = plane0; plane < plane1; plane++) {
    for (let t = 0; t < len; t++) {
      const src = base(plane, t);
      for (let i = 0; i < nx; i++) buf[t * nx + i] = out[src + i]!;
    }
    for (let t = 0; t < len; t++) {
      acc.fill(0);
      let w = 0;
      const lo = Math.max(0, t - r);
      const hi = Math.min(len - 1, t + r);
      // Taps four at a time (acc loaded and stored once per four), added in the same order as one by one.
      let u = lo;
      for (; u + 3 <= hi; u += 4) {
        const k0 = kern[u - t + r]!;
        const k1 = kern[u + 1 - t + r]!;
        const k2 = kern[u + 2 - t + r]!;
        const k3 = kern[u + 3 - t + r]!;
        w += k0;
        w += k1;
        w += k2;
        w += k3;
        const o0 = u * nx;
        const o1 = o0 + nx;
        const o2 = o1 + nx;
        const o3 = o2 + nx;
        for (let i = 0; i < nx; i++) {
          let a = acc[i]!;
          a += k0 * buf[o0 + i]!;
          a += k1 * buf[o1 + i]!;
          a += k2 * buf[o2 + i]!;
          a += k3 * buf[o3 + i]!;
          acc[i] = a;
        }
      }
      for (; u <= hi; u++) {
        const kw = kern[u - t + r]!;
        w += kw;
        const o = u * nx;
        for (let i = 0; i < nx; i++) acc[i] = acc[i]! + kw * buf[o + i]!;
      }
      const dst = base(plane, t);
      for (let i = 0; i < nx; i++) out[dst + i] = acc[i]! / w;
    }
  }
}

/** EARL2 → EARL1 harmonisation: Gaussian post-filter of 7 mm FWHM (Kaalep et al. 2019). */
export function earl2ToEarl1(volume: Volume<Float32Array | Float64Array>): Volume<Float32Array> {
  return gaussianFilter(volume, EARL1_FROM_EARL2_FWHM_MM);
}

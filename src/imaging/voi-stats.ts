/**
 * Per-VOI SUV statistics: voxel count, volume, SUVmin/max/mean/median/sd, IBSI local and global
 * intensity peaks (SUVpeak), and the fixed-threshold MATV — for one mask or for every label of a
 * label map in one pass over the volume. No I/O.
 *
 * Definitions (stated in reports):
 * - volumeMl = voxel count × voxel volume (voxel counting, IBSI 1 "volume (voxel counting)" YEKZ).
 * - suvSd is the POPULATION standard deviation (divisor n), as IBSI 1 intensity variance ECT3.
 * - suvMedian: middle value, or the mean of the two middle values for an even count.
 * - suvPeakLocal (IBSI 1 VJGA): mean of all image voxels (inside or outside the VOI) whose centres lie
 *   within r = 6.2035 mm (1 cm³ sphere) of the centre of the VOI's maximum voxel; when several voxels
 *   share the maximum, the highest of their sphere means.
 * - suvPeakGlobal (IBSI 1 0F91): the highest such sphere mean over every VOI voxel as centre — the
 *   EANM/PERCIST "1 mL sphere positioned to maximise the mean", restricted to centres in the VOI.
 * - matvMl: volume of VOI voxels with SUV ≥ `matvThresholdSuv` (default 2.5 g/mL).
 * Voxels outside the image are not part of any sphere (the mean is over existing voxels).
 *
 * Speed: the global peak uses per-row prefix sums of a sliding slab of 2·reach+1 slices, so each VOI
 * voxel costs one subtraction per (j, k) row of the sphere, and memory stays O(slice). On large volumes
 * whose image and label data live in SharedArrayBuffers (no copy), the peak search — the dominant cost —
 * is split into slabs of slices across worker threads (src/parallel/pool.ts); each voxel's sphere mean
 * is computed exactly as on one thread and the per-slab maxima are merged with max, so the results are
 * bit-identical to the single-thread path. Counts, sums, medians and SDs stay on the calling thread.
 */
import { assertSameGrid, voxelVolumeMl } from './volume.js';
import type { Vec3, Volume } from './volume.js';
import { PEAK_SPHERE_RADIUS_MM, sphereMeanAt, sphereRuns } from './sphere.js';
import type { SphereRuns } from './sphere.js';
import { labelIndex } from './segmentation.js';
import { isShared, runThreadsSync, splitRange, threadCount } from '../parallel/pool.js';

/** SUV image data types. */
export type SuvData = Float32Array | Float64Array;
/** Label map data types (integer labels; float maps are accepted when their values are whole). */
export type LabelData = Uint8Array | Uint16Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** Statistics of one VOI (SUV in g/mL for an SUV image; the same numbers in the image unit otherwise). */
export interface VoiStatistics {
  voxelCount: number;
  volumeMl: number;
  suvMin: number;
  suvMax: number;
  suvMean: number;
  suvMedian: number;
  /** Population standard deviation (divisor n). */
  suvSd: number;
  suvPeakLocal: number;
  suvPeakGlobal: number;
  /** Volume (mL) of VOI voxels with SUV ≥ the MATV threshold. */
  matvMl: number;
}

/** Statistics of one label of a label map. */
export interface LabelStatistics extends VoiStatistics {
  label: number;
}

/** Options of the VOI statistics. */
export interface VoiStatsOptions {
  /** Peak sphere radius in mm (default 6.2035 mm, a 1 cm³ sphere). */
  peakRadiusMm?: number;
  /** Fixed SUV threshold for `matvMl` (default 2.5). */
  matvThresholdSuv?: number;
  /** Compute the global peak (default true; it is the costly part). */
  globalPeak?: boolean;
  /**
   * Threads for the global peak search (default: CARTO_THREADS, else os.availableParallelism(), for
   * volumes of ≥ 2²² voxels whose image and labels are SharedArrayBuffer-backed; 1 otherwise). An
   * explicit count > 1 is used on any volume, copying non-shared data into shared memory first.
   */
  threads?: number;
}

const LUT_SIZE = 65536;

/**
 * Statistics of the VOI given by a mask on the same grid as the SUV image.
 *
 * @param suv SUV volume (g/mL), i fastest.
 * @param mask Uint8Array with nonzero = in the VOI (length = voxel count), or a predicate on the
 *   voxel index.
 * @param opts peak radius, MATV threshold.
 * @returns the statistics; NaN statistics and zero volume for an empty mask.
 * @throws RangeError when the mask length differs from the volume's voxel count.
 */
export function voiStatistics(
  suv: Volume<SuvData>,
  mask: Uint8Array | ((index: number) => boolean),
  opts: VoiStatsOptions = {},
): VoiStatistics {
  const n = suv.data.length;
  let m: Uint8Array;
  if (typeof mask === 'function') {
    m = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (mask(i)) m[i] = 1;
  } else {
    if (mask.length !== n) throw new RangeError(`mask has ${mask.length} voxels, image ${n}`);
    m = mask;
  }
  const lut = new Int32Array(256).fill(0);
  lut[0] = -1;
  return quantifyGroups(suv, m, lut, null, 1, opts)[0]!;
}

/**
 * Statistics of every requested label of a label map on the SUV grid, in one pass.
 *
 * @param suv SUV volume (g/mL).
 * @param labels label map on the same grid (values are label numbers, 0 = background).
 * @param labelList labels to report, in this order (default: every nonzero label present, ascending).
 *   A listed label with no voxel gets voxelCount 0 and NaN statistics.
 * @param opts peak radius, MATV threshold, global peak on/off.
 * @throws InputError (from `assertSameGrid`) when the label map is on another grid.
 */
export function quantifyLabelMap(
  suv: Volume<SuvData>,
  labels: Volume<LabelData>,
  labelList?: number[],
  opts: VoiStatsOptions = {},
): LabelStatistics[] {
  assertSameGrid(suv, labels, {});
  const data = labels.data;
  const { counts, other, sliceNonzero } = labelHistogram(labels);
  const list = labelList ? labelList.slice() : presentLabels({ counts, other, sliceNonzero });
  const { table: lut, map } = labelIndex(list);
  // Voxel counts per group from the histogram (the same voxels `groupOf` selects), unless label 0 is
  // reported (then the slices with a nonzero label are not a superset of the reported voxels' slices).
  let pre: GroupCounts | undefined;
  if (!list.includes(0)) {
    const count = new Float64Array(list.length);
    list.forEach((label, g) => {
      count[g] =
        label >= 0 && label < LUT_SIZE && (label | 0) === label ? counts[label]! : (other.get(label) ?? 0);
    });
    pre = { count, sliceHas: sliceNonzero };
  }
  const res = quantifyGroups(suv, data, lut, map.size > 0 ? map : null, list.length, opts, pre);
  return res.map((r, g) => ({ label: list[g]!, ...r }));
}

/**
 * Histogram of a label map's values: `counts[v]` voxels of value v for whole v in 0…65535, the other
 * values (negative, larger, fractional) in `other`; `sliceNonzero[k]` = 1 when slice k holds a nonzero
 * value. One pass over the voxels.
 */
export function labelHistogram(labels: Volume<LabelData>): LabelHistogram {
  const data = labels.data;
  const [nx, ny, nz] = labels.size;
  const counts = new Float64Array(LUT_SIZE);
  const other = new Map<number, number>();
  const sliceNonzero = new Uint8Array(nz);
  const nxy = nx * ny;
  for (let k = 0; k < nz; k++) {
    const q0 = k * nxy;
    if (data instanceof Uint8Array || data instanceof Uint16Array) {
      let any = 0;
      for (let q = q0; q < q0 + nxy; q++) {
        const v = data[q]!;
        counts[v] = counts[v]! + 1;
        any |= v;
      }
      sliceNonzero[k] = any !== 0 ? 1 : 0;
    } else {
      let any = 0;
      for (let q = q0; q < q0 + nxy; q++) {
        const v = data[q]!;
        if (v !== 0) any = 1;
        if (v >= 0 && v < LUT_SIZE && (v | 0) === v) counts[v] = counts[v]! + 1;
        else other.set(v, (other.get(v) ?? 0) + 1);
      }
      sliceNonzero[k] = any;
    }
  }
  return { counts, other, sliceNonzero };
}

/** A label map's values with voxels (`labelHistogram`). */
export interface LabelHistogram {
  counts: Float64Array;
  other: Map<number, number>;
  sliceNonzero: Uint8Array;
}

/** The nonzero labels present in a histogram (`labelHistogram`), ascending; NaN left out. */
export function presentLabels(h: LabelHistogram): number[] {
  const list: number[] = [];
  for (let v = 1; v < LUT_SIZE; v++) if (h.counts[v]! > 0) list.push(v);
  for (const v of h.other.keys()) if (v !== 0 && !Number.isNaN(v)) list.push(v);
  return list.sort((a, b) => a - b);
}

/** Voxel count per group, and slices to visit (1 = may hold group voxels; a superset is allowed). */
interface GroupCounts {
  count: Float64Array;
  sliceHas: Uint8Array;
}

/**
 * Core: statistics per group, the group of voxel `idx` being lut[labels[idx]] (or map) when ≥ 0.
 * `pre`: counts and slices already known (skips the counting pass).
 */
function quantifyGroups(
  suv: Volume<SuvData>,
  labels: LabelData,
  lut: Int32Array,
  map: Map<number, number> | null,
  nGroups: number,
  opts: VoiStatsOptions,
  pre?: GroupCounts,
): VoiStatistics[] {
  const [, , nz] = suv.size;
  const nxy = suv.size[0] * suv.size[1];
  const img = suv.data;
  const groupOf = groupFinder(lut, map);
  const thr = opts.matvThresholdSuv ?? 2.5;
  const radius = opts.peakRadiusMm ?? PEAK_SPHERE_RADIUS_MM;

  const { count, sliceHas } = pre ?? countGroups(labels, groupOf, nGroups, nz, nxy);
  const offset = new Float64Array(nGroups + 1);
  for (let g = 0; g < nGroups; g++) offset[g + 1] = offset[g]! + count[g]!;
  const total = offset[nGroups]!;
  const vals = img instanceof Float64Array ? new Float64Array(total) : new Float32Array(total);

  // Pass 2: gather values; min, max (with tie positions), sum, threshold counts.
  const cursor = Float64Array.from(offset.subarray(0, nGroups));
  const min = new Float64Array(nGroups).fill(Infinity);
  const max = new Float64Array(nGroups).fill(-Infinity);
  const sum = new Float64Array(nGroups);
  const above = new Float64Array(nGroups);
  const ties: number[][] = Array.from({ length: nGroups }, () => []);
  for (let k = 0; k < nz; k++) {
    if (sliceHas[k] === 0) continue;
    const base = k * nxy;
    for (let q = base; q < base + nxy; q++) {
      const g = groupOf(labels[q]!);
      if (g < 0) continue;
      const v = img[q]!;
      vals[cursor[g]!++] = v;
      sum[g] = sum[g]! + v;
      if (v < min[g]!) min[g] = v;
      if (v > max[g]!) {
        max[g] = v;
        ties[g] = [q];
      } else if (v === max[g]) {
        ties[g]!.push(q);
      }
      if (v >= thr) above[g] = above[g]! + 1;
    }
  }

  const runs = sphereRuns(suv.spacingMm, radius);
  const peakGlobal =
    opts.globalPeak === false
      ? new Float64Array(nGroups).fill(NaN)
      : globalPeaksThreaded({ img, size: suv.size, labels, lut, map, nGroups, sliceHas, runs }, opts.threads);

  const vml = voxelVolumeMl(suv);
  const out: VoiStatistics[] = [];
  for (let g = 0; g < nGroups; g++) {
    const c = count[g]!;
    if (c === 0) {
      out.push({
        voxelCount: 0,
        volumeMl: 0,
        suvMin: NaN,
        suvMax: NaN,
        suvMean: NaN,
        suvMedian: NaN,
        suvSd: NaN,
        suvPeakLocal: NaN,
        suvPeakGlobal: NaN,
        matvMl: 0,
      });
      continue;
    }
    const slice = vals.subarray(offset[g], offset[g + 1]);
    const mean = sum[g]! / c;
    let ss = 0;
    for (let q = 0; q < slice.length; q++) {
      const d = slice[q]! - mean;
      ss += d * d;
    }
    const median = medianInPlace(slice);
    let local = -Infinity;
    for (const q of ties[g]!) {
      const i = q % suv.size[0];
      const j = Math.floor(q / suv.size[0]) % suv.size[1];
      const k = Math.floor(q / nxy);
      const m = sphereMeanAt(img, suv.size, runs, i, j, k);
      if (m > local) local = m;
    }
    out.push({
      voxelCount: c,
      volumeMl: c * vml,
      suvMin: min[g]!,
      suvMax: max[g]!,
      suvMean: mean,
      suvMedian: median,
      suvSd: Math.sqrt(ss / c),
      suvPeakLocal: local,
      suvPeakGlobal: peakGlobal[g]!,
      matvMl: above[g]! * vml,
    });
  }
  return out;
}

/** Pass 1 of `quantifyGroups`: counts per group, slices that hold VOI voxels. */
function countGroups(
  labels: LabelData,
  groupOf: (v: number) => number,
  nGroups: number,
  nz: number,
  nxy: number,
): GroupCounts {
  const count = new Float64Array(nGroups);
  const sliceHas = new Uint8Array(nz);
  for (let k = 0; k < nz; k++) {
    const base = k * nxy;
    let any = 0;
    for (let q = base; q < base + nxy; q++) {
      const g = groupOf(labels[q]!);
      if (g >= 0) {
        count[g] = count[g]! + 1;
        any = 1;
      }
    }
    sliceHas[k] = any;
  }
  return { count, sliceHas };
}

/** Group of a label value: lut[v] for small whole v, else the map (−1 = not reported). */
function groupFinder(lut: Int32Array, map: Map<number, number> | null): (v: number) => number {
  const lutSize = lut.length;
  return (v: number): number => {
    if (v >= 0 && v < lutSize && (v | 0) === v) return lut[v]!;
    if (map === null) return -1;
    return map.get(v) ?? -1;
  };
}

/** Inputs of the global peak search (structured-clonable: sent to worker threads). */
interface PeakJob {
  img: SuvData;
  size: Vec3;
  labels: LabelData;
  lut: Int32Array;
  map: Map<number, number> | null;
  nGroups: number;
  sliceHas: Uint8Array;
  runs: SphereRuns;
}

/** One thread's share: slices [k0, k1) of `job`, maxima written to out[0..nGroups). */
interface PeakTask {
  job: PeakJob;
  k0: number;
  k1: number;
  out: Float64Array;
}

function sharedCopy<T extends SuvData | LabelData>(a: T): T {
  if (isShared(a)) return a;
  const ctor = a.constructor as new (b: SharedArrayBuffer) => T;
  const c = new ctor(new SharedArrayBuffer(a.byteLength));
  c.set(a);
  return c;
}

/**
 * Global peaks of every group, on `threads` threads when that pays (see `VoiStatsOptions.threads`):
 * slabs of slices holding equal numbers of VOI slices, maxima merged per group (order-independent).
 */
function globalPeaksThreaded(job: PeakJob, threads?: number): Float64Array {
  const nz = job.size[2];
  const n = job.img.length;
  let t = threadCount(n, threads);
  if (t > 1 && threads === undefined && !(isShared(job.img) && isShared(job.labels))) t = 1;
  const active: number[] = [];
  for (let k = 0; k < nz; k++) if (job.sliceHas[k] !== 0) active.push(k);
  t = Math.min(t, Math.max(1, active.length));
  const peak = new Float64Array(job.nGroups);
  if (t === 1) {
    globalPeaks(job, 0, nz, peak);
  } else {
    const shared: PeakJob = { ...job, img: sharedCopy(job.img), labels: sharedCopy(job.labels) };
    const out = new Float64Array(new SharedArrayBuffer(8 * t * job.nGroups));
    const tasks: PeakTask[] = splitRange(active.length, t).map(([a, b], p) => ({
      job: shared,
      k0: p === 0 ? 0 : active[a]!,
      k1: p === t - 1 ? nz : active[b]!,
      out: out.subarray(p * job.nGroups, (p + 1) * job.nGroups),
    }));
    runThreadsSync(import.meta.url, 'globalPeaksTask', globalPeaksTask, tasks);
    peak.fill(-Infinity);
    for (let p = 0; p < t; p++)
      for (let g = 0; g < job.nGroups; g++) {
        const m = out[p * job.nGroups + g]!;
        if (m > peak[g]!) peak[g] = m;
      }
  }
  for (let g = 0; g < job.nGroups; g++) if (peak[g] === -Infinity) peak[g] = NaN;
  return peak;
}

/** Worker entry (src/parallel/pool.ts): the global peaks of one slab. Internal. */
export function globalPeaksTask(task: PeakTask): void {
  globalPeaks(task.job, task.k0, task.k1, task.out);
}

/**
 * Highest sphere mean over the voxels of each group (IBSI global intensity peak) whose slice lies in
 * [k0, k1), with per-row prefix sums over a sliding slab of slices; writes the maxima (−∞ for none)
 * into `peak`.
 */
function globalPeaks(job: PeakJob, k0: number, k1: number, peak: Float64Array): void {
  const { img, size, labels, sliceHas, runs } = job;
  const groupOf = groupFinder(job.lut, job.map);
  const [nx, ny, nz] = size;
  const nxy = nx * ny;
  const nxp = nx + 1;
  const ring = 2 * runs.reachK + 1;
  const slotSize = nxp * ny;
  const prefix = new Float64Array(ring * slotSize);
  const slotSlice = new Int32Array(ring).fill(-1);
  const nRuns = runs.dj.length;
  const dj = runs.dj;
  const dk = runs.dk;
  const half = runs.halfI;
  const rowBase = new Int32Array(nRuns);
  let maxHalf = 0;
  for (let r = 0; r < nRuns; r++) if (half[r]! > maxHalf) maxHalf = half[r]!;
  peak.fill(-Infinity);

  const ensure = (s: number): number => {
    const slot = s % ring;
    const off = slot * slotSize;
    if (slotSlice[slot] !== s) {
      const src = s * nxy;
      for (let j = 0; j < ny; j++) {
        const p = off + j * nxp;
        const q0 = src + j * nx;
        let acc = 0;
        prefix[p] = 0;
        for (let i = 0; i < nx; i++) {
          acc += img[q0 + i]!;
          prefix[p + i + 1] = acc;
        }
      }
      slotSlice[slot] = s;
    }
    return off;
  };
  const slabOff = new Int32Array(2 * runs.reachK + 1);

  for (let k = k0; k < k1; k++) {
    if (sliceHas[k] === 0) continue;
    for (let d = -runs.reachK; d <= runs.reachK; d++) {
      const s = k + d;
      slabOff[d + runs.reachK] = s >= 0 && s < nz ? ensure(s) : -1;
    }
    for (let j = 0; j < ny; j++) {
      const rowStart = k * nxy + j * nx;
      // Skip rows without VOI voxels quickly.
      let has = false;
      for (let i = 0; i < nx; i++) {
        if (groupOf(labels[rowStart + i]!) >= 0) {
          has = true;
          break;
        }
      }
      if (!has) continue;
      let fullCount = 0;
      for (let r = 0; r < nRuns; r++) {
        const jj = j + dj[r]!;
        const so = slabOff[dk[r]! + runs.reachK]!;
        if (jj < 0 || jj >= ny || so < 0) rowBase[r] = -1;
        else {
          rowBase[r] = so + jj * nxp;
          fullCount += 2 * half[r]! + 1;
        }
      }
      for (let i = 0; i < nx; i++) {
        const g = groupOf(labels[rowStart + i]!);
        if (g < 0) continue;
        let s = 0;
        let c = 0;
        if (i >= maxHalf && i + maxHalf < nx) {
          for (let r = 0; r < nRuns; r++) {
            const b = rowBase[r]!;
            if (b < 0) continue;
            const h = half[r]!;
            s += prefix[b + i + h + 1]! - prefix[b + i - h]!;
          }
          c = fullCount;
        } else {
          for (let r = 0; r < nRuns; r++) {
            const b = rowBase[r]!;
            if (b < 0) continue;
            const h = half[r]!;
            const i0 = i - h < 0 ? 0 : i - h;
            const i1 = i + h + 1 > nx ? nx : i + h + 1;
            s += prefix[b + i1]! - prefix[b + i0]!;
            c += i1 - i0;
          }
        }
        const m = s / c;
        if (m > peak[g]!) peak[g] = m;
      }
    }
  }
}

/** Median of `a` (reorders `a`): quickselect; mean of the two middle values when the length is even. */
export function medianInPlace(a: Float32Array | Float64Array): number {
  const n = a.length;
  if (n === 0) return NaN;
  const hi = n >> 1;
  const upper = select(a, 0, n - 1, hi);
  if (n % 2 === 1) return upper;
  // Lower middle = max of the left part a[0..hi-1] after selection.
  let lower = -Infinity;
  for (let q = 0; q < hi; q++) if (a[q]! > lower) lower = a[q]!;
  return (lower + upper) / 2;
}

/** k-th smallest of a[lo..hi] (Hoare quickselect with median-of-three pivot); partitions a. */
function select(a: Float32Array | Float64Array, lo0: number, hi0: number, k: number): number {
  let lo = lo0;
  let hi = hi0;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three to a[mid]
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float32Array | Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

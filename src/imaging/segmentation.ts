/**
 * Lesion segmentation for MATV (metabolically active tumour volume): thresholds (fixed SUV, % of the
 * lesion SUVmax, PERCIST liver), thresholding inside a VOI or by region growing from a seed, connected
 * components, per-lesion and per-patient totals. No I/O.
 *
 * Definitions: a voxel is active when SUV ≥ threshold (inclusive). Volumes are voxel counts × voxel
 * volume (mL). Connectivity is 26 (face, edge or corner neighbours) unless stated.
 * Sources: MATV with SUV 2.5 and 41 % SUVmax (Boellaard et al., EANM FDG guideline 2.0, EJNMMI 2015);
 * PERCIST 1.0 liver threshold 1.5 × liver mean + 2 × liver SD (Wahl et al., JNM 2009); region growing
 * as in MUST-segmenter (docs/references/imaging.md §8).
 */
import { voxelVolumeMl } from './volume.js';
import { InputError } from '../errors.js';
import type { Vec3, Volume } from './volume.js';

type Img = Volume<Float32Array | Float64Array>;

/** How the MATV threshold is set. */
export type ThresholdRule =
  | { kind: 'fixed'; suv: number }
  | { kind: 'percentMax'; percent: number }
  | { kind: 'percist'; liverMeanSuv: number; liverSdSuv: number };

/** Default MATV rule: fixed SUV 2.5. */
export const DEFAULT_THRESHOLD: ThresholdRule = { kind: 'fixed', suv: 2.5 };

/**
 * Checks a threshold rule: a fixed SUV finite and ≥ 0, a percentage of SUVmax in (0, 100], PERCIST
 * liver mean and SD finite and ≥ 0.
 * @param field name of the rule's value in errors (e.g. the CLI option '--percent-max').
 * @throws InputError naming the field and value.
 */
export function checkThresholdRule(rule: ThresholdRule, field?: string): void {
  const bad = (msg: string, f: string, value: number): never => {
    throw new InputError(msg, { field: field ?? f, value });
  };
  switch (rule.kind) {
    case 'fixed':
      if (!Number.isFinite(rule.suv) || rule.suv < 0) bad('SUV threshold must be ≥ 0 g/mL', 'suv', rule.suv);
      return;
    case 'percentMax':
      if (!Number.isFinite(rule.percent) || rule.percent <= 0 || rule.percent > 100)
        bad('percent of SUVmax must be in (0, 100]', 'percent', rule.percent);
      return;
    case 'percist':
      if (!Number.isFinite(rule.liverMeanSuv) || rule.liverMeanSuv < 0)
        bad('liver SUVmean must be ≥ 0', 'liverMeanSuv', rule.liverMeanSuv);
      if (!Number.isFinite(rule.liverSdSuv) || rule.liverSdSuv < 0)
        bad('liver SUV SD must be ≥ 0', 'liverSdSuv', rule.liverSdSuv);
      return;
  }
}

/** PERCIST liver threshold: 1.5 × liver SUVmean + 2 × liver SUV SD (g/mL). */
export function percistLiverThreshold(liverMeanSuv: number, liverSdSuv: number): number {
  return 1.5 * liverMeanSuv + 2 * liverSdSuv;
}

/**
 * The SUV threshold of a rule for a lesion whose SUVmax is `suvMax` (only used by percentMax).
 * @returns threshold in SUV (g/mL); NaN for a non-finite input.
 */
export function thresholdSuv(rule: ThresholdRule, suvMax: number): number {
  switch (rule.kind) {
    case 'fixed':
      return rule.suv;
    case 'percentMax':
      return (rule.percent / 100) * suvMax;
    case 'percist':
      return percistLiverThreshold(rule.liverMeanSuv, rule.liverSdSuv);
  }
}

/** Neighbour offsets (di, dj, dk) for 6-, 18- or 26-connectivity. */
export function neighbourOffsets(connectivity: 6 | 18 | 26): Vec3[] {
  const out: Vec3[] = [];
  for (let dk = -1; dk <= 1; dk++)
    for (let dj = -1; dj <= 1; dj++)
      for (let di = -1; di <= 1; di++) {
        const n = Math.abs(di) + Math.abs(dj) + Math.abs(dk);
        if (n === 0) continue;
        if (connectivity === 6 && n > 1) continue;
        if (connectivity === 18 && n > 2) continue;
        out.push([di, dj, dk]);
      }
  return out;
}

/** Connected components of a binary mask. */
export interface Components {
  /** Component id per voxel (1…count), 0 outside the mask. Ids are in scan order of first voxel. */
  labels: Int32Array;
  count: number;
  /** Voxels per component; index 0 unused. */
  voxelCounts: number[];
}

/** Bounding box (inclusive) of the nonzero voxels of a mask, or null when empty. */
export function maskBoundingBox(mask: ArrayLike<number>, size: Vec3): { lo: Vec3; hi: Vec3 } | null {
  const [nx, ny, nz] = size;
  const lo: Vec3 = [nx, ny, nz];
  const hi: Vec3 = [-1, -1, -1];
  for (let k = 0, q = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, q++) {
        if (!mask[q]) continue;
        if (i < lo[0]) lo[0] = i;
        if (i > hi[0]) hi[0] = i;
        if (j < lo[1]) lo[1] = j;
        if (j > hi[1]) hi[1] = j;
        if (k < lo[2]) lo[2] = k;
        if (k > hi[2]) hi[2] = k;
      }
  return hi[0] < 0 ? null : { lo, hi };
}

/**
 * Components of the mask cropped to its bounding box: local labels (crop grid), count, sizes.
 * Work and memory scale with the bounding box, not the volume.
 */
function componentsInBox(mask: ArrayLike<number>, size: Vec3, connectivity: 6 | 18 | 26) {
  const box = maskBoundingBox(mask, size);
  if (!box) return null;
  const [nx, ny] = size;
  const bx = box.hi[0] - box.lo[0] + 1;
  const by = box.hi[1] - box.lo[1] + 1;
  const bz = box.hi[2] - box.lo[2] + 1;
  const n = bx * by * bz;
  const sub = new Uint8Array(n);
  for (let k = 0, q = 0; k < bz; k++)
    for (let j = 0; j < by; j++) {
      const src = box.lo[0] + nx * (box.lo[1] + j + ny * (box.lo[2] + k));
      for (let i = 0; i < bx; i++, q++) sub[q] = mask[src + i] ? 1 : 0;
    }
  const labels = new Int32Array(n);
  const fill = floodFiller([bx, by, bz], connectivity);
  const voxelCounts = [0];
  let count = 0;
  for (let seed = 0; seed < n; seed++) {
    if (!sub[seed] || labels[seed] !== 0) continue;
    const label = ++count;
    labels[seed] = label;
    voxelCounts.push(
      fill(seed, (p) => {
        if (!sub[p] || labels[p] !== 0) return false;
        labels[p] = label;
        return true;
      }),
    );
  }
  return { box, dims: [bx, by, bz] as Vec3, labels, count, voxelCounts };
}

/**
 * Labels the connected components of `mask` (nonzero = foreground) by breadth-first flood fill inside
 * the mask's bounding box.
 *
 * @param mask binary mask, i fastest; @param size grid size; @param connectivity 6, 18 or 26 (default 26).
 */
export function connectedComponents(
  mask: ArrayLike<number>,
  size: Vec3,
  connectivity: 6 | 18 | 26 = 26,
): Components {
  const [nx, ny, nz] = size;
  const labels = new Int32Array(nx * ny * nz);
  const r = componentsInBox(mask, size, connectivity);
  if (!r) return { labels, count: 0, voxelCounts: [0] };
  const [bx, by, bz] = r.dims;
  for (let k = 0, q = 0; k < bz; k++)
    for (let j = 0; j < by; j++) {
      const dst = r.box.lo[0] + nx * (r.box.lo[1] + j + ny * (r.box.lo[2] + k));
      for (let i = 0; i < bx; i++, q++) labels[dst + i] = r.labels[q]!;
    }
  return { labels, count: r.count, voxelCounts: r.voxelCounts };
}

/** Number of connected components of a mask (memory ∝ its bounding box). */
export function componentCount(mask: ArrayLike<number>, size: Vec3, connectivity: 6 | 18 | 26 = 26): number {
  return componentsInBox(mask, size, connectivity)?.count ?? 0;
}

/**
 * Voxels with SUV ≥ `threshold` that are 26-connected to the seed through such voxels (region growing),
 * optionally restricted to a bounding VOI.
 *
 * @param suv SUV image; @param seedIjk seed voxel (integer indices); @param threshold SUV (g/mL);
 * @param within optional mask the region may not leave.
 * @returns binary mask (empty when the seed itself is below the threshold or outside `within`).
 * @throws RangeError when the seed lies outside the image.
 */
export function regionGrow(suv: Img, seedIjk: Vec3, threshold: number, within?: Uint8Array): Uint8Array {
  const [nx, ny, nz] = suv.size;
  const [si, sj, sk] = seedIjk;
  if (si < 0 || sj < 0 || sk < 0 || si >= nx || sj >= ny || sk >= nz) {
    throw new RangeError(`seed ${seedIjk.join(',')} outside the image ${nx}×${ny}×${nz}`);
  }
  const active = (p: number) => suv.data[p]! >= threshold && (!within || within[p] !== 0);
  const out = new Uint8Array(nx * ny * nz);
  const seed = si + nx * (sj + ny * sk);
  if (!active(seed)) return out;
  const offs = neighbourOffsets(26);
  const stack: number[] = [seed];
  out[seed] = 1;
  while (stack.length > 0) {
    const q = stack.pop()!;
    const i = q % nx;
    const j = ((q - i) / nx) % ny;
    const k = (q - i - nx * j) / (nx * ny);
    for (const [di, dj, dk] of offs) {
      const a = i + di;
      const b = j + dj;
      const c = k + dk;
      if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
      const p = a + nx * (b + ny * c);
      if (out[p] === 0 && active(p)) {
        out[p] = 1;
        stack.push(p);
      }
    }
  }
  return out;
}

/** Result of segmenting one lesion. */
export interface LesionSegmentation {
  /** Active voxels (1) on the image grid. */
  mask: Uint8Array;
  thresholdSuv: number;
  /** SUVmax used by the rule (inside the VOI, or of the grown region's starting VOI/seed). */
  suvMax: number;
  voxelCount: number;
  matvMl: number;
  /** 26-connected components of the active voxels. */
  componentCount: number;
}

/**
 * MATV of one lesion: active voxels (SUV ≥ threshold) inside the lesion VOI, or grown from a seed.
 *
 * @param suv SUV image (g/mL).
 * @param region `{ voi }` (mask on the grid) or `{ seedIjk, within? }` (region growing; for a
 *   percentMax rule the SUVmax is the seed's value, or the max inside `within` when given).
 * @param rule threshold rule (default fixed 2.5).
 */
export function segmentLesion(
  suv: Img,
  region: { voi: Uint8Array } | { seedIjk: Vec3; within?: Uint8Array },
  rule: ThresholdRule = DEFAULT_THRESHOLD,
): LesionSegmentation {
  const n = suv.data.length;
  let mask: Uint8Array;
  let suvMax = -Infinity;
  let thr: number;
  if ('voi' in region) {
    const voi = region.voi;
    for (let q = 0; q < n; q++) if (voi[q] && suv.data[q]! > suvMax) suvMax = suv.data[q]!;
    thr = thresholdSuv(rule, suvMax);
    mask = new Uint8Array(n);
    for (let q = 0; q < n; q++) if (voi[q] && suv.data[q]! >= thr) mask[q] = 1;
  } else {
    const [nx, ny] = suv.size;
    const [i, j, k] = region.seedIjk;
    if (region.within) {
      for (let q = 0; q < n; q++) if (region.within[q] && suv.data[q]! > suvMax) suvMax = suv.data[q]!;
    } else {
      suvMax = suv.data[i + nx * (j + ny * k)]!;
    }
    thr = thresholdSuv(rule, suvMax);
    mask = regionGrow(suv, region.seedIjk, thr, region.within);
  }
  let count = 0;
  for (let q = 0; q < n; q++) count += mask[q]!;
  return {
    mask,
    thresholdSuv: thr,
    suvMax: suvMax === -Infinity ? NaN : suvMax,
    voxelCount: count,
    matvMl: count * voxelVolumeMl(suv),
    componentCount: componentCount(mask, suv.size, 26),
  };
}

/** Per-patient MATV: the union of the lesions' active voxels (a voxel in two lesion VOIs counts once). */
export interface PatientMatv {
  lesionCount: number;
  /** Sum of the per-lesion MATVs (mL). */
  sumOfLesionsMl: number;
  /** Volume of the union of active voxels (mL). */
  totalMl: number;
  /** 26-connected components of the union. */
  componentCount: number;
}

/** Per-patient totals from per-lesion segmentations on the same grid. */
export function patientMatv(suvGrid: Img, lesions: LesionSegmentation[]): PatientMatv {
  const n = suvGrid.data.length;
  const union = new Uint8Array(n);
  let sum = 0;
  for (const l of lesions) {
    sum += l.matvMl;
    for (let q = 0; q < n; q++) if (l.mask[q]) union[q] = 1;
  }
  let c = 0;
  for (let q = 0; q < n; q++) c += union[q]!;
  return {
    lesionCount: lesions.length,
    sumOfLesionsMl: sum,
    totalMl: c * voxelVolumeMl(suvGrid),
    componentCount: componentCount(union, suvGrid.size, 26),
  };
}

/** Components of a cropped 0/1 mask (modified: visited voxels become 2), counted without a label array. */
function countComponentsInPlace(sub: Uint8Array, dims: Vec3, connectivity: 6 | 18 | 26): number {
  const n = dims[0] * dims[1] * dims[2];
  const fill = floodFiller(dims, connectivity);
  const take = (p: number): boolean => {
    if (sub[p] !== 1) return false;
    sub[p] = 2;
    return true;
  };
  let count = 0;
  for (let seed = 0; seed < n; seed++) {
    if (sub[seed] !== 1) continue;
    count++;
    sub[seed] = 2;
    fill(seed, take);
  }
  return count;
}

/**
 * Breadth-first flood fill on a box of `dims` voxels (i fastest) with 6/18/26-connectivity. `fill(seed, take)`
 * visits the seed's component: `take(p)` is asked once per neighbour p of a visited voxel and returns whether p
 * joins (marking it, so it is not taken twice). The seed must already be marked. Returns the voxels visited,
 * seed included. The queue is reused between calls and grows by doubling.
 */
function floodFiller(
  dims: Vec3,
  connectivity: 6 | 18 | 26,
): (seed: number, take: (p: number) => boolean) => number {
  const [bx, by, bz] = dims;
  const offs = neighbourOffsets(connectivity);
  const m = offs.length;
  const di = Int32Array.from(offs, (o) => o[0]);
  const dj = Int32Array.from(offs, (o) => o[1]);
  const dk = Int32Array.from(offs, (o) => o[2]);
  // Index offsets of the neighbours, valid for a voxel off the box's faces (no bounds to check).
  const lin = Int32Array.from(offs, (o) => o[0] + bx * (o[1] + by * o[2]));
  let queue = new Int32Array(1024);
  return (seed, take) => {
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    while (head < tail) {
      const q = queue[head++]!;
      const i = q % bx;
      const j = ((q - i) / bx) % by;
      const k = (q - i - bx * j) / (bx * by);
      const inside = i > 0 && j > 0 && k > 0 && i < bx - 1 && j < by - 1 && k < bz - 1;
      for (let n = 0; n < m; n++) {
        let p: number;
        if (inside) p = q + lin[n]!;
        else {
          const a = i + di[n]!;
          const b = j + dj[n]!;
          const c = k + dk[n]!;
          if (a < 0 || b < 0 || c < 0 || a >= bx || b >= by || c >= bz) continue;
          p = a + bx * (b + by * c);
        }
        if (take(p)) {
          if (tail === queue.length) {
            const bigger = new Int32Array(queue.length * 2);
            bigger.set(queue);
            queue = bigger;
          }
          queue[tail++] = p;
        }
      }
    }
    if (queue.length > 1 << 22) queue = new Int32Array(1024);
    return tail;
  };
}

/** MATV of one lesion label (no mask returned). */
export interface LesionMatv {
  label: number;
  thresholdSuv: number;
  suvMax: number;
  voxelCount: number;
  matvMl: number;
  componentCount: number;
}

/** Labels below this are looked up in a table by `labelIndex` (others in a map). */
const LABEL_TABLE_SIZE = 65536;

/**
 * Positions of labels in `labels` for a per-voxel lookup (`matvForLabels`; `quantifyLabelMap` in
 * voi-stats.ts; `projectLabels` in mip.ts):
 * `table[v]` for a whole label v in 0…65535 (−1 when not listed; undefined for any other value, then
 * `map.get(v)`); a label listed twice maps to its last position (as a Map built in order).
 */
export function labelIndex(labels: readonly number[]): { table: Int32Array; map: Map<number, number> } {
  const table = new Int32Array(LABEL_TABLE_SIZE).fill(-1);
  const map = new Map<number, number>();
  labels.forEach((l, n) => {
    if (l >= 0 && l < LABEL_TABLE_SIZE && (l | 0) === l) table[l] = n;
    else map.set(l, n);
  });
  return { table, map };
}

/**
 * MATV of every lesion of a label map in a few passes (work per lesion ∝ its bounding box): active
 * voxels = voxels of the lesion label with SUV ≥ the lesion's threshold; per patient the union (labels
 * do not overlap, so the total is the sum) and its 26-connected components.
 *
 * @param suv SUV image (g/mL); @param labels label map on the same grid; @param lesionLabels labels to
 * segment; @param rule threshold rule (default fixed 2.5).
 * @throws InputError for a rule outside its range (`checkThresholdRule`).
 */
export function matvForLabels(
  suv: Img,
  labels: { data: ArrayLike<number> },
  lesionLabels: number[],
  rule: ThresholdRule = DEFAULT_THRESHOLD,
): { lesions: LesionMatv[]; patient: PatientMatv } {
  checkThresholdRule(rule);
  const [nx, ny, nz] = suv.size;
  const lab = labels.data;
  const img = suv.data;
  const { table, map } = labelIndex(lesionLabels);
  const m = lesionLabels.length;
  const lo = Array.from({ length: m }, () => [nx, ny, nz] as Vec3);
  const hi = Array.from({ length: m }, () => [-1, -1, -1] as Vec3);
  const max = new Float64Array(m).fill(-Infinity);
  for (let k = 0, q = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, q++) {
        const v = lab[q]!;
        if (v === 0) continue;
        const g = table[v] ?? map.get(v) ?? -1;
        if (g < 0) continue;
        const a = lo[g]!;
        const b = hi[g]!;
        if (i < a[0]) a[0] = i;
        if (i > b[0]) b[0] = i;
        if (j < a[1]) a[1] = j;
        if (j > b[1]) b[1] = j;
        if (k < a[2]) a[2] = k;
        if (k > b[2]) b[2] = k;
        if (img[q]! > max[g]!) max[g] = img[q]!;
      }
  const vml = voxelVolumeMl(suv);
  const thr = lesionLabels.map((_, g) => thresholdSuv(rule, max[g]!));
  const lesions: LesionMatv[] = lesionLabels.map((label, g) => {
    const a = lo[g]!;
    const b = hi[g]!;
    if (b[0] < 0)
      return { label, thresholdSuv: NaN, suvMax: NaN, voxelCount: 0, matvMl: 0, componentCount: 0 };
    const dims: Vec3 = [b[0] - a[0] + 1, b[1] - a[1] + 1, b[2] - a[2] + 1];
    const sub = new Uint8Array(dims[0] * dims[1] * dims[2]);
    let count = 0;
    for (let k = 0, q = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++) {
        const src = a[0] + nx * (a[1] + j + ny * (a[2] + k));
        for (let i = 0; i < dims[0]; i++, q++) {
          if (lab[src + i] === label && img[src + i]! >= thr[g]!) {
            sub[q] = 1;
            count++;
          }
        }
      }
    return {
      label,
      thresholdSuv: thr[g]!,
      suvMax: max[g]!,
      voxelCount: count,
      matvMl: count * vml,
      componentCount: countComponentsInPlace(sub, dims, 26),
    };
  });
  // Patient: union of active voxels inside the joint bounding box.
  const ulo: Vec3 = [nx, ny, nz];
  const uhi: Vec3 = [-1, -1, -1];
  lesions.forEach((l, g) => {
    if (l.voxelCount === 0) return;
    for (let d = 0; d < 3; d++) {
      ulo[d] = Math.min(ulo[d]!, lo[g]![d]!);
      uhi[d] = Math.max(uhi[d]!, hi[g]![d]!);
    }
  });
  let components = 0;
  let total = 0;
  if (uhi[0] >= 0) {
    const dims: Vec3 = [uhi[0] - ulo[0] + 1, uhi[1] - ulo[1] + 1, uhi[2] - ulo[2] + 1];
    const sub = new Uint8Array(dims[0] * dims[1] * dims[2]);
    for (let k = 0, q = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++) {
        const src = ulo[0] + nx * (ulo[1] + j + ny * (ulo[2] + k));
        for (let i = 0; i < dims[0]; i++, q++) {
          const v = lab[src + i]!;
          if (v === 0) continue;
          const g = table[v] ?? map.get(v) ?? -1;
          if (g >= 0 && img[src + i]! >= thr[g]!) {
            sub[q] = 1;
            total++;
          }
        }
      }
    components = countComponentsInPlace(sub, dims, 26);
  }
  const sum = lesions.reduce((acc, l) => acc + l.matvMl, 0);
  return {
    lesions,
    patient: { lesionCount: m, sumOfLesionsMl: sum, totalMl: total * vml, componentCount: components },
  };
}

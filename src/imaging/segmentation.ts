/**
 * Lesion segmentation for MATV (metabolically active tumour volume): thresholds (fixed SUV, % of the
 * lesion SUVmax, PERCIST liver), thresholding inside a VOI or by region growing from a seed, connected
 * components, per-lesion and per-patient totals. No I/O.
 *
 * Definitions: a voxel is active when SUV ≥ threshold (inclusive). Volumes are voxel counts × voxel
 * volume (mL). Connectivity is 26 (face, edge or corner neighbours) unless stated.
 * Sources: MATV with SUV 2.5 and 41 % SUVmax (Boellaard et al., EANM FDG guideline 2.0, EJNMMI 2015);
 * PERCIST 1.0 liver threshold 1.5 × liver mean + 2 × liver SD (Wahl et al., JNM 2009); region growing
 * as in MUST-segmenter (imaging-reference §1.7).
 */
import { voxelVolumeMl } from './volume.js';
import type { Vec3, Volume } from './volume.js';

type Img = Volume<Float32Array | Float64Array>;

/** How the MATV threshold is set. */
export type ThresholdRule =
  | { kind: 'fixed'; suv: number }
  | { kind: 'percentMax'; percent: number }
  | { kind: 'percist'; liverMeanSuv: number; liverSdSuv: number };

/** Default MATV rule: fixed SUV 2.5. */
export const DEFAULT_THRESHOLD: ThresholdRule = { kind: 'fixed', suv: 2.5 };

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

/**
 * Labels the connected components of `mask` (nonzero = foreground) by breadth-first flood fill.
 *
 * @param mask binary mask, i fastest; @param size grid size; @param connectivity 6, 18 or 26 (default 26).
 */
export function connectedComponents(
  mask: ArrayLike<number>,
  size: Vec3,
  connectivity: 6 | 18 | 26 = 26,
): Components {
  const [nx, ny, nz] = size;
  const n = nx * ny * nz;
  const labels = new Int32Array(n);
  const offs = neighbourOffsets(connectivity);
  const queue = new Int32Array(n);
  const voxelCounts = [0];
  let count = 0;
  for (let seed = 0; seed < n; seed++) {
    if (!mask[seed] || labels[seed] !== 0) continue;
    count++;
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    labels[seed] = count;
    while (head < tail) {
      const q = queue[head++]!;
      const i = q % nx;
      const j = ((q - i) / nx) % ny;
      const k = (q - i - nx * j) / (nx * ny);
      for (const [di, dj, dk] of offs) {
        const a = i + di;
        const b = j + dj;
        const c = k + dk;
        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
        const p = a + nx * (b + ny * c);
        if (mask[p] && labels[p] === 0) {
          labels[p] = count;
          queue[tail++] = p;
        }
      }
    }
    voxelCounts.push(tail);
  }
  return { labels, count, voxelCounts };
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
  const cc = connectedComponents(mask, suv.size, 26);
  return {
    mask,
    thresholdSuv: thr,
    suvMax: suvMax === -Infinity ? NaN : suvMax,
    voxelCount: count,
    matvMl: count * voxelVolumeMl(suv),
    componentCount: cc.count,
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
    componentCount: connectedComponents(union, suvGrid.size, 26).count,
  };
}

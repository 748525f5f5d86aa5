/**
 * The whole-body digital phantom of the virtual trial: a fixed anatomy of ellipsoids and cylinders
 * (body, head, lungs, liver, spleen, small bowel, vertebral bone marrow, aorta, brain, healthy lymph
 * nodes) on an LPS voxel grid, painted with per-scan organ SUVs, spherical lesions with partial-voxel
 * coverage, a Gaussian scanner PSF and noise. Pure computation (no I/O).
 *
 * Frame: LPS mm (x → patient Left, y → Posterior, z → Superior); z = 0 at the upper thighs, head top
 * near z = 870 mm. Axis-aligned grid (identity direction).
 */
import type { Grid, Vec3, Volume } from '../imaging/volume.js';
import { IDENTITY_DIRECTION } from '../imaging/volume.js';
import { Rng } from '../stats/prng.js';

/** Tissue classes of the anatomy map (value = index). Organs of interest have VOIs. */
export const TISSUES = [
  'air',
  'soft_tissue',
  'lung',
  'liver',
  'spleen',
  'small_bowel',
  'bone_marrow',
  'aorta',
  'brain',
  'lymph_node',
] as const;
export type Tissue = (typeof TISSUES)[number];

/**
 * Organs with a VOI in the organ label map: label value (1-based) → class name. Names are
 * TotalSegmentator classes where one exists (`spleen`, `liver`, `small_bowel`, `brain`, `aorta` =
 * blood pool); `bone_marrow` (lumbar/thoracic vertebral bodies) and `lymph_node` (healthy nodes)
 * have no TotalSegmentator class and are named plainly.
 */
export const ORGANS = [
  'spleen',
  'liver',
  'small_bowel',
  'bone_marrow',
  'lymph_node',
  'brain',
  'aorta',
] as const;
export type Organ = (typeof ORGANS)[number];

/** Field of view of the phantom in LPS mm: [min, max] per axis (voxel centres lie inside). */
export const FIELD_MM: { x: [number, number]; y: [number, number]; z: [number, number] } = {
  x: [-200, 200],
  y: [-140, 140],
  z: [0, 880],
};

/**
 * The voxel grid of the phantom for an isotropic voxel size.
 *
 * @param voxelMm voxel edge in mm (> 0; 2–8 is sensible).
 * @returns the grid (identity direction, origin = centre of voxel 0 in LPS mm).
 */
export function phantomGrid(voxelMm: number): Grid {
  const n = (lo: number, hi: number): number => Math.max(1, Math.floor((hi - lo) / voxelMm));
  const nx = n(...FIELD_MM.x);
  const ny = n(...FIELD_MM.y);
  const nz = n(...FIELD_MM.z);
  return {
    size: [nx, ny, nz],
    spacingMm: [voxelMm, voxelMm, voxelMm],
    originLps: [-((nx - 1) * voxelMm) / 2, -((ny - 1) * voxelMm) / 2, FIELD_MM.z[0] + voxelMm / 2],
    direction: [...IDENTITY_DIRECTION],
  };
}

interface Ellipsoid {
  c: Vec3;
  r: Vec3;
}
const inEllipsoid = (p: Vec3, e: Ellipsoid): boolean =>
  ((p[0] - e.c[0]) / e.r[0]) ** 2 + ((p[1] - e.c[1]) / e.r[1]) ** 2 + ((p[2] - e.c[2]) / e.r[2]) ** 2 <= 1;

const ell = (c: Vec3, r: Vec3): Ellipsoid => ({ c, r });

/** Geometry of the anatomy (mm, LPS); exported so lesion placement can target organs. */
export const ANATOMY = {
  trunk: { cx: 0, cy: 0, rx: 165, ry: 105, z0: 110, z1: 640 },
  thighs: { cx: 85, cy: 0, r: 72, z0: 0, z1: 130 },
  neck: { cx: 0, cy: 5, r: 55, z0: 630, z1: 700 },
  head: ell([0, 0, 775], [78, 98, 105]),
  brain: ell([0, 5, 790], [62, 80, 72]),
  lungs: [ell([-78, 5, 525], [62, 82, 105]), ell([78, 5, 525], [62, 82, 105])],
  liver: ell([-72, -5, 420], [92, 78, 70]),
  spleen: ell([98, 42, 432], [38, 30, 50]),
  smallBowel: ell([0, -25, 265], [108, 55, 72]),
  spine: { cx: 0, cy: 68, r: 18, z0: 150, z1: 640 },
  aorta: { cx: 18, cy: 38, r: 13, z0: 250, z1: 560 },
  nodes: [
    ell([-85, -30, 140], [9, 9, 12]),
    ell([85, -30, 140], [9, 9, 12]),
    ell([-128, 12, 565], [9, 9, 12]),
    ell([128, 12, 565], [9, 9, 12]),
    ell([-38, -5, 668], [8, 8, 11]),
    ell([38, -5, 668], [8, 8, 11]),
  ],
};

/** Tissue class at an LPS point (mm). Later rules override earlier ones. */
export function tissueAt(p: Vec3): Tissue {
  const A = ANATOMY;
  const [x, y, z] = p;
  let t: Tissue = 'air';
  const tr = A.trunk;
  if (z >= tr.z0 && z <= tr.z1 && ((x - tr.cx) / tr.rx) ** 2 + ((y - tr.cy) / tr.ry) ** 2 <= 1)
    t = 'soft_tissue';
  const th = A.thighs;
  if (z >= th.z0 && z < th.z1 && Math.min((x - th.cx) ** 2, (x + th.cx) ** 2) + (y - th.cy) ** 2 <= th.r ** 2)
    t = 'soft_tissue';
  const nk = A.neck;
  if (z >= nk.z0 && z <= nk.z1 && x * x + (y - nk.cy) ** 2 <= nk.r ** 2) t = 'soft_tissue';
  if (inEllipsoid(p, A.head)) t = 'soft_tissue';
  if (t === 'air') return t;
  if (inEllipsoid(p, A.brain)) return 'brain';
  for (const l of A.lungs) if (inEllipsoid(p, l)) t = 'lung';
  if (inEllipsoid(p, A.liver)) t = 'liver';
  if (inEllipsoid(p, A.spleen)) t = 'spleen';
  if (inEllipsoid(p, A.smallBowel)) t = 'small_bowel';
  const sp = A.spine;
  if (z >= sp.z0 && z <= sp.z1 && (x - sp.cx) ** 2 + (y - sp.cy) ** 2 <= sp.r ** 2) t = 'bone_marrow';
  const ao = A.aorta;
  if (z >= ao.z0 && z <= ao.z1 && (x - ao.cx) ** 2 + (y - ao.cy) ** 2 <= ao.r ** 2) t = 'aorta';
  for (const nd of A.nodes) if (inEllipsoid(p, nd)) t = 'lymph_node';
  return t;
}

const anatomyCache = new Map<string, Uint8Array>();

/**
 * The anatomy map of a grid: one tissue index (into `TISSUES`) per voxel centre, i fastest.
 * Cached per grid (it is the same for every patient and scan).
 */
export function anatomyMap(grid: Grid): Uint8Array {
  const key = `${grid.size.join('x')}|${grid.spacingMm.join('x')}|${grid.originLps.join(',')}`;
  const hit = anatomyCache.get(key);
  if (hit) return hit;
  const [nx, ny, nz] = grid.size;
  const out = new Uint8Array(nx * ny * nz);
  const idx = new Map<Tissue, number>(TISSUES.map((t, i) => [t, i]));
  let n = 0;
  for (let k = 0; k < nz; k++) {
    const z = grid.originLps[2] + k * grid.spacingMm[2];
    for (let j = 0; j < ny; j++) {
      const y = grid.originLps[1] + j * grid.spacingMm[1];
      for (let i = 0; i < nx; i++) {
        const x = grid.originLps[0] + i * grid.spacingMm[0];
        out[n++] = idx.get(tissueAt([x, y, z]))!;
      }
    }
  }
  anatomyCache.set(key, out);
  return out;
}

/** A spherical lesion as drawn on one scan. */
export interface LesionShape {
  /** Label value in the lesion label map (stable across a patient's scans), 1..65535. */
  label: number;
  centreLps: Vec3;
  radiusMm: number;
  /** Uniform true SUV inside the sphere (g/mL). */
  suv: number;
}

/** What `renderScan` needs to know about one scan. */
export interface ScanScene {
  /** True SUV per tissue class (missing classes → 0). */
  tissueSuv: Partial<Record<Tissue, number>>;
  lesions: LesionShape[];
  /** Scanner PSF, full width at half maximum in mm (Gaussian; 0 = none). */
  psfFwhmMm: number;
  /**
   * Noise after blurring: SD(SUV) = sqrt(noiseA² · SUV + noiseB²) at the voxel's true SUV
   * (Poisson-like); white noise is added before the PSF and scaled so the blurred noise has this SD.
   */
  noiseA: number;
  noiseB: number;
  /** Stream label of this scan's noise (with the trial seed). */
  noiseSeed: number;
  noiseStream: string;
}

/** A rendered scan: SUV image (noisy, blurred), the noise-free blurred image, and label maps. */
export interface RenderedScan {
  suv: Volume;
  /** The same image without noise (expectation of the measured image). */
  suvNoiseFree: Volume;
  /** Organ label map: value = 1 + index in `ORGANS`, 0 elsewhere; lesion voxels are excluded. */
  organLabels: Volume<Uint8Array>;
  /** Lesion label map: value = lesion label, 0 elsewhere (voxel centre inside the sphere). */
  lesionLabels: Volume<Uint16Array>;
}

/**
 * Renders one scan of the phantom: tissue SUVs, lesions (partial-voxel coverage by 4×4×4
 * super-sampling at the boundary), white noise, then the Gaussian PSF, clamped at 0.
 *
 * @param grid voxel grid (from `phantomGrid`).
 * @param scene organ and lesion SUVs, PSF and noise settings.
 * @returns SUV volumes (g/mL) and label maps on `grid`.
 */
export function renderScan(grid: Grid, scene: ScanScene): RenderedScan {
  const [nx, ny, nz] = grid.size;
  const nVox = nx * ny * nz;
  const anatomy = anatomyMap(grid);
  const tissueValue = TISSUES.map((t) => scene.tissueSuv[t] ?? 0);
  const truth = new Float32Array(nVox);
  for (let n = 0; n < nVox; n++) truth[n] = tissueValue[anatomy[n]!]!;
  const lesionLabels = new Uint16Array(nVox);
  const [sx, sy, sz] = grid.spacingMm;
  const o = grid.originLps;
  const halfDiag = 0.5 * Math.sqrt(sx * sx + sy * sy + sz * sz);
  const SS = 4;
  for (const les of scene.lesions) {
    const r = les.radiusMm;
    const [cx, cy, cz] = les.centreLps;
    const lo = (c: number, oo: number, s: number): number =>
      Math.max(0, Math.floor((c - r - halfDiag - oo) / s));
    const hi = (c: number, oo: number, s: number, nMax: number): number =>
      Math.min(nMax - 1, Math.ceil((c + r + halfDiag - oo) / s));
    let labelled = 0;
    let nearest = -1;
    let nearestD = Infinity;
    for (let k = lo(cz, o[2], sz); k <= hi(cz, o[2], sz, nz); k++) {
      const z = o[2] + k * sz;
      for (let j = lo(cy, o[1], sy); j <= hi(cy, o[1], sy, ny); j++) {
        const y = o[1] + j * sy;
        for (let i = lo(cx, o[0], sx); i <= hi(cx, o[0], sx, nx); i++) {
          const x = o[0] + i * sx;
          const d = Math.sqrt((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2);
          const n = i + nx * (j + ny * k);
          if (d < nearestD) {
            nearestD = d;
            nearest = n;
          }
          let f: number;
          if (d <= r - halfDiag) f = 1;
          else if (d >= r + halfDiag) f = 0;
          else {
            let inside = 0;
            for (let a = 0; a < SS; a++) {
              const zz = z + ((a + 0.5) / SS - 0.5) * sz;
              for (let b = 0; b < SS; b++) {
                const yy = y + ((b + 0.5) / SS - 0.5) * sy;
                for (let c = 0; c < SS; c++) {
                  const xx = x + ((c + 0.5) / SS - 0.5) * sx;
                  if ((xx - cx) ** 2 + (yy - cy) ** 2 + (zz - cz) ** 2 <= r * r) inside++;
                }
              }
            }
            f = inside / (SS * SS * SS);
          }
          if (f > 0) truth[n] = (1 - f) * truth[n]! + f * les.suv;
          if (d <= r && lesionLabels[n] === 0) {
            lesionLabels[n] = les.label;
            labelled++;
          }
        }
      }
    }
    // A lesion smaller than a voxel still gets its nearest voxel, so every VOI is non-empty.
    if (labelled === 0 && nearest >= 0 && lesionLabels[nearest] === 0) lesionLabels[nearest] = les.label;
  }

  const organLabels = new Uint8Array(nVox);
  const organOfTissue = TISSUES.map((t) => (ORGANS as readonly string[]).indexOf(t) + 1);
  for (let n = 0; n < nVox; n++) if (lesionLabels[n] === 0) organLabels[n] = organOfTissue[anatomy[n]!]!;

  const sigmaMm = scene.psfFwhmMm / (2 * Math.sqrt(2 * Math.LN2));
  const noiseFree = gaussianBlur(truth, grid, sigmaMm);
  // White noise scaled so that after the PSF its SD is sqrt(a²·SUV + b²).
  const gain = sigmaMm > 0 ? 1 / Math.sqrt(kernelSumSquares(grid, sigmaMm)) : 1;
  const noise = new Float32Array(nVox);
  const rng = new Rng(scene.noiseSeed, scene.noiseStream);
  const a2 = scene.noiseA * scene.noiseA;
  const b2 = scene.noiseB * scene.noiseB;
  for (let n = 0; n < nVox; n++) {
    if (anatomy[n] === 0 && truth[n] === 0) continue;
    noise[n] = gain * Math.sqrt(a2 * Math.max(truth[n]!, 0) + b2) * rng.normal();
  }
  const blurredNoise = gaussianBlur(noise, grid, sigmaMm);
  const suv = new Float32Array(nVox);
  for (let n = 0; n < nVox; n++) suv[n] = Math.max(0, noiseFree[n]! + blurredNoise[n]!);
  const geo = {
    size: grid.size,
    spacingMm: grid.spacingMm,
    originLps: grid.originLps,
    direction: grid.direction,
  };
  return {
    suv: { ...geo, data: suv, unit: 'SUVbw g/mL' },
    suvNoiseFree: { ...geo, data: noiseFree, unit: 'SUVbw g/mL' },
    organLabels: { ...geo, data: organLabels, unit: 'label' },
    lesionLabels: { ...geo, data: lesionLabels, unit: 'label' },
  };
}

/** 1-D normalised Gaussian kernel for a sigma in voxels, truncated at 3 sigma. */
function kernel1d(sigmaVox: number): Float64Array {
  const rad = Math.max(1, Math.ceil(3 * sigmaVox));
  const k = new Float64Array(2 * rad + 1);
  let s = 0;
  for (let t = -rad; t <= rad; t++) {
    const v = Math.exp(-(t * t) / (2 * sigmaVox * sigmaVox));
    k[t + rad] = v;
    s += v;
  }
  for (let t = 0; t < k.length; t++) k[t]! /= s;
  return k;
}

/** Sum of squared weights of the separable 3-D kernel (noise variance reduction factor). */
function kernelSumSquares(grid: Grid, sigmaMm: number): number {
  let p = 1;
  for (let a = 0; a < 3; a++) {
    const k = kernel1d(sigmaMm / grid.spacingMm[a]!);
    let s = 0;
    for (const v of k) s += v * v;
    p *= s;
  }
  return p;
}

/**
 * Separable 3-D Gaussian filter (zero outside the grid), sigma in mm per axis converted to voxels.
 *
 * @param data values on `grid`, i fastest.
 * @param grid the grid (spacing in mm).
 * @param sigmaMm Gaussian standard deviation in mm (FWHM / 2.3548); ≤ 0 returns a copy.
 * @returns a new Float32Array.
 */
export function gaussianBlur(data: Float32Array, grid: Grid, sigmaMm: number): Float32Array {
  if (!(sigmaMm > 0)) return Float32Array.from(data);
  const [nx, ny, nz] = grid.size;
  let src = Float32Array.from(data);
  let dst = new Float32Array(src.length);
  const strides = [1, nx, nx * ny];
  const dims = [nx, ny, nz];
  for (let axis = 0; axis < 3; axis++) {
    const k = kernel1d(sigmaMm / grid.spacingMm[axis]!);
    const rad = (k.length - 1) / 2;
    const stride = strides[axis]!;
    const len = dims[axis]!;
    const line = new Float64Array(len);
    // Iterate over all lines along `axis`.
    const [dA, dB] = axis === 0 ? [ny, nz] : axis === 1 ? [nx, nz] : [nx, ny];
    const [sA, sB] = axis === 0 ? [nx, nx * ny] : axis === 1 ? [1, nx * ny] : [1, nx];
    for (let b = 0; b < dB; b++) {
      for (let a = 0; a < dA; a++) {
        const base = a * sA + b * sB;
        let any = false;
        for (let t = 0; t < len; t++) {
          const v = src[base + t * stride]!;
          line[t] = v;
          if (v !== 0) any = true;
        }
        if (!any) {
          for (let t = 0; t < len; t++) dst[base + t * stride] = 0;
          continue;
        }
        for (let t = 0; t < len; t++) {
          let s = 0;
          const u0 = Math.max(0, t - rad);
          const u1 = Math.min(len - 1, t + rad);
          for (let u = u0; u <= u1; u++) s += line[u]! * k[u - t + rad]!;
          dst[base + t * stride] = s;
        }
      }
    }
    const tmp = src;
    src = dst;
    dst = tmp;
  }
  return src;
}

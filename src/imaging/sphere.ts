/**
 * The SUVpeak sphere: voxel-centre offsets of a sphere on an (orthogonal) voxel grid, stored as
 * runs along i so that a sphere sum costs one prefix-sum difference per (j, k) row.
 *
 * IBSI 1 (local intensity family, 9ST6): a voxel belongs to the sphere when its centre lies within
 * r of the centre voxel's centre; no partial-voxel weighting; r = (3/(4π))^(1/3) cm ≈ 6.2035 mm gives
 * a 1 cm³ sphere. Voxels outside the image do not exist (they are neither summed nor counted).
 */
import { ijkToLps, lpsToIjk, type Grid, type Vec3 } from './volume.js';

/** Radius (mm) of a 1 mL sphere: (3/(4π))^(1/3) cm = 6.2035 mm (IBSI 1, local intensity peak). */
export const PEAK_SPHERE_RADIUS_MM = 10 * Math.cbrt(3 / (4 * Math.PI));

/** Sphere of voxel centres as runs: for run n, rows at (dj[n], dk[n]) with |di| ≤ halfI[n]. */
export interface SphereRuns {
  dj: Int32Array;
  dk: Int32Array;
  halfI: Int32Array;
  /** Largest |dk| (slices above/below the centre the sphere reaches). */
  reachK: number;
  /** Largest |dj|. */
  reachJ: number;
  /** Voxels in the full (unclipped) sphere. */
  voxelCount: number;
}

/**
 * Runs of the voxel-centre sphere of radius `radiusMm` on a grid with spacing `spacingMm` (mm).
 * A centre at distance d is inside when d ≤ r (with a relative slack of 1e-9 against rounding).
 */
export function sphereRuns(spacingMm: Vec3, radiusMm: number = PEAK_SPHERE_RADIUS_MM): SphereRuns {
  const [sx, sy, sz] = spacingMm;
  const r2 = radiusMm * radiusMm * (1 + 1e-9);
  const rk = Math.floor(radiusMm / sz + 1e-9);
  const rj = Math.floor(radiusMm / sy + 1e-9);
  const dj: number[] = [];
  const dk: number[] = [];
  const half: number[] = [];
  let count = 0;
  for (let k = -rk; k <= rk; k++) {
    for (let j = -rj; j <= rj; j++) {
      const rest = r2 - (k * sz) ** 2 - (j * sy) ** 2;
      if (rest < 0) continue;
      let h = Math.floor(Math.sqrt(rest) / sx);
      while ((h + 1) * sx * ((h + 1) * sx) <= rest) h++;
      while (h >= 0 && h * sx * (h * sx) > rest) h--;
      if (h < 0) continue;
      dj.push(j);
      dk.push(k);
      half.push(h);
      count += 2 * h + 1;
    }
  }
  return {
    dj: Int32Array.from(dj),
    dk: Int32Array.from(dk),
    halfI: Int32Array.from(half),
    reachK: rk,
    reachJ: rj,
    voxelCount: count,
  };
}

/**
 * Mean of the image values whose voxel centres lie in the sphere centred on voxel (i, j, k)
 * (direct summation; voxels outside the image are skipped). Used for local peaks and tests.
 *
 * @param data image values, i fastest; @param size grid size; @param runs from `sphereRuns`.
 */
export function sphereMeanAt(
  data: ArrayLike<number>,
  size: Vec3,
  runs: SphereRuns,
  i: number,
  j: number,
  k: number,
): number {
  const [nx, ny, nz] = size;
  let sum = 0;
  let count = 0;
  for (let n = 0; n < runs.dj.length; n++) {
    const jj = j + runs.dj[n]!;
    const kk = k + runs.dk[n]!;
    if (jj < 0 || jj >= ny || kk < 0 || kk >= nz) continue;
    const h = runs.halfI[n]!;
    const i0 = Math.max(0, i - h);
    const i1 = Math.min(nx - 1, i + h);
    const base = nx * (jj + ny * kk);
    for (let ii = i0; ii <= i1; ii++) sum += data[base + ii]!;
    count += i1 - i0 + 1;
  }
  return sum / count;
}

/**
 * Binary mask of the voxels of `grid` whose centres lie within `radiusMm` of a point `centerLps`
 * (DICOM LPS, mm; the centre need not be a voxel centre). Same membership rule as `sphereRuns` (IBSI 1:
 * voxel centre at distance d ≤ r, relative slack 1e-9, no partial-voxel weighting); the distance is
 * measured in LPS mm through the grid's affine (`ijkToLps`), so oblique directions are handled.
 * Voxels outside the grid do not exist: a sphere that reaches past the edge is clipped, one entirely
 * outside gives an all-zero mask (the caller decides whether that is an error).
 *
 * @param grid target image grid (LPS); @param centerLps sphere centre (mm); @param radiusMm > 0.
 * @returns 1 inside, 0 outside; length = voxel count of the grid, i fastest.
 * Used for healthy-tissue reference spheres (e.g. a 3 cm liver sphere, PERCIST 1.0 / EANM 2.0).
 */
export function sphereMaskOnGrid(grid: Grid, centerLps: Vec3, radiusMm: number): Uint8Array {
  const [nx, ny, nz] = grid.size;
  const mask = new Uint8Array(nx * ny * nz);
  const r2 = radiusMm * radiusMm * (1 + 1e-9);
  const c = lpsToIjk(grid, centerLps);
  // Index bounding box: along an orthonormal axis the sphere spans ±r/spacing voxels around the centre.
  const lo = (n: number): number => Math.max(0, Math.floor(c[n]! - radiusMm / grid.spacingMm[n]!) - 1);
  const hi = (n: number, size: number): number =>
    Math.min(size - 1, Math.ceil(c[n]! + radiusMm / grid.spacingMm[n]!) + 1);
  for (let k = lo(2); k <= hi(2, nz); k++) {
    for (let j = lo(1); j <= hi(1, ny); j++) {
      for (let i = lo(0); i <= hi(0, nx); i++) {
        const p = ijkToLps(grid, [i, j, k]);
        const d2 = (p[0] - centerLps[0]) ** 2 + (p[1] - centerLps[1]) ** 2 + (p[2] - centerLps[2]) ** 2;
        if (d2 <= r2) mask[i + nx * (j + ny * k)] = 1;
      }
    }
  }
  return mask;
}

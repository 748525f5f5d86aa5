/**
 * The plain-data volume type shared by readers, imaging kernels and the report.
 *
 * Frames (cornerstone3D naming): `Ijk` = voxel indices (i fastest, along columns; j along rows; k
 * along slices), `Lps` = DICOM patient coordinates in mm (x → patient Left, y → Posterior, z →
 * Superior). Voxel (i, j, k) has its centre at
 *   pointLps = originLps + i·spacingMm[0]·direction[0..2] + j·spacingMm[1]·direction[3..5]
 *              + k·spacingMm[2]·direction[6..8]
 * i.e. `direction` holds the three unit axis vectors (row direction, column direction, slice normal)
 * one after the other, each in LPS. Data are stored with i fastest: index = i + nx·(j + ny·k).
 * (DICOM PS3.3 C.7.6.2.1.1; itk-wasm `Image` for the plain-data shape.)
 */
import { InputError } from '../errors.js';

export type Vec3 = [number, number, number];

/** 3×3 direction cosines: axis i unit vector, axis j unit vector, axis k unit vector, each in LPS. */
export type Direction3 = [number, number, number, number, number, number, number, number, number];

/** Voxel grid geometry, with no data. */
export interface Grid {
  /** Number of voxels along i, j, k. */
  size: Vec3;
  /** Centre-to-centre voxel spacing along i, j, k in mm. */
  spacingMm: Vec3;
  /** LPS position (mm) of the centre of voxel (0, 0, 0). */
  originLps: Vec3;
  /** Direction cosines of the i, j, k axes in LPS (see module doc). */
  direction: Direction3;
}

/** A scalar volume: a grid and its voxel values, i fastest. */
export interface Volume<
  T extends Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Int32Array = Float32Array,
> extends Grid {
  data: T;
  /** What the values mean, e.g. 'SUVbw g/mL', 'Bq/mL', 'label'. */
  unit: string;
}

/** Identity direction (axes aligned with LPS). */
export const IDENTITY_DIRECTION: Direction3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Number of voxels of a grid. */
export function voxelCount(grid: Grid): number {
  return grid.size[0] * grid.size[1] * grid.size[2];
}

/** Volume of one voxel in mL (= cm³), from the spacing in mm. */
export function voxelVolumeMl(grid: Grid): number {
  return (grid.spacingMm[0] * grid.spacingMm[1] * grid.spacingMm[2]) / 1000;
}

/** Centre of voxel (i, j, k) in LPS mm. */
export function ijkToLps(grid: Grid, pointIjk: Vec3): Vec3 {
  const [i, j, k] = pointIjk;
  const [sx, sy, sz] = grid.spacingMm;
  const d = grid.direction;
  const o = grid.originLps;
  return [
    o[0] + i * sx * d[0] + j * sy * d[3] + k * sz * d[6],
    o[1] + i * sx * d[1] + j * sy * d[4] + k * sz * d[7],
    o[2] + i * sx * d[2] + j * sy * d[5] + k * sz * d[8],
  ];
}

/**
 * Continuous voxel coordinates of an LPS point (inverse of `ijkToLps`). Assumes orthonormal
 * direction cosines (true for every PET grid we accept; readers check it).
 */
export function lpsToIjk(grid: Grid, pointLps: Vec3): Vec3 {
  const d = grid.direction;
  const v: Vec3 = [
    pointLps[0] - grid.originLps[0],
    pointLps[1] - grid.originLps[1],
    pointLps[2] - grid.originLps[2],
  ];
  return [
    (v[0] * d[0] + v[1] * d[1] + v[2] * d[2]) / grid.spacingMm[0],
    (v[0] * d[3] + v[1] * d[4] + v[2] * d[5]) / grid.spacingMm[1],
    (v[0] * d[6] + v[1] * d[7] + v[2] * d[8]) / grid.spacingMm[2],
  ];
}

/**
 * True when two grids are the same voxel lattice (sizes equal; spacing, origin and direction
 * within `tolMm` mm / `tolDir`).
 */
export function sameGrid(a: Grid, b: Grid, tolMm = 1e-3, tolDir = 1e-4): boolean {
  for (let n = 0; n < 3; n++) {
    if (a.size[n] !== b.size[n]) return false;
    if (Math.abs(a.spacingMm[n]! - b.spacingMm[n]!) > tolMm) return false;
    if (Math.abs(a.originLps[n]! - b.originLps[n]!) > tolMm) return false;
  }
  for (let n = 0; n < 9; n++) if (Math.abs(a.direction[n]! - b.direction[n]!) > tolDir) return false;
  return true;
}

/** Throws an InputError naming `what` unless the two grids are the same lattice. */
export function assertSameGrid(image: Grid, mask: Grid, what: { file?: string }): void {
  if (!sameGrid(image, mask)) {
    throw new InputError(
      `mask grid (size ${mask.size.join('×')}, spacing ${mask.spacingMm.map((s) => s.toFixed(3)).join('×')} mm, ` +
        `origin ${mask.originLps.map((s) => s.toFixed(2)).join(',')}) differs from the image grid ` +
        `(size ${image.size.join('×')}, spacing ${image.spacingMm.map((s) => s.toFixed(3)).join('×')} mm, ` +
        `origin ${image.originLps.map((s) => s.toFixed(2)).join(',')})`,
      { ...(what.file !== undefined ? { file: what.file } : {}), field: 'grid' },
    );
  }
}

/**
 * Resampling between voxel grids that share the patient frame (LPS mm): nearest neighbour for label
 * maps and masks, trilinear for images; and the overlap check done before a mask is moved onto a PET
 * grid. Target voxel centres are mapped through target ijk → LPS → source ijk (continuous); a centre
 * outside the source's voxel extent (−0.5 … n − 0.5 along every axis) gets 0.
 * Source: ITK NearestNeighbor / Linear interpolate image functions (behaviour), own implementation.
 */
import { InputError } from '../errors.js';
import { ijkToLps, lpsToIjk, sameGrid } from './volume.js';
import type { Grid, Vec3, Volume } from './volume.js';

type AnyData = Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Int32Array;

/** Affine map target ijk → source ijk as a 3×4 matrix (rows), both grids orthonormal. */
function ijkMap(source: Grid, target: Grid): number[][] {
  const o = lpsToIjk(source, ijkToLps(target, [0, 0, 0]));
  const cols = [0, 1, 2].map((ax) => {
    const e: Vec3 = [0, 0, 0];
    e[ax] = 1;
    const p = lpsToIjk(source, ijkToLps(target, e));
    return [p[0] - o[0], p[1] - o[1], p[2] - o[2]];
  });
  return [0, 1, 2].map((r) => [cols[0]![r]!, cols[1]![r]!, cols[2]![r]!, o[r]!]);
}

/** How many target voxel centres fall inside the source's extent, and how many mask voxels map in. */
export interface OverlapReport {
  /** Target voxels whose centre lies inside the source volume's extent. */
  targetVoxelsInside: number;
  /** Fraction of the target grid covered by the source. */
  fractionOfTarget: number;
}

/** Counts target voxel centres inside the source extent (see `OverlapReport`). */
export function gridOverlap(source: Grid, target: Grid): OverlapReport {
  const M = ijkMap(source, target);
  const [nx, ny, nz] = target.size;
  const [sx, sy, sz] = source.size;
  let inside = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      // Along a row the source coordinates are linear in i: solve the inside interval directly.
      let lo = 0;
      let hi = nx - 1;
      for (let r = 0; r < 3; r++) {
        const a = M[r]![0]!;
        const b = M[r]![1]! * j + M[r]![2]! * k + M[r]![3]!;
        const n = r === 0 ? sx : r === 1 ? sy : sz;
        // need −0.5 ≤ a·i + b < n − 0.5
        if (Math.abs(a) < 1e-12) {
          if (!(b >= -0.5 && b < n - 0.5)) {
            lo = 1;
            hi = 0;
          }
        } else {
          // −0.5 inclusive, n − 0.5 exclusive (as the nearest-neighbour rounding).
          const t0 = (-0.5 - b) / a;
          const t1 = (n - 0.5 - b) / a;
          if (a > 0) {
            lo = Math.max(lo, Math.ceil(t0 - 1e-9));
            hi = Math.min(hi, Math.ceil(t1 - 1e-9) - 1);
          } else {
            lo = Math.max(lo, Math.floor(t1 + 1e-9) + 1);
            hi = Math.min(hi, Math.floor(t0 + 1e-9));
          }
        }
      }
      if (hi >= lo) inside += hi - lo + 1;
    }
  return { targetVoxelsInside: inside, fractionOfTarget: inside / (nx * ny * nz) };
}

/**
 * Nearest-neighbour resampling of `source` onto `target` (labels keep their values).
 *
 * @param source label map or mask on its own grid.
 * @param target grid to sample on (e.g. the PET grid).
 * @returns a volume on `target` with the source's data type; 0 outside the source.
 */
export function resampleNearest<T extends AnyData>(source: Volume<T>, target: Grid): Volume<T> {
  const M = ijkMap(source, target);
  const [nx, ny, nz] = target.size;
  const [sx, sy, sz] = source.size;
  const Ctor = source.data.constructor as new (n: number) => T;
  const out = new Ctor(nx * ny * nz);
  const src = source.data;
  let q = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      const b0 = M[0]![1]! * j + M[0]![2]! * k + M[0]![3]!;
      const b1 = M[1]![1]! * j + M[1]![2]! * k + M[1]![3]!;
      const b2 = M[2]![1]! * j + M[2]![2]! * k + M[2]![3]!;
      for (let i = 0; i < nx; i++, q++) {
        // Round half up, with a 1e-6 voxel nudge so exact lattice points round consistently.
        const si = Math.floor(M[0]![0]! * i + b0 + 0.5 + 1e-6);
        const sj = Math.floor(M[1]![0]! * i + b1 + 0.5 + 1e-6);
        const sk = Math.floor(M[2]![0]! * i + b2 + 0.5 + 1e-6);
        if (si < 0 || sj < 0 || sk < 0 || si >= sx || sj >= sy || sk >= sz) continue;
        out[q] = src[si + sx * (sj + sy * sk)]!;
      }
    }
  return { ...target, size: [...target.size], data: out, unit: source.unit };
}

/**
 * Trilinear resampling of an image onto `target` (Float32 result). Samples between the outermost
 * voxel centres and the voxel edge are clamped to the edge voxel; outside the extent → 0.
 */
export function resampleLinear(source: Volume<AnyData>, target: Grid): Volume<Float32Array> {
  const M = ijkMap(source, target);
  const [nx, ny, nz] = target.size;
  const [sx, sy, sz] = source.size;
  const out = new Float32Array(nx * ny * nz);
  const src = source.data;
  let q = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, q++) {
        const x = M[0]![0]! * i + M[0]![1]! * j + M[0]![2]! * k + M[0]![3]!;
        const y = M[1]![0]! * i + M[1]![1]! * j + M[1]![2]! * k + M[1]![3]!;
        const z = M[2]![0]! * i + M[2]![1]! * j + M[2]![2]! * k + M[2]![3]!;
        if (x < -0.5 || y < -0.5 || z < -0.5 || x >= sx - 0.5 || y >= sy - 0.5 || z >= sz - 0.5) continue;
        const cx = Math.min(Math.max(x, 0), sx - 1);
        const cy = Math.min(Math.max(y, 0), sy - 1);
        const cz = Math.min(Math.max(z, 0), sz - 1);
        const x0 = Math.min(Math.floor(cx), sx - 2 < 0 ? 0 : sx - 2);
        const y0 = Math.min(Math.floor(cy), sy - 2 < 0 ? 0 : sy - 2);
        const z0 = Math.min(Math.floor(cz), sz - 2 < 0 ? 0 : sz - 2);
        const fx = sx > 1 ? cx - x0 : 0;
        const fy = sy > 1 ? cy - y0 : 0;
        const fz = sz > 1 ? cz - z0 : 0;
        const x1 = sx > 1 ? x0 + 1 : x0;
        const y1 = sy > 1 ? y0 + 1 : y0;
        const z1 = sz > 1 ? z0 + 1 : z0;
        const at = (a: number, b: number, c: number) => src[a + sx * (b + sy * c)]!;
        const c00 = at(x0, y0, z0) * (1 - fx) + at(x1, y0, z0) * fx;
        const c10 = at(x0, y1, z0) * (1 - fx) + at(x1, y1, z0) * fx;
        const c01 = at(x0, y0, z1) * (1 - fx) + at(x1, y0, z1) * fx;
        const c11 = at(x0, y1, z1) * (1 - fx) + at(x1, y1, z1) * fx;
        out[q] = (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz;
      }
  return { ...target, size: [...target.size], data: out, unit: source.unit };
}

/**
 * Puts a label map/mask onto the image grid: unchanged when on the same lattice, otherwise resampled
 * with nearest neighbour after checking the frames overlap and that labelled voxels land on the image.
 *
 * @param mask mask or label map on its own grid.
 * @param image the image grid (PET).
 * @param where file named in errors.
 * @returns the mask on the image grid, and whether it was resampled.
 * @throws InputError when the mask's extent does not overlap the image at all, or when no labelled
 *   voxel of the mask falls on the image grid.
 */
export function maskOntoGrid<T extends AnyData>(
  mask: Volume<T>,
  image: Grid,
  where: { file?: string } = {},
): { volume: Volume<T>; resampled: boolean } {
  if (sameGrid(mask, image)) return { volume: mask, resampled: false };
  const loc = { ...(where.file !== undefined ? { file: where.file } : {}), field: 'grid' };
  const ov = gridOverlap(mask, image);
  if (ov.targetVoxelsInside === 0) {
    throw new InputError(
      `mask does not overlap the image: mask extent ${extentText(mask)} vs image extent ${extentText(image)} (LPS mm)`,
      loc,
    );
  }
  const out = resampleNearest(mask, image);
  let any = false;
  for (let q = 0; q < out.data.length; q++)
    if (out.data[q] !== 0) {
      any = true;
      break;
    }
  let srcAny = false;
  for (let q = 0; q < mask.data.length; q++)
    if (mask.data[q] !== 0) {
      srcAny = true;
      break;
    }
  if (srcAny && !any) {
    throw new InputError(
      'no labelled voxel of the mask falls on the image grid (the VOIs lie outside the image)',
      loc,
    );
  }
  return { volume: out, resampled: true };
}

/** "[x0, x1] × [y0, y1] × [z0, z1]" of a grid's voxel-edge bounding box in LPS. */
export function extentText(g: Grid): string {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const ci of [-0.5, g.size[0] - 0.5])
    for (const cj of [-0.5, g.size[1] - 0.5])
      for (const ck of [-0.5, g.size[2] - 0.5]) {
        const p = ijkToLps(g, [ci, cj, ck]);
        for (let r = 0; r < 3; r++) {
          lo[r] = Math.min(lo[r]!, p[r]!);
          hi[r] = Math.max(hi[r]!, p[r]!);
        }
      }
  return [0, 1, 2].map((r) => `[${lo[r]!.toFixed(1)}, ${hi[r]!.toFixed(1)}]`).join(' × ');
}

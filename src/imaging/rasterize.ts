/**
 * Planar contours (RTSTRUCT ROI Contour Sequence, LPS mm) → a binary mask on an image grid.
 *
 * Rules (stated in reports):
 * - each contour must lie in one plane parallel to the grid's slices; it is assigned to the slice whose
 *   centre plane is nearest (within half a slice spacing; contours outside the grid are counted in
 *   `contoursOutside` and ignored);
 * - a voxel is inside when its CENTRE lies inside, by the even-odd rule over ALL contours of its slice
 *   (so several contours per slice add islands, and a contour inside another cuts a hole);
 * - scanline fill with the half-open convention x_a ≤ i < x_b on each row j, so a centre exactly on a
 *   left/top edge is in and on a right/bottom edge is out (no voxel is counted twice);
 * - POINT and OPEN_* contours are not areas and are refused by the caller (see `rasterizeRoi`).
 * Source: DICOM PS3.3 C.8.8.6 (ContourData, CLOSED_PLANAR); even-odd rule as used by plastimatch /
 * dcmrtstruct2nii.
 */
import { InputError } from '../errors.js';
import { lpsToIjk } from './volume.js';
import type { Grid } from './volume.js';

/** One planar contour: x0,y0,z0,x1,… in LPS mm. */
export interface ContourLps {
  pointsLps: Float64Array;
  geometricType?: string;
}

/** Result of rasterising an ROI's contours. */
export interface RasterResult {
  /** 1 inside, 0 outside; length = voxel count of the grid, i fastest. */
  mask: Uint8Array;
  /** Contours whose plane lies outside the grid's slice range (ignored). */
  contoursOutside: number;
  /** Contours used. */
  contoursUsed: number;
}

/**
 * Rasterises closed planar contours onto `grid` (see module doc for the rules).
 *
 * @param grid target image grid (LPS).
 * @param contours contours in LPS mm.
 * @param where file/ROI named in errors.
 * @returns mask and contour counts.
 * @throws InputError when a contour is not closed planar, has < 3 points, or is not parallel to the
 *   slices (its points spread over more than 0.1 slice spacing along the slice normal).
 */
export function rasterizeContours(
  grid: Grid,
  contours: ContourLps[],
  where: { file?: string; roi?: string } = {},
): RasterResult {
  const [nx, ny, nz] = grid.size;
  const mask = new Uint8Array(nx * ny * nz);
  const loc = {
    ...(where.file !== undefined ? { file: where.file } : {}),
    field: `ROI ${where.roi ?? ''}`.trim(),
  };
  const bySlice = new Map<number, { xs: Float64Array; ys: Float64Array }[]>();
  let outside = 0;
  let used = 0;
  contours.forEach((c, n) => {
    const type = (c.geometricType ?? 'CLOSED_PLANAR').toUpperCase();
    if (type !== 'CLOSED_PLANAR') {
      throw new InputError(`contour ${n + 1} is ${type}, not CLOSED_PLANAR: it encloses no area`, {
        ...loc,
        value: type,
      });
    }
    const p = c.pointsLps;
    const m = Math.floor(p.length / 3);
    if (m < 3 || p.length % 3 !== 0) {
      throw new InputError(`contour ${n + 1} has ${m} points (need ≥ 3 x,y,z triplets)`, loc);
    }
    const xs = new Float64Array(m);
    const ys = new Float64Array(m);
    let kMin = Infinity;
    let kMax = -Infinity;
    for (let q = 0; q < m; q++) {
      const ijk = lpsToIjk(grid, [p[3 * q]!, p[3 * q + 1]!, p[3 * q + 2]!]);
      xs[q] = ijk[0];
      ys[q] = ijk[1];
      if (ijk[2] < kMin) kMin = ijk[2];
      if (ijk[2] > kMax) kMax = ijk[2];
    }
    if (kMax - kMin > 0.1) {
      throw new InputError(
        `contour ${n + 1} is not parallel to the image slices (spreads ${(kMax - kMin).toFixed(2)} slice spacings along the normal); oblique contours are not supported`,
        loc,
      );
    }
    const kc = (kMin + kMax) / 2;
    const k = Math.round(kc);
    if (k < 0 || k >= nz) {
      outside++;
      return;
    }
    used++;
    const list = bySlice.get(k) ?? [];
    list.push({ xs, ys });
    bySlice.set(k, list);
  });
  const xsect: number[] = [];
  for (const [k, polys] of bySlice) {
    const sliceOff = k * nx * ny;
    for (let j = 0; j < ny; j++) {
      xsect.length = 0;
      for (const { xs, ys } of polys) {
        const m = xs.length;
        for (let a = 0, b = m - 1; a < m; b = a++) {
          const ya = ys[a]!;
          const yb = ys[b]!;
          // Half-open in y: the edge counts when j ∈ [min(ya,yb), max(ya,yb)).
          if (ya <= j ? yb > j : yb <= j) {
            xsect.push(xs[a]! + ((j - ya) / (yb - ya)) * (xs[b]! - xs[a]!));
          }
        }
      }
      if (xsect.length < 2) continue;
      xsect.sort((u, v) => u - v);
      const rowOff = sliceOff + j * nx;
      for (let q = 0; q + 1 < xsect.length; q += 2) {
        const i0 = Math.max(0, Math.ceil(xsect[q]!));
        const i1 = Math.min(nx, Math.ceil(xsect[q + 1]!));
        for (let i = i0; i < i1; i++) mask[rowOff + i] = 1;
      }
    }
  }
  return { mask, contoursOutside: outside, contoursUsed: used };
}

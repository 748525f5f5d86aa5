/**
 * Projections of a volume as data: the maximum-intensity projection (MIP) along a patient axis, or one
 * slice, laid out in radiological display orientation, and the projection of a mask on the same grid
 * (the outline a picture draws). No colours and no PNG here: the report renders them
 * (src/report/images.ts).
 *
 * Views (patient axes from the grid's direction cosines, so any acquisition orientation gives the same
 * projection): coronal = projection along anterior–posterior (patient's right on the left, head up);
 * sagittal = along left–right (anterior on the left, head up); axial = along inferior–superior
 * (patient's right on the left, anterior up). Each projection pixel is one voxel column of the volume:
 * its size is the voxel spacing along the two in-plane axes.
 * Source: plain max along an axis (docs/references/imaging.md §8); DICOM radiological viewing convention.
 */
import { InputError } from '../errors.js';
import { labelIndex } from './segmentation.js';
import type { Grid, Volume } from './volume.js';

export type View = 'coronal' | 'sagittal' | 'axial';

/** A maximum-intensity projection (or one slice) of a volume, in display orientation. */
export interface Projection {
  view: View;
  /** Pixels across (left → right on screen) and down (top → bottom). */
  columns: number;
  rows: number;
  /** Width of a column and height of a row in mm (the voxel spacings along the two in-plane axes). */
  pixelMm: [number, number];
  /**
   * The maximum along the viewing direction (the volume's unit, e.g. SUV g/mL), row-major from the
   * top-left pixel: value of row r, column c at `r · columns + c`. The volume's own precision.
   */
  values: Float32Array | Float64Array;
}

/** Which voxels `maxProjection` / `projectMask` look through. */
export interface ProjectionOptions {
  /** Projection / viewing direction (default coronal). */
  view?: View;
  /** One slice index along the grid axis the view looks through (0-based) instead of all of them. */
  slice?: number;
  /** Name of the slice option in errors (e.g. the CLI's '--slice'); default 'slice'. */
  sliceField?: string;
}

/** For each LPS axis: the grid axis most aligned with it and the sign of that alignment. */
function axisMap(dir: number[]): { grid: number[]; sign: number[] } {
  const grid = [-1, -1, -1];
  const sign = [1, 1, 1];
  for (let a = 0; a < 3; a++) {
    let best = 0;
    let bestAbs = -1;
    for (let c = 0; c < 3; c++) {
      const v = Math.abs(dir[3 * a + c]!);
      if (v > bestAbs && grid[c] === -1) {
        bestAbs = v;
        best = c;
      }
    }
    grid[best] = a;
    sign[best] = dir[3 * a + best]! >= 0 ? 1 : -1;
  }
  return { grid, sign };
}

/** The voxels of a view: strides and ranges, display flips folded in (h, v count on screen). */
interface ViewWalk {
  columns: number;
  rows: number;
  pixelMm: [number, number];
  /** Linear index of the first voxel along the viewing direction for screen pixel (v, h). */
  base: (v: number, h: number) => number;
  /** Stride along the viewing direction and the range of depths walked. */
  sp: number;
  p0: number;
  p1: number;
}

/** Geometry of a view of `grid`: which grid axes are across, down and in depth, with display flips. */
function viewWalk(grid: Grid, opts: ProjectionOptions): ViewWalk {
  const view = opts.view ?? 'coronal';
  const { grid: g, sign } = axisMap(grid.direction);
  // LPS axes: 0 = x (→ Left), 1 = y (→ Posterior), 2 = z (→ Superior).
  // hLps: increasing column direction; vLps with vDown = +1 when the row index grows with the LPS axis.
  const spec =
    view === 'coronal'
      ? { hLps: 0, vLps: 2, vDown: -1, pLps: 1 }
      : view === 'sagittal'
        ? { hLps: 1, vLps: 2, vDown: -1, pLps: 0 }
        : { hLps: 0, vLps: 1, vDown: 1, pLps: 2 };
  const ah = g[spec.hLps]!;
  const av = g[spec.vLps]!;
  const ap = g[spec.pLps]!;
  const flipH = sign[spec.hLps]! < 0;
  const flipV = sign[spec.vLps]! * spec.vDown < 0;
  const size = grid.size;
  const nh = size[ah]!;
  const nv = size[av]!;
  const np = size[ap]!;
  const slice = opts.slice;
  if (slice !== undefined && (!Number.isInteger(slice) || slice < 0 || slice >= np)) {
    throw new InputError(`slice index must be a whole number 0…${np - 1}`, {
      field: opts.sliceField ?? 'slice',
      value: slice,
    });
  }
  const strides = [1, size[0], size[0] * size[1]];
  const sh = strides[ah]!;
  const sv = strides[av]!;
  return {
    columns: nh,
    rows: nv,
    pixelMm: [grid.spacingMm[ah]!, grid.spacingMm[av]!],
    base: (v, h) => (flipV ? nv - 1 - v : v) * sv + (flipH ? nh - 1 - h : h) * sh,
    sp: strides[ap]!,
    p0: slice ?? 0,
    p1: slice ?? np - 1,
  };
}

/**
 * Maximum-intensity projection of `volume` (typically SUV) along the view's axis, or one slice of it.
 *
 * @param volume image (e.g. SUV g/mL); @param opts view and, for a single slice, its index
 * @returns the projection in display orientation, values in the volume's unit and precision
 * @throws InputError naming `opts.sliceField` for a slice index outside the volume
 */
export function maxProjection(
  volume: Volume<Float32Array | Float64Array>,
  opts: ProjectionOptions = {},
): Projection {
  const w = viewWalk(volume, opts);
  const data = volume.data;
  const values =
    data instanceof Float32Array
      ? new Float32Array(w.columns * w.rows)
      : new Float64Array(w.columns * w.rows);
  for (let v = 0; v < w.rows; v++)
    for (let h = 0; h < w.columns; h++) {
      let m = -Infinity;
      const base = w.base(v, h);
      for (let p = w.p0; p <= w.p1; p++) {
        const x = data[base + p * w.sp]!;
        if (x > m) m = x;
      }
      values[v * w.columns + h] = m;
    }
  return { view: opts.view ?? 'coronal', columns: w.columns, rows: w.rows, pixelMm: w.pixelMm, values };
}

/**
 * The projection of a mask (or label map) on `grid` in the layout of `maxProjection` with the same
 * options: 1 where any voxel along the viewing direction is in the mask (a value > 0), else 0.
 * @throws InputError as `maxProjection` for a slice index outside the grid
 */
export function projectMask(grid: Grid, mask: ArrayLike<number>, opts: ProjectionOptions = {}): Uint8Array {
  const w = viewWalk(grid, opts);
  const out = new Uint8Array(w.columns * w.rows);
  for (let v = 0; v < w.rows; v++)
    for (let h = 0; h < w.columns; h++) {
      const base = w.base(v, h);
      for (let p = w.p0; p <= w.p1; p++)
        if (mask[base + p * w.sp]! > 0) {
          out[v * w.columns + h] = 1;
          break;
        }
    }
  return out;
}

/**
 * The projections of several labels of a label map on `grid`, in one pass over the voxels: for each
 * label of `labels` (in that order) a mask in the layout of `maxProjection` with the same options, 1
 * where any voxel along the viewing direction has that label's value, else 0 — what `projectMask` gives
 * for the mask `labelMap == label`, without building that full-size mask. Memory: one byte per
 * projection pixel per label (the caller passes a few labels at a time when they are many).
 * @param labelMap label values on `grid` (i fastest); any value may be listed, 0 too
 * @throws InputError as `maxProjection` for a slice index outside the grid
 */
export function projectLabels(
  grid: Grid,
  labelMap: ArrayLike<number>,
  labels: readonly number[],
  opts: ProjectionOptions = {},
): Uint8Array[] {
  const w = viewWalk(grid, opts);
  const { table, map } = labelIndex(labels);
  // A label listed twice is looked up at its last position; its earlier places share that mask.
  const at = labels.map((l) => table[l] ?? map.get(l)!);
  const out = labels.map((_, n) => (at[n] === n ? new Uint8Array(w.columns * w.rows) : null));
  for (let v = 0; v < w.rows; v++)
    for (let h = 0; h < w.columns; h++) {
      const base = w.base(v, h);
      const px = v * w.columns + h;
      for (let p = w.p0; p <= w.p1; p++) {
        const x = labelMap[base + p * w.sp]!;
        const g = table[x] ?? map.get(x) ?? -1;
        if (g >= 0) out[g]![px] = 1;
      }
    }
  return at.map((g) => out[g]!);
}

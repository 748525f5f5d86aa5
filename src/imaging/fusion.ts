/**
 * The data of a fused PET/CT picture: a transversal plane through a chosen point (e.g. a lesion's
 * centre) with the PET (SUV) and the CT (HU) both sampled trilinearly (resample.ts) at its pixel
 * centres, square pixels in the patient frame (LPS mm), and a mask's nearest-neighbour samples for its
 * outline. The PET and CT must share their frame of reference (DICOM FrameOfReferenceUID; checked by
 * the caller, src/io/dicom/ct.ts): no registration is done. No colours and no PNG here: the report
 * renders the slice (src/report/images.ts), in the radiological convention (patient's right on the
 * image left, anterior up; `planePixelToIjk`).
 * Source: own implementation.
 */
import { InputError } from '../errors.js';
import { resampleLinear, resampleNearest } from './resample.js';
import { ijkToLps, lpsToIjk } from './volume.js';
import type { Grid, Vec3, Volume } from './volume.js';

/** Options of `fusedSliceData`. */
export interface FusedSliceOptions {
  /** Pixel size of the slice in mm (default 1). */
  pixelMm?: number;
  /** A mask on the PET grid, sampled on the plane (nearest neighbour) for its outline. */
  outline?: Volume<Uint8Array>;
  /** Names of the options in errors (e.g. the CLI's '--point-lps'); default the option names. */
  fields?: { point?: string; pixelMm?: string };
}

/** A transversal PET/CT plane and the values sampled on it (arrays i fastest on `grid`, one slice). */
export interface FusedSliceData {
  /** The slice plane: one voxel thick, square pixels, the PET's axes, through `pointLps`. */
  grid: Grid;
  /** The point the plane passes through (LPS mm). */
  pointLps: Vec3;
  /** PET SUV (g/mL) at each pixel centre of `grid` (trilinear; 0 outside the PET). */
  petSuv: Float32Array;
  /** CT HU at each pixel centre (trilinear; 0 outside the CT), null without a CT. */
  ctHu: Float32Array | null;
  /** The outline mask at each pixel centre (nearest neighbour; 1 inside), null without one. */
  outline: Uint8Array | null;
}

/**
 * The transversal plane (perpendicular to the PET's slice axis) through `pointLps`, covering the PET's
 * in-plane extent with square pixels of `pixelMm`.
 */
export function transversalPlane(pet: Grid, pointLps: Vec3, pixelMm: number): Grid {
  const [sx, sy] = pet.spacingMm;
  const kc = lpsToIjk(pet, pointLps)[2];
  const w = Math.max(1, Math.round((pet.size[0] * sx) / pixelMm));
  const h = Math.max(1, Math.round((pet.size[1] * sy) / pixelMm));
  // First pixel centre: half a pixel inside the PET's voxel edge.
  const origin = ijkToLps(pet, [-0.5 + pixelMm / (2 * sx), -0.5 + pixelMm / (2 * sy), kc]);
  return {
    size: [w, h, 1],
    spacingMm: [pixelMm, pixelMm, pet.spacingMm[2]],
    originLps: origin,
    direction: pet.direction,
  };
}

/**
 * The transversal PET/CT plane through `pointLps` and the values sampled on it.
 *
 * @param pet SUV volume (g/mL); @param ct CT volume (HU) in the same frame of reference, or null
 * @param pointLps the point the slice passes through (LPS mm), e.g. a lesion's centre
 * @throws InputError naming `pixelMm` for a pixel size outside (0, 100] mm, or `point` when the point
 *   lies outside the PET's slices
 */
export function fusedSliceData(
  pet: Volume<Float32Array>,
  ct: Volume<Float32Array> | null,
  pointLps: Vec3,
  opts: FusedSliceOptions = {},
): FusedSliceData {
  const fields = opts.fields ?? {};
  const pix = opts.pixelMm ?? 1;
  if (!Number.isFinite(pix) || pix <= 0 || pix > 100)
    throw new InputError('pixel size must be a number of mm in (0, 100]', {
      field: fields.pixelMm ?? 'pixelMm',
      value: pix,
    });
  const k = lpsToIjk(pet, pointLps)[2];
  if (!(k >= -0.5 && k <= pet.size[2] - 0.5))
    throw new InputError(`the point is outside the PET's ${pet.size[2]} slices`, {
      field: fields.point ?? 'point',
      value: pointLps.map((x) => x.toFixed(1)).join(','),
    });
  const grid = transversalPlane(pet, pointLps, pix);
  return {
    grid,
    pointLps,
    petSuv: resampleLinear(pet, grid).data,
    ctHu: ct ? resampleLinear(ct, grid).data : null,
    outline: opts.outline ? resampleNearest(opts.outline, grid).data : null,
  };
}

/**
 * Where a displayed pixel of a plane comes from: the plane's (i, j) shown at picture row r, column c,
 * in the radiological convention (patient's right on the left, anterior up: an axis pointing the other
 * way is flipped). The picture is `grid.size[0]` pixels wide and `grid.size[1]` high.
 */
export function planePixelToIjk(grid: Grid): (r: number, c: number) => [number, number] {
  const [W, H] = grid.size;
  const flipH = grid.direction[0] < 0;
  const flipV = grid.direction[4] < 0;
  return (r, c) => [flipH ? W - 1 - c : c, flipV ? H - 1 - r : r];
}

/**
 * The centre of a mask (mean LPS position of its non-zero voxels), e.g. a lesion's centre.
 * @returns the centre in LPS mm, or null for an empty mask
 */
export function maskCentreLps(mask: Volume<Uint8Array>): Vec3 | null {
  const [nx, ny, nz] = mask.size;
  let n = 0;
  let si = 0;
  let sj = 0;
  let sk = 0;
  for (let k = 0, q = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, q++)
        if (mask.data[q] !== 0) {
          n++;
          si += i;
          sj += j;
          sk += k;
        }
  if (n === 0) return null;
  return ijkToLps(mask, [si / n, sj / n, sk / n]);
}

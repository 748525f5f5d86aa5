/**
 * Fused PET/CT pictures: a transversal slice through a chosen point (e.g. a lesion's centre) with the
 * CT in grey (HU window) and the PET over it in a hot colour scale (fixed SUV window), both sampled
 * trilinearly (resample.ts) onto one plane of square pixels in the patient frame (LPS mm). The PET and
 * CT must share their frame of reference (DICOM FrameOfReferenceUID; checked by the caller, ct.ts):
 * no registration is done. Without a CT the slice is the PET alone in inverted grey, as the MIP.
 * Display in the radiological convention: patient's right on the image left, anterior up.
 * Source: own implementation; hot scale as the usual "hot iron" ramp (red, then yellow, then white).
 */
import { encode } from 'fast-png';
import { InputError } from '../errors.js';
import { resampleLinear, resampleNearest } from './resample.js';
import { ijkToLps, lpsToIjk } from './volume.js';
import type { Grid, Vec3, Volume } from './volume.js';
import type { Picture } from './mip.js';

/** Options of `fusedTransversalSlice`. */
export interface FusedSliceOptions {
  /** SUV window [low, high]: below low the PET is transparent, at high it is white (g/mL). */
  windowSuv: [number, number];
  /** CT window [low, high] in HU (default [-160, 240], soft tissue: level 40, width 400). */
  windowHu?: [number, number];
  /** Pixel size of the slice in mm (default 1). */
  pixelMm?: number;
  /** Opacity of the PET over the CT where SUV ≥ low (0–1, default 0.6). */
  petOpacity?: number;
  /** A mask on the PET grid whose outline is drawn (green). */
  outline?: Volume<Uint8Array>;
  /** Names of the options in errors (e.g. the CLI's '--point-lps'); default the option names. */
  fields?: { point?: string; pixelMm?: string; windowSuv?: string };
}

/** A rendered fused slice and the values it was drawn from. */
export interface FusedSlice {
  /** The slice plane: one voxel thick, square pixels, the PET's axes, through the chosen point. */
  grid: Grid;
  /** PET SUV (g/mL) at each pixel centre of `grid` (trilinear; 0 outside the PET). */
  petSuv: Float32Array;
  /** CT HU at each pixel centre (trilinear; 0 outside the CT), null without a CT. */
  ctHu: Float32Array | null;
  /** The picture; pixel (row r, column c) shows grid voxel `pixelToIjk(r, c)`. */
  picture: Picture;
  /** Grid (i, j) shown at picture row r, column c (radiological display flips). */
  pixelToIjk: (r: number, c: number) => [number, number];
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

function checkWindow(w: [number, number], field: string): void {
  if (!(Number.isFinite(w[0]) && Number.isFinite(w[1]) && w[1] > w[0]))
    throw new InputError('window must be two finite numbers lo < hi', { field, value: w.join(',') });
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
 * Fused transversal PET/CT slice through `pointLps`.
 *
 * @param pet SUV volume (g/mL); @param ct CT volume (HU) in the same frame of reference, or null
 * @param pointLps the point the slice passes through (LPS mm), e.g. a lesion's centre
 * @returns the picture with the sampled PET and CT values (see `FusedSlice`)
 * @throws InputError naming `windowSuv` / `windowHu` / `pixelMm` for an invalid window or pixel size, or
 *   `point` when the point lies outside the PET's slices
 */
export function fusedTransversalSlice(
  pet: Volume<Float32Array>,
  ct: Volume<Float32Array> | null,
  pointLps: Vec3,
  opts: FusedSliceOptions,
): FusedSlice {
  const fields = opts.fields ?? {};
  const pix = opts.pixelMm ?? 1;
  if (!Number.isFinite(pix) || pix <= 0 || pix > 100)
    throw new InputError('pixel size must be a number of mm in (0, 100]', {
      field: fields.pixelMm ?? 'pixelMm',
      value: pix,
    });
  const winSuv = opts.windowSuv;
  const winHu = opts.windowHu ?? [-160, 240];
  checkWindow(winSuv, fields.windowSuv ?? 'windowSuv');
  checkWindow(winHu, 'windowHu');
  const k = lpsToIjk(pet, pointLps)[2];
  if (!(k >= -0.5 && k <= pet.size[2] - 0.5))
    throw new InputError(`the point is outside the PET's ${pet.size[2]} slices`, {
      field: fields.point ?? 'point',
      value: pointLps.map((x) => x.toFixed(1)).join(','),
    });
  const grid = transversalPlane(pet, pointLps, pix);
  const petSuv = resampleLinear(pet, grid).data;
  const ctHu = ct ? resampleLinear(ct, grid).data : null;
  const mask = opts.outline ? resampleNearest(opts.outline, grid).data : null;
  const [W, H] = grid.size;
  const flipH = grid.direction[0] < 0;
  const flipV = grid.direction[4] < 0;
  const pixelToIjk = (r: number, c: number): [number, number] => [
    flipH ? W - 1 - c : c,
    flipV ? H - 1 - r : r,
  ];
  const alpha = opts.petOpacity ?? 0.6;
  const rgb = new Uint8Array(W * H * 3);
  const inMask = (i: number, j: number): boolean =>
    mask !== null && i >= 0 && j >= 0 && i < W && j < H && mask[i + W * j] !== 0;
  for (let r = 0; r < H; r++)
    for (let c = 0; c < W; c++) {
      const [i, j] = pixelToIjk(r, c);
      const q = i + W * j;
      const t = clamp01((petSuv[q]! - winSuv[0]) / (winSuv[1] - winSuv[0]));
      let px: [number, number, number];
      if (ctHu === null) {
        const g = 255 * (1 - t);
        px = [g, g, g];
      } else {
        const g = 255 * clamp01((ctHu[q]! - winHu[0]) / (winHu[1] - winHu[0]));
        const a = petSuv[q]! >= winSuv[0] && t > 0 ? alpha : 0;
        const hot = [clamp01(3 * t), clamp01(3 * t - 1), clamp01(3 * t - 2)].map((x) => 255 * x);
        px = [(1 - a) * g + a * hot[0]!, (1 - a) * g + a * hot[1]!, (1 - a) * g + a * hot[2]!];
      }
      if (inMask(i, j) && !(inMask(i - 1, j) && inMask(i + 1, j) && inMask(i, j - 1) && inMask(i, j + 1)))
        px = [60, 220, 75];
      const o = 3 * (r * W + c);
      rgb[o] = Math.round(px[0]);
      rgb[o + 1] = Math.round(px[1]);
      rgb[o + 2] = Math.round(px[2]);
    }
  const png = encode({ width: W, height: H, data: rgb, channels: 3, depth: 8 });
  return {
    grid,
    petSuv,
    ctHu,
    picture: { png, widthPx: W, heightPx: H, rgb, windowSuv: winSuv },
    pixelToIjk,
  };
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

/**
 * Pictures drawn from image data: a projection (src/imaging/mip.ts: MIP or slice) in inverted grey
 * with coloured mask outlines, and a fused PET/CT plane (src/imaging/fusion.ts) with the CT in grey and
 * the PET over it in a hot scale, encoded as PNG (src/io/png.ts). The windows, colour maps, outline
 * colours and the fusion blend are the report's choices and live here; `carto mip`, `carto slices` and
 * the report's figures (image-panels.ts) all draw with these functions.
 *
 * Projections: inverted grey (white = window low, black = window high), square display pixels of
 * `pixelMm` (default the finer of the two projection pixel sizes), nearest neighbour. Fused slices: CT in
 * a soft-tissue window, PET blended over it where SUV is above the window low, the "hot iron" ramp (red,
 * then yellow, then white); without a CT the PET alone in inverted grey, as the MIP.
 * Source: own implementation; DICOM radiological viewing convention.
 */
import { InputError } from '../errors.js';
import type { FusedSliceData } from '../imaging/fusion.js';
import { planePixelToIjk } from '../imaging/fusion.js';
import { maxProjection, projectLabels, projectMask, type Projection, type View } from '../imaging/mip.js';
import type { Volume } from '../imaging/volume.js';
import { encodeRgbPng } from '../io/png.js';
import { VOI_COLOURS_RGB } from './voi-colours.js';

/** A rendered picture. */
export interface Picture {
  /** PNG bytes (8-bit RGB). */
  png: Uint8Array;
  widthPx: number;
  heightPx: number;
  /** RGB pixels, row-major from the top-left (3 bytes per pixel). */
  rgb: Uint8Array;
  /** Window actually used (SUV g/mL). */
  windowSuv: [number, number];
}

/** Largest picture rendered (pixels): 8192 × 8192, 192 MB of RGB. */
export const MAX_PICTURE_PIXELS = 8192 * 8192;

/** Outline colours of projections, one per mask, cycling (the viewer's VOI colours). */
const PALETTE = VOI_COLOURS_RGB;

/** Outline colour of the mask on a fused slice (green). */
const FUSED_OUTLINE_RGB: [number, number, number] = [60, 220, 75];
/** CT window of fused slices (HU): soft tissue, level 40, width 400. */
export const FUSED_WINDOW_HU: [number, number] = [-160, 240];
/** Opacity of the PET over the CT where SUV is above the window low. */
const FUSED_PET_OPACITY = 0.6;

/** Options of `renderProjection`. */
export interface ProjectionRenderOptions {
  /** SUV window [low, high] mapped to white…black (default [0, the projection's maximum]). */
  windowSuv?: [number, number];
  /** Projected masks (`projectMask`, the projection's layout) whose outlines are drawn, one colour each. */
  outlines?: readonly Uint8Array[];
  /** Output pixel size in mm (default: the finer projection pixel); within `MAX_PICTURE_PIXELS`. */
  pixelMm?: number;
  /** Names of the options in errors (e.g. the CLI's '--pixel-mm'); default the option names. */
  fields?: { pixelMm?: string; windowSuv?: string; slice?: string };
}

/** A projection drawn in grey, before outlines and encoding: pixels and the display → projection map. */
interface Canvas {
  rgb: Uint8Array;
  W: number;
  H: number;
  /** Projection row / column shown by each display row / column. */
  rowOf: Int32Array;
  colOf: Int32Array;
  /** Projection columns (the row stride of projected masks). */
  nh: number;
  windowSuv: [number, number];
}

/**
 * A projection drawn as a PNG: inverted grey in the SUV window, each outline a pixel of its mask with a
 * 4-neighbour outside it, in display pixels.
 * @throws InputError naming the option for a pixel size that is not a positive finite number or gives a
 *   picture over `MAX_PICTURE_PIXELS`, or a window that is not two finite numbers lo < hi
 */
export function renderProjection(p: Projection, opts: ProjectionRenderOptions = {}): Picture {
  const canvas = greyCanvas(p, opts);
  drawOutlines(canvas, opts.outlines ?? [], 0);
  return picture(canvas);
}

/** The canvas of `renderProjection`: options checked, the projection in inverted grey. */
function greyCanvas(p: Projection, opts: ProjectionRenderOptions): Canvas {
  const fields = opts.fields ?? {};
  const [spH, spV] = p.pixelMm;
  const pix = opts.pixelMm ?? Math.min(spH, spV);
  if (!Number.isFinite(pix) || pix <= 0) {
    throw new InputError('pixel size must be a positive number of mm', {
      field: fields.pixelMm ?? 'pixelMm',
      value: opts.pixelMm,
    });
  }
  const nh = p.columns;
  const nv = p.rows;
  const W = Math.max(1, Math.round((nh * spH) / pix));
  const H = Math.max(1, Math.round((nv * spV) / pix));
  if (!(W * H <= MAX_PICTURE_PIXELS)) {
    throw new InputError(
      `a pixel size of ${pix} mm gives a ${W}×${H} picture, over the ${MAX_PICTURE_PIXELS}-pixel limit`,
      { field: fields.pixelMm ?? 'pixelMm', value: opts.pixelMm },
    );
  }
  const w = opts.windowSuv;
  if (w !== undefined && !(Number.isFinite(w[0]) && Number.isFinite(w[1]) && w[1] > w[0])) {
    throw new InputError('window must be two finite SUVs lo < hi', {
      field: fields.windowSuv ?? 'windowSuv',
      value: w,
    });
  }
  let max = -Infinity;
  for (const x of p.values) if (x > max) max = x;
  const win: [number, number] = w ?? [0, max > 0 ? max : 1];
  const colOf = new Int32Array(W);
  const rowOf = new Int32Array(H);
  for (let c = 0; c < W; c++) colOf[c] = Math.min(nh - 1, Math.floor(((c + 0.5) * pix) / spH));
  for (let r = 0; r < H; r++) rowOf[r] = Math.min(nv - 1, Math.floor(((r + 0.5) * pix) / spV));
  const rgb = new Uint8Array(W * H * 3);
  const span = win[1] - win[0] || 1;
  for (let r = 0; r < H; r++)
    for (let c = 0; c < W; c++) {
      const x = p.values[rowOf[r]! * nh + colOf[c]!]!;
      const t = Math.min(1, Math.max(0, (x - win[0]) / span));
      const grey = Math.round(255 * (1 - t));
      const o = 3 * (r * W + c);
      rgb[o] = grey;
      rgb[o + 1] = grey;
      rgb[o + 2] = grey;
    }
  return { rgb, W, H, rowOf, colOf, nh, windowSuv: win };
}

/**
 * Draws the outline of each projected mask (the projection's layout) on the canvas, in order, mask n in
 * the colour `firstColour + n` of the cycle: a display pixel of the mask with a 4-neighbour outside it.
 */
function drawOutlines(canvas: Canvas, masks: readonly Uint8Array[], firstColour: number): void {
  const { rgb, W, H, rowOf, colOf, nh } = canvas;
  masks.forEach((m, n) => {
    const col = PALETTE[(firstColour + n) % PALETTE.length]!;
    const inside = (r: number, c: number) =>
      r >= 0 && r < H && c >= 0 && c < W && m[rowOf[r]! * nh + colOf[c]!] === 1;
    for (let r = 0; r < H; r++)
      for (let c = 0; c < W; c++) {
        if (!inside(r, c)) continue;
        if (inside(r - 1, c) && inside(r + 1, c) && inside(r, c - 1) && inside(r, c + 1)) continue;
        const o = 3 * (r * W + c);
        rgb[o] = col[0];
        rgb[o + 1] = col[1];
        rgb[o + 2] = col[2];
      }
  });
}

/** The canvas encoded as PNG. */
function picture(c: Canvas): Picture {
  return {
    png: encodeRgbPng(c.rgb, c.W, c.H),
    widthPx: c.W,
    heightPx: c.H,
    rgb: c.rgb,
    windowSuv: c.windowSuv,
  };
}

/** Options of `renderMip` / `renderSlice`: a view, and outlines as masks on the volume's grid. */
export interface RenderOptions extends Omit<ProjectionRenderOptions, 'outlines'> {
  /** Projection / viewing direction (default coronal; `renderSlice`: axial). */
  axis?: View;
  /** Masks on the volume's grid whose outlines are drawn (one colour each, cycling). */
  outlines?: Uint8Array[];
  /**
   * Labels of a label map on the volume's grid whose outlines are drawn after `outlines`, one colour
   * each in the order of `labels` (the cycle goes on from `outlines`): the picture of one mask
   * `labelMap == label` per label, without building those full-size masks (`projectLabels`, a few
   * labels per pass over the volume: at most `maskBytes` of projected masks at a time, default 64 MiB).
   */
  labelOutlines?: { labelMap: ArrayLike<number>; labels: readonly number[]; maskBytes?: number };
}

/** Bytes of projected label masks held at once by `renderView` by default. */
const LABEL_MASKS_BYTES = 64 * 2 ** 20;

/**
 * Maximum-intensity projection of `volume` (typically SUV) drawn as PNG (`maxProjection`, then
 * `renderProjection`).
 * @throws InputError as `renderProjection`
 */
export function renderMip(volume: Volume<Float32Array | Float64Array>, opts: RenderOptions = {}): Picture {
  return renderView(volume, opts, undefined);
}

/**
 * One slice (perpendicular to the view axis; default 'axial', a transversal slice) drawn as PNG.
 * @param index slice index along the grid axis that the view looks through (0-based)
 * @throws InputError naming the option for an index outside the volume, and as `renderProjection`
 */
export function renderSlice(
  volume: Volume<Float32Array | Float64Array>,
  index: number,
  opts: RenderOptions = {},
): Picture {
  return renderView(volume, { axis: 'axial', ...opts }, index);
}

function renderView(
  volume: Volume<Float32Array | Float64Array>,
  opts: RenderOptions,
  slice: number | undefined,
): Picture {
  const how = {
    view: opts.axis ?? 'coronal',
    ...(slice !== undefined ? { slice } : {}),
    sliceField: opts.fields?.slice ?? 'slice',
  };
  const p = maxProjection(volume, how);
  const outlines = (opts.outlines ?? []).map((m) => projectMask(volume, m, how));
  const { axis: _a, labelOutlines, ...rest } = opts;
  const canvas = greyCanvas(p, rest);
  drawOutlines(canvas, outlines, 0);
  if (labelOutlines) {
    const { labelMap, labels, maskBytes = LABEL_MASKS_BYTES } = labelOutlines;
    const step = Math.max(1, Math.floor(maskBytes / (p.columns * p.rows)));
    for (let k = 0; k < labels.length; k += step) {
      const masks = projectLabels(volume, labelMap, labels.slice(k, k + step), how);
      drawOutlines(canvas, masks, outlines.length + k);
    }
  }
  return picture(canvas);
}

/** Options of `renderFusedSlice`. */
export interface FusedRenderOptions {
  /** SUV window [low, high]: below low the PET is transparent, at high it is white (g/mL). */
  windowSuv: [number, number];
  /** Name of the window in errors (e.g. the CLI's '--window'); default 'windowSuv'. */
  windowField?: string;
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/**
 * A fused PET/CT plane drawn as PNG: the CT in grey (`FUSED_WINDOW_HU`), the PET over it in the hot
 * scale with opacity 0.6 where SUV ≥ the window low, the outline mask's border in green; without a CT
 * the PET alone in inverted grey. Pixel (row r, column c) shows the plane's `planePixelToIjk(grid)(r, c)`.
 * @throws InputError naming the window for one that is not two finite numbers lo < hi
 */
export function renderFusedSlice(s: FusedSliceData, opts: FusedRenderOptions): Picture {
  const winSuv = opts.windowSuv;
  const winHu = FUSED_WINDOW_HU;
  if (!(Number.isFinite(winSuv[0]) && Number.isFinite(winSuv[1]) && winSuv[1] > winSuv[0]))
    throw new InputError('window must be two finite numbers lo < hi', {
      field: opts.windowField ?? 'windowSuv',
      value: winSuv.join(','),
    });
  const [W, H] = s.grid.size;
  const pixelToIjk = planePixelToIjk(s.grid);
  const { petSuv, ctHu, outline: mask } = s;
  const alpha = FUSED_PET_OPACITY;
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
        px = FUSED_OUTLINE_RGB;
      const o = 3 * (r * W + c);
      rgb[o] = Math.round(px[0]);
      rgb[o + 1] = Math.round(px[1]);
      rgb[o + 2] = Math.round(px[2]);
    }
  return { png: encodeRgbPng(rgb, W, H), widthPx: W, heightPx: H, rgb, windowSuv: winSuv };
}

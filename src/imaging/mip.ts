/**
 * Pictures of a volume: maximum-intensity projections (MIP) and single slices, in radiological display
 * convention, with a fixed SUV window (inverted grey: white = window low, black = window high) and
 * optional mask outlines, encoded as PNG (fast-png; no file I/O here).
 *
 * Views (patient axes from the grid's direction cosines, so any acquisition orientation displays the
 * same): coronal = projection along anterior–posterior (patient's right on the image left, head up);
 * sagittal = along left–right (anterior on the left, head up); axial = along inferior–superior
 * (patient's right on the image left, anterior up). Pixels are square (`pixelMm`, default the finer of
 * the two in-plane spacings), nearest-neighbour.
 * Source: plain max along an axis (docs/references/imaging.md §8); DICOM radiological viewing convention.
 */
import { encode } from 'fast-png';
import { InputError } from '../errors.js';
import type { Volume } from './volume.js';

export type View = 'coronal' | 'sagittal' | 'axial';

/** Options of `renderMip` / `renderSlice`. */
export interface RenderOptions {
  /** Projection / viewing direction (default coronal). */
  axis?: View;
  /** SUV window [low, high] mapped to white…black (default [0, 1.0 × max of the picture]). */
  windowSuv?: [number, number];
  /** Masks on the same grid whose outlines are drawn (one colour each, cycling). */
  outlines?: Uint8Array[];
  /** Output pixel size in mm (default: the finer in-plane spacing); the picture must stay within `MAX_PICTURE_PIXELS`. */
  pixelMm?: number;
  /** Names of the options in errors (e.g. the CLI's '--pixel-mm'); default the option names. */
  fields?: { pixelMm?: string; windowSuv?: string; slice?: string };
}

/** Largest picture rendered (pixels): 8192 × 8192, 192 MB of RGB. */
export const MAX_PICTURE_PIXELS = 8192 * 8192;

/** A rendered picture. */
export interface Picture {
  /** PNG bytes (8-bit RGB). */
  png: Uint8Array;
  widthPx: number;
  heightPx: number;
  /** RGB pixels, row-major from the top-left (3 bytes per pixel). */
  rgb: Uint8Array;
  /** Window actually used. */
  windowSuv: [number, number];
}

const PALETTE: [number, number, number][] = [
  [230, 25, 75],
  [60, 180, 75],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
];

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

/** Geometry of a view: which grid axes are horizontal/vertical/depth and their display flips. */
function viewGeometry(volume: Volume<Float32Array | Float64Array>, view: View) {
  const { grid, sign } = axisMap(volume.direction);
  // LPS axes: 0 = x (→ Left), 1 = y (→ Posterior), 2 = z (→ Superior).
  // hLps: increasing column direction; vLps with vDown = +1 when the row index grows with the LPS axis.
  const spec =
    view === 'coronal'
      ? { hLps: 0, vLps: 2, vDown: -1, pLps: 1 }
      : view === 'sagittal'
        ? { hLps: 1, vLps: 2, vDown: -1, pLps: 0 }
        : { hLps: 0, vLps: 1, vDown: 1, pLps: 2 };
  const ah = grid[spec.hLps]!;
  const av = grid[spec.vLps]!;
  const ap = grid[spec.pLps]!;
  return {
    ah,
    av,
    ap,
    flipH: sign[spec.hLps]! < 0,
    flipV: sign[spec.vLps]! * spec.vDown < 0,
  };
}

/**
 * Maximum-intensity projection of `volume` (typically SUV) rendered as PNG.
 *
 * @param volume image (SUV g/mL); @param opts view, SUV window, outlines, pixel size.
 * @returns PNG bytes, size in pixels, the RGB pixels and the window used.
 * @throws InputError naming the option for a pixel size that is not a positive finite number or
 *   gives a picture over `MAX_PICTURE_PIXELS`, or a window that is not two finite numbers lo < hi.
 */
export function renderMip(volume: Volume<Float32Array | Float64Array>, opts: RenderOptions = {}): Picture {
  return render(volume, opts, null);
}

/**
 * One slice (perpendicular to the view axis; for 'axial' a transversal slice) rendered as PNG.
 *
 * @param index slice index along the grid axis that the view looks through (0-based).
 * @throws InputError naming the option for an index outside the volume, and as `renderMip`.
 */
export function renderSlice(
  volume: Volume<Float32Array | Float64Array>,
  index: number,
  opts: RenderOptions = {},
): Picture {
  return render(volume, { axis: 'axial', ...opts }, index);
}

function render(
  volume: Volume<Float32Array | Float64Array>,
  opts: RenderOptions,
  slice: number | null,
): Picture {
  const view = opts.axis ?? 'coronal';
  const g = viewGeometry(volume, view);
  const size = volume.size;
  const nh = size[g.ah]!;
  const nv = size[g.av]!;
  const np = size[g.ap]!;
  const fields = opts.fields ?? {};
  if (slice !== null && (!Number.isInteger(slice) || slice < 0 || slice >= np)) {
    throw new InputError(`slice index must be a whole number 0…${np - 1}`, {
      field: fields.slice ?? 'slice',
      value: slice,
    });
  }
  const spH = volume.spacingMm[g.ah]!;
  const spV = volume.spacingMm[g.av]!;
  const pix = opts.pixelMm ?? Math.min(spH, spV);
  if (!Number.isFinite(pix) || pix <= 0) {
    throw new InputError('pixel size must be a positive number of mm', {
      field: fields.pixelMm ?? 'pixelMm',
      value: opts.pixelMm,
    });
  }
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
  const strides = [1, size[0], size[0] * size[1]];
  const sh = strides[g.ah]!;
  const sv = strides[g.av]!;
  const sp = strides[g.ap]!;
  const p0 = slice ?? 0;
  const p1 = slice ?? np - 1;
  const data = volume.data;
  const proj = new Float64Array(nh * nv).fill(-Infinity);
  const masks = (opts.outlines ?? []).map(() => new Uint8Array(nh * nv));
  for (let v = 0; v < nv; v++) {
    for (let h = 0; h < nh; h++) {
      let m = -Infinity;
      const base = v * sv + h * sh;
      for (let p = p0; p <= p1; p++) {
        const x = data[base + p * sp]!;
        if (x > m) m = x;
      }
      proj[v * nh + h] = m;
    }
  }
  (opts.outlines ?? []).forEach((mask, n) => {
    const out = masks[n]!;
    for (let v = 0; v < nv; v++)
      for (let h = 0; h < nh; h++) {
        const base = v * sv + h * sh;
        for (let p = p0; p <= p1; p++) {
          if (mask[base + p * sp]) {
            out[v * nh + h] = 1;
            break;
          }
        }
      }
  });
  let max = -Infinity;
  for (const x of proj) if (x > max) max = x;
  const win: [number, number] = opts.windowSuv ?? [0, max > 0 ? max : 1];
  const colOf = new Int32Array(W);
  const rowOf = new Int32Array(H);
  for (let c = 0; c < W; c++) {
    const h = Math.min(nh - 1, Math.floor(((c + 0.5) * pix) / spH));
    colOf[c] = g.flipH ? nh - 1 - h : h;
  }
  for (let r = 0; r < H; r++) {
    const v = Math.min(nv - 1, Math.floor(((r + 0.5) * pix) / spV));
    rowOf[r] = g.flipV ? nv - 1 - v : v;
  }
  const rgb = new Uint8Array(W * H * 3);
  const span = win[1] - win[0] || 1;
  for (let r = 0; r < H; r++)
    for (let c = 0; c < W; c++) {
      const x = proj[rowOf[r]! * nh + colOf[c]!]!;
      const t = Math.min(1, Math.max(0, (x - win[0]) / span));
      const grey = Math.round(255 * (1 - t));
      const o = 3 * (r * W + c);
      rgb[o] = grey;
      rgb[o + 1] = grey;
      rgb[o + 2] = grey;
    }
  // Outlines: a pixel of the projected mask with a 4-neighbour outside it (in display pixels).
  masks.forEach((m, n) => {
    const col = PALETTE[n % PALETTE.length]!;
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
  const png = encode({ width: W, height: H, data: rgb, channels: 3, depth: 8 });
  return { png, widthPx: W, heightPx: H, rgb, windowSuv: win };
}

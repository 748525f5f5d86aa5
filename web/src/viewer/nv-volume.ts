/**
 * The viewer's bridge to niivue: a scan's SUV volume and VOI label map fetched, parsed and shown in one
 * Niivue instance with as little GPU work as the slices need (one volume texture, the label map as
 * niivue's drawing layer; niivue's passes made lean by nv-passes.ts), voxel order conversions (niivue orders voxels RAS; the readout, the tests and the server
 * speak the file's native order), the crosshair in patient coordinates (mm, LPS) and the coronal MIP.
 */
import type { Niivue, NVImage } from '@niivue/niivue';
import type * as niivue from '@niivue/niivue';
import { coronalMip } from '../studies/volume.js';
import {
  COLOURMAPS,
  colour,
  voiColour,
  voiColourIndex,
  VOI_COLOUR_COUNT,
  type ColourMap,
} from './colours.js';
import { niftiVoxels, type NiftiVoxels } from '../../../src/io/nifti-voxels.js';
import { displaySlope, quantizeSuv } from '../../../src/io/display-nifti.js';
import type { Grid } from '../studies/volume.js';
import { displayFile, fetchBytes } from './scan-files.js';
import { quickCalMinMax } from './nv-calminmax.js';

export type Vec3 = [number, number, number];

/** The SUV window and colour map a pane shows. */
export interface Look {
  windowMax: number;
  colourMap: ColourMap;
}

/** niivue's module. */
export type NiivueModule = typeof niivue;
let niivueModule: Promise<NiivueModule> | null = null;

/**
 * niivue's module, imported on first use: it is a chunk of its own (about 1.5 MB of JavaScript to
 * download and evaluate), so the viewer's page starts fetching the scan before niivue is in. Its
 * NVImage's display range is made quick for the viewer's images (nv-calminmax.ts).
 */
export function loadNiivue(): Promise<NiivueModule> {
  niivueModule ??= import('@niivue/niivue').then((m) => {
    quickCalMinMax(m.NVImage, m.cmapper);
    return m;
  });
  return niivueModule;
}

/**
 * niivue's RAS-ordered voxel → the file's voxel (i, j, k): `toRASvox` maps the former to the latter
 * (niivue's getValue does the same), a permutation with flips plus an offset.
 */
export function rasToNative(vol: NVImage, ras: Vec3): Vec3 {
  const m = vol.toRASvox;
  if (!m) return ras;
  const r = (row: number) =>
    Math.round(m[row]! * ras[0] + m[4 + row]! * ras[1] + m[8 + row]! * ras[2] + m[12 + row]!);
  return [r(0), r(1), r(2)];
}

/** The inverse of `rasToNative` (the matrix's 3×3 part is orthogonal: its inverse is its transpose). */
export function nativeToRas(vol: NVImage, vox: Vec3): Vec3 {
  const m = vol.toRASvox;
  if (!m) return vox;
  const d = [vox[0] - m[12], vox[1] - m[13], vox[2] - m[14]];
  const c = (col: number) =>
    Math.round(m[col * 4]! * d[0]! + m[col * 4 + 1]! * d[1]! + m[col * 4 + 2]! * d[2]!);
  return [c(0), c(1), c(2)];
}

/**
 * The crosshair's patient coordinate in mm, LPS (DICOM's axes: x towards the patient's left, y
 * posterior, z head), from niivue's world, which is the NIfTI's RAS (x and y of opposite sign).
 */
export function crosshairMmLps(nv: Niivue): Vec3 {
  const ras = nv.frac2mm(nv.scene.crosshairPos);
  return [-ras[0], -ras[1], ras[2]];
}

/** Moves the crosshair to patient coordinate `lps` (mm, LPS) in niivue's fractions of the volume. */
export function setCrosshairMmLps(nv: Niivue, lps: Vec3): void {
  nv.scene.crosshairPos = nv.mm2frac([-lps[0], -lps[1], lps[2]]);
}

/** Milliseconds per phase of a load (`fetchDisplay`, `fetchScanData`, `showSuv`, `showVoiOverlay`). */
export type Phases = [string, number][];

/**
 * A scan's images in the viewer: the SUV (g/mL, float32) and the VOI label map on its grid, read in
 * place from the fetched files (`niftiVoxels`; the readout, the MIP and the VOI jumps read these), and
 * the SUV's display volume, the niivue image the slices show (src/io/display-nifti.ts:
 * the SUV through the window in 8 bits).
 */
export interface ScanImages {
  suv: NiftiVoxels;
  labels: NiftiVoxels;
  display: NVImage;
}

/** A NIfTI's values as a `Grid` (file voxel order, scaled by scl_slope and scl_inter). */
export function niftiGrid(v: NiftiVoxels): Grid {
  const { data, slope, inter } = v;
  return { size: v.size, value: (q) => data[q]! * slope + inter };
}

/**
 * Fetches the scan's display volume in the window of `look` (GET /api/scans/{id}/display.nii.gz, a
 * quarter of the SUV's bytes and quick to send) and parses it with niivue, in the colour map of `look`.
 * The server sends a browser gzip bytes as `Content-Encoding: gzip`, which the browser's network stack
 * inflates off the page's thread.
 * @param phases receives the time (ms) from the call to the bytes in ('display fetch') and from there
 *   to the parsed image ('display parse', which waits for niivue's module if it is not in yet)
 * @throws Error naming the file and the HTTP status when it cannot be fetched, or from niivue
 */
export async function fetchDisplay(scanId: string, look: Look, phases: Phases): Promise<NVImage> {
  const t = performance.now();
  const bytes = await fetchBytes(scanId, displayFile(look.windowMax));
  const t1 = performance.now();
  phases.push(['display fetch', Math.round(t1 - t)]);
  const cm = COLOURMAPS[look.colourMap];
  const { NVImage } = await loadNiivue();
  const display = await NVImage.loadFromUrl({
    url: bytes,
    name: 'display.nii',
    colormap: cm.niivue,
    cal_min: 0,
    cal_max: look.windowMax,
  });
  display.colormapInvert = cm.invert;
  phases.push(['display parse', Math.round(performance.now() - t1)]);
  return display;
}

/**
 * Fetches the scan's SUV volume (GET /api/scans/{id}/suv.nii.gz, float32) and VOI label map
 * (labels.nii.gz), both at once, and reads them in place (no copy of the voxels).
 * @param phases receives the time (ms) from the call to both read: 'data'
 * @throws Error naming the file and the HTTP status when a file cannot be fetched, naming the file,
 *   field and value when it is not a NIfTI the viewer reads (`niftiVoxels`) or the label map's grid is
 *   not the SUV's
 */
export async function fetchScanData(
  scanId: string,
  phases: Phases,
): Promise<{ suv: NiftiVoxels; labels: NiftiVoxels }> {
  const t = performance.now();
  const [suv, labels] = await Promise.all(
    ['suv.nii.gz', 'labels.nii.gz'].map(async (f) => niftiVoxels(f, await fetchBytes(scanId, f))),
  );
  if (labels!.size.some((n, a) => n !== suv!.size[a]))
    throw new Error(`labels.nii.gz: dim is ${labels!.size.join('×')}, not the SUV's ${suv!.size.join('×')}`);
  phases.push(['data', Math.round(performance.now() - t)]);
  return { suv: suv!, labels: labels! };
}

/**
 * Checks that the display volume and the float SUV (fetched apart) are on one grid.
 * @throws Error naming the display file and both sizes when they are not
 */
export function checkSameGrid(display: NVImage, suv: NiftiVoxels): void {
  const d = display.hdr!.dims;
  if (suv.size.some((n, a) => n !== d[a + 1]))
    throw new Error(`display.nii.gz: dim is ${d.slice(1, 4).join('×')}, not the SUV's ${suv.size.join('×')}`);
}

/** Opacity of the VOI overlay on the SUV slices. */
const VOI_OPACITY = 0.45;

/**
 * Shows the SUV display volume `display` in `nv` as niivue's only volume (one texture build: the label
 * map goes to the drawing layer afterwards, `showVoiOverlay`) and draws the first frame; resolves when
 * the GPU has drawn it (`gpuDone`: the page's thread is free meanwhile, e.g. for the first readout's
 * answer).
 * @param position called when niivue has built the volume's texture (its voxel and mm conversions work
 *   from then on), before the GPU has drawn: it may place the crosshair, which is then drawn
 * @param phases receives the duration (ms) of 'slices'
 */
export async function showSuv(
  nv: Niivue,
  display: NVImage,
  position: () => void,
  phases: Phases,
): Promise<void> {
  const t = performance.now();
  const { cmapper } = await loadNiivue();
  const I = Array.from({ length: VOI_COLOUR_COUNT + 1 }, (_, i) => i);
  const rgb = (c: 0 | 1 | 2) => I.map((i) => (i === 0 ? 0 : voiColour(i)[c]));
  // the overlay's colours go into niivue's colour map texture with the SUV's (one build)
  nv.drawLut = cmapper.makeDrawLut({ I, R: rgb(0), G: rgb(1), B: rgb(2), A: I.map((i) => (i ? 255 : 0)) });
  nv.drawOpacity = VOI_OPACITY;
  nv.volumes = [display];
  nv.setVolume(display, 0); // sets back, then one updateGLVolume (and drawScene)
  position();
  nv.drawScene();
  await gpuDone(nv.gl);
  phases.push(['slices', Math.round(performance.now() - t)]);
}

/**
 * Shows the VOI label map of `images` over the SUV slices as niivue's drawing layer, which niivue
 * uploads as it is (an overlay volume would cost a second full-volume shader pass). The drawing holds
 * each voxel's overlay colour index (`voiColourIndex`: the colours cycle, so a label map past 255 VOIs
 * fits in the drawing's bytes); the readout reads the label map itself.
 * @param phases receives the duration (ms) of 'overlay'
 * @throws Error when niivue refuses the drawing (its grid differs from the SUV's)
 */
export function showVoiOverlay(nv: Niivue, images: ScanImages, phases: Phases): void {
  const t = performance.now();
  const { labels, display } = images;
  const src = labels.data;
  const { slope, inter } = labels;
  const index = new Uint8Array(src.length);
  for (let q = 0; q < src.length; q++) index[q] = voiColourIndex(Math.round(src[q]! * slope + inter));
  // loadDrawing reads only the header, the RAS permutation and the voxels of the image it is given; the
  // label map is on the display volume's grid (checked by `checkSameGrid` and `fetchScanData`)
  const drawing = { hdr: display.hdr, permRAS: display.permRAS, img: index } as unknown as NVImage;
  if (!nv.loadDrawing(drawing)) throw new Error('viewer: the VOI label map is not on the SUV grid');
  gpuSync(nv);
  phases.push(['overlay', Math.round(performance.now() - t)]);
}

/**
 * The VOI overlay's colour index (`voiColourIndex`; 0: no VOI) that niivue's drawing layer holds at the
 * file's voxel `vox` (i, j, k), or null before the overlay is shown or outside the grid.
 */
export function overlayIndexAt(nv: Niivue, vox: Vec3): number | null {
  const suv = nv.volumes[0];
  const dims = nv.back?.dims;
  if (!suv || !dims || !nv.drawBitmap) return null;
  const [x, y, z] = nativeToRas(suv, vox);
  if (x < 0 || y < 0 || z < 0 || x >= dims[1]! || y >= dims[2]! || z >= dims[3]!) return null;
  return nv.drawBitmap[x + dims[1]! * (y + dims[2]! * z)]!;
}

/**
 * Resolves when the GPU has done everything queued so far (a fence, polled between tasks: WebGL updates
 * a fence's status only then), without holding the page's thread.
 */
async function gpuDone(gl: WebGL2RenderingContext): Promise<void> {
  const fence = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
  if (!fence) return gpuSync({ gl } as Niivue);
  gl.flush();
  try {
    while (gl.clientWaitSync(fence, 0, 0) === gl.TIMEOUT_EXPIRED)
      await new Promise((resolve) => setTimeout(resolve, 4));
  } finally {
    gl.deleteSync(fence);
  }
}

/** Waits until the GPU has done everything queued (a 1-pixel readPixels). */
function gpuSync(nv: Niivue): void {
  nv.gl.readPixels(0, 0, 1, 1, nv.gl.RGBA, nv.gl.UNSIGNED_BYTE, new Uint8Array(4));
}

/**
 * Applies a new window or colour map to the slices of `display`: a new window re-quantizes the display
 * volume from the float SUV `suv` (`quantizeSuv`, in place); niivue then rebuilds its textures. The
 * colour map is set first: niivue's colour-map setter recomputes the volume's display range (its robust
 * range, or the header's cal_min and cal_max when the data reach them), so the window is set after it,
 * and in the header too.
 * @throws Error when the window changes and the float SUV is not there (null)
 */
export function applyLook(nv: Niivue, display: NVImage, suv: NiftiVoxels | null, look: Look): void {
  const cm = COLOURMAPS[look.colourMap];
  const hdr = display.hdr!;
  if (hdr.cal_max !== look.windowMax || display.cal_max !== look.windowMax) {
    if (!suv) throw new Error('viewer: a new SUV window needs the float SUV, which is not in yet');
    quantizeSuv(suv, look.windowMax, display.img as Uint8Array);
    hdr.scl_slope = displaySlope(look.windowMax);
    hdr.scl_inter = 0;
    hdr.cal_min = 0;
    hdr.cal_max = look.windowMax;
  }
  display.colormap = cm.niivue;
  display.colormapInvert = cm.invert;
  display.cal_min = 0;
  display.cal_max = look.windowMax;
  nv.updateGLVolume();
}

/** The window (cal_min, cal_max: SUV g/mL) and colour map niivue's slices of `display` are drawn in. */
export function drawnLook(display: NVImage): {
  calMin: number;
  calMax: number;
  colormap: string;
  invert: boolean;
} {
  return {
    calMin: display.cal_min ?? NaN,
    calMax: display.cal_max ?? NaN,
    colormap: display.colormap,
    invert: !!display.colormapInvert,
  };
}

/** The coronal MIP of each SUV volume, computed once (a new window or colour map only recolours it). */
const mips = new WeakMap<NiftiVoxels, Float32Array>();

/** Draws the coronal MIP of the SUV volume in the window and colour map (head at the top). */
export function drawMip(images: ScanImages, cv: HTMLCanvasElement | null, look: Look): void {
  const ctx = cv?.getContext('2d');
  if (!cv || !ctx) return;
  const { suv } = images;
  const [nx, , nz] = suv.size;
  let mip = mips.get(suv);
  if (!mip) {
    mip = coronalMip(niftiGrid(suv));
    mips.set(suv, mip);
  }
  const vol = images.display;
  cv.width = nx;
  cv.height = nz;
  // millimetres, not voxels, set the shape (pixDims: spacing along i, j, k)
  const dx = vol.hdr!.pixDims[1] || 1;
  const dz = vol.hdr!.pixDims[3] || 1;
  cv.style.aspectRatio = `${nx * dx} / ${nz * dz}`;
  const img = ctx.createImageData(nx, nz);
  for (let k = 0; k < nz; k++)
    for (let i = 0; i < nx; i++) {
      const t = Math.max(0, Math.min(1, mip[k * nx + i]! / look.windowMax));
      const o = ((nz - 1 - k) * nx + i) * 4;
      const [r, gg, b] = colour(t, look.colourMap);
      img.data[o] = r;
      img.data[o + 1] = gg;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  ctx.putImageData(img, 0, 0);
}

/**
 * The viewer's bridge to niivue: a scan's two volumes loaded into one Niivue instance with a single GPU
 * upload, voxel order conversions (niivue orders voxels RAS; the readout, the tests and the server
 * speak the file's native order), the crosshair in patient coordinates (mm, LPS) and the coronal MIP.
 */
import { NVImage, type Niivue } from '@niivue/niivue';
import { coronalMip, type Grid } from '../studies/volume.js';
import { COLOURMAPS, colour, voiColour, type ColourMap } from './colours.js';

export type Vec3 = [number, number, number];

/** The SUV window and colour map a pane shows. */
export interface Look {
  windowMax: number;
  colourMap: ColourMap;
}

/** A loaded niivue volume as a `Grid` in the file's voxel order, values scaled by scl_slope/inter. */
export function grid(vol: NVImage): Grid {
  const d = vol.hdr!.dims;
  const img = vol.img!;
  const slope = vol.hdr!.scl_slope || 1;
  const inter = vol.hdr!.scl_inter || 0;
  return { size: [d[1]!, d[2]!, d[3]!], value: (q) => img[q]! * slope + inter };
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

/**
 * Loads a scan's SUV volume (GET /api/scans/{id}/suv.nii.gz) and VOI label map (labels.nii.gz) into
 * `nv`: both fetched and parsed at once, the label colours, the SUV window and colour map set on the
 * images before they reach the GPU, then one `updateGLVolume` (niivue rebuilds every layer's 3D
 * textures — and the SUV's gradient texture — on every addVolume and every update, a few seconds each
 * for a 200×200×400 volume on a software renderer). Resolves when the first frame is drawn.
 * @returns milliseconds from the call until the data are parsed (`dataMs`) and until the first frame
 *   has been rendered (`renderMs`; a 1-pixel readPixels waits for the GPU)
 * @throws Error from niivue when a file cannot be fetched or read
 */
export async function loadScanVolumes(
  nv: Niivue,
  scanId: string,
  look: Look,
): Promise<{ dataMs: number; renderMs: number }> {
  const t0 = performance.now();
  const cm = COLOURMAPS[look.colourMap];
  const base = `/api/scans/${encodeURIComponent(scanId)}`;
  const [suv, labels] = await Promise.all([
    NVImage.loadFromUrl({
      url: `${base}/suv.nii.gz`,
      colormap: cm.niivue,
      cal_min: 0,
      cal_max: look.windowMax,
    }),
    NVImage.loadFromUrl({ url: `${base}/labels.nii.gz`, opacity: 0.45 }),
  ]);
  const dataMs = performance.now() - t0;
  suv.colormapInvert = cm.invert;
  const labelMax = Math.max(1, Math.round(labels.global_max ?? 1));
  const I = Array.from({ length: labelMax + 1 }, (_, i) => i);
  labels.setColormapLabel({
    I,
    R: I.map((i) => (i === 0 ? 0 : voiColour(i)[0])),
    G: I.map((i) => (i === 0 ? 0 : voiColour(i)[1])),
    B: I.map((i) => (i === 0 ? 0 : voiColour(i)[2])),
    A: I.map((i) => (i === 0 ? 0 : 255)),
  });
  nv.volumes = [suv, labels];
  nv.setVolume(suv, 0); // sets back and overlays, then one updateGLVolume (and drawScene)
  nv.gl.readPixels(0, 0, 1, 1, nv.gl.RGBA, nv.gl.UNSIGNED_BYTE, new Uint8Array(4));
  return { dataMs, renderMs: performance.now() - t0 };
}

/** Applies a new window or colour map to the SUV volume (niivue rebuilds its textures). */
export function applyLook(nv: Niivue, look: Look): void {
  const suv = nv.volumes[0];
  if (!suv) return;
  const cm = COLOURMAPS[look.colourMap];
  suv.cal_min = 0;
  suv.cal_max = look.windowMax;
  suv.colormap = cm.niivue;
  suv.colormapInvert = cm.invert;
  nv.updateGLVolume();
}

/** Draws the coronal MIP of the SUV volume in the window and colour map (head at the top). */
export function drawMip(vol: NVImage, cv: HTMLCanvasElement | null, look: Look): void {
  const ctx = cv?.getContext('2d');
  if (!cv || !ctx) return;
  const g = grid(vol);
  const [nx, , nz] = g.size;
  const mip = coronalMip(g);
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

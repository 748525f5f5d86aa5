/**
 * The viewer's SUV display volume, one home for the server (GET /api/scans/{id}/display.nii.gz, built
 * here from the scan's suv.nii) and the web app (which re-quantizes it on a window change): the SUV
 * through the window [0, windowMax] in 8 bits (`displayNifti`), a quarter of the float volume's bytes
 * for the GPU to take in and sample, and quick to send (it compresses well), so the viewer's slices can
 * be built while the float SUV, which the readout reads, is still on its way. The files are read by
 * `niftiVoxels` (src/io/nifti-voxels.ts). No Node or DOM API: both sides import it.
 * Source: the NIfTI-1 header layout (nifti1.h: scl_slope 112, scl_inter 116, cal_max 124, cal_min 128).
 */
import type { NiftiVoxels } from './nifti-voxels.js';

/**
 * The SUV window (g/mL) a scan opens in: the viewer's first look (web/src/pages/ScanViewer.tsx) and the
 * display volume the server builds ahead when a scan's page is opened (src/server/routes/scan-images.ts).
 */
export const DEFAULT_WINDOW_MAX_SUV = 5;

/** Levels of the display volume: 0 (≤ 0) … 255 (≥ windowMax). */
const LEVELS = 255;

/**
 * Writes the SUV through the window [0, `windowMax`] into `out` (one byte per voxel, file order): 0 for
 * SUV ≤ 0 (and NaN), else round(255 · SUV / windowMax) clamped to 1…255 (a positive SUV never shows as
 * the window's bottom, as niivue does for float volumes). niivue's colour maps have 256 entries, so the
 * slices look as they would from the float volume.
 */
export function quantizeSuv(suv: NiftiVoxels, windowMax: number, out: Uint8Array): void {
  const { data, slope, inter } = suv;
  const k = LEVELS / windowMax;
  for (let q = 0; q < data.length; q++) {
    const v = (data[q]! * slope + inter) * k;
    // = min(255, max(1, Math.round(v))) for v > 0, three times as fast: for 1.5 ≤ v < 254.5,
    // floor(v + 0.5) is Math.round(v) (v + 0.5 is exact or stays below the next integer)
    out[q] = v > 0 ? (v >= LEVELS - 0.5 ? LEVELS : v < 1.5 ? 1 : (v + 0.5) | 0) : 0;
  }
}

/** scl_slope of the display volume in window [0, `windowMax`]: SUV = byte × slope. */
export const displaySlope = (windowMax: number): number => windowMax / LEVELS;

/**
 * The SUV's display volume as a NIfTI-1 file: `suv`'s header (grid, orientation) with uint8 voxels from
 * `quantizeSuv`, scl_slope `displaySlope(windowMax)` (so niivue's value is the SUV to 1/255 of the
 * window), cal_min 0, cal_max windowMax and no intent.
 */
export function displayNifti(suv: NiftiVoxels, windowMax: number): ArrayBuffer {
  const n = suv.data.length;
  const out = new ArrayBuffer(352 + n);
  new Uint8Array(out, 0, 348).set(suv.bytes.subarray(0, 348));
  const dv = new DataView(out);
  dv.setInt16(68, 0, true); // intent_code
  dv.setInt16(70, 2, true); // datatype: uint8
  dv.setInt16(72, 8, true); // bitpix
  dv.setFloat32(108, 352, true); // vox_offset
  dv.setFloat32(112, displaySlope(windowMax), true);
  dv.setFloat32(116, 0, true);
  dv.setFloat32(124, windowMax, true); // cal_max
  dv.setFloat32(128, 0, true); // cal_min
  quantizeSuv(suv, windowMax, new Uint8Array(out, 352, n));
  return out;
}

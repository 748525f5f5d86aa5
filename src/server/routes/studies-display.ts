/**
 * The viewer's SUV display volume, one home for the server (GET /api/scans/{id}/display.nii.gz, built
 * here from the scan's suv.nii) and the web app (which re-quantizes it on a window change): the SUV
 * through the window [0, windowMax] in 8 bits (`displayNifti`), a quarter of the float volume's bytes
 * for the GPU to take in and sample, and quick to send (it compresses well), so the viewer's slices can
 * be built while the float SUV, which the readout reads, is still on its way. And the NIfTI-1 files of
 * the scan routes (src/pipeline/scan-images.ts writes them: little-endian, voxels after a 352-byte
 * header) read without a copy: the header fields the viewer needs and the voxels as a typed-array view.
 * No Node or DOM API: both sides import it.
 * Source: the NIfTI-1 header layout (nifti1.h: dim at byte 40, intent_code 68, datatype 70, bitpix 72,
 * vox_offset 108, scl_slope 112, scl_inter 116, cal_max 124, cal_min 128).
 */

/** A NIfTI-1 file's voxels (a view on its bytes) and the header fields the viewer uses. */
export interface NiftiVoxels {
  /** The file's name, for error messages. */
  file: string;
  /** The whole file (header and voxels). */
  bytes: Uint8Array;
  /** Voxels along i, j, k. */
  size: [number, number, number];
  /** The stored voxels, file order (i fastest); the value is `data[q] * slope + inter`. */
  data: Float32Array | Uint8Array | Uint16Array | Int16Array;
  slope: number;
  inter: number;
}

/** NIfTI-1 datatype codes the viewer reads, with their typed arrays. */
const DATATYPES: Record<
  number,
  Float32ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor | Int16ArrayConstructor
> = {
  2: Uint8Array,
  4: Int16Array,
  16: Float32Array,
  512: Uint16Array,
};

/**
 * Reads a NIfTI-1 file (`fileBytes`, uncompressed) without copying its voxels (unless they are not
 * aligned for their type in the buffer).
 * @throws Error naming `file`, the field and its value when the file is not a little-endian single-file
 *   NIfTI-1 of a datatype above (uint8, int16, float32, uint16), or is shorter than its voxels
 */
export function niftiVoxels(file: string, fileBytes: ArrayBuffer | Uint8Array): NiftiVoxels {
  const bytes = fileBytes instanceof Uint8Array ? fileBytes : new Uint8Array(fileBytes);
  const bad = (field: string, value: unknown, want: string) =>
    new Error(`${file}: ${field} is ${String(value)}; the viewer reads ${want}`);
  if (bytes.byteLength < 352) throw bad('length', bytes.byteLength, 'a NIfTI-1 file of 352 bytes or more');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizeofHdr = dv.getInt32(0, true);
  if (sizeofHdr !== 348) throw bad('sizeof_hdr', sizeofHdr, 'little-endian NIfTI-1 (348)');
  const size: [number, number, number] = [
    dv.getInt16(42, true),
    dv.getInt16(44, true),
    dv.getInt16(46, true),
  ];
  if (size.some((n) => n < 1)) throw bad('dim[1..3]', size.join('×'), 'a 3D volume');
  const datatype = dv.getInt16(70, true);
  const Type = DATATYPES[datatype];
  if (!Type) throw bad('datatype', datatype, 'uint8 (2), int16 (4), float32 (16) or uint16 (512)');
  const offset = dv.getFloat32(108, true);
  const n = size[0] * size[1] * size[2];
  const end = offset + n * Type.BYTES_PER_ELEMENT;
  if (!Number.isInteger(offset) || offset < 352 || end > bytes.byteLength)
    throw bad(
      'vox_offset',
      offset,
      `${n} voxels from byte 352 or later within the file's ${bytes.byteLength} bytes`,
    );
  const slope = dv.getFloat32(112, true);
  const inter = dv.getFloat32(116, true);
  const at = bytes.byteOffset + offset;
  return {
    file,
    bytes,
    size,
    // a view on the file's buffer (the server's files are aligned), else a copy
    data:
      at % Type.BYTES_PER_ELEMENT === 0
        ? new Type(bytes.buffer as ArrayBuffer, at, n)
        : new Type(bytes.slice(offset, end).buffer),
    slope: slope === 0 || !Number.isFinite(slope) ? 1 : slope,
    inter: Number.isFinite(inter) ? inter : 0,
  };
}

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
    out[q] = v > 0 ? Math.min(LEVELS, Math.max(1, Math.round(v))) : 0;
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

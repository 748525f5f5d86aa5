/**
 * A NIfTI-1 file's voxels as a typed-array view on its bytes, with the header fields the viewer uses:
 * the reader of the scan routes' files for the web app (web/src/viewer) and the server's display volume
 * (src/io/display-nifti.ts), where a copy of a 64 MB volume costs seconds in the browser.
 * The header is parsed by nifti-reader-js (the library src/io/nifti.ts uses, and niivue bundles); no
 * Node or DOM API, so the browser imports it. Files of Cartography's scan routes are little-endian
 * single-file NIfTI-1 (src/pipeline/scan-images.ts writes them); `readNifti` (src/io/nifti.ts) reads
 * every NIfTI for the CLI and the pipeline.
 * Source: NIfTI-1 (nifti1.h): dim, datatype, vox_offset, scl_slope, scl_inter.
 */
import * as nifti from 'nifti-reader-js';

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

/** NIfTI-1 datatype codes read here, with their typed arrays. */
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
 * @param file the file's name, for error messages
 * @returns the voxels as a view on `fileBytes`' buffer, the grid size and the scaling (slope 0 or not
 *   finite reads as 1, a non-finite intercept as 0, as NIfTI-1 says)
 * @throws Error naming `file`, the field and its value when the file is not a little-endian single-file
 *   NIfTI-1 of a datatype above (uint8, int16, float32, uint16), or is shorter than its voxels
 */
export function niftiVoxels(file: string, fileBytes: ArrayBuffer | Uint8Array): NiftiVoxels {
  const bytes = fileBytes instanceof Uint8Array ? fileBytes : new Uint8Array(fileBytes);
  const bad = (field: string, value: unknown, want: string) =>
    new Error(`${file}: ${field} is ${String(value)}; the viewer reads ${want}`);
  if (bytes.byteLength < 352) throw bad('length', bytes.byteLength, 'a NIfTI-1 file of 352 bytes or more');
  const head = bytes.slice(0, 352).buffer;
  if (!nifti.isNIFTI1(head)) throw bad('magic', 'not n+1', 'single-file NIfTI-1 (n+1)');
  const hdr = nifti.readHeader(head) as nifti.NIFTI1 | null;
  if (hdr === null) throw bad('header', 'unreadable', 'a NIfTI-1 header');
  if (!hdr.littleEndian) throw bad('byte order', 'big-endian', 'little-endian NIfTI-1');
  const size: [number, number, number] = [hdr.dims[1]!, hdr.dims[2]!, hdr.dims[3]!];
  if (size.some((n) => !(n >= 1))) throw bad('dim[1..3]', size.join('×'), 'a 3D volume');
  const Type = DATATYPES[hdr.datatypeCode];
  if (!Type) throw bad('datatype', hdr.datatypeCode, 'uint8 (2), int16 (4), float32 (16) or uint16 (512)');
  const offset = hdr.vox_offset;
  const n = size[0] * size[1] * size[2];
  const end = offset + n * Type.BYTES_PER_ELEMENT;
  if (!Number.isInteger(offset) || offset < 352 || end > bytes.byteLength)
    throw bad(
      'vox_offset',
      offset,
      `${n} voxels from byte 352 or later within the file's ${bytes.byteLength} bytes`,
    );
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
    slope: hdr.scl_slope === 0 || !Number.isFinite(hdr.scl_slope) ? 1 : hdr.scl_slope,
    inter: Number.isFinite(hdr.scl_inter) ? hdr.scl_inter : 0,
  };
}

/**
 * NIfTI-1 / NIfTI-2 reader and NIfTI-1 writer (`.nii`, `.nii.gz`) to and from the shared `Volume`.
 *
 * Geometry: NIfTI world coordinates are RAS+ (x grows toward the patient's Right, y toward Anterior),
 * DICOM's are LPS+, so x and y change sign. The voxel → world affine is taken from the sform when
 * sform_code > 0, else from the qform (quaternion + qfac) when qform_code > 0, else from pixdim only
 * ("method 1" of nifti1.h). RAS → LPS negates the first two rows of the affine. The voxel memory
 * order (i fastest) is the same as ours, so no data are reordered: the grid's direction cosines carry
 * the orientation (any of the 48 axis-aligned orientations, or oblique).
 * Source: nifti1.h / nifti2.h (NIfTI Data Format Working Group), nifti1_io.c quaternion conventions.
 *
 * Header parsing uses nifti-reader-js; gzip is inflated by src/io/files.ts (bounded by the declared
 * size); writing uses fflate. Values: `scl_slope`/`scl_inter` are applied
 * when slope ∉ {0, 1} or inter ≠ 0 (result Float32, or Float64 for 64-bit sources).
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'fflate';
import * as nifti from 'nifti-reader-js';
import { InputError } from '../errors.js';
import type { Direction3, Vec3, Volume } from '../imaging/volume.js';
import { endianness } from 'node:os';
import {
  gunzipBounded,
  gunzipBoundedAsync,
  gunzipPrefix,
  isGzip,
  MAX_INPUT_BYTES,
  readRegularFile,
  readRegularFileSharedSync,
} from './files.js';

/** Typed arrays a NIfTI volume can be returned in. */
export type NiftiData = Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Int32Array;

/** What `readNifti` returns: the volume (LPS grid) and a few header facts. */
export interface NiftiImage {
  volume: Volume<NiftiData>;
  /** NIfTI datatype code of the stored values (e.g. 2 uint8, 4 int16, 16 float32). */
  datatypeCode: number;
  /** Which transform defined the grid. */
  transform: 'sform' | 'qform' | 'pixdim';
  /** Number of volumes along the 4th dimension in the file (1 for 3D). */
  frameCount: number;
}

/** Options of `readNifti`. */
export interface ReadNiftiOptions {
  /** 0-based 4th-dimension frame to read from a 4D file; required when the file has more than one. */
  frame?: number;
  /** `unit` string to put on the volume (default 'unknown'). */
  unit?: string;
  /** Byte budget of the file and of its declared (inflated) size (default `MAX_INPUT_BYTES`). */
  maxBytes?: number;
}

const DT = {
  UINT8: 2,
  INT16: 4,
  INT32: 8,
  FLOAT32: 16,
  FLOAT64: 64,
  INT8: 256,
  UINT16: 512,
  UINT32: 768,
  INT64: 1024,
  UINT64: 1280,
} as const;

/** Bytes per voxel of each supported datatype code. */
const BYTES_PER_VOXEL: Readonly<Record<number, number>> = {
  [DT.UINT8]: 1,
  [DT.INT8]: 1,
  [DT.INT16]: 2,
  [DT.UINT16]: 2,
  [DT.INT32]: 4,
  [DT.UINT32]: 4,
  [DT.FLOAT32]: 4,
  [DT.FLOAT64]: 8,
  [DT.INT64]: 8,
  [DT.UINT64]: 8,
};

/**
 * Reads a NIfTI-1 or NIfTI-2 file (`.nii` or gzip-compressed `.nii.gz`) into a `Volume` in LPS.
 * The file must be a regular file (symbolic links are followed; devices, FIFOs and folders are
 * refused) within the byte budget (`opts.maxBytes`, default `MAX_INPUT_BYTES` of src/io/files.ts).
 *
 * @param file path of the file.
 * @param opts frame (for 4D files), unit label, byte budget.
 * @returns the volume, datatype code, transform used and frame count.
 * @throws InputError (naming the file and header field) for unreadable files, unsupported datatypes
 *   (complex, RGB), zero/negative pixdim, a non-orthogonal (sheared) affine, a 4D file without a frame,
 *   a vox_offset inside the header or beyond the data, or a declared size over the budget.
 */
export function readNifti(file: string, opts: ReadNiftiOptions = {}): NiftiImage {
  const bytes = readRegularFileSharedSync(
    file,
    opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {},
  );
  return decodeNifti(bytes, file, opts, true);
}

/**
 * `readNifti` with the file read asynchronously and the gzip data inflated in zlib's thread pool
 * (`gunzipBoundedAsync`), so the event loop stays free meanwhile (a server loading a scan); the same
 * checks, result and errors.
 * @throws InputError as `readNifti`
 */
export async function readNiftiAsync(file: string, opts: ReadNiftiOptions = {}): Promise<NiftiImage> {
  const bytes = await readRegularFile(file, opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {});
  if (!isGzip(bytes)) return decodeNifti(bytes, file, opts, true);
  const head = checkHeader(
    arrayBufferOf(gunzipPrefix(bytes, 544, file)),
    file,
    opts.maxBytes ?? MAX_INPUT_BYTES,
  );
  const inflated = await gunzipBoundedAsync(bytes, head.declaredBytes, file, { field: 'dim' });
  return decodeNifti(inflated, file, opts, true);
}

/** Header facts checked before any voxel is read or any gzip data inflated. */
interface CheckedHeader {
  hdr: nifti.NIFTI1 | nifti.NIFTI2;
  isV2: boolean;
  nx: number;
  ny: number;
  nz: number;
  frameCount: number;
  bytesPerVoxel: number;
  voxOffset: number;
  /** vox_offset + every frame's voxels × bytes per voxel: the size the header declares. */
  declaredBytes: number;
}

/** The buffer under `bytes` when they span all of it, else a copy of just those bytes. */
function arrayBufferOf(bytes: Uint8Array): ArrayBufferLike {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/** Parses and checks the header: magic, dims, datatype/bitpix, vox_offset and the declared size. */
function checkHeader(bufIn: ArrayBufferLike, file: string, budget: number): CheckedHeader {
  // nifti-reader-js reads through a DataView, which takes a SharedArrayBuffer as well.
  const buf = bufIn as ArrayBuffer;
  if (!nifti.isNIFTI(buf)) {
    if (nifti.isNIFTI(buf, true)) {
      throw new InputError('NIfTI .hdr/.img pairs are not supported: convert to a single-file .nii', {
        file,
        field: 'magic',
      });
    }
    throw new InputError('not a NIfTI-1/NIfTI-2 file (bad magic)', { file, field: 'magic' });
  }
  let hdr: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    hdr = nifti.readHeader(buf);
  } catch (e) {
    throw new InputError(`unreadable NIfTI header: ${(e as Error).message}`, { file });
  }
  if (!hdr) throw new InputError('unreadable NIfTI header', { file });
  const isV2 = hdr instanceof nifti.NIFTI2;
  const dims = hdr.dims;
  const ndim = dims[0] ?? 0;
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7)
    throw new InputError('dim[0] must be 1..7', { file, field: 'dim[0]', value: ndim });
  const nx = dims[1] ?? 1;
  const ny = ndim >= 2 ? (dims[2] ?? 1) : 1;
  const nz = ndim >= 3 ? (dims[3] ?? 1) : 1;
  for (const [name, v] of [
    ['dim[1]', nx],
    ['dim[2]', ny],
    ['dim[3]', nz],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new InputError('dimension must be a positive integer', { file, field: name, value: v });
  }
  let frameCount = 1;
  for (let d = 4; d <= ndim; d++) {
    const v = dims[d] ?? 1;
    if (!Number.isInteger(v) || v < 0)
      throw new InputError('dimension must be a whole number', { file, field: `dim[${d}]`, value: v });
    frameCount *= Math.max(1, v);
  }
  const code = hdr.datatypeCode;
  const bytesPerVoxel = BYTES_PER_VOXEL[code];
  if (bytesPerVoxel === undefined) {
    throw new InputError(
      'unsupported NIfTI datatype (complex, RGB and 128-bit types are not scalar images)',
      {
        file,
        field: 'datatype',
        value: code,
      },
    );
  }
  if (hdr.numBitsPerVoxel !== 8 * bytesPerVoxel) {
    throw new InputError(`bitpix does not match datatype ${code} (${8 * bytesPerVoxel} bits)`, {
      file,
      field: 'bitpix',
      value: hdr.numBitsPerVoxel,
    });
  }
  const headerBytes = isV2 ? 540 : 348;
  const voxOffset = hdr.vox_offset;
  if (!Number.isInteger(voxOffset) || voxOffset < headerBytes) {
    throw new InputError(`vox_offset must be a whole number ≥ ${headerBytes} (the header size)`, {
      file,
      field: 'vox_offset',
      value: voxOffset,
    });
  }
  const declaredBytes = voxOffset + nx * ny * nz * frameCount * bytesPerVoxel;
  if (!Number.isSafeInteger(declaredBytes) || declaredBytes > budget) {
    throw new InputError(
      `grid ${nx}×${ny}×${nz}×${frameCount} of ${bytesPerVoxel}-byte voxels needs ${declaredBytes} bytes, ` +
        `over the ${budget}-byte budget of one input`,
      { file, field: 'dim', value: [nx, ny, nz, frameCount] },
    );
  }
  return { hdr, isV2, nx, ny, nz, frameCount, bytesPerVoxel, voxOffset, declaredBytes };
}

/**
 * Parses NIfTI bytes (see `readNifti`); `file` is only used in error messages. gzip data are
 * inflated only after the header (read from a bounded prefix) has declared a size within the
 * budget, and must inflate to exactly that size. The voxels of uncompressed `bytes` are copied (the
 * result never aliases the caller's bytes); those of gzip data are a view on the inflated buffer.
 */
export function parseNifti(bytesIn: Uint8Array, file: string, opts: ReadNiftiOptions = {}): NiftiImage {
  return decodeNifti(bytesIn, file, opts, false);
}

/**
 * `parseNifti`; `ownsBytes` says that nobody else holds `bytesIn` (readNifti's own file buffer), so the
 * voxel data may be views on it.
 */
function decodeNifti(
  bytesIn: Uint8Array,
  file: string,
  opts: ReadNiftiOptions,
  ownsBytes: boolean,
): NiftiImage {
  const budget = opts.maxBytes ?? MAX_INPUT_BYTES;
  let bytes = bytesIn;
  if (isGzip(bytes)) {
    const head = checkHeader(arrayBufferOf(gunzipPrefix(bytes, 544, file)), file, budget);
    bytes = gunzipBounded(bytes, head.declaredBytes, file, { field: 'dim' });
  }
  // The buffer as is when `bytes` spans all of it (our file buffer, gunzip output), else a copy.
  const buf = arrayBufferOf(bytes);
  const mayView = ownsBytes || bytes !== bytesIn || buf !== bytesIn.buffer;
  const { hdr, isV2, nx, ny, nz, frameCount, bytesPerVoxel, voxOffset } = checkHeader(buf, file, budget);
  let frame = 0;
  if (frameCount > 1) {
    if (opts.frame === undefined) {
      throw new InputError(`4D file with ${frameCount} volumes: choose one with a frame index`, {
        file,
        field: 'dim[4]',
        value: frameCount,
      });
    }
    frame = opts.frame;
  }
  if (!Number.isInteger(frame) || frame < 0 || frame >= frameCount) {
    throw new InputError(`frame must be 0..${frameCount - 1}`, { file, field: 'frame', value: opts.frame });
  }

  // Spatial unit → mm.
  const spaceUnit = hdr.xyzt_units & 0x07;
  const toMm = spaceUnit === 1 ? 1000 : spaceUnit === 3 ? 0.001 : 1;

  const { affine, transform } = niftiAffine(hdr, buf, isV2, file);
  // RAS → LPS: negate rows x and y; scale to mm.
  const m = affine.map((row, r) => row.map((v) => v * toMm * (r < 2 ? -1 : 1)));
  const spacing: Vec3 = [0, 0, 0];
  const direction = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Direction3;
  for (let c = 0; c < 3; c++) {
    const col = [m[0]![c]!, m[1]![c]!, m[2]![c]!];
    const norm = Math.hypot(col[0]!, col[1]!, col[2]!);
    if (!(norm > 0) || !Number.isFinite(norm)) {
      throw new InputError(`voxel axis ${c} has zero or invalid length in the ${transform}`, {
        file,
        field: transform === 'sform' ? 'srow' : 'pixdim',
        value: norm,
      });
    }
    spacing[c] = norm;
    for (let r = 0; r < 3; r++) direction[3 * c + r] = col[r]! / norm + 0;
  }
  for (let a = 0; a < 3; a++) {
    for (let b = a + 1; b < 3; b++) {
      let dot = 0;
      for (let r = 0; r < 3; r++) dot += direction[3 * a + r]! * direction[3 * b + r]!;
      if (Math.abs(dot) > 1e-4) {
        throw new InputError(
          `affine is sheared (axes ${a} and ${b} not orthogonal, cos = ${dot.toFixed(5)})`,
          {
            file,
            field: transform,
          },
        );
      }
    }
  }
  const origin: Vec3 = [m[0]![3]!, m[1]![3]!, m[2]![3]!];
  if (!origin.every(Number.isFinite)) {
    throw new InputError(`origin is not finite in the ${transform}`, {
      file,
      field: transform === 'sform' ? 'srow' : 'qoffset',
      value: origin,
    });
  }

  const n = nx * ny * nz;
  const offset = voxOffset + frame * n * bytesPerVoxel;
  if (offset + n * bytesPerVoxel > buf.byteLength) {
    throw new InputError(
      `file is truncated or vox_offset lies beyond the data: needs ${offset + n * bytesPerVoxel} bytes, has ${buf.byteLength}`,
      { file, field: 'vox_offset', value: voxOffset },
    );
  }
  const code = hdr.datatypeCode;
  let data = voxelData(buf, offset, n, code, hdr.littleEndian, mayView, file);
  const slope = hdr.scl_slope;
  const inter = hdr.scl_inter;
  if (Number.isFinite(slope) && slope !== 0 && (slope !== 1 || (Number.isFinite(inter) && inter !== 0))) {
    // Shared memory stays shared (worker threads read it without a copy; src/parallel/pool.ts).
    const shared = typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer;
    const f64 = data instanceof Float64Array;
    const outBuf = shared ? new SharedArrayBuffer(n * (f64 ? 8 : 4)) : new ArrayBuffer(n * (f64 ? 8 : 4));
    const out = f64 ? new Float64Array(outBuf) : new Float32Array(outBuf);
    const b = Number.isFinite(inter) ? inter : 0;
    for (let i = 0; i < n; i++) out[i] = data[i]! * slope + b;
    data = out;
  }
  return {
    volume: {
      size: [nx, ny, nz],
      spacingMm: spacing,
      originLps: origin,
      direction,
      data,
      unit: opts.unit ?? 'unknown',
    },
    datatypeCode: code,
    transform,
    frameCount,
  };
}

const HOST_LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The `n` voxels at byte `offset` of `buf` as a typed array. A view on `buf` (no copy) when `mayView`,
 * the stored type is the returned type (uint8, int16, uint16, int32, float32, float64), its byte order
 * is the host's and `offset` is aligned to its size; otherwise a converted copy (int8 → Int16,
 * uint32/int64/uint64 → Float64, byte-swapped or unaligned data).
 */
function voxelData(
  buf: ArrayBufferLike,
  offset: number,
  n: number,
  code: number,
  le: boolean,
  mayView: boolean,
  file: string,
): NiftiData {
  const native = le === HOST_LITTLE_ENDIAN;
  const canView = (size: number): boolean => mayView && native && offset % size === 0;
  const dv = new DataView(buf, offset, n * (BYTES_PER_VOXEL[code] ?? 1));
  switch (code) {
    case DT.UINT8: {
      const v = new Uint8Array(buf, offset, n);
      return mayView ? v : v.slice();
    }
    case DT.INT8: {
      const a = new Int16Array(n);
      for (let i = 0; i < n; i++) a[i] = dv.getInt8(i);
      return a;
    }
    case DT.INT16: {
      if (canView(2)) return new Int16Array(buf, offset, n);
      const a = new Int16Array(n);
      for (let i = 0; i < n; i++) a[i] = dv.getInt16(2 * i, le);
      return a;
    }
    case DT.UINT16: {
      if (canView(2)) return new Uint16Array(buf, offset, n);
      const a = new Uint16Array(n);
      for (let i = 0; i < n; i++) a[i] = dv.getUint16(2 * i, le);
      return a;
    }
    case DT.INT32: {
      if (canView(4)) return new Int32Array(buf, offset, n);
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = dv.getInt32(4 * i, le);
      return a;
    }
    case DT.UINT32: {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = dv.getUint32(4 * i, le);
      return a;
    }
    case DT.INT64: {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = Number(dv.getBigInt64(8 * i, le));
      return a;
    }
    case DT.UINT64: {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = Number(dv.getBigUint64(8 * i, le));
      return a;
    }
    case DT.FLOAT32: {
      if (canView(4)) return new Float32Array(buf, offset, n);
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = dv.getFloat32(4 * i, le);
      return a;
    }
    case DT.FLOAT64: {
      if (canView(8)) return new Float64Array(buf, offset, n);
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = dv.getFloat64(8 * i, le);
      return a;
    }
    default:
      throw new InputError('unsupported NIfTI datatype', { file, field: 'datatype', value: code });
  }
}

/** 4×4 voxel → RAS affine (mm or file units) chosen as documented in the module header. */
function niftiAffine(
  hdr: nifti.NIFTI1 | nifti.NIFTI2,
  buf: ArrayBufferLike,
  isV2: boolean,
  file: string,
): { affine: number[][]; transform: 'sform' | 'qform' | 'pixdim' } {
  const dv = new DataView(buf);
  const le = hdr.littleEndian;
  if (hdr.sform_code > 0) {
    const rows: number[][] = [];
    for (let r = 0; r < 3; r++) {
      const row: number[] = [];
      for (let c = 0; c < 4; c++) {
        row.push(isV2 ? dv.getFloat64(400 + (4 * r + c) * 8, le) : dv.getFloat32(280 + (4 * r + c) * 4, le));
      }
      rows.push(row);
    }
    for (const row of rows) {
      if (!row.every(Number.isFinite))
        throw new InputError('sform contains non-finite values', { file, field: 'srow' });
    }
    return { affine: rows, transform: 'sform' };
  }
  const pd = hdr.pixDims;
  const dx = pd[1] ?? 1;
  const dy = pd[2] ?? 1;
  const dz = pd[3] ?? 1;
  for (const [k, v] of [
    [1, dx],
    [2, dy],
    [3, dz],
  ] as const) {
    if (!(v > 0)) throw new InputError('pixdim must be positive', { file, field: `pixdim[${k}]`, value: v });
  }
  if (hdr.qform_code > 0) {
    let b = hdr.quatern_b;
    let c = hdr.quatern_c;
    let d = hdr.quatern_d;
    // As nifti1_io.c: when a² = 1 − (b² + c² + d²) is below float32 resolution, a = 0 and (b, c, d)
    // is renormalised (a 180° rotation), instead of amplifying rounding through the square root.
    let a2 = 1 - (b * b + c * c + d * d);
    if (a2 < 1e-7) {
      const s = 1 / Math.sqrt(b * b + c * c + d * d);
      b *= s;
      c *= s;
      d *= s;
      a2 = 0;
    }
    const a = Math.sqrt(a2);
    const qfac = (pd[0] ?? 1) < 0 ? -1 : 1;
    const R = quaternionToMatrix(a, b, c, d);
    const s = [dx, dy, dz * qfac];
    return {
      affine: [
        [R[0]![0]! * s[0]!, R[0]![1]! * s[1]!, R[0]![2]! * s[2]!, hdr.qoffset_x],
        [R[1]![0]! * s[0]!, R[1]![1]! * s[1]!, R[1]![2]! * s[2]!, hdr.qoffset_y],
        [R[2]![0]! * s[0]!, R[2]![1]! * s[1]!, R[2]![2]! * s[2]!, hdr.qoffset_z],
      ],
      transform: 'qform',
    };
  }
  return {
    affine: [
      [dx, 0, 0, 0],
      [0, dy, 0, 0],
      [0, 0, dz, 0],
    ],
    transform: 'pixdim',
  };
}

/** Rotation matrix (rows) of the unit quaternion (a, b, c, d) (nifti1.h, method 2). */
function quaternionToMatrix(a: number, b: number, c: number, d: number): number[][] {
  return [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
}

/**
 * Quaternion (b, c, d) and qfac of an orthonormal rotation matrix R (rows; columns = axis vectors).
 * An improper R (det < 0) gets qfac = −1 with its third column negated (nifti1.h convention).
 */
function matrixToQuaternion(Rin: number[][]): { b: number; c: number; d: number; qfac: number } {
  const R = Rin.map((r) => r.slice());
  const det =
    R[0]![0]! * (R[1]![1]! * R[2]![2]! - R[1]![2]! * R[2]![1]!) -
    R[0]![1]! * (R[1]![0]! * R[2]![2]! - R[1]![2]! * R[2]![0]!) +
    R[0]![2]! * (R[1]![0]! * R[2]![1]! - R[1]![1]! * R[2]![0]!);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    for (let r = 0; r < 3; r++) R[r]![2] = -R[r]![2]!;
  }
  const r11 = R[0]![0]!;
  const r12 = R[0]![1]!;
  const r13 = R[0]![2]!;
  const r21 = R[1]![0]!;
  const r22 = R[1]![1]!;
  const r23 = R[1]![2]!;
  const r31 = R[2]![0]!;
  const r32 = R[2]![1]!;
  const r33 = R[2]![2]!;
  let a: number;
  let b: number;
  let c: number;
  let d: number;
  const tr = r11 + r22 + r33 + 1;
  if (tr > 0.5) {
    a = 0.5 * Math.sqrt(tr);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}

/** Options of `writeNifti`. */
export interface WriteNiftiOptions {
  /** Text for the 80-byte `descrip` field (ASCII; truncated). */
  description?: string;
  /** Which transforms to fill: both (default), or only one of them (for tests of readers). */
  transforms?: 'both' | 'sform' | 'qform';
}

/**
 * Writes a volume as a single-file NIfTI-1 (`.nii`, or gzip-compressed when `file` ends in `.gz`).
 * Both qform (quaternion, qform_code 1) and sform (sform_code 1) carry the LPS grid converted to RAS;
 * the datatype follows the typed array (Float32 → 16, Float64 → 64, Int16 → 4, Uint8 → 2, Uint16 → 512,
 * Int32 → 8); scl_slope = 1, scl_inter = 0; xyzt_units = mm.
 *
 * @param volume volume to write (data i fastest).
 * @param file destination path.
 * @throws InputError when data length does not match the grid size.
 */
export function writeNifti(volume: Volume<NiftiData>, file: string, opts: WriteNiftiOptions = {}): void {
  const bytes = encodeNifti(volume, opts);
  writeFileSync(file, file.toLowerCase().endsWith('.gz') ? gzipSync(bytes, { level: 6 }) : bytes);
}

/** NIfTI-1 bytes of a volume (uncompressed); see `writeNifti`. */
export function encodeNifti(volume: Volume<NiftiData>, opts: WriteNiftiOptions = {}): Uint8Array {
  const [nx, ny, nz] = volume.size;
  const n = nx * ny * nz;
  if (volume.data.length !== n) {
    throw new InputError(`data length ${volume.data.length} does not match grid ${nx}×${ny}×${nz}`, {
      field: 'data',
    });
  }
  const d = volume.data;
  const [code, bitpix] =
    d instanceof Float32Array
      ? [DT.FLOAT32, 32]
      : d instanceof Float64Array
        ? [DT.FLOAT64, 64]
        : d instanceof Int16Array
          ? [DT.INT16, 16]
          : d instanceof Uint8Array
            ? [DT.UINT8, 8]
            : d instanceof Uint16Array
              ? [DT.UINT16, 16]
              : [DT.INT32, 32];
  const voxOffset = 352;
  const out = new Uint8Array(voxOffset + d.byteLength);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 348, true);
  dv.setInt16(40, 3, true);
  dv.setInt16(42, nx, true);
  dv.setInt16(44, ny, true);
  dv.setInt16(46, nz, true);
  for (let k = 4; k < 8; k++) dv.setInt16(40 + 2 * k, 1, true);
  if (nx > 32767 || ny > 32767 || nz > 32767)
    throw new InputError('dimension too large for NIfTI-1', { field: 'size' });
  dv.setInt16(70, code, true);
  dv.setInt16(72, bitpix, true);
  // RAS affine: columns = spacing × direction, rows x, y negated.
  const cols: number[][] = [0, 1, 2].map((c) =>
    [0, 1, 2].map((r) => volume.direction[3 * c + r]! * (r < 2 ? -1 : 1)),
  );
  const R = [0, 1, 2].map((r) => [0, 1, 2].map((c) => cols[c]![r]!));
  const off = [-volume.originLps[0], -volume.originLps[1], volume.originLps[2]];
  const q = matrixToQuaternion(R);
  dv.setFloat32(76, q.qfac, true);
  dv.setFloat32(80, volume.spacingMm[0], true);
  dv.setFloat32(84, volume.spacingMm[1], true);
  dv.setFloat32(88, volume.spacingMm[2], true);
  for (let k = 4; k < 8; k++) dv.setFloat32(76 + 4 * k, 1, true);
  dv.setFloat32(108, voxOffset, true);
  dv.setFloat32(112, 1, true);
  dv.setFloat32(116, 0, true);
  dv.setUint8(123, 2); // mm
  const desc = (opts.description ?? 'Cartography').slice(0, 79);
  for (let i = 0; i < desc.length; i++) dv.setUint8(148 + i, desc.charCodeAt(i) & 0x7f);
  const which = opts.transforms ?? 'both';
  if (which !== 'sform') {
    dv.setInt16(252, 1, true);
    dv.setFloat32(256, q.b, true);
    dv.setFloat32(260, q.c, true);
    dv.setFloat32(264, q.d, true);
    dv.setFloat32(268, off[0]!, true);
    dv.setFloat32(272, off[1]!, true);
    dv.setFloat32(276, off[2]!, true);
  }
  if (which !== 'qform') {
    dv.setInt16(254, 1, true);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++)
        dv.setFloat32(280 + (4 * r + c) * 4, R[r]![c]! * volume.spacingMm[c]!, true);
      dv.setFloat32(280 + (4 * r + 3) * 4, off[r]!, true);
    }
  }
  out.set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"
  out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), voxOffset);
  return out;
}

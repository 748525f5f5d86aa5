/**
 * NRRD reader (attached or detached data; raw or gzip encoding) for 3D scalar images and label maps
 * (3D Slicer, PyRadiomics test data), to the shared LPS `Volume`.
 *
 * Geometry: `space directions` columns are the i, j, k axis vectors (spacing × direction) and
 * `space origin` the centre of voxel (0, 0, 0), both in the declared `space`; RAS / LPS / "scanner-xyz"
 * variants are converted to LPS (RAS and right-anterior-superior negate x, y). Without `space
 * directions`, `spacings` give an identity-direction grid.
 * Source: Teem NRRD format specification v4/v5 (teem.sourceforge.net/nrrd/format.html).
 */
import { dirname } from 'node:path';
import { InputError } from '../errors.js';
import type { Direction3, Vec3, Volume } from '../imaging/volume.js';
import { gunzipBounded, MAX_INPUT_BYTES, readRegularFileSync, resolveUnderRoots } from './files.js';

export type NrrdData = Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Int32Array;

/** A NRRD image with its parsed header fields (keys lower-case). */
export interface NrrdImage {
  volume: Volume<NrrdData>;
  header: Record<string, string>;
}

const TYPES: Record<
  string,
  { bytes: number; kind: 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'f32' | 'f64' | 'i64' | 'u64' }
> = {};
for (const [names, bytes, kind] of [
  [['signed char', 'int8', 'int8_t'], 1, 'i8'],
  [['uchar', 'unsigned char', 'uint8', 'uint8_t'], 1, 'u8'],
  [['short', 'short int', 'signed short', 'signed short int', 'int16', 'int16_t'], 2, 'i16'],
  [['ushort', 'unsigned short', 'unsigned short int', 'uint16', 'uint16_t'], 2, 'u16'],
  [['int', 'signed int', 'int32', 'int32_t'], 4, 'i32'],
  [['uint', 'unsigned int', 'uint32', 'uint32_t'], 4, 'u32'],
  [
    [
      'longlong',
      'long long',
      'long long int',
      'signed long long',
      'signed long long int',
      'int64',
      'int64_t',
    ],
    8,
    'i64',
  ],
  [['ulonglong', 'unsigned long long', 'unsigned long long int', 'uint64', 'uint64_t'], 8, 'u64'],
  [['float'], 4, 'f32'],
  [['double'], 8, 'f64'],
] as const) {
  for (const n of names) TYPES[n] = { bytes, kind };
}

/** Options of `readNrrd`. */
export interface ReadNrrdOptions {
  /**
   * Folders a detached `data file:` may lie in (after following symbolic links); default the
   * header's own folder. A study bundle passes its folder and its declared data roots.
   */
  roots?: readonly string[];
  /** Byte budget of the files and of the declared data size (default `MAX_INPUT_BYTES`). */
  maxBytes?: number;
}

/**
 * Reads a 3D NRRD file (`.nrrd` attached, or `.nhdr` with `data file`). Files must be regular
 * files (symbolic links followed; devices, FIFOs and folders refused); a detached data file must lie
 * under `opts.roots`; the declared grid × type size must fit the byte budget before gzip data are
 * inflated, and gzip data must not inflate beyond it.
 *
 * @param file path of the .nrrd/.nhdr file.
 * @param unit `unit` label to put on the volume (default 'unknown').
 * @param opts allowed roots of a detached data file, byte budget.
 * @returns the LPS volume and the raw header fields.
 * @throws InputError naming the file and field for: bad magic, dimension ≠ 3 (or 4 with a leading
 *   size-1 axis), unsupported type/encoding/space, truncated data, a data file outside the roots or
 *   not a regular file, a declared size over the budget.
 */
export function readNrrd(file: string, unit = 'unknown', opts: ReadNrrdOptions = {}): NrrdImage {
  const budget = opts.maxBytes ?? MAX_INPUT_BYTES;
  const bytes = readRegularFileSync(file, { maxBytes: budget });
  const { header, dataStart } = parseHeader(bytes, file);
  const grid = parseGrid(header, file, budget);
  const geometry = parseGeometry(header, grid.leadingAxis, file);
  const [nx, ny, nz] = grid.sizes;
  const n = nx * ny * nz;
  const { payload, start } = readPayload(header, bytes, dataStart, n * grid.type.bytes, file, budget, opts);
  const le = grid.type.bytes === 1 || (header['endian'] ?? 'little').toLowerCase() !== 'big';
  const data = decodeSamples(grid.type.kind, payload, start, n, le);
  return { volume: { size: [nx, ny, nz], ...geometry, data, unit }, header };
}

type NrrdType = (typeof TYPES)[string];

// step: the header — lines up to the first empty line, `key: value` (or `key:=value`), lower-cased keys.
function parseHeader(bytes: Uint8Array, file: string): { header: Record<string, string>; dataStart: number } {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (!/^NRRD000[1-5]$/.test(magic))
    throw new InputError('not a NRRD file (bad magic)', { file, field: 'magic', value: magic });
  // Header ends at the first empty line.
  let end = -1;
  let dataStart = -1;
  for (let i = 0; i < bytes.length - 1; i++) {
    if (bytes[i] === 0x0a && bytes[i + 1] === 0x0a) {
      end = i;
      dataStart = i + 2;
      break;
    }
    if (bytes[i] === 0x0a && bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) {
      end = i;
      dataStart = i + 3;
      break;
    }
  }
  const headerText = new TextDecoder().decode(end >= 0 ? bytes.subarray(0, end) : bytes);
  const header: Record<string, string> = {};
  for (const rawLine of headerText.split(/\r?\n/).slice(1)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([^:]+?):=?\s*(.*)$/.exec(line);
    if (m) header[m[1]!.trim().toLowerCase()] = m[2]!.trim();
  }
  return { header, dataStart };
}

// step: type, dimension and sizes, checked against the byte budget before any data are read.
function parseGrid(
  header: Record<string, string>,
  file: string,
  budget: number,
): { type: NrrdType; sizes: [number, number, number]; leadingAxis: boolean } {
  const need = (k: string): string => {
    const v = header[k];
    if (v === undefined) throw new InputError(`NRRD header field missing`, { file, field: k });
    return v;
  };
  const type = TYPES[need('type').toLowerCase()];
  if (!type) throw new InputError('unsupported NRRD type', { file, field: 'type', value: header['type'] });
  const dim = Number(need('dimension'));
  let sizes = need('sizes').split(/\s+/).map(Number);
  if (sizes.length !== dim || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new InputError('sizes do not match dimension', { file, field: 'sizes', value: header['sizes'] });
  }
  let leadingAxis = false;
  if (dim === 4 && sizes[0] === 1) {
    leadingAxis = true;
    sizes = sizes.slice(1);
  } else if (dim !== 3) {
    throw new InputError('only 3D scalar NRRD images are supported', {
      file,
      field: 'dimension',
      value: dim,
    });
  }
  const [nx, ny, nz] = sizes as [number, number, number];
  const n = nx * ny * nz;
  if (!Number.isSafeInteger(n * type.bytes) || n * type.bytes > budget) {
    throw new InputError(
      `grid ${nx}×${ny}×${nz} of ${type.bytes}-byte values needs ${n * type.bytes} bytes, over the ` +
        `${budget}-byte budget of one input`,
      { file, field: 'sizes', value: header['sizes'] },
    );
  }
  return { type, sizes: [nx, ny, nz], leadingAxis };
}

// step: geometry — space (LPS or RAS, turned into LPS), space directions or spacings, space origin.
function parseGeometry(
  header: Record<string, string>,
  leadingAxis: boolean,
  file: string,
): { spacingMm: Vec3; originLps: Vec3; direction: Direction3 } {
  const spaceRaw = (header['space'] ?? '').toLowerCase();
  let flipXY: boolean;
  if (
    spaceRaw === '' ||
    spaceRaw === 'left-posterior-superior' ||
    spaceRaw === 'lps' ||
    spaceRaw === 'scanner-xyz'
  ) {
    flipXY = false;
  } else if (spaceRaw === 'right-anterior-superior' || spaceRaw === 'ras') {
    flipXY = true;
  } else {
    throw new InputError('unsupported NRRD space (need RAS or LPS)', {
      file,
      field: 'space',
      value: header['space'],
    });
  }
  const spacing: Vec3 = [1, 1, 1];
  const direction: Direction3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  let origin: Vec3 = [0, 0, 0];
  const vec = (s: string, field: string): Vec3 => {
    const m = /^\(\s*([^,]+),\s*([^,]+),\s*([^)]+)\)$/.exec(s.trim());
    if (!m) throw new InputError('malformed vector', { file, field, value: s });
    const v = [Number(m[1]), Number(m[2]), Number(m[3])] as Vec3;
    if (!v.every(Number.isFinite)) throw new InputError('non-finite vector', { file, field, value: s });
    return flipXY ? [-v[0], -v[1], v[2]] : v;
  };
  if (header['space directions'] !== undefined) {
    const parts = header['space directions'].match(/\([^)]*\)|none/g) ?? [];
    const vecs = parts.filter((p) => p !== 'none');
    if (vecs.length !== 3) {
      throw new InputError('space directions must give 3 vectors', {
        file,
        field: 'space directions',
        value: header['space directions'],
      });
    }
    for (let c = 0; c < 3; c++) {
      const v = vec(vecs[c]!, 'space directions');
      const norm = Math.hypot(v[0], v[1], v[2]);
      if (!(norm > 0))
        throw new InputError('zero-length axis', { file, field: 'space directions', value: vecs[c] });
      spacing[c] = norm;
      for (let r = 0; r < 3; r++) direction[3 * c + r] = v[r]! / norm + 0;
    }
  } else if (header['spacings'] !== undefined) {
    const s = header['spacings']
      .split(/\s+/)
      .map(Number)
      .slice(leadingAxis ? 1 : 0);
    for (let c = 0; c < 3; c++) {
      if (!(s[c]! > 0))
        throw new InputError('spacing must be positive', {
          file,
          field: 'spacings',
          value: header['spacings'],
        });
      spacing[c] = s[c]!;
    }
  }
  if (header['space origin'] !== undefined) origin = vec(header['space origin'], 'space origin');
  return { spacingMm: spacing, originLps: origin, direction };
}

// step: the data bytes — attached or in a detached data file under the roots, raw or gzip (bounded),
// after `byte skip`; returns the payload and where the samples start in it.
function readPayload(
  header: Record<string, string>,
  bytes: Uint8Array,
  dataStart: number,
  nbytes: number,
  file: string,
  budget: number,
  opts: ReadNrrdOptions,
): { payload: Uint8Array; start: number } {
  let raw: Uint8Array;
  const dataFile = header['data file'] ?? header['datafile'];
  if (dataFile !== undefined) {
    if (/^list|%/.test(dataFile))
      throw new InputError('multi-file NRRD data are not supported', { file, field: 'data file' });
    const p = resolveUnderRoots(dataFile, dirname(file), opts.roots ?? [dirname(file)], {
      file,
      field: 'data file',
    });
    raw = readRegularFileSync(p, { maxBytes: budget, field: 'data file' });
  } else {
    if (dataStart < 0) throw new InputError('no data after the header', { file });
    raw = bytes.subarray(dataStart);
  }
  const enc = (header['encoding'] ?? 'raw').toLowerCase();
  const byteSkip = Number(header['byte skip'] ?? header['byteskip'] ?? 0);
  if (!(byteSkip === -1 || (Number.isSafeInteger(byteSkip) && byteSkip >= 0)))
    throw new InputError('invalid byte skip', { file, field: 'byte skip', value: byteSkip });
  let payload: Uint8Array;
  if (enc === 'raw') {
    payload = raw;
  } else if (enc === 'gzip' || enc === 'gz') {
    if (byteSkip === -1)
      throw new InputError('byte skip -1 is only allowed with raw encoding', { file, field: 'byte skip' });
    payload = gunzipBounded(raw, byteSkip + nbytes, file, { field: 'encoding' });
  } else {
    throw new InputError('unsupported NRRD encoding (raw or gzip)', { file, field: 'encoding', value: enc });
  }
  const start = byteSkip === -1 ? payload.length - nbytes : byteSkip;
  if (start < 0 || start + nbytes > payload.length) {
    throw new InputError(
      `data truncated: need ${nbytes} bytes, have ${payload.length - Math.max(0, start)}`,
      { file, field: 'sizes' },
    );
  }
  return { payload, start };
}

// step: the samples, decoded into their typed array (64-bit and u32 integers as doubles, i8 as i16).
function decodeSamples(
  kind: NrrdType['kind'],
  payload: Uint8Array,
  start: number,
  n: number,
  le: boolean,
): NrrdData {
  const dv = new DataView(payload.buffer, payload.byteOffset + start, payload.length - start);
  const fill = <A extends NrrdData>(a: A, get: (i: number) => number): A => {
    for (let i = 0; i < n; i++) a[i] = get(i);
    return a;
  };
  switch (kind) {
    case 'u8':
      return payload.slice(start, start + n);
    case 'i8':
      return fill(new Int16Array(n), (i) => dv.getInt8(i));
    case 'i16':
      return fill(new Int16Array(n), (i) => dv.getInt16(2 * i, le));
    case 'u16':
      return fill(new Uint16Array(n), (i) => dv.getUint16(2 * i, le));
    case 'i32':
      return fill(new Int32Array(n), (i) => dv.getInt32(4 * i, le));
    case 'u32':
      return fill(new Float64Array(n), (i) => dv.getUint32(4 * i, le));
    case 'i64':
      return fill(new Float64Array(n), (i) => Number(dv.getBigInt64(8 * i, le)));
    case 'u64':
      return fill(new Float64Array(n), (i) => Number(dv.getBigUint64(8 * i, le)));
    case 'f32':
      return fill(new Float32Array(n), (i) => dv.getFloat32(4 * i, le));
    case 'f64':
      return fill(new Float64Array(n), (i) => dv.getFloat64(8 * i, le));
  }
}

/**
 * One DICOM Part-10 file → a dcmjs "naturalised" dataset (keyword → value; sequences as arrays of
 * items; private attributes by their 8-hex-digit tag), with the failure modes of real files turned
 * into `InputError`s that name the file and the tag.
 *
 * Built on dcmjs (`DicomMessage.readFile` + `DicomMetaDictionary.naturalizeDataset`). Quirks handled
 * here (docs/references/imaging.md §9):
 *  - files without the File Meta Information Group Length (0002,0000) — the IBSI SUV DROs — are
 *    accepted by inserting the group length before parsing (dcmjs issues #338/#93; strict parsing of
 *    the rest of the file is kept, so truncated or corrupt files still fail);
 *  - Implicit VR Little Endian (STS_001) and Explicit VR Little Endian are read; encapsulated
 *    (compressed) and big-endian transfer syntaxes are refused by name;
 *  - a PixelData element shorter than Rows × Columns × frames × BitsAllocated/8 (a truncated file,
 *    which dcmjs itself reads without complaint) is refused.
 */
import dcmjs from 'dcmjs';
import { InputError } from '../../errors.js';
import { readRegularFile } from '../files.js';
import { readPetHeaderFast } from './fast-header.js';

dcmjs.log.setLevel('silent');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

/** A naturalised DICOM dataset as dcmjs produces it (values are strings, numbers, arrays, items). */
export type NaturalDataset = Record<string, unknown>;

/** One parsed file. `dataset` is the full dataset: never return it to callers outside src/io/dicom. */
export interface ParsedDicom {
  file: string;
  transferSyntaxUid: string;
  /** The dataset without PixelData. */
  dataset: NaturalDataset;
  /** The raw PixelData (7FE0,0010) value bytes, when the file has them (native encoding). */
  pixelData?: Uint8Array;
}

/** Where the top-level PixelData element is: tag start and value offset / length. */
interface PixelLocation {
  tagPos: number;
  offset: number;
  length: number;
}

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
const READABLE_SYNTAXES = new Set([IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE]);

/** Explicit VRs whose length field is 4 bytes (after 2 reserved bytes). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Returns `bytes` with a File Meta Information Group Length (0002,0000) element inserted when the
 * file lacks one (the meta group is always Explicit VR Little Endian, PS3.10 §7.1). Returns the
 * input unchanged when the element is present.
 * @throws InputError when the file has no "DICM" prefix or its meta group is malformed.
 */
export function withMetaGroupLength(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length < 132 + 8 || String.fromCharCode(...bytes.subarray(128, 132)) !== 'DICM') {
    throw new InputError('not a DICOM Part-10 file (no "DICM" prefix after the 128-byte preamble)', {
      file,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(132, true) === 0x0002 && view.getUint16(134, true) === 0x0000) return bytes;
  let pos = 132;
  while (pos + 8 <= bytes.length && view.getUint16(pos, true) === 0x0002) {
    const vr = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!);
    let len: number;
    let headerLen: number;
    if (LONG_VRS.has(vr)) {
      if (pos + 12 > bytes.length) break;
      len = view.getUint32(pos + 8, true);
      headerLen = 12;
    } else {
      len = view.getUint16(pos + 6, true);
      headerLen = 8;
    }
    if (len === 0xffffffff || pos + headerLen + len > bytes.length) {
      throw new InputError('malformed file meta information (group 0002)', { file, field: '(0002,xxxx)' });
    }
    pos += headerLen + len;
  }
  const metaLength = pos - 132;
  const out = new Uint8Array(bytes.length + 12);
  out.set(bytes.subarray(0, 132), 0);
  const ov = new DataView(out.buffer);
  ov.setUint16(132, 0x0002, true);
  ov.setUint16(134, 0x0000, true);
  out[136] = 0x55; // 'U'
  out[137] = 0x4c; // 'L'
  ov.setUint16(138, 4, true);
  ov.setUint32(140, metaLength, true);
  out.set(bytes.subarray(132), 144);
  return out;
}

function tagString(group: number, element: number): string {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  const t = `(${hex(group)},${hex(element)})`;
  return group === 0x7fe0 && element === 0x0010 ? `PixelData ${t}` : t;
}

/**
 * Walks the element structure of a dataset (Explicit or Implicit VR Little Endian) and checks that
 * every value fits inside the file, so that truncated files are refused instead of being read with
 * missing or zero-filled data (dcmjs and dicom-parser both accept some truncations silently).
 * @returns the position after the walked elements
 * @throws InputError naming the file and the element that runs past the end
 */
function walkElements(
  view: DataView,
  start: number,
  end: number,
  explicit: boolean,
  file: string,
  untilItemEnd: boolean,
  pixel?: { at?: PixelLocation },
): number {
  let pos = start;
  const truncated = (g: number, e: number, need: number): InputError =>
    new InputError(
      `truncated file: element ${tagString(g, e)} needs ${need} bytes at offset ${pos} but the file ends at ${end}`,
      { file, field: tagString(g, e) },
    );
  while (pos < end) {
    if (pos + 8 > end) throw truncated(0, 0, 8);
    const g = view.getUint16(pos, true);
    const e = view.getUint16(pos + 2, true);
    if (g === 0xfffe) {
      if (e === 0xe00d && untilItemEnd) return pos + 8;
      throw new InputError(`unexpected delimiter ${tagString(g, e)} at offset ${pos}: corrupt file`, {
        file,
        field: tagString(g, e),
      });
    }
    let len: number;
    let hdr: number;
    let innerExplicit = explicit;
    if (explicit) {
      const vr = String.fromCharCode(view.getUint8(pos + 4), view.getUint8(pos + 5));
      if (LONG_VRS.has(vr)) {
        if (pos + 12 > end) throw truncated(g, e, 12);
        len = view.getUint32(pos + 8, true);
        hdr = 12;
        if (vr === 'UN') innerExplicit = false;
      } else {
        len = view.getUint16(pos + 6, true);
        hdr = 8;
      }
    } else {
      len = view.getUint32(pos + 4, true);
      hdr = 8;
    }
    const tagPos = pos;
    pos += hdr;
    if (len === 0xffffffff) {
      pos = walkItems(view, pos, end, innerExplicit, file, g, e);
    } else {
      if (pos + len > end) throw truncated(g, e, len);
      if (pixel && g === 0x7fe0 && e === 0x0010) pixel.at = { tagPos, offset: pos, length: len };
      pos += len;
    }
  }
  if (untilItemEnd) {
    throw new InputError('truncated file: sequence item without its delimiter', { file });
  }
  return pos;
}

/** Walks the items of an undefined-length sequence (or encapsulated pixel data) up to (FFFE,E0DD). */
function walkItems(
  view: DataView,
  start: number,
  end: number,
  explicit: boolean,
  file: string,
  g0: number,
  e0: number,
): number {
  let pos = start;
  while (pos + 8 <= end) {
    const g = view.getUint16(pos, true);
    const e = view.getUint16(pos + 2, true);
    const len = view.getUint32(pos + 4, true);
    pos += 8;
    if (g !== 0xfffe) break;
    if (e === 0xe0dd) return pos;
    if (e !== 0xe000) break;
    if (len === 0xffffffff) pos = walkElements(view, pos, end, explicit, file, true);
    else {
      if (pos + len > end) break;
      pos += len;
    }
  }
  throw new InputError(`truncated or corrupt sequence ${tagString(g0, e0)}`, {
    file,
    field: tagString(g0, e0),
  });
}

/** The end offset of the File Meta group and its transfer syntax (meta is Explicit VR LE). */
function metaInfo(
  view: DataView,
  bytes: Uint8Array,
  file: string,
): { end: number; transferSyntaxUid: string } {
  let pos = 132;
  let ts = '';
  while (pos + 8 <= bytes.length && view.getUint16(pos, true) === 0x0002) {
    const e = view.getUint16(pos + 2, true);
    const vr = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!);
    const long = LONG_VRS.has(vr);
    const len = long ? view.getUint32(pos + 8, true) : view.getUint16(pos + 6, true);
    const hdr = long ? 12 : 8;
    if (pos + hdr + len > bytes.length) {
      throw new InputError('truncated file meta information', { file, field: tagString(2, e) });
    }
    if (e === 0x0010) {
      ts = String.fromCharCode(...bytes.subarray(pos + hdr, pos + hdr + len))
        .replace(/\0/g, '')
        .trim();
    }
    pos += hdr + len;
  }
  return { end: pos, transferSyntaxUid: ts };
}

/**
 * Inserts a missing group length and, for the Little Endian syntaxes, walks the element structure
 * (truncation check) and locates the PixelData value.
 */
function checkStructure(
  bytes: Uint8Array,
  file: string,
): { fixed: Uint8Array; transferSyntaxUid: string; walked: boolean; pixel: { at?: PixelLocation } } {
  const fixed = withMetaGroupLength(bytes, file);
  const view = new DataView(fixed.buffer, fixed.byteOffset, fixed.byteLength);
  const meta0 = metaInfo(view, fixed, file);
  const pixel: { at?: PixelLocation } = {};
  const walked = meta0.transferSyntaxUid === IMPLICIT_LE || meta0.transferSyntaxUid === EXPLICIT_LE;
  if (walked) {
    walkElements(view, meta0.end, fixed.length, meta0.transferSyntaxUid === EXPLICIT_LE, file, false, pixel);
  }
  return { fixed, transferSyntaxUid: meta0.transferSyntaxUid, walked, pixel };
}

/**
 * Parses one PET image file for series reading: like `parseDicomBytes`, but the header is read by
 * dicom-parser and only the allow-listed PET attributes are kept (fast path, see fast-header.ts).
 * Falls back to `parseDicomBytes` for transfer syntaxes the structural walk does not cover.
 * @throws InputError as `parseDicomBytes`.
 */
export function parsePetImageBytes(bytes: Uint8Array, file: string): ParsedDicom {
  const { fixed, transferSyntaxUid, walked, pixel } = checkStructure(bytes, file);
  if (!walked) return parseDicomBytes(bytes, file);
  const dataset = readPetHeaderFast(fixed, file, transferSyntaxUid === IMPLICIT_LE);
  const pixelData = pixel.at ? fixed.subarray(pixel.at.offset, pixel.at.offset + pixel.at.length) : undefined;
  return { file, transferSyntaxUid, dataset, ...(pixelData ? { pixelData } : {}) };
}

/**
 * Parses one DICOM Part-10 file held in memory.
 * @param bytes the whole file
 * @param file the path, for error messages
 * @returns the naturalised dataset and the transfer syntax
 * @throws InputError naming the file (and the tag where known) for non-DICOM, truncated or corrupt
 *   files and unsupported transfer syntaxes.
 */
export function parseDicomBytes(bytes: Uint8Array, file: string): ParsedDicom {
  const { fixed, pixel } = checkStructure(bytes, file);
  // dcmjs parses the header only (everything before PixelData, copied: a few kB); the pixel bytes
  // stay a view on the file buffer.
  const headerEnd = pixel.at ? pixel.at.tagPos : fixed.length;
  const ab = fixed.buffer.slice(fixed.byteOffset, fixed.byteOffset + headerEnd) as ArrayBuffer;
  let dict: ReturnType<typeof dcmjs.data.DicomMessage.readFile>;
  try {
    dict = dcmjs.data.DicomMessage.readFile(ab, { ignoreErrors: false });
  } catch (err) {
    throw new InputError(`cannot parse DICOM file (truncated or corrupt): ${(err as Error).message}`, {
      file,
    });
  }
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta);
  const transferSyntaxUid = typeof meta['TransferSyntaxUID'] === 'string' ? meta['TransferSyntaxUID'] : '';
  let dataset: NaturalDataset;
  try {
    dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  } catch (err) {
    throw new InputError(`cannot interpret DICOM dataset: ${(err as Error).message}`, { file });
  }
  let pixelData: Uint8Array | undefined;
  if (pixel.at) {
    pixelData = fixed.subarray(pixel.at.offset, pixel.at.offset + pixel.at.length);
  } else if (dataset['PixelData'] !== undefined) {
    if (!READABLE_SYNTAXES.has(transferSyntaxUid)) {
      throw new InputError(
        'unsupported transfer syntax (compressed or big-endian pixel data); convert the series to ' +
          'Explicit VR Little Endian first (e.g. dcmconv +te / gdcmconv --raw)',
        { file, field: 'TransferSyntaxUID (0002,0010)', value: transferSyntaxUid },
      );
    }
    const px = dataset['PixelData'];
    const firstBuf: unknown = Array.isArray(px) ? px[0] : px;
    if (!(firstBuf instanceof ArrayBuffer) || (Array.isArray(px) && px.length !== 1)) {
      throw new InputError('PixelData is encapsulated or fragmented; not supported', {
        file,
        field: 'PixelData (7FE0,0010)',
      });
    }
    pixelData = new Uint8Array(firstBuf);
  }
  delete dataset['PixelData'];
  return { file, transferSyntaxUid, dataset, ...(pixelData ? { pixelData } : {}) };
}

/**
 * Reads and parses one DICOM file (see `parseDicomBytes`): a regular file (symbolic links followed)
 * within the byte budget of src/io/files.ts.
 * @throws InputError as there, and for a device, FIFO or folder, or a file over the budget.
 */
export async function readDicomFile(file: string): Promise<ParsedDicom> {
  return parseDicomBytes(await readRegularFile(file), file);
}

/**
 * The pixel values of a parsed image as a typed array view (stored values, before rescale), after
 * checking that PixelData holds Rows × Columns × NumberOfFrames samples.
 * @throws InputError naming PixelData, BitsAllocated or SamplesPerPixel when the image cannot be read.
 */
export function storedPixels(
  parsed: ParsedDicom,
): Int16Array | Uint16Array | Int32Array | Uint32Array | Uint8Array | Int8Array | Float32Array {
  const ds = parsed.dataset;
  const file = parsed.file;
  const px = parsed.pixelData;
  if (px === undefined) {
    throw new InputError('not an image: PixelData (7FE0,0010) absent', { file, field: 'PixelData' });
  }
  const rows = Number(ds['Rows']);
  const cols = Number(ds['Columns']);
  const frames = ds['NumberOfFrames'] === undefined ? 1 : Number(ds['NumberOfFrames']);
  const bits = Number(ds['BitsAllocated']);
  const signed = Number(ds['PixelRepresentation']) === 1;
  const spp = ds['SamplesPerPixel'] === undefined ? 1 : Number(ds['SamplesPerPixel']);
  if (!(rows > 0) || !(cols > 0)) {
    throw new InputError('Rows/Columns missing or zero', { file, field: 'Rows', value: ds['Rows'] });
  }
  if (!(frames >= 1)) {
    throw new InputError('invalid NumberOfFrames', {
      file,
      field: 'NumberOfFrames',
      value: ds['NumberOfFrames'],
    });
  }
  if (spp !== 1) {
    throw new InputError('only single-sample (grey-scale) images are supported', {
      file,
      field: 'SamplesPerPixel',
      value: spp,
    });
  }
  const n = rows * cols * frames;
  const bytesPer = bits / 8;
  const needed = n * bytesPer;
  if (px.byteLength < needed) {
    throw new InputError(
      `PixelData too short (${px.byteLength} bytes, need ${needed} for ${cols}×${rows}×${frames} ` +
        `samples of ${bits} bits): truncated file`,
      { file, field: 'PixelData (7FE0,0010)' },
    );
  }
  // Typed arrays need an aligned offset: copy the (rare) misaligned case.
  const bytes = px.byteOffset % Math.max(1, bytesPer) === 0 ? px : px.slice();
  const first = bytes.buffer;
  const o = bytes.byteOffset;
  switch (bits) {
    case 8:
      return signed ? new Int8Array(first, o, n) : new Uint8Array(first, o, n);
    case 16:
      return signed ? new Int16Array(first, o, n) : new Uint16Array(first, o, n);
    case 32:
      // Float Pixel Data (7FE0,0008) is a different element; 32-bit PixelData is integer.
      return signed ? new Int32Array(first, o, n) : new Uint32Array(first, o, n);
    default:
      throw new InputError('unsupported BitsAllocated', { file, field: 'BitsAllocated', value: bits });
  }
}

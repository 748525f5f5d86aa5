/**
 * FCS HEADER and TEXT segment parsing (FCS 2.0 / 3.0 / 3.1), without file access.
 *
 * Source: FCS 3.1 specification (Spidlen et al., Cytometry A 2010;77:97), FCS 2.0 text; behaviour checked
 * against FlowIO / fcsparser test files (shared/data/flow/fcs-misc).
 */
import { InputError } from '../../errors.js';

/** Byte offsets read from the 58-byte HEADER (inclusive, relative to the data set start; 0 = absent). */
export interface FcsHeader {
  /** "FCS2.0", "FCS3.0", "FCS3.1" … */
  version: string;
  textBegin: number;
  textEnd: number;
  dataBegin: number;
  dataEnd: number;
  analysisBegin: number;
  analysisEnd: number;
}

const SUPPORTED = new Set(['FCS2.0', 'FCS3.0', 'FCS3.1', 'FCS3.2']);

/**
 * Parses the 58-byte HEADER segment.
 * @param bytes at least the first 58 bytes of the data set
 * @param file file name for error messages
 * @throws InputError when the version is not FCS 2.0–3.2 or an offset field is not a number
 */
export function parseHeader(bytes: Uint8Array, file: string): FcsHeader {
  if (bytes.length < 58) throw new InputError('file too short for an FCS HEADER (58 bytes)', { file });
  const ascii = (a: number, b: number): string => String.fromCharCode(...bytes.subarray(a, b));
  const version = ascii(0, 6);
  if (!SUPPORTED.has(version)) {
    throw new InputError('not an FCS 2.0/3.0/3.1 file (HEADER version)', {
      file,
      field: 'HEADER',
      value: version,
    });
  }
  const num = (a: number, b: number, name: string): number => {
    const s = ascii(a, b).trim();
    if (s === '') return 0;
    if (!/^\d+$/.test(s))
      throw new InputError('HEADER offset is not a number', { file, field: name, value: s });
    return Number(s);
  };
  return {
    version,
    textBegin: num(10, 18, 'TEXT begin'),
    textEnd: num(18, 26, 'TEXT end'),
    dataBegin: num(26, 34, 'DATA begin'),
    dataEnd: num(34, 42, 'DATA end'),
    analysisBegin: num(42, 50, 'ANALYSIS begin'),
    analysisEnd: num(50, 58, 'ANALYSIS end'),
  };
}

/** How a doubled delimiter inside TEXT is read. */
export type DoubledDelimiter = 'escape' | 'empty-value';

/**
 * Parses a TEXT (or supplemental TEXT / ANALYSIS) segment into keyword → value pairs, in file order.
 *
 * The first byte is the delimiter. By the FCS standard a doubled delimiter inside a keyword or value is an
 * escaped delimiter character (`/a//b/` → `a/b`); legacy FCS 2.0 writers (CellQuest) instead wrote empty values
 * as two delimiters, which `doubled = 'empty-value'` accepts (flowCore `emptyValue`). Values are decoded as
 * UTF-8 (FCS 3.1); bytes that are not valid UTF-8 are read as Latin-1 (FCS 2.0/3.0 files).
 * @param segment the segment bytes, delimiter first
 * @throws InputError when the pairs do not balance (odd number of fields)
 */
export function parseText(
  segment: Uint8Array,
  file: string,
  doubled: DoubledDelimiter = 'escape',
): { keys: string[]; values: string[] } {
  if (segment.length === 0) return { keys: [], values: [] };
  const delim = segment[0]!;
  const fields: string[] = [];
  let cur: number[] = [];
  let i = 1;
  const n = segment.length;
  while (i < n) {
    const b = segment[i]!;
    if (b === delim) {
      if (doubled === 'escape' && i + 1 < n && segment[i + 1] === delim) {
        cur.push(delim);
        i += 2;
        continue;
      }
      fields.push(decodeField(cur));
      cur = [];
      i += 1;
      continue;
    }
    cur.push(b);
    i += 1;
  }
  // A TEXT segment may end without its closing delimiter; keep the last field if it holds anything.
  if (cur.length > 0) fields.push(decodeField(cur));
  // Trailing whitespace/NUL padding after the last delimiter is not a field.
  while (fields.length % 2 === 1 && /^[\s\0]*$/.test(fields[fields.length - 1]!)) fields.pop();
  if (fields.length % 2 === 1) {
    throw new InputError('TEXT segment has an odd number of fields (unbalanced keyword/value pairs)', {
      file,
      field: 'TEXT',
      value: fields[fields.length - 1],
    });
  }
  const keys: string[] = [];
  const values: string[] = [];
  for (let k = 0; k < fields.length; k += 2) {
    keys.push(fields[k]!.trim());
    values.push(fields[k + 1]!);
  }
  return { keys, values };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function decodeField(bytes: number[]): string {
  const u = Uint8Array.from(bytes);
  try {
    return utf8.decode(u);
  } catch {
    return latin1.decode(u);
  }
}

/**
 * The one CSV grammar: a scanner over the UTF-8 bytes, used by the string reader `parseCsv`
 * (src/io/csv.ts: every column text) and the typed reader (src/io/csv-columns.ts). It finds field
 * boundaries by byte, reads plain decimals straight from the bytes into the numeric columns'
 * Float64Arrays, and decodes only the cells of text columns (and the rare cell the fast path leaves).
 * The grammar: separator one character, a quote opens a quoted section only at the start of a cell
 * ("" inside is a quote; after the closing quote the cell goes on to the separator), CR, LF or CRLF
 * ends a record, blank lines (and a line holding only "") are skipped, short rows are padded, cells
 * beyond the header are dropped (the first long row is reported), cells are trimmed.
 */
import { InputError } from '../errors.js';

/**
 * The bytes the scanner reads, with a decoder of a byte range called once per text cell: in Node a
 * Buffer, whose own `utf8Slice` (on Buffer.prototype since Node 0.x, used by toString) is called
 * directly, without toString's argument checks; in the browser (no Buffer: the web app's report tables)
 * a Uint8Array with a TextDecoder behind `utf8Slice`.
 */
export type ByteBuffer = Uint8Array & {
  utf8Slice(start: number, end: number): string;
};

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/**
 * `s.trim()`, skipping the call when neither end can be white space (the common case in a table).
 */
export function trimCell(s: string): string {
  if (s.length === 0) return s;
  const a = s.charCodeAt(0);
  const z = s.charCodeAt(s.length - 1);
  return a <= 0x20 || a >= 0x7f || z <= 0x20 || z >= 0x7f ? s.trim() : s;
}

/**
 * The bytes of `input` for the scanner: the UTF-8 bytes of a string (encoded once), or the bytes given
 * (not copied); a Buffer in Node, a Uint8Array with its own `utf8Slice` where there is no Buffer (the
 * browser). Invalid UTF-8 decodes to U+FFFD either way, and a BOM inside a cell is kept.
 */
export function utf8Bytes(input: string | Uint8Array): ByteBuffer {
  const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
  if (NodeBuffer !== undefined)
    return (
      typeof input === 'string'
        ? NodeBuffer.from(input, 'utf8')
        : NodeBuffer.from(input.buffer, input.byteOffset, input.byteLength)
    ) as Buffer & ByteBuffer; // utf8Slice: Buffer.prototype's own, not in @types/node
  const bytes = (
    typeof input === 'string'
      ? new TextEncoder().encode(input)
      : new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  ) as ByteBuffer;
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  bytes.utf8Slice = (start, end) => decoder.decode(bytes.subarray(start, end));
  return bytes;
}

/** The byte that stands for a separator of one non-ASCII character (0xFF never occurs in UTF-8). */
const WIDE_SEPARATOR = 0xff;

/**
 * The bytes the scanner reads for `input` and the separator's code there: the UTF-8 bytes after a BOM,
 * and the separator's character code when it is one ASCII character, -1 (never matching: one cell per
 * line) when it is longer. A separator of one non-ASCII character (several bytes in UTF-8) is written
 * as the byte 0xFF, and the returned buffer's `utf8Slice` writes it back in the cells it decodes.
 * @param input CSV text or its UTF-8 bytes
 */
export function scanInput(
  input: string | Uint8Array,
  separator: string,
): { bytes: ByteBuffer; sepCode: number } {
  if (separator.length !== 1 || separator.charCodeAt(0) < 0x80) {
    const whole = utf8Bytes(input);
    const bom = whole[0] === 0xef && whole[1] === 0xbb && whole[2] === 0xbf;
    const sepCode = separator.length === 1 ? separator.charCodeAt(0) : -1;
    return { bytes: bom ? utf8Bytes(whole.subarray(3)) : whole, sepCode };
  }
  let text = typeof input === 'string' ? input : utf8Bytes(input).utf8Slice(0, input.length);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const parts = text.split(separator).map((p) => utf8Bytes(p));
  const raw = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, -1)).fill(WIDE_SEPARATOR);
  let at = 0;
  for (const p of parts) {
    raw.set(p, at);
    at += p.length + 1;
  }
  // Two views of the bytes: one keeps its own decoder, the other's decoder writes the separator back.
  const plain = utf8Bytes(raw);
  const bytes = utf8Bytes(raw);
  bytes.utf8Slice = (start, end) => {
    let out = '';
    for (let s = start; ;) {
      const k = bytes.indexOf(WIDE_SEPARATOR, s);
      if (k < 0 || k >= end) return out + plain.utf8Slice(s, end);
      out += plain.utf8Slice(s, k) + separator;
      s = k + 1;
    }
  };
  return { bytes, sepCode: WIDE_SEPARATOR };
}

/** Exact powers of ten 10⁰…10²² (every one is a double). */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** 2⁵³: every integer up to it is an exact double. */
const EXACT = 9007199254740992;

/** Index after the bytes the last `decimalAt` call read. */
let decimalEnd = 0;

/**
 * `Number(text)` of the plain decimal that starts at `bytes[i]` and ends at `limit` or at the first
 * byte that is `sepCode`, CR or LF: optional sign, digits with at most one '.', optional exponent
 * `e`/`E` with sign and at most 4 digits, whose digits read as an integer m are below 2⁵³ and whose
 * power of ten after the point is moved is within ±22, or up to 10³⁷ while m·10^(e−22) stays an integer
 * below 2⁵³ (Clinger's fast path: m and the power of ten are exact doubles, so the one multiplication
 * or division rounds correctly, as Number does). NaN for anything else (spaces, hex, Inf, NA, more
 * digits, denormals, an empty cell), which the caller then reads the slow way. Sets `decimalEnd`.
 * Source: W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990, section 5.
 */
function decimalAt(bytes: Uint8Array, i: number, limit: number, sepCode: number): number {
  // Kept small enough for the compiler to inline it in the scanner; exponents go to `decimalTail`.
  let c = i < limit ? bytes[i]! : 0;
  const neg = c === 0x2d;
  if (neg || c === 0x2b) c = ++i < limit ? bytes[i]! : 0;
  const first = i;
  let dot = -1;
  let m = 0;
  for (;;) {
    if (c >= 0x30 && c <= 0x39) m = m * 10 + (c - 0x30);
    else if (c === 0x2e && dot < 0) dot = i;
    else break;
    c = ++i < limit ? bytes[i]! : 0;
  }
  const frac = dot < 0 ? 0 : i - dot - 1;
  // m grows with every digit: an exact sum reaching 2⁵³ rounds to ≥ 2⁵³ and stays there, so m
  // below 2⁵³ means every step was exact.
  if (i - first === (dot < 0 ? 0 : 1) || m >= EXACT) return NaN;
  if (i < limit && c !== sepCode && c !== CR && c !== LF) {
    return decimalTail(bytes, i, limit, sepCode, neg ? -m : m, frac);
  }
  decimalEnd = i;
  return frac === 0 ? (neg ? -m : m) : scaled(neg ? -m : m, -frac);
}

/** The exponent part of `decimalAt`'s number (at `bytes[i]`, 'e' or 'E'): its value, or NaN. */
function decimalTail(
  bytes: Uint8Array,
  i: number,
  limit: number,
  sepCode: number,
  m: number,
  frac: number,
): number {
  let c = bytes[i]!;
  if (c !== 0x65 && c !== 0x45) return NaN;
  c = ++i < limit ? bytes[i]! : 0;
  const eNeg = c === 0x2d;
  if (eNeg || c === 0x2b) c = ++i < limit ? bytes[i]! : 0;
  const start = i;
  let e = 0;
  while (c >= 0x30 && c <= 0x39) {
    e = e * 10 + (c - 0x30);
    c = ++i < limit ? bytes[i]! : 0;
  }
  if (i === start || i - start > 4) return NaN;
  if (i < limit && c !== sepCode && c !== CR && c !== LF) return NaN;
  decimalEnd = i;
  return scaled(m, (eNeg ? -e : e) - frac);
}

/** m·10^e correctly rounded for an integer |m| below 2⁵³ (Clinger's fast path), or NaN beyond it. */
function scaled(m: number, e: number): number {
  if (e === 0) return m;
  if (e > 0 && e <= 22) return m * POW10[e]!;
  if (e < 0 && e >= -22) return m / POW10[-e]!;
  if (e > 22 && e <= 37) {
    // m·10^(e−22) exact (an integer below 2⁵³), then one rounding by 10²².
    const s = m * POW10[e - 22]!;
    return s > -EXACT && s < EXACT ? s * POW10[22]! : NaN;
  }
  return NaN;
}

/**
 * `Number(text)` of the bytes `[i, end)` when they are a plain decimal that `decimalAt` reads (the
 * fast path of the scanner), else NaN. Exported for the property test against Number().
 */
export function fastDecimal(bytes: Uint8Array, i: number, end: number): number {
  const v = decimalAt(bytes, i, end, -1);
  return v === v && decimalEnd === end ? v : NaN;
}

/** Bytes `estimateRecords` samples. */
const SAMPLE = 1 << 20;

/**
 * Records to make room for from `bytes[from]` on: the line ends (LF, or CR not before LF) + 1 when the
 * file is at most 1 MiB past `from`, else those of the first MiB scaled to the whole and 5 % more (the
 * scanner grows its arrays when a file holds more).
 */
export function estimateRecords(bytes: Uint8Array, from: number): number {
  const n = bytes.length;
  const end = Math.min(n, from + SAMPLE);
  let ends = 0;
  for (let i = from; i < end; i++) {
    const c = bytes[i]!;
    if (c === LF || (c === CR && bytes[i + 1] !== LF)) ends++;
  }
  if (end === n) return ends + 1;
  return Math.ceil((((ends + 1) * (n - from)) / (end - from)) * 1.05) + 16;
}

/** Makes room for `capacity` rows (more than now) in the numeric builders; returns it. */
function grow(cols: Builder[], nrow: number, capacity: number): number {
  for (const b of cols) {
    if (!b.numeric) continue;
    const values = new Float64Array(capacity);
    values.set(b.values.subarray(0, nrow));
    b.values = values;
    if (b.missing !== null) {
      const missing = new Uint8Array(capacity);
      missing.set(b.missing.subarray(0, nrow));
      b.missing = missing;
    }
  }
  return capacity;
}

/** Slots of the decoder's cache (a power of two). */
const CACHE_SLOTS = 4096;
/** Longest cell (bytes) the decoder's cache keeps. */
const CACHE_MAX = 32;

/**
 * Text of the bytes `[start, end)` (UTF-8), trimmed. Cells of up to 32 bytes (factor levels, codes,
 * short labels) go through a cache keyed by a hash of their bytes and checked byte for byte against
 * the cell first seen in the slot, so a column of repeated labels holds a few strings, not one per row,
 * and decodes each label once.
 */
export function cellDecoder(bytes: ByteBuffer): (start: number, end: number) => string {
  const at = new Int32Array(CACHE_SLOTS).fill(-1);
  const len = new Int32Array(CACHE_SLOTS);
  const text = new Array<string>(CACHE_SLOTS).fill('');
  return (start, end) => {
    const n = end - start;
    if (n > CACHE_MAX) return trimCell(bytes.utf8Slice(start, end));
    let h = n;
    for (let k = start; k < end; k++) h = (Math.imul(h, 31) + bytes[k]!) | 0;
    const slot = (h ^ (h >>> 12)) & (CACHE_SLOTS - 1);
    const p = at[slot]!;
    if (p >= 0 && len[slot] === n) {
      let k = 0;
      while (k < n && bytes[p + k] === bytes[start + k]) k++;
      if (k === n) return text[slot]!;
    }
    const s = trimCell(bytes.utf8Slice(start, end));
    at[slot] = start;
    len[slot] = n;
    text[slot] = s;
    return s;
  };
}

/**
 * The quoted cell that starts at `bytes[start]` (a quote), as `parseCsv` reads it: "" is a quote;
 * after the closing quote the cell goes on, as written, to the separator or line end (a quote there
 * re-opens quoting only when nothing was read yet). Returns the cell, the index after it and the line
 * ends inside quotes; `closed` is false when the last quote is never closed.
 */
export function readQuoted(
  bytes: ByteBuffer,
  start: number,
  sepCode: number,
): { value: string; end: number; lineEnds: number; closed: boolean } {
  const n = bytes.length;
  let field = '';
  let inQuotes = true;
  let lineEnds = 0;
  let i = start + 1;
  while (i < n) {
    let c = bytes[i]!;
    if (inQuotes) {
      const q = bytes.indexOf(QUOTE, i);
      const end = q < 0 ? n : q;
      for (let k = i; k < end; k++) if (bytes[k] === LF) lineEnds++;
      field += bytes.utf8Slice(i, end);
      i = end;
      if (q < 0) break;
      if (bytes[q + 1] === QUOTE) {
        field += '"';
        i = q + 2;
      } else {
        inQuotes = false;
        i = q + 1;
      }
      continue;
    }
    if (c === QUOTE && field.length === 0) {
      inQuotes = true;
      i++;
      continue;
    }
    if (c === sepCode || c === CR || c === LF) break;
    // This byte (a quote too) and what follows up to the next quote, separator or line end.
    const from = i;
    while (++i < n && (c = bytes[i]!) !== QUOTE && c !== sepCode && c !== CR && c !== LF);
    field += bytes.utf8Slice(from, i);
  }
  return { value: field, end: i, lineEnds, closed: !inQuotes };
}

/** The quoted cell at `i` (see `readQuoted`); InputError naming the file when it is never closed. */
function quotedCell(bytes: ByteBuffer, i: number, sepCode: number, line: number, file: string) {
  const q = readQuoted(bytes, i, sepCode);
  if (!q.closed) {
    throw new InputError(`unterminated quoted field starting before line ${line + q.lineEnds}`, { file });
  }
  return q;
}

/**
 * The header record: the first record that is not blank (one empty cell), its cells as written
 * (untrimmed), the index after it and the line count so far; cells null for a file without one.
 * @throws InputError on an unterminated quote
 */
export function readHeader(
  bytes: ByteBuffer,
  sepCode: number,
  file: string,
): { cells: string[] | null; next: number; line: number } {
  const n = bytes.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const rec: string[] = [];
    for (;;) {
      let c = bytes[i]!;
      if (c === QUOTE) {
        const q = quotedCell(bytes, i, sepCode, line, file);
        line += q.lineEnds;
        i = q.end;
        rec.push(q.value);
      } else {
        const start = i;
        while (i < n && (c = bytes[i]!) !== sepCode && c !== CR && c !== LF) i++;
        rec.push(bytes.utf8Slice(start, i));
      }
      if (i >= n) break;
      c = bytes[i++]!;
      if (c === sepCode) {
        if (i < n) continue;
        rec.push(''); // a separator at the very end: one more (empty) cell
        break;
      }
      if (c === CR && bytes[i] === LF) i++;
      line++;
      break;
    }
    if (rec.length !== 1 || rec[0] !== '') return { cells: rec, next: i, line };
  }
  return { cells: null, next: n, line };
}

/** A column while the bytes are scanned. */
export interface Builder {
  numeric: boolean;
  values: Float64Array;
  missing: Uint8Array | null;
  text: string[];
  /** Row at which a numeric column met its first non-number (its earlier cells are re-read as text). */
  textFrom: number;
}

/**
 * Stores the trimmed cell `t` in row `row` of column `b`: text as is; in a numeric column '' and 'NA'
 * are missing and numbers are read by R's rule (`cellNumber`); the first non-number makes the column
 * text from that row on (the caller re-reads the rows before).
 */
function storeCell(
  b: Builder,
  t: string,
  row: number,
  capacity: number,
  cellNumber: (t: string) => number | null,
): void {
  if (!b.numeric) {
    b.text.push(t);
    return;
  }
  if (t === '' || t === 'NA') {
    b.missing ??= new Uint8Array(capacity);
    b.missing[row] = 1;
    b.values[row] = NaN;
    return;
  }
  const v = cellNumber(t);
  if (v !== null) {
    b.values[row] = v;
    return;
  }
  b.numeric = false;
  b.textFrom = row;
  b.values = new Float64Array(0);
  b.missing = null;
  for (let r = 0; r < row; r++) b.text.push('');
  b.text.push(t);
}

/** Bytes that can be part of a plain decimal: a separator among them is found before numbers are read. */
const NUMBER_BYTES = [...'0123456789+-.eE'].map((ch) => ch.charCodeAt(0));

/** What `scanRecords` needs besides the bytes. */
export interface ScanContext {
  sepCode: number;
  file: string;
  /** Rows the builders' arrays hold (more are made room for as needed). */
  capacity: number;
  /** A trimmed non-missing cell as a number by R's rule, or null (src/io/csv-columns.ts). */
  cellNumber: (t: string) => number | null;
}

/**
 * Reads the data records from `bytes[start]` (after the header; `line` lines so far) into `cols`
 * (one builder per header name): blank lines skipped, short rows padded with missing cells, cells
 * beyond the header dropped (the first long row is returned for the header check).
 * @throws InputError on an unterminated quote (naming the file and the line)
 */
export function scanRecords(
  bytes: ByteBuffer,
  start: number,
  line: number,
  cols: Builder[],
  ctx: ScanContext,
): { nrow: number; firstLong: { row: number; length: number } | null } {
  // The builders' arrays hold ctx.capacity rows; grown by half when a file holds more.
  const { sepCode, file, cellNumber } = ctx;
  let capacity = ctx.capacity;
  const decode = cellDecoder(bytes);
  const n = bytes.length;
  const width = cols.length;
  // Numbers are read while the cell is scanned unless the separator can be part of a number.
  const inline = !NUMBER_BYTES.includes(sepCode);
  let nrow = 0;
  let firstLong: { row: number; length: number } | null = null;
  let i = start;
  records: while (i < n) {
    let c = bytes[i]!;
    if (c === CR || c === LF) {
      // A blank line.
      i += c === CR && bytes[i + 1] === LF ? 2 : 1;
      line++;
      continue;
    }
    if (nrow === capacity) capacity = grow(cols, nrow, Math.ceil(capacity * 1.5) + 16);
    let col = 0;
    for (;;) {
      if (c === QUOTE) {
        const q = quotedCell(bytes, i, sepCode, line, file);
        line += q.lineEnds;
        i = q.end;
        if (col === 0 && q.value === '' && (i >= n || bytes[i] === CR || bytes[i] === LF)) {
          // A line holding only "" is blank too.
          if (i < n && bytes[i++] === CR && bytes[i] === LF) i++;
          line++;
          continue records;
        }
        if (col < width) storeCell(cols[col]!, trimCell(q.value), nrow, capacity, cellNumber);
      } else {
        const b = col < width ? cols[col]! : null;
        const v = b !== null && b.numeric && inline ? decimalAt(bytes, i, n, sepCode) : NaN;
        if (v === v) {
          b!.values[nrow] = v;
          i = decimalEnd;
        } else {
          const s = i;
          while (c !== sepCode && c !== CR && c !== LF && ++i < n) c = bytes[i]!;
          if (b !== null && !b.numeric) b.text.push(decode(s, i));
          else if (b !== null) {
            const w = inline ? NaN : fastDecimal(bytes, s, i);
            if (w === w) b.values[nrow] = w;
            else storeCell(b, decode(s, i), nrow, capacity, cellNumber);
          }
        }
      }
      col++;
      if (i >= n) break;
      c = bytes[i++]!;
      if (c === sepCode) {
        if (i < n) {
          c = bytes[i]!;
          continue;
        }
        // A separator at the very end: one more (empty) cell.
        if (col < width) storeCell(cols[col]!, '', nrow, capacity, cellNumber);
        col++;
        break;
      }
      if (c === CR && bytes[i] === LF) i++;
      line++;
      break;
    }
    for (let k = col; k < width; k++) storeCell(cols[k]!, '', nrow, capacity, cellNumber);
    nrow++;
    if (col > width && firstLong === null) firstLong = { row: nrow, length: col };
  }
  return { nrow, firstLong };
}

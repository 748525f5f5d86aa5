/**
 * Typed CSV reading for analysis tables: one pass over the text that puts every numeric column
 * straight into a Float64Array (numbers parsed from the characters, no cell strings) and keeps the
 * other columns as trimmed strings. Column typing is R's `read.csv` / `type.convert` rule as
 * `src/stats/data-frame.ts` applies it: a column is numeric when every non-missing cell is a number
 * (decimal, exponent, hex, Inf, NaN); '' and 'NA' are missing. The grammar (quotes, blank lines,
 * short and long rows, header checks and their errors) is `parseCsv`'s, cell for cell.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { checkedHeader, csvColumnCells, parseCsv, trimCell, type CsvTable } from './csv.js';

/** One column of a typed table: numbers (NaN where `missing[i]` is 1) or trimmed cell strings. */
export type CsvColumn =
  { kind: 'number'; values: Float64Array; missing: Uint8Array | null } | { kind: 'text'; values: string[] };

/** A typed table: header names, one typed column per name, row count. */
export interface CsvColumns {
  /** Path the table was read from (for error messages). */
  file: string;
  columns: string[];
  data: CsvColumn[];
  nrow: number;
  /**
   * The same table as `parseCsv` gives it (cells as strings), parsed again on demand: for error
   * messages that quote a cell as written, and for callers that need the text of a numeric column.
   */
  strings(): CsvTable;
}

/** Options of `parseCsvColumns` / `readCsvColumns`. */
export interface CsvColumnsOptions {
  /** Columns kept as text even when every cell is a number (labels, factors: '1.0' stays '1.0'). */
  text?: readonly string[];
}

/** True for the cell strings that R's read.csv reads as NA (empty and "NA"). */
export function isMissingText(s: string): boolean {
  const t = s.trim();
  return t === '' || t === 'NA';
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX = /^[+-]?0[xX][0-9a-fA-F]+$/;

/** Parses a number the way R's type.convert accepts it (decimal, exponent, Inf, NaN); null if not numeric. */
export function parseNumberText(s: string): number | null {
  const t = s.trim();
  if (t === 'Inf' || t === '+Inf') return Infinity;
  if (t === '-Inf') return -Infinity;
  if (t === 'NaN') return NaN;
  if (!DECIMAL.test(t) && !HEX.test(t)) return null;
  return Number(t);
}

/** True when `t` matches `DECIMAL` (scanned by character codes: no RegExp on the hot path). */
function isDecimalText(t: string): boolean {
  const n = t.length;
  let i = 0;
  let c = t.charCodeAt(0);
  if (c === 0x2b || c === 0x2d) c = t.charCodeAt(++i);
  let digits = 0;
  while (c >= 0x30 && c <= 0x39) {
    digits++;
    c = t.charCodeAt(++i);
  }
  if (c === 0x2e) {
    c = t.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39) {
      digits++;
      c = t.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (c === 0x65 || c === 0x45) {
    c = t.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = t.charCodeAt(++i);
    const start = i;
    while (c >= 0x30 && c <= 0x39) c = t.charCodeAt(++i);
    if (i === start) return false;
  }
  return i === n;
}

/**
 * A trimmed, non-missing cell as a number by R's type.convert rule (see `parseNumberText`), or null
 * when it is not a number. The common case (a decimal) skips the RegExps.
 */
export function cellNumber(t: string): number | null {
  return isDecimalText(t) ? Number(t) : parseNumberText(t);
}

/** Exact powers of ten 10⁰…10²² (every one is a double). */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * `Number(cell)` for the bytes `[i, end)` when they are a plain decimal of at most 15 digits whose
 * exponent after scaling is within ±22 (Clinger's fast path: the digits and the power of ten are exact
 * doubles, so one multiplication or division rounds correctly, as Number does); NaN for anything else
 * (spaces, hex, Inf, NA, more digits, an empty cell), which the caller then reads the slow way.
 */
function fastDecimal(bytes: Uint8Array, i: number, end: number): number {
  let c = bytes[i]!;
  let neg = false;
  if (c === 0x2d) {
    neg = true;
    i++;
  } else if (c === 0x2b) i++;
  let m = 0;
  let digits = 0;
  let frac = 0;
  while (i < end && (c = bytes[i]!) >= 0x30 && c <= 0x39) {
    m = m * 10 + (c - 0x30);
    digits++;
    i++;
  }
  if (i < end && c === 0x2e) {
    i++;
    while (i < end && (c = bytes[i]!) >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      digits++;
      frac++;
      i++;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  let e = 0;
  if (i < end) {
    if (c !== 0x65 && c !== 0x45) return NaN;
    c = bytes[++i]!;
    const eNeg = c === 0x2d;
    if (c === 0x2d || c === 0x2b) i++;
    const start = i;
    while (i < end && (c = bytes[i]!) >= 0x30 && c <= 0x39) {
      e = e * 10 + (c - 0x30);
      i++;
    }
    if (i !== end || i === start || i - start > 4) return NaN;
    if (eNeg) e = -e;
  }
  e -= frac;
  let v: number;
  if (e === 0) v = m;
  else if (e > 0 && e <= 22) v = m * POW10[e]!;
  else if (e < 0 && e >= -22) v = m / POW10[-e]!;
  else return NaN;
  return neg ? -v : v;
}

/**
 * A Buffer with Node's own slice decoders (on Buffer.prototype since Node 0.x, used by toString):
 * called directly, without toString's argument checks, once per text cell.
 */
type ByteBuffer = Buffer & {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
};

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** Upper bound of the records: line ends + 1 (quoted line ends and blank lines only lower it). */
function recordBound(bytes: ByteBuffer): number {
  let lf = 0;
  for (let p = bytes.indexOf(LF); p >= 0; p = bytes.indexOf(LF, p + 1)) lf++;
  let cr = 0;
  for (let p = bytes.indexOf(CR); p >= 0; p = bytes.indexOf(CR, p + 1)) cr++;
  return Math.max(lf, cr) + 1;
}

/**
 * Text of the bytes `[start, end)` (UTF-8). Cells of up to 5 ASCII bytes (factor levels, codes) come
 * from a cache keyed by their bytes, so a column of repeated labels holds a few strings, not one per row.
 */
function cellDecoder(bytes: ByteBuffer): (start: number, end: number) => string {
  const cache = new Map<number, string>();
  return (start, end) => {
    const len = end - start;
    if (len <= 5) {
      let key = len;
      let ascii = true;
      for (let k = start; k < end; k++) {
        const b = bytes[k]!;
        if (b >= 0x80) ascii = false;
        key = key * 256 + b;
      }
      if (ascii) {
        let s = cache.get(key);
        if (s === undefined) {
          s = bytes.latin1Slice(start, end);
          cache.set(key, s);
        }
        return s;
      }
    }
    return bytes.utf8Slice(start, end);
  };
}

/**
 * The quoted cell that starts at `bytes[start]` (a quote), as `parseCsv` reads it: "" is a quote;
 * after the closing quote the cell goes on, as written, to the separator or line end (a quote there
 * re-opens quoting only when nothing was read yet). Returns the cell, the index after it and the line
 * ends inside quotes; `closed` is false when the last quote is never closed.
 */
function readQuoted(
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

/** Column builders while the bytes are scanned. */
interface Builder {
  numeric: boolean;
  values: Float64Array;
  missing: Uint8Array | null;
  text: string[];
  /** Row at which a numeric column met its first non-number (its earlier cells are re-read as text). */
  textFrom: number;
}

/**
 * Parses CSV into typed columns (see the file comment): one pass over the UTF-8 bytes; numeric cells
 * are read from the bytes, text cells decoded one by one. Same grammar, errors and trimming as
 * `parseCsv` (src/io/csv.ts), and the same types and values as `dataFrameFromCsv(parseCsv(text))`.
 * @param input the CSV text or its UTF-8 bytes (a BOM is skipped); @param file path for error messages
 * @param separator one character (default ','); @param sepOption option that sets it, named in hints
 * @param opts.text columns kept as text whatever their cells
 * @throws InputError as parseCsv (unterminated quote, long row, empty or duplicate header name, a
 *   header that is one column holding another separator)
 */
export function parseCsvColumns(
  input: string | Uint8Array,
  file = '<csv>',
  separator = ',',
  sepOption?: string,
  opts: CsvColumnsOptions = {},
): CsvColumns {
  const strings = lazyStrings(() => input, file, separator, sepOption);
  return scanColumns(toBuffer(input), file, separator, sepOption, opts, strings);
}

/** A Buffer over `input` (UTF-8 bytes of a string). */
function toBuffer(input: string | Uint8Array): ByteBuffer {
  return (
    typeof input === 'string'
      ? Buffer.from(input, 'utf8')
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  ) as ByteBuffer;
}

/** `parseCsv` of what `load` gives, parsed on the first call only. */
function lazyStrings(
  load: () => string | Uint8Array,
  file: string,
  separator: string,
  sepOption: string | undefined,
): () => CsvTable {
  let table: CsvTable | undefined;
  return () => {
    if (table === undefined) {
      const text = load();
      table = parseCsv(
        typeof text === 'string' ? text : toBuffer(text).toString('utf8'),
        file,
        separator,
        sepOption,
      );
    }
    return table;
  };
}

/** The scan of `parseCsvColumns` over the bytes `whole`; `strings` gives the string table. */
function scanColumns(
  whole: ByteBuffer,
  file: string,
  separator: string,
  sepOption: string | undefined,
  opts: CsvColumnsOptions,
  strings: () => CsvTable,
): CsvColumns {
  if (separator.length === 1 && separator.charCodeAt(0) >= 0x80) {
    // A separator that is not one byte: type the string parser's cells.
    return { ...csvColumnsFromTable(strings(), opts), strings };
  }
  const bom = whole[0] === 0xef && whole[1] === 0xbb && whole[2] === 0xbf;
  const bytes = (bom ? whole.subarray(3) : whole) as ByteBuffer;
  const sepCode = separator.length === 1 ? separator.charCodeAt(0) : -1;
  const n = bytes.length;
  const capacity = recordBound(bytes);
  const decode = cellDecoder(bytes);
  const keepText = new Set(opts.text ?? []);
  let header: string[] | null = null;
  let width = 0;
  let cols: Builder[] = [];
  let nrow = 0;
  let firstLong: { row: number; length: number } | null = null;
  const rec: string[] = [];
  let col = 0;
  let firstEmpty = false;
  let line = 1;

  /** Stores the trimmed cell `t` (a string) in column `c` of row `nrow`. */
  const storeText = (c: number, t: string): void => {
    const b = cols[c]!;
    if (!b.numeric) {
      b.text.push(t);
      return;
    }
    if (t === '' || t === 'NA') {
      b.missing ??= new Uint8Array(capacity);
      b.missing[nrow] = 1;
      b.values[nrow] = NaN;
      return;
    }
    const v = cellNumber(t);
    if (v !== null) {
      b.values[nrow] = v;
      return;
    }
    // The first non-number: the column is text from here; rows before are re-read at the end.
    b.numeric = false;
    b.textFrom = nrow;
    b.values = new Float64Array(0);
    b.missing = null;
    for (let r = 0; r < nrow; r++) b.text.push('');
    b.text.push(t);
  };
  const endRecord = (): void => {
    if (col === 1 && (header === null ? rec[0] === '' : firstEmpty)) {
      // A blank line: undo its one (empty) cell.
      if (header !== null && width > 0) {
        const b = cols[0]!;
        if (!b.numeric) b.text.pop();
        else if (b.missing) b.missing[nrow] = 0;
      }
    } else if (header === null) {
      header = rec.slice();
      width = header.length;
      cols = header.map((h) => {
        const numeric = !keepText.has(h.trim());
        return {
          numeric,
          values: new Float64Array(numeric ? capacity : 0),
          missing: null,
          text: [],
          textFrom: numeric ? -1 : 0,
        };
      });
    } else {
      for (let c = col; c < width; c++) storeText(c, '');
      nrow++;
      if (col > width && firstLong === null) firstLong = { row: nrow, length: col };
    }
    rec.length = 0;
    col = 0;
  };
  let i = 0;
  while (i < n) {
    let c = bytes[i]!;
    let value: string | null = null;
    if (c === QUOTE) {
      const q = readQuoted(bytes, i, sepCode);
      line += q.lineEnds;
      if (!q.closed) throw new InputError(`unterminated quoted field starting before line ${line}`, { file });
      i = q.end;
      value = q.value;
    } else {
      const start = i;
      while (c !== sepCode && c !== CR && c !== LF && ++i < n) c = bytes[i]!;
      if (header === null) value = bytes.utf8Slice(start, i);
      else {
        if (col === 0) firstEmpty = start === i;
        if (col < width) {
          const b = cols[col]!;
          const v = b.numeric ? fastDecimal(bytes, start, i) : NaN;
          if (v === v) b.values[nrow] = v;
          else storeText(col, trimCell(decode(start, i)));
        }
      }
    }
    if (value !== null) {
      if (header === null) rec.push(value);
      else {
        if (col === 0) firstEmpty = value === '';
        if (col < width) storeText(col, trimCell(value));
      }
    }
    col++;
    if (i >= n) break;
    c = bytes[i]!;
    i++;
    if (c === sepCode) {
      if (i >= n) {
        // A separator at the very end: one more (empty) cell.
        if (header === null) rec.push('');
        else if (col < width) storeText(col, '');
        col++;
      }
      continue;
    }
    if (c === CR && bytes[i] === LF) i++;
    line++;
    endRecord();
  }
  if (col > 0) endRecord();
  const columns = checkedHeader(header, firstLong, file, separator, sepOption);
  if (cols.some((b) => b.textFrom > 0)) {
    // Columns that turned out text after numeric rows: their first cells as written.
    const cells = csvColumnCells(strings())!;
    cols.forEach((b, c) => {
      if (b.textFrom > 0) b.text = cells[c]!.slice();
    });
  }
  const data: CsvColumn[] = cols.map((b) =>
    b.numeric
      ? {
          kind: 'number',
          values: b.values.subarray(0, nrow),
          missing: b.missing ? b.missing.subarray(0, nrow) : null,
        }
      : { kind: 'text', values: b.text },
  );
  return { file, columns, data, nrow, strings };
}

/** Reads a CSV file into typed columns (see `parseCsvColumns`); a missing file is an InputError naming it. */
export function readCsvColumns(
  file: string,
  separator = ',',
  sepOption?: string,
  opts: CsvColumnsOptions = {},
): CsvColumns {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read CSV file: ${(e as Error).message}`, { file });
  }
  // strings() reads the file again rather than keep its bytes alive.
  const strings = lazyStrings(() => readFileSync(file), file, separator, sepOption);
  return scanColumns(toBuffer(bytes), file, separator, sepOption, opts, strings);
}

/**
 * The typed columns of a string table (`parseCsv` output, or records a caller built or edited): the
 * same typing rules as `parseCsvColumns`, on `table.rows` (or the parser's column cells when the rows
 * were never read). `strings()` gives `table` itself.
 */
export function csvColumnsFromTable(table: CsvTable, opts: CsvColumnsOptions = {}): CsvColumns {
  const keepText = new Set(opts.text ?? []);
  const cells = csvColumnCells(table);
  const nrow = cells ? (cells[0]?.length ?? 0) : table.rows.length;
  const data = table.columns.map((name, c): CsvColumn => {
    const raw = cells ? cells[c]! : table.rows.map((r) => trimCell(r[name] ?? ''));
    if (!keepText.has(name)) {
      const values = new Float64Array(nrow);
      let missing: Uint8Array | null = null;
      let numeric = true;
      for (let r = 0; r < nrow && numeric; r++) {
        const t = raw[r]!;
        if (t === '' || t === 'NA') {
          missing ??= new Uint8Array(nrow);
          missing[r] = 1;
          values[r] = NaN;
        } else {
          const v = cellNumber(t);
          if (v === null) numeric = false;
          else values[r] = v;
        }
      }
      if (numeric) return { kind: 'number', values, missing };
    }
    return { kind: 'text', values: raw.slice() };
  });
  return { file: table.file, columns: [...table.columns], data, nrow, strings: () => table };
}

/**
 * The cells of column `name` as trimmed strings, as written in the file ('' and 'NA' kept): a text
 * column's own values, else (a numeric column) from `strings()`, which parses the text again.
 * @throws InputError naming the file and column when there is no such column
 */
export function columnText(table: CsvColumns, name: string): string[] {
  const c = table.columns.indexOf(name);
  if (c < 0) throw new InputError('no such column in the data', { file: table.file, field: name });
  const column = table.data[c]!;
  if (column.kind === 'text') return column.values;
  const strings = table.strings();
  const cells = csvColumnCells(strings);
  return cells ? cells[c]!.slice() : strings.rows.map((r) => trimCell(r[name] ?? ''));
}

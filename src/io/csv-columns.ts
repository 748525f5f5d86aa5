/**
 * Typed CSV reading for analysis tables: one pass over the UTF-8 bytes (src/io/csv-bytes.ts) that puts
 * every numeric column straight into a Float64Array (numbers parsed from the bytes, no cell strings)
 * and keeps the other columns as trimmed strings. Column typing is R's `read.csv` / `type.convert` rule as
 * `src/stats/data-frame.ts` applies it: a column is numeric when every non-missing cell is a number
 * (decimal, exponent, hex, Inf, NaN); '' and 'NA' are missing. The grammar (quotes, blank lines,
 * short and long rows, header checks and their errors) is the byte scanner's (src/io/csv-bytes.ts), as
 * `parseCsv` reads it, cell for cell.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { checkedHeader, csvColumnCells, parseCsv, type CsvTable } from './csv.js';
import { estimateRecords, readHeader, scanInput, scanRecords, trimCell, type Builder } from './csv-bytes.js';

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
  return scanColumns(input, file, separator, sepOption, opts, strings);
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
    table ??= parseCsv(load(), file, separator, sepOption);
    return table;
  };
}

/** The scan of `parseCsvColumns` over `input` (text or UTF-8 bytes); `strings` gives the string table. */
function scanColumns(
  input: string | Uint8Array,
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
  const { bytes, sepCode } = scanInput(input, separator);
  const head = readHeader(bytes, sepCode, file);
  let nrow = 0;
  let firstLong: { row: number; length: number } | null = null;
  let cols: Builder[] = [];
  if (head.cells !== null) {
    const capacity = estimateRecords(bytes, head.next);
    const keepText = new Set(opts.text ?? []);
    cols = head.cells.map((h) => {
      const numeric = !keepText.has(h.trim());
      return {
        numeric,
        values: new Float64Array(numeric ? capacity : 0),
        missing: null,
        text: [],
        textFrom: numeric ? -1 : 0,
      };
    });
    ({ nrow, firstLong } = scanRecords(bytes, head.next, head.line, cols, {
      sepCode,
      file,
      capacity,
      cellNumber,
    }));
  }
  const columns = checkedHeader(head.cells, firstLong, file, separator, sepOption);
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
  return scanColumns(bytes, file, separator, sepOption, opts, strings);
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

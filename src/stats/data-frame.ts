/**
 * A minimal column-oriented data frame for model fitting (the analogue of an R data.frame after
 * `read.csv`). Cells are numbers, strings or null (missing). No I/O: callers parse files in src/io.
 *
 * Missing cells are '' and 'NA' in every column. Note one difference from R: read.csv keeps an empty
 * cell of a character column as the string "" (a factor level of its own); here it is missing, which is
 * what an empty cell means in our tables. Golden files are therefore written with na = "NA".
 */
import { csvColumnCells, trimCell, type CsvTable } from '../io/csv.js';
import { InputError } from '../errors.js';

/** One cell: a number (numeric column), a string (categorical column) or null (missing, R's NA). */
export type Cell = number | string | null;

/** Column-oriented table: `data[name][i]` is row i of column `name`; every column has `nrow` cells. */
export interface DataFrame {
  columns: string[];
  data: Record<string, Cell[]>;
  nrow: number;
}

/** Column type override: 'numeric' parses every cell as a number, 'factor' keeps strings. */
export type ColumnType = 'numeric' | 'factor';

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
 * The cells as numbers (null for missing), or null as soon as one non-missing cell is not a number.
 * Same rules as `isMissingText` and `parseNumberText`, with the common case (a trimmed decimal) first.
 * An all-missing column is logical NA in R; it is numeric here (every value missing).
 */
function numericCells(raw: readonly string[]): Cell[] | null {
  const out = new Array<Cell>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const t = trimCell(raw[i]!);
    if (t === '' || t === 'NA') {
      out[i] = null;
    } else if (isDecimalText(t)) {
      out[i] = Number(t);
    } else {
      const v = parseNumberText(t);
      if (v === null) return null;
      out[i] = v;
    }
  }
  return out;
}

/**
 * Builds a DataFrame from a parsed CSV table. A column is numeric when every non-missing cell parses as
 * a number (R's read.csv/type.convert rule); otherwise it is a factor (strings, trimmed). Missing cells
 * ('' or 'NA') become null.
 * @param table parsed CSV (src/io/csv.ts)
 * @param opts.types per-column override; 'numeric' on a column with a non-number cell throws
 * @throws InputError naming file, row and column for an override that cannot be honoured or an unknown column
 */
export function dataFrameFromCsv(
  table: CsvTable,
  opts: { types?: Record<string, ColumnType> } = {},
): DataFrame {
  const types = opts.types ?? {};
  for (const name of Object.keys(types)) {
    if (!table.columns.includes(name)) {
      throw new InputError(`type override names a column not in the table`, {
        file: table.file,
        field: name,
      });
    }
  }
  const cells = csvColumnCells(table);
  const nrow = cells ? (cells[0]?.length ?? 0) : table.rows.length;
  const data: Record<string, Cell[]> = {};
  table.columns.forEach((col, c) => {
    const raw = cells ? cells[c]! : table.rows.map((r) => r[col] ?? '');
    const forced = types[col];
    // One pass: numbers while every cell parses (R's type.convert), else the column is a factor.
    const values = forced === 'factor' ? null : numericCells(raw);
    if (values !== null) {
      data[col] = values;
    } else if (forced === 'numeric') {
      const i = raw.findIndex((s) => !isMissingText(s) && parseNumberText(s) === null);
      throw new InputError('column declared numeric holds a non-number', {
        file: table.file,
        row: i + 1,
        field: col,
        value: raw[i],
      });
    } else {
      data[col] = raw.map((s) => (isMissingText(s) ? null : s.trim()));
    }
  });
  return { columns: [...table.columns], data, nrow };
}

/**
 * Builds a DataFrame from an array of records (e.g. rows produced in code). Column order is the order
 * of first appearance of keys; undefined, null and NaN become null (missing). Numbers stay numbers,
 * strings stay strings; booleans become the strings 'TRUE'/'FALSE' (a factor).
 * @throws InputError when a column mixes numbers and strings
 */
export function dataFrameFromRecords(
  rows: Record<string, number | string | boolean | null | undefined>[],
): DataFrame {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  }
  const data: Record<string, Cell[]> = {};
  for (const c of columns) {
    let kind: 'number' | 'string' | null = null;
    data[c] = rows.map((r, i) => {
      const v = r[c];
      if (v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v))) return null;
      const cell: Cell = typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : v;
      const k = typeof cell === 'number' ? 'number' : 'string';
      if (kind !== null && kind !== k) {
        throw new InputError('column mixes numbers and strings', { row: i + 1, field: c, value: v });
      }
      kind = k;
      return cell;
    });
  }
  return { columns, data, nrow: rows.length };
}

/** True when every non-missing cell of the column is a number. Throws InputError for an unknown column. */
export function isNumericColumn(df: DataFrame, name: string): boolean {
  const col = df.data[name];
  if (col === undefined) throw new InputError('no such column in the data', { field: name });
  return col.every((v) => v === null || typeof v === 'number');
}

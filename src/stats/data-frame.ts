/**
 * A minimal column-oriented data frame for model fitting (the analogue of an R data.frame after
 * `read.csv`). Cells are numbers, strings or null (missing). No I/O: callers parse files in src/io.
 *
 * Missing cells are '' and 'NA' in every column. Note one difference from R: read.csv keeps an empty
 * cell of a character column as the string "" (a factor level of its own); here it is missing, which is
 * what an empty cell means in our tables. Golden files are therefore written with na = "NA".
 */
import type { CsvTable } from '../io/csv.js';
import {
  columnText,
  csvColumnsFromTable,
  isMissingText,
  parseNumberText,
  type CsvColumns,
} from '../io/csv-columns.js';
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

// The cell rules live with the typed CSV reader; exported here too for the analysis code.
export { isMissingText, parseNumberText };

/**
 * Builds a DataFrame from a parsed CSV table. A column is numeric when every non-missing cell parses as
 * a number (R's read.csv/type.convert rule); otherwise it is a factor (strings, trimmed). Missing cells
 * ('' or 'NA') become null.
 * @param table parsed CSV: string cells (`parseCsv`, src/io/csv.ts) or typed columns (`readCsvColumns`,
 *   src/io/csv-columns.ts; read them with `text` naming the factor overrides to skip a second parse)
 * @param opts.types per-column override; 'numeric' on a column with a non-number cell throws
 * @throws InputError naming file, row and column for an override that cannot be honoured or an unknown column
 */
export function dataFrameFromCsv(
  table: CsvTable | CsvColumns,
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
  const factors = Object.keys(types).filter((k) => types[k] === 'factor');
  const typed = 'strings' in table ? table : csvColumnsFromTable(table, { text: factors });
  const data: Record<string, Cell[]> = {};
  typed.columns.forEach((col, c) => {
    const column = typed.data[c]!;
    const forced = types[col];
    if (column.kind === 'number' && forced !== 'factor') {
      const { values, missing } = column;
      const out = new Array<Cell>(values.length);
      for (let i = 0; i < values.length; i++)
        out[i] = missing !== null && missing[i] === 1 ? null : values[i]!;
      data[col] = out;
      return;
    }
    // Text: a factor (or an override that cannot be honoured).
    const raw = columnText(typed, col);
    if (forced === 'numeric') {
      const i = raw.findIndex((s) => !isMissingText(s) && parseNumberText(s) === null);
      throw new InputError('column declared numeric holds a non-number', {
        file: typed.file,
        row: i + 1,
        field: col,
        value: raw[i],
      });
    }
    data[col] = raw.map((s) => (isMissingText(s) ? null : s.trim()));
  });
  return { columns: [...typed.columns], data, nrow: typed.nrow };
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

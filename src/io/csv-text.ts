/**
 * CSV text to string tables and back (RFC 4180: comma separator, double-quote quoting with "" escapes,
 * CRLF or LF line ends, optional UTF-8 BOM), without file access: no Node API, so the web app imports
 * it (its report tables, web/src/pages/Study.tsx); src/io/csv.ts adds reading files and re-exports it.
 * Cells are returned as strings; typing is the caller's job (the bundle schema, or
 * `src/stats/data-frame.ts` for analysis tables; the typed reader src/io/csv-columns.ts).
 * The grammar has one home, the byte scanner of src/io/csv-bytes.ts; this module keeps the string
 * table, the header checks both readers apply and CSV output.
 */
import { InputError } from '../errors.js';
import { readHeader, scanInput, scanRecords, type Builder } from './csv-bytes.js';

/** A parsed CSV table: header names and one string record per data row (row 1 = first data row). */
export interface CsvTable {
  /** Path the table was read from (for error messages). */
  file: string;
  columns: string[];
  rows: Record<string, string>[];
}

/** Separators a CSV file may use instead of the expected one, with the name a message gives them. */
const OTHER_SEPARATORS: [string, string][] = [
  [';', "';'"],
  ['\t', 'tab'],
  [',', "','"],
];

/**
 * The header of a parsed table, checked: present, names trimmed, the separator plausible
 * (`checkSeparator`), no empty or duplicate name, and no data row longer than the header.
 * Shared by `parseCsv` and the typed reader (src/io/csv-columns.ts).
 * @throws InputError naming the file (and row 0 or the long row) for each of those faults
 */
export function checkedHeader(
  header: string[] | null,
  firstLong: { row: number; length: number } | null,
  file: string,
  separator: string,
  sepOption: string | undefined,
): string[] {
  if (header === null) throw new InputError('empty CSV file: no header row', { file });
  const columns = header.map((h) => h.trim());
  checkSeparator(columns, file, separator, sepOption);
  const seen = new Set<string>();
  for (const h of columns) {
    if (h === '') throw new InputError('empty column name in the header row', { file, row: 0 });
    if (seen.has(h))
      throw new InputError('duplicate column name in the header row', { file, row: 0, field: h });
    seen.add(h);
  }
  if (firstLong !== null) {
    throw new InputError(`row has ${firstLong.length} cells but the header has ${columns.length}`, {
      file,
      row: firstLong.row,
    });
  }
  return columns;
}

/**
 * Throws when the header row is one column that contains another separator (e.g. a semicolon CSV from
 * a European Excel read as comma-separated): `time;status;age` would otherwise surface later as a
 * confusing "no such column".
 */
export function checkSeparator(columns: string[], file: string, separator: string, sepOption?: string): void {
  if (columns.length !== 1) return;
  const found = OTHER_SEPARATORS.find(([c]) => c !== separator && columns[0]!.includes(c));
  if (!found) return;
  const [c, name] = found;
  const how = sepOption
    ? `pass ${sepOption} ${c === '\t' ? 'tab' : `'${c}'`}`
    : `save it with '${separator === '\t' ? 'tab' : separator}' separators`;
  throw new InputError(
    `the header is a single column; the file seems to use ${name} as separator, not '${separator === '\t' ? 'tab' : separator}': ${how}`,
    { file, row: 0, value: columns[0] },
  );
}

/** Cells of the tables `parseCsv` built, column by column, while nobody has read their `rows`. */
const columnCellsOf = new WeakMap<CsvTable, string[][]>();

/**
 * The cells of a table `parseCsv` returned, column-major (`cells[c][r]`, trimmed; short rows padded
 * with ''), as long as its `rows` have never been read or replaced (then the rows, which the caller
 * may have changed, are the truth and this gives undefined). Lets `dataFrameFromCsv` skip building one
 * record object per row.
 */
export function csvColumnCells(table: CsvTable): readonly (readonly string[])[] | undefined {
  return columnCellsOf.get(table);
}

/**
 * A CsvTable whose `rows` are built from the column cells on first access (one record per row costs
 * more than the parse itself on 10⁶ rows, and analysis tables never need them).
 */
function lazyTable(file: string, columns: string[], cells: string[][], nrow: number): CsvTable {
  let rows: Record<string, string>[] | undefined;
  const table = { file, columns } as CsvTable;
  Object.defineProperty(table, 'rows', {
    enumerable: true,
    configurable: true,
    get(): Record<string, string>[] {
      if (rows === undefined) {
        columnCellsOf.delete(table);
        rows = new Array<Record<string, string>>(nrow);
        for (let r = 0; r < nrow; r++) {
          const obj: Record<string, string> = {};
          for (let c = 0; c < columns.length; c++) obj[columns[c]!] = cells[c]![r]!;
          rows[r] = obj;
        }
      }
      return rows;
    },
    set(v: Record<string, string>[]) {
      columnCellsOf.delete(table);
      rows = v;
    },
  });
  columnCellsOf.set(table, cells);
  return table;
}

/** The (empty) numbers of a text column's builder. */
const NO_VALUES = new Float64Array(0);

/**
 * Parses CSV (text, or its UTF-8 bytes) into string cells. Throws InputError (naming `file` and the
 * row) on an unterminated quote, a row with more cells than the header, a duplicate/empty header name,
 * or a header that is one column holding another separator (a hint names it; `sepOption` is the
 * command-line option that sets the separator, e.g. `--sep`, named in that hint). Short rows are padded
 * with ''. Cells and header names are trimmed. A quote opens a quoted section only at the start of a
 * cell; blank lines are skipped; a UTF-8 BOM is skipped. The grammar is the byte scanner's
 * (src/io/csv-bytes.ts, shared with the typed reader src/io/csv-columns.ts), every column kept as
 * text and stored column by column (see `csvColumnCells`).
 * @param input CSV text (encoded to UTF-8 once) or UTF-8 bytes
 * @param separator one character (default ','); a longer string never matches (one cell per line)
 */
export function parseCsv(
  input: string | Uint8Array,
  file = '<csv>',
  separator = ',',
  sepOption?: string,
): CsvTable {
  const { bytes, sepCode } = scanInput(input, separator);
  const head = readHeader(bytes, sepCode, file);
  let cells: string[][] = [];
  let nrow = 0;
  let firstLong: { row: number; length: number } | null = null;
  if (head.cells !== null) {
    const cols: Builder[] = head.cells.map(() => ({
      numeric: false,
      values: NO_VALUES,
      missing: null,
      text: [],
      textFrom: 0,
    }));
    ({ nrow, firstLong } = scanRecords(bytes, head.next, head.line, cols, {
      sepCode,
      file,
      capacity: 0,
      cellNumber: () => null,
    }));
    cells = cols.map((b) => b.text);
  }
  const columns = checkedHeader(head.cells, firstLong, file, separator, sepOption);
  return lazyTable(file, columns, cells, nrow);
}

/** Quotes one cell for CSV output when needed. */
export function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' && !Number.isFinite(v)) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Formats rows (objects) as CSV text with the given column order and a header row. */
export function formatCsv(
  columns: string[],
  rows: Record<string, string | number | boolean | null | undefined>[],
): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * CSV reading (RFC 4180: comma separator, double-quote quoting with "" escapes, CRLF or LF line
 * ends, optional UTF-8 BOM). Cells are returned as strings; typing is the caller's job (the bundle
 * schema, or `src/stats/data-frame.ts` for analysis tables).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

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

/**
 * Parses CSV text. Throws InputError (naming `file` and the row) on an unterminated quote, a row
 * with more cells than the header, a duplicate/empty header name, or a header that is one column
 * holding another separator (a hint names it; `sepOption` is the command-line option that sets the
 * separator, e.g. `--sep`, named in that hint). Short rows are padded with ''. Cells and header names
 * are trimmed. A quote opens a quoted section only at the start of a cell; blank lines are skipped.
 * One pass: unquoted cells are slices of the text, stored column by column (see `csvColumnCells`).
 */
export function parseCsv(text: string, file = '<csv>', separator = ',', sepOption?: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // A separator of more than one character never matches (one cell per line), as before.
  const sepCode = separator.length === 1 ? separator.charCodeAt(0) : -1;
  const n = text.length;
  let header: string[] | null = null;
  let width = 0;
  let cells: string[][] = [];
  let nrow = 0;
  let firstLong: { row: number; length: number } | null = null;
  const rec: string[] = []; // the header record, until it ends
  let col = 0; // cells so far in the current record
  let firstEmpty = false; // the current record's first cell is '' (a lone '' is a blank line)
  let line = 1;
  const endRecord = (): void => {
    if (col === 1 && (header === null ? rec[0] === '' : firstEmpty)) {
      if (header !== null && width > 0) cells[0]!.pop();
    } else if (header === null) {
      header = rec.slice();
      width = header.length;
      cells = header.map(() => []);
    } else {
      nrow++;
      if (col > width && firstLong === null) firstLong = { row: nrow, length: col };
      for (let c = col; c < width; c++) cells[c]!.push('');
    }
    rec.length = 0;
    col = 0;
  };
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    let value: string;
    if (c === QUOTE) {
      // Quoted cell: "" is a quote; after the closing quote the cell goes on to the separator.
      let field = '';
      let inQuotes = true;
      i++;
      while (i < n) {
        c = text.charCodeAt(i);
        if (inQuotes) {
          const q = text.indexOf('"', i);
          const end = q < 0 ? n : q;
          for (let k = i; k < end; k++) if (text.charCodeAt(k) === LF) line++;
          field += text.slice(i, end);
          i = end;
          if (q < 0) break;
          if (text.charCodeAt(q + 1) === QUOTE) {
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
        field += text[i];
        i++;
      }
      if (inQuotes) throw new InputError(`unterminated quoted field starting before line ${line}`, { file });
      value = field;
    } else {
      const start = i;
      while (c !== sepCode && c !== CR && c !== LF && ++i < n) c = text.charCodeAt(i);
      value = text.slice(start, i);
    }
    if (header === null) rec.push(value);
    else {
      if (col === 0) firstEmpty = value === '';
      if (col < width) cells[col]!.push(trimCell(value));
    }
    col++;
    if (i >= n) break;
    c = text.charCodeAt(i);
    i++;
    if (c === sepCode) {
      if (i >= n) {
        // A separator at the very end: one more (empty) cell.
        if (header === null) rec.push('');
        else if (col < width) cells[col]!.push('');
        col++;
      }
      continue;
    }
    // CR, LF or CRLF ends the record.
    if (c === CR && text.charCodeAt(i) === LF) i++;
    line++;
    endRecord();
  }
  if (col > 0) endRecord();
  const columns = checkedHeader(header, firstLong, file, separator, sepOption);
  return lazyTable(file, columns, cells, nrow);
}

/** Reads and parses a CSV file (see `parseCsv`); a missing file is an InputError naming it. */
export function readCsv(file: string, separator = ',', sepOption?: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read CSV file: ${(e as Error).message}`, { file });
  }
  return parseCsv(text, file, separator, sepOption);
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

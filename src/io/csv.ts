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
 * Throws when the header row is one column that contains another separator (e.g. a semicolon CSV from
 * a European Excel read as comma-separated): `time;status;age` would otherwise surface later as a
 * confusing "no such column".
 */
function checkSeparator(columns: string[], file: string, separator: string, sepOption?: string): void {
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

/**
 * Parses CSV text. Throws InputError (naming `file` and the row) on an unterminated quote, a row
 * with more cells than the header, a duplicate/empty header name, or a header that is one column
 * holding another separator (a hint names it; `sepOption` is the command-line option that sets the
 * separator, e.g. `--sep`, named in that hint). Short rows are padded with ''.
 */
export function parseCsv(text: string, file = '<csv>', separator = ',', sepOption?: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  let i = 0;
  const n = text.length;
  let line = 1;
  while (i < n) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field.length === 0) {
      inQuotes = true;
      i++;
      continue;
    }
    if (c === separator) {
      record.push(field);
      field = '';
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      record.push(field);
      field = '';
      if (!(record.length === 1 && record[0] === '')) records.push(record);
      record = [];
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      continue;
    }
    field += c;
    i++;
  }
  if (inQuotes) throw new InputError(`unterminated quoted field starting before line ${line}`, { file });
  if (field.length > 0 || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  if (records.length === 0) throw new InputError('empty CSV file: no header row', { file });
  const columns = records[0]!.map((h) => h.trim());
  checkSeparator(columns, file, separator, sepOption);
  const seen = new Set<string>();
  for (const h of columns) {
    if (h === '') throw new InputError('empty column name in the header row', { file, row: 0 });
    if (seen.has(h))
      throw new InputError('duplicate column name in the header row', { file, row: 0, field: h });
    seen.add(h);
  }
  const rows: Record<string, string>[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    if (rec.length > columns.length) {
      throw new InputError(`row has ${rec.length} cells but the header has ${columns.length}`, {
        file,
        row: r,
      });
    }
    const obj: Record<string, string> = {};
    for (let c = 0; c < columns.length; c++) obj[columns[c]!] = (rec[c] ?? '').trim();
    rows.push(obj);
  }
  return { file, columns, rows };
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

/**
 * Reading the CSV tables of a study bundle strictly (docs/study-bundle.md): a table's header must hold
 * its required columns and no unknown column (an unknown column names the nearest known one), and each
 * cell is read by a typed reader that throws an InputError naming the file, the 1-based data row, the
 * column and the value.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readCsv, type CsvTable } from '../io/csv.js';
import { unknownNameHint } from '../nearest-name.js';
import { implausibleDate } from '../clinical/timeline.js';
import type { BundlePaths } from './bundle-paths.js';

/** The columns of one bundle table. */
export interface TableSpec {
  name: string;
  required: readonly string[];
  optional: readonly string[];
}

const ID_RE = /^[A-Za-z0-9_.-]+$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A plain decimal number (`12`, `-3.5`, `1e3`; no hex, no `Infinity`, no blanks), else null. */
export function decimalOrNull(s: string): number | null {
  const v = Number(s);
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && Number.isFinite(v) ? v : null;
}

/** Cell readers: each returns the typed value or throws an InputError naming file/row/column. */
export class RowReader {
  /**
   * @param today the date that bounds plausible dates (today + 1 year; src/clinical/timeline.ts)
   */
  constructor(
    private readonly table: CsvTable,
    private readonly rowIndex: number,
    private readonly today: Date = new Date(),
  ) {}

  private get row(): Record<string, string> {
    return this.table.rows[this.rowIndex]!;
  }

  /** Throws an InputError at this row and `column`. */
  fail(column: string, message: string, value?: unknown): never {
    throw new InputError(message, {
      file: this.table.file,
      row: this.rowIndex + 1,
      field: column,
      ...(value !== undefined ? { value } : {}),
    });
  }

  raw(column: string): string {
    return this.row[column] ?? '';
  }

  has(column: string): boolean {
    const v = this.raw(column);
    return v !== '' && v !== 'NA';
  }

  requiredString(column: string): string {
    if (!this.has(column)) this.fail(column, 'required value is missing');
    return this.raw(column);
  }

  optionalString(column: string): string | null {
    return this.has(column) ? this.raw(column) : null;
  }

  id(column: string): string {
    const v = this.requiredString(column);
    if (!ID_RE.test(v)) this.fail(column, 'IDs may contain only letters, digits, ".", "-" and "_"', v);
    return v;
  }

  number(column: string, required: true, opts?: { integer?: boolean; min?: number; max?: number }): number;
  number(
    column: string,
    required: false,
    opts?: { integer?: boolean; min?: number; max?: number },
  ): number | null;
  number(
    column: string,
    required: boolean,
    opts: { integer?: boolean; min?: number; max?: number } = {},
  ): number | null {
    if (!this.has(column)) {
      if (required) this.fail(column, 'required number is missing');
      return null;
    }
    const s = this.raw(column);
    const v = decimalOrNull(s);
    if (v === null) this.fail(column, 'not a number', s);
    if (opts.integer && !Number.isInteger(v)) this.fail(column, 'not a whole number', s);
    if (opts.min !== undefined && v < opts.min) this.fail(column, `must be ≥ ${opts.min}`, s);
    if (opts.max !== undefined && v > opts.max) this.fail(column, `must be ≤ ${opts.max}`, s);
    return v;
  }

  enumValue<T extends string>(column: string, allowed: readonly T[], required: true): T;
  enumValue<T extends string>(column: string, allowed: readonly T[], required: false): T | null;
  enumValue<T extends string>(column: string, allowed: readonly T[], required: boolean): T | null {
    if (!this.has(column)) {
      if (required) this.fail(column, `required value is missing (one of ${allowed.join(', ')})`);
      return null;
    }
    const v = this.raw(column);
    if (!(allowed as readonly string[]).includes(v)) {
      this.fail(column, `must be one of ${allowed.join(', ')}`, v);
    }
    return v as T;
  }

  yesNo(column: string, required: boolean): boolean | null {
    const v = required
      ? this.enumValue(column, ['yes', 'no'] as const, true)
      : this.enumValue(column, ['yes', 'no'] as const, false);
    return v === null ? null : v === 'yes';
  }

  /** An ISO calendar date within the plausible range (src/clinical/timeline.ts), or null when empty. */
  date(column: string): string | null {
    if (!this.has(column)) return null;
    const v = this.raw(column);
    if (!DATE_RE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
      this.fail(column, 'not an ISO date YYYY-MM-DD', v);
    }
    const back = new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10);
    if (back !== v) this.fail(column, 'not a calendar date', v);
    const why = implausibleDate(v, this.today);
    if (why !== null) this.fail(column, why, v);
    return v;
  }

  /** A path resolved under the bundle or a data root (src/study/bundle-paths.ts). */
  path(column: string, paths: BundlePaths, required: true): string;
  path(column: string, paths: BundlePaths, required: false): string | null;
  path(column: string, paths: BundlePaths, required: boolean): string | null {
    if (!this.has(column)) {
      if (required) this.fail(column, 'required path is missing');
      return null;
    }
    return paths.resolve(this.raw(column), {
      file: this.table.file,
      row: this.rowIndex + 1,
      field: column,
    });
  }

  check(condition: boolean, column: string, message: string): void {
    if (!condition) this.fail(column, message, this.raw(column));
  }
}

/**
 * Checks a table's header against its spec.
 * @throws InputError (row 0) naming a missing required column, or an unknown column with the nearest
 *   known column
 */
export function checkColumns(table: CsvTable, spec: TableSpec): void {
  for (const c of spec.required) {
    if (!table.columns.includes(c)) {
      throw new InputError(`required column is missing from the header`, {
        file: table.file,
        row: 0,
        field: c,
      });
    }
  }
  const known = [...spec.required, ...spec.optional];
  for (const c of table.columns) {
    if (!known.includes(c)) {
      throw new InputError(`unknown column \`${c}\` in ${spec.name} (${unknownNameHint(c, known)})`, {
        file: table.file,
        row: 0,
        field: c,
      });
    }
  }
}

/**
 * Reads `<dir>/<spec.name>` and checks its header.
 * @param paths when given, the table file itself must resolve inside the bundle or a data root
 * @returns the table, or null when an optional table is absent
 * @throws InputError for a missing required table, a bad header, a table outside the bundle
 */
export function readTable(
  dir: string,
  spec: TableSpec,
  opts: { optional?: boolean; paths?: BundlePaths } = {},
): CsvTable | null {
  const file = join(dir, spec.name);
  if (!existsSync(file)) {
    if (opts.optional) return null;
    throw new InputError('required table is missing from the bundle', { file });
  }
  opts.paths?.checkOwnFile(file);
  const table = readCsv(file);
  checkColumns(table, spec);
  return table;
}

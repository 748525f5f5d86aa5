/**
 * Writing the files of a study bundle (docs/study-bundle.md): study.json and the CSV tables, each with
 * the columns of src/study/bundle-tables.ts in their order. The one writer of the format: the virtual
 * trial (src/cli/simulated-bundle.ts) and `carto registry export --format bundle`
 * (src/registry/exchange/bundle.ts) hand it records.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CartoError } from '../errors.js';
import { formatCsv } from '../io/csv.js';
import { BUNDLE_TABLES, type BundleTableKey } from './bundle-tables.js';

/** One row of a bundle table: column → cell (null or undefined: an empty cell). */
export type BundleRow = Record<string, string | number | boolean | null | undefined>;

/**
 * The CSV text of one bundle table.
 * @param key - the table (`patients`, `events`, …)
 * @param rows - its rows; a key that is not a column of the table is an error
 * @param columns - the columns to write (default: every column); each must be a column of the table,
 *   every required one must be there, and they are written in the table's order whatever order is given
 * @throws CartoError (a programming error, not an input error) for a column or row key not in the table
 *   or a missing required column
 */
export function bundleTableCsv(
  key: BundleTableKey,
  rows: readonly BundleRow[],
  columns?: readonly string[],
): string {
  const spec = BUNDLE_TABLES[key];
  const wanted = new Set(columns ?? spec.columns);
  for (const c of wanted)
    if (!spec.columns.includes(c)) throw new CartoError(`${spec.name}: ${c} is not a column of the table`);
  for (const c of spec.required)
    if (!wanted.has(c)) throw new CartoError(`${spec.name}: required column ${c} is not written`);
  for (const r of rows)
    for (const c of Object.keys(r))
      if (!wanted.has(c)) throw new CartoError(`${spec.name}: a row has ${c}, which is not written`);
  return formatCsv(
    spec.columns.filter((c) => wanted.has(c)),
    rows as BundleRow[],
  );
}

/**
 * Writes one bundle table into `dir` (see `bundleTableCsv`).
 * @returns the file name written, relative to `dir` (e.g. `patients.csv`)
 */
export function writeBundleTable(
  dir: string,
  key: BundleTableKey,
  rows: readonly BundleRow[],
  columns?: readonly string[],
): string {
  const name = BUNDLE_TABLES[key].name;
  writeFileSync(join(dir, name), bundleTableCsv(key, rows, columns));
  return name;
}

/**
 * Writes `study.json` into `dir`, two-space indented with a final newline.
 * @returns `study.json`
 */
export function writeStudyJson(dir: string, study: unknown): string {
  writeFileSync(join(dir, 'study.json'), `${JSON.stringify(study, null, 2)}\n`);
  return 'study.json';
}

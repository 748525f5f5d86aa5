/**
 * Parsers of numeric command-line options, one home for every command.
 *
 * Use them as commander argument parsers:
 *   `.option('--patients <n>', 'number of patients (3–200)', intOption('--patients', { min: 3, max: 200 }), 6)`
 * (commander does not pass a default through the parser, so give the default as a number), or call
 * `parseIntOption` / `parseNumberOption` on a value read elsewhere. A value that is empty, not a number,
 * not an integer where one is needed, or outside the range throws `InputError` naming the option and
 * the value as typed, which the CLI reports on one line with exit code 2.
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { checkSqlitePath } from '../io/sqlite-path.js';

/** Allowed range of a numeric option; bounds are inclusive unless `exclusiveMin`/`exclusiveMax`. */
export interface NumberRange {
  min?: number;
  max?: number;
  /** The minimum itself is not allowed (e.g. "> 0"). */
  exclusiveMin?: boolean;
  /** The maximum itself is not allowed (e.g. "< 1"). */
  exclusiveMax?: boolean;
}

/** "from 3 to 200", "≥ 0", "> 0 and < 1", or '' for no bound. */
function describeRange(r: NumberRange): string {
  const lo = r.min === undefined ? undefined : `${r.exclusiveMin ? '>' : '≥'} ${r.min}`;
  const hi = r.max === undefined ? undefined : `${r.exclusiveMax ? '<' : '≤'} ${r.max}`;
  if (lo && hi && !r.exclusiveMin && !r.exclusiveMax) return ` from ${r.min} to ${r.max}`;
  return [lo, hi].filter(Boolean).length > 0 ? ` ${[lo, hi].filter(Boolean).join(' and ')}` : '';
}

function parseChecked(value: string, option: string, range: NumberRange, integer: boolean): number {
  const what = `${integer ? 'an integer' : 'a number'}${describeRange(range)}`;
  const text = value.trim();
  const v = Number(text);
  const bad =
    text === '' ||
    !Number.isFinite(v) ||
    (integer && !Number.isInteger(v)) ||
    (range.min !== undefined && (range.exclusiveMin ? v <= range.min : v < range.min)) ||
    (range.max !== undefined && (range.exclusiveMax ? v >= range.max : v > range.max));
  if (bad) throw new InputError(`must be ${what}`, { field: option, value });
  return v;
}

/**
 * Parses `value` of option `option` as an integer within `range`.
 * @throws InputError `option --x: must be an integer from 3 to 200 (value: "abc")`
 */
export function parseIntOption(value: string, option: string, range: NumberRange = {}): number {
  return parseChecked(value, option, range, true);
}

/**
 * Parses `value` of option `option` as a finite number within `range`.
 * @throws InputError naming the option, the allowed range and the value as typed
 */
export function parseNumberOption(value: string, option: string, range: NumberRange = {}): number {
  return parseChecked(value, option, range, false);
}

/** A commander argument parser for an integer option (see `parseIntOption`). */
export function intOption(option: string, range: NumberRange = {}): (value: string) => number {
  return (value: string) => parseIntOption(value, option, range);
}

/** A commander argument parser for a number option (see `parseNumberOption`). */
export function numberOption(option: string, range: NumberRange = {}): (value: string) => number {
  return (value: string) => parseNumberOption(value, option, range);
}

/** Help text of the `--sep` option of commands that read a CSV `--data` file. */
export const SEP_HELP = "field separator of the --data CSV: ',' (default), ';' or tab";

/**
 * A commander argument parser for a CSV field separator: `,`, `;`, `|`, or a tab given as `tab`, `\t`
 * or the character itself.
 * @throws InputError naming the option and the value for anything else
 */
export function separatorOption(option = '--sep'): (value: string) => string {
  return (value: string) => {
    if (value === 'tab' || value === '\\t' || value === '\t') return '\t';
    if (value === ',' || value === ';' || value === '|') return value;
    throw new InputError("must be ',', ';', '|' or tab", { field: option, value });
  };
}

/**
 * A commander argument parser for a `--db` option: a SQLite file path is checked at once (folder
 * exists, path is not a folder, writable — `checkSqlitePath`), so a wrong path fails before any work;
 * a `postgres://` URL passes unchanged (its connection is tried when the database opens).
 * @throws InputError naming the option and the path
 */
export function databaseOption(option = '--db'): (value: string) => string {
  return (value: string) => {
    if (!/^[a-z]+:\/\//i.test(value)) checkSqlitePath(value, option);
    return value;
  };
}

/**
 * The deployment's one database when a command is given no `--db`: this SQLite file in the working
 * folder, for `carto import`, `serve`, `users` and `registry` alike (docs/database.md).
 */
export const DEFAULT_DATABASE = 'cartography.sqlite';
/** The registry commands' default file before the registry and the studies shared one database. */
export const FORMER_REGISTRY_DATABASE = 'registry.sqlite';
/** Help of a `--db` option whose default is `DEFAULT_DATABASE`. */
export const DATABASE_HELP = `database: SQLite file or postgres://user@host:port/db URL (default: ${DEFAULT_DATABASE} in the working folder; docs/database.md)`;

/**
 * The database a command opens: `--db` as given, or `DEFAULT_DATABASE` in the working folder.
 * When no `--db` is given and the working folder has no `cartography.sqlite` but has a
 * `registry.sqlite` (the registry commands' former default), the command stops instead of silently
 * starting an empty database beside the user's registry.
 * @param db the `--db` value (already checked by `databaseOption`), or undefined when not given
 * @throws InputError naming `--db` and both files in that case
 */
export function databaseTarget(db: string | undefined): string {
  if (db !== undefined) return db;
  if (!existsSync(DEFAULT_DATABASE) && existsSync(FORMER_REGISTRY_DATABASE))
    throw new InputError(
      `no --db given, and the default database ${DEFAULT_DATABASE} is not in the working folder, but ` +
        `${FORMER_REGISTRY_DATABASE} (the registry's former default) is: pass --db ${FORMER_REGISTRY_DATABASE}, ` +
        `or rename it to ${DEFAULT_DATABASE}`,
      { field: '--db', value: DEFAULT_DATABASE },
    );
  checkSqlitePath(DEFAULT_DATABASE, '--db');
  return DEFAULT_DATABASE;
}

/** Help of `--images` (import, run, worker, serve): the viewer's images of quantified scans. */
export const IMAGES_HELP =
  "folder of the viewer's images of quantified scans, written by the quantification and read by " +
  "`carto serve` on a scan's first open (default: beside a SQLite database, <db>.images; none for " +
  'PostgreSQL: give the workers and the server one folder)';

/** Help of `--no-images` (import, run). */
export const NO_IMAGES_HELP =
  "write no viewer's images (less disk: about 90 MB per 200×200×400 scan; `carto serve` then " +
  'decodes a scan on its first open after each start)';

/**
 * The viewer's images folder of `--images DIR` / `--no-images`: DIR made absolute, null for
 * `--no-images`, undefined when neither was given (the command's default then applies).
 */
export function imagesFolder(value: string | false | undefined): string | null | undefined {
  return value === false ? null : value === undefined ? undefined : resolve(value);
}

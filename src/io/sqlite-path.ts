/**
 * Checks of a SQLite database path given on the command line (`--db`), before better-sqlite3 opens it,
 * so a set-up mistake is one clear `InputError` naming the option and the path instead of a native
 * "unable to open database file". Used by the study store and the registry database.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws unless `file` can be opened (or created) as a SQLite database: an existing path must be a
 * writable file; a new file needs an existing, writable parent folder. `:memory:` always passes.
 * @param file database path as given
 * @param option the option that gave it, named in the error (default `--db`)
 * @throws InputError `option --db: … (value: "path")` — folder missing, path is a folder, not writable
 */
export function checkSqlitePath(file: string, option = '--db'): void {
  if (file === ':memory:') return;
  const loc = { field: option, value: file };
  if (file.trim() === '') throw new InputError('empty database path', loc);
  const full = resolve(file);
  const st = statOrNull(full);
  if (st) {
    if (st.isDirectory())
      throw new InputError('is a folder; give a database file path such as study.sqlite inside it', loc);
    if (!st.isFile()) throw new InputError('is not a regular file', loc);
    if (!writable(full)) throw new InputError('database file is not writable', loc);
    return;
  }
  const parent = dirname(full);
  const pst = statOrNull(parent);
  if (!pst) throw new InputError(`folder ${parent} does not exist (create it first)`, loc);
  if (!pst.isDirectory()) throw new InputError(`${parent} is not a folder`, loc);
  if (!writable(parent)) throw new InputError(`folder ${parent} is not writable`, loc);
}

/**
 * Wraps an error of better-sqlite3 while opening `file` (e.g. "file is not a database") into an
 * `InputError` naming the option and the path.
 */
export function sqliteOpenError(err: unknown, file: string, option = '--db'): InputError {
  const message = err instanceof Error ? err.message : String(err);
  return new InputError(`cannot open as a SQLite database: ${message}`, { field: option, value: file });
}

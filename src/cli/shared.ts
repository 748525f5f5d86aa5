/**
 * Helpers shared by CLI commands: command groups, JSON/plain output, error → exit code, progress.
 *
 * Conventions: results go to stdout (JSON with `--json`, a readable table otherwise); progress and
 * warnings go to stderr, and progress bars only when stderr is a TTY and CI is not set.
 * Exit codes: 0 success, 2 bad input (`CartoError`, or a set-up mistake such as a missing folder), 1
 * anything else (one line; `--debug` prints the stack trace).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CartoError } from '../errors.js';
import { writeJson } from '../io/json-stream.js';

/** The sub-command group `name` of `program`, created on first use (e.g. `carto stats …`). */
export function commandGroup(program: Command, name: string, description: string): Command {
  const existing = program.commands.find((c) => c.name() === name);
  if (existing) return existing;
  return program.command(name).description(description);
}

/**
 * Prints `value` as indented JSON on stdout (non-finite numbers become null, as JSON requires): the
 * text of `JSON.stringify(value, jsonReplacer, 2)`, written in chunks as it is produced (a large result
 * is never one string; src/io/json-stream.ts).
 */
export function printJson(value: unknown): void {
  writeJson(value, (chunk) => process.stdout.write(chunk), { replacer: jsonReplacer, indent: 2 });
  process.stdout.write('\n');
}

/** JSON.stringify replacer: NaN/±Infinity → null, typed arrays → arrays. */
export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}

/** A text cell this long or longer that repeats in a column is printed once, as a note under the table. */
const NOTE_MIN_LENGTH = 40;

/**
 * Formats a table of rows as aligned plain text (for output without --json). Numbers get 6 significant
 * digits, except in a column headed `seconds`, which holds durations: 3 significant digits
 * (`formatSeconds`). A long text (≥ 40 characters) repeated in a column — e.g. the one reason twelve
 * sections did not run — is printed once under the table as `[1] text` and the cells say `see [1]`.
 */
export function formatTable(header: string[], rows: (string | number | null | undefined)[][]): string {
  const texts = rows.map((r) =>
    r.map((c, j) => (header[j] === 'seconds' && typeof c === 'number' ? formatSeconds(c) : formatCell(c))),
  );
  const counts = new Map<string, number>();
  for (const r of texts)
    for (const c of r) if (c.length >= NOTE_MIN_LENGTH) counts.set(c, (counts.get(c) ?? 0) + 1);
  const notes: string[] = [];
  const noted = texts.map((r) =>
    r.map((c) => {
      if ((counts.get(c) ?? 0) < 2) return c;
      if (!notes.includes(c)) notes.push(c);
      return `see [${notes.indexOf(c) + 1}]`;
    }),
  );
  const cells = [header, ...noted];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const table = cells.map((r) => r.map((c, j) => (c ?? '').padStart(widths[j] ?? 0)).join('  ')).join('\n');
  return notes.length === 0 ? table : `${table}\n\n${notes.map((t, k) => `[${k + 1}] ${t}`).join('\n')}`;
}

function formatCell(c: string | number | null | undefined): string {
  if (c === null || c === undefined) return 'NA';
  if (typeof c === 'number') {
    if (Number.isInteger(c)) return String(c);
    return Math.abs(c) >= 1e-3 && Math.abs(c) < 1e6 ? c.toPrecision(6) : c.toExponential(4);
  }
  return c;
}

/**
 * A duration in seconds for people: 3 significant digits (`0.0123`, `4.56`, `789`), whole seconds from
 * 1000 s on; NA when not finite. Machine output (--json) keeps the unrounded seconds.
 */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'NA';
  if (Math.abs(s) >= 1000) return String(Math.round(s));
  return String(Number(s.toPrecision(3)));
}

/** True when progress bars may be drawn (interactive stderr, not CI). */
export function progressEnabled(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env['CI'];
}

/** Writes a warning line to stderr. */
export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** Error codes of Node system calls that mean a set-up mistake (a path or a connection given wrong). */
const SETUP_ERROR_CODES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ENOTEMPTY: 'folder is not empty',
  ECONNREFUSED: 'connection refused (is the server running?)',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
};

/** The command-line option whose value is `path` (e.g. `--db`), or null when it is no option's value. */
function optionGiving(path: string, argv: readonly string[]): string | null {
  const target = resolve(path);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0 && resolve(a.slice(eq + 1)) === target) return a.slice(0, eq);
    if (i > 0 && argv[i - 1]!.startsWith('-') && a !== '' && resolve(a) === target) return argv[i - 1]!;
  }
  return null;
}

/**
 * The one-line message and exit code for an error that reached the top of the CLI:
 * `CartoError` → its message, exit 2; a Node system error of a set-up mistake (ENOENT, EISDIR, EACCES,
 * ECONNREFUSED, …) → the path (and the option that gave it) with what is wrong, exit 2; anything else →
 * its first line and a pointer to `--debug`, exit 1. With `debug` the stack trace is added.
 */
export function describeError(
  err: unknown,
  argv: readonly string[] = process.argv,
  debug = false,
): { message: string; exitCode: 1 | 2 } {
  const e = err instanceof Error ? err : new Error(String(err));
  const stack = debug && e.stack ? `\n${e.stack}` : '';
  if (err instanceof CartoError) return { message: `${e.message}${stack}`, exitCode: 2 };
  const sys = e as NodeJS.ErrnoException & { address?: string; port?: number };
  const what = sys.code ? SETUP_ERROR_CODES[sys.code] : undefined;
  if (what) {
    const subject = sys.path ?? (sys.address ? `${sys.address}${sys.port ? `:${sys.port}` : ''}` : undefined);
    const option = sys.path ? optionGiving(sys.path, argv) : null;
    const where = [option ? `option ${option}` : null, subject].filter(Boolean).join(', ');
    const syscall = sys.syscall ? ` (${sys.syscall})` : '';
    return { message: `${where ? `${where}: ` : ''}${what}${syscall}${stack}`, exitCode: 2 };
  }
  const firstLine = (e.message.split('\n')[0] ?? '').trim() || e.name;
  const hint = debug ? stack : ' (run with --debug for the stack trace)';
  return { message: `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${firstLine}${hint}`, exitCode: 1 };
}

/**
 * Runs the CLI body, mapping errors to one line `error: …` on stderr and an exit code (see
 * `describeError`). `--debug` anywhere on the command line (removed before the body parses it) or
 * `CARTO_DEBUG=1` adds the stack trace. A commander error (program built with `exitOverride()`) has
 * been printed by commander: exit 0 for --help/--version, 2 for a usage mistake.
 */
export async function runCli(body: () => Promise<void>): Promise<void> {
  const at = process.argv.indexOf('--debug');
  const debug = at >= 2 || process.env['CARTO_DEBUG'] === '1';
  if (at >= 2) process.argv.splice(at, 1);
  try {
    await body();
  } catch (err) {
    // With program.exitOverride(), commander throws after printing its own message: --help and
    // --version end with 0, a usage mistake (unknown option, missing argument) is bad input: 2.
    const ce = err as { code?: unknown; exitCode?: unknown };
    if (typeof ce.code === 'string' && ce.code.startsWith('commander.') && typeof ce.exitCode === 'number') {
      process.exitCode = ce.exitCode === 0 ? 0 : 2;
      return;
    }
    const { message, exitCode } = describeError(err, process.argv, debug);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = exitCode;
  }
}

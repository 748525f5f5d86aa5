/**
 * Helpers shared by CLI commands: command groups, JSON/plain output, error → exit code, progress.
 *
 * Conventions: results go to stdout (JSON with `--json`, a readable table otherwise); progress and
 * warnings go to stderr, and progress bars only when stderr is a TTY and CI is not set.
 * Exit codes: 0 success, 2 bad input (`CartoError`), 1 anything else.
 */
import type { Command } from 'commander';
import { CartoError } from '../errors.js';

/** The sub-command group `name` of `program`, created on first use (e.g. `carto stats …`). */
export function commandGroup(program: Command, name: string, description: string): Command {
  const existing = program.commands.find((c) => c.name() === name);
  if (existing) return existing;
  return program.command(name).description(description);
}

/** Prints `value` as indented JSON on stdout (non-finite numbers become null, as JSON requires). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

/** JSON.stringify replacer: NaN/±Infinity → null, typed arrays → arrays. */
export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}

/** Formats a table of rows as aligned plain text (for output without --json). */
export function formatTable(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => formatCell(c)))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  return cells.map((r) => r.map((c, j) => (c ?? '').padStart(widths[j] ?? 0)).join('  ')).join('\n');
}

function formatCell(c: string | number | null | undefined): string {
  if (c === null || c === undefined) return 'NA';
  if (typeof c === 'number') {
    if (Number.isInteger(c)) return String(c);
    return Math.abs(c) >= 1e-3 && Math.abs(c) < 1e6 ? c.toPrecision(6) : c.toExponential(4);
  }
  return c;
}

/** True when progress bars may be drawn (interactive stderr, not CI). */
export function progressEnabled(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env['CI'];
}

/** Writes a warning line to stderr. */
export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** Runs the CLI body, mapping errors to messages on stderr and exit codes (see module doc). */
export async function runCli(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof CartoError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      const e = err as Error;
      process.stderr.write(`error: ${e.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  }
}

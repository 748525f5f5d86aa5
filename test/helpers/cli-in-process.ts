/**
 * Test helper: runs one CLI command group in-process (fast, no child process). What the command writes
 * to stdout as text is captured; binary chunks pass through, because under `node --test` the runner
 * reports to its parent over this process's stdout as serialized binary chunks, and capturing them
 * would make test results vanish. A CartoError becomes exit code 2 with its message, as
 * src/cli/shared.ts does for the real CLI; any other error is thrown. `opts.cwd`: the working folder
 * for the command (restored afterwards).
 */
import { Command } from 'commander';
import { CartoError } from '../../src/errors.js';

export async function runInProcess(
  register: (program: Command) => void,
  args: string[],
  opts: { cwd?: string } = {},
): Promise<{ code: number; out: string; err: string }> {
  const back = process.cwd();
  const program = new Command().exitOverride();
  register(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]): boolean => {
    if (typeof chunk !== 'string') return write(chunk, ...rest);
    out += chunk;
    return true;
  };
  if (opts.cwd) process.chdir(opts.cwd);
  try {
    await program.parseAsync(['node', 'carto', ...args]);
    return { code: 0, out, err: '' };
  } catch (err) {
    if (err instanceof CartoError) return { code: 2, out, err: err.message };
    throw err;
  } finally {
    process.stdout.write = write;
    process.chdir(back);
  }
}

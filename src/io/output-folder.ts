/**
 * The one rule for every command that writes a folder (`carto run`, `demo`, `simulate`,
 * `registry export --format bundle`): never delete or change what Cartography did not write.
 *
 * A folder is written into a staging folder beside the target (same parent, so the final rename is
 * atomic), marked with `.cartography-output.json` = `{ "tool": "cartography", "kind": …,
 * "version": … }` as its last file, and then committed:
 * - target absent or an empty folder → the staging folder is renamed into place;
 * - target holds a marker of the same kind (an earlier output of the same command) → the old folder
 *   is renamed aside, the new one renamed in, and only then is the old one removed;
 * - anything else (a non-empty folder without the marker, a marker of another kind, a file, a
 *   symbolic link, the working folder or one that contains it, a folder that is or contains one of
 *   the command's inputs) → `InputError` naming the option and the path (CLI exit 2), checked
 *   before anything is written and again before the commit.
 * On any failure the staging folder is removed and the target is as it was.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { InputError } from '../errors.js';

/** Name of the marker file at the top of every folder Cartography writes. */
export const OUTPUT_MARKER = '.cartography-output.json';

/**
 * What a folder holds: a report (`carto run`), a demo (bundle + store + report), a study bundle, plate
 * results (`carto fcs plate`), a lab report (`carto lab`) or a lab experiment bundle (`carto simulate-lab`).
 */
export type OutputKind = 'report' | 'demo' | 'bundle' | 'plate' | 'lab' | 'lab-bundle';

/** Content of the marker file. */
export interface OutputMarker {
  tool: 'cartography';
  kind: OutputKind;
  /** Cartography's version (package.json) that wrote the folder. */
  version: string;
}

/** Options of `writeOutputFolder` / `checkOutputFolder`. */
export interface OutputFolderOptions {
  kind: OutputKind;
  /** The option (or parameter) that named the folder, for error messages, e.g. `--out`. */
  option: string;
  /**
   * Paths the command reads or keeps (input bundle, an explicit `--db` file): the output folder must
   * not be one of them or contain one, since replacing it would delete them.
   */
  inputs?: string[];
}

let versionCache: string | undefined;
/** Cartography's version from package.json. */
function toolVersion(): string {
  versionCache ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return versionCache;
}

/** The marker written into a folder of `kind`, as its file text. */
export function outputMarkerText(kind: OutputKind): string {
  const marker: OutputMarker = { tool: 'cartography', kind, version: toolVersion() };
  return `${JSON.stringify(marker, null, 2)}\n`;
}

/** The marker of folder `dir` (its kind as written), or undefined when it has none or an invalid one. */
export function readOutputMarker(dir: string): { kind: string; version: string } | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, OUTPUT_MARKER), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as Record<string, unknown> | null;
    if (m?.['tool'] !== 'cartography' || typeof m['kind'] !== 'string') return undefined;
    return { kind: m['kind'], version: String(m['version']) };
  } catch {
    return undefined;
  }
}

/** `p` with symbolic links of its longest existing prefix resolved (so `.`, links and `..` compare). */
function canonical(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail);
    } catch {
      const up = dirname(head);
      if (up === head) return abs;
      tail.unshift(basename(head));
      head = up;
    }
  }
}

/** True when `inner` is `outer` or lies inside it (both canonical). */
function within(inner: string, outer: string): boolean {
  const r = relative(outer, inner);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}

/** What is at `target` now: nothing, an empty folder, or a replaceable earlier output (checked). */
export type TargetState = 'absent' | 'empty' | 'earlier';

/**
 * Checks that `target` may receive a folder of `opts.kind` under the rule of this module, without
 * writing anything.
 * @returns 'absent', 'empty' or 'earlier' (an earlier output of the same kind, to be replaced)
 * @throws InputError `{ field: opts.option, value: <absolute path> }` when the folder is refused
 */
export function checkOutputFolder(target: string, opts: OutputFolderOptions): TargetState {
  const abs = resolve(target);
  const refuse: (why: string) => never = (why) => {
    throw new InputError(`${why}; nothing was written or changed`, { field: opts.option, value: abs });
  };
  const where = canonical(abs);
  if (within(canonical(process.cwd()), where))
    refuse('is the working folder or contains it; choose a new folder for the output');
  for (const input of opts.inputs ?? []) {
    if (within(canonical(input), where)) refuse(`is or contains the input ${resolve(input)}`);
  }
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch {
    // Absent: its nearest existing ancestor must be a folder (mkdir makes the rest).
    let up = dirname(abs);
    while (!existsSync(up)) up = dirname(up);
    if (!statSync(up).isDirectory()) refuse(`cannot be created: ${up} is a file`);
    return 'absent';
  }
  if (st.isSymbolicLink()) refuse('is a symbolic link');
  if (!st.isDirectory()) refuse('is a file, not a folder');
  if (readdirSync(abs).length === 0) return 'empty';
  const marker = readOutputMarker(abs);
  if (!marker)
    refuse(
      `is not empty and is not an earlier Cartography ${opts.kind} (no valid ${OUTPUT_MARKER}); ` +
        'choose a new or empty folder',
    );
  if (marker.kind !== opts.kind)
    refuse(`holds a Cartography ${marker.kind}, not a ${opts.kind}; choose another folder`);
  return 'earlier';
}

/**
 * Writes a folder of `opts.kind` at `target` under the rule of this module: checks the target,
 * calls `write(dir)` with an empty staging folder beside it, adds the marker, re-checks and commits
 * (rename, or swap with an earlier output of the same kind).
 * @param write fills `dir` (absolute path of the staging folder; its final path is `resolve(target)`)
 * @returns what `write` returned
 * @throws InputError when the target is refused (see `checkOutputFolder`); whatever `write` throws
 *   (the staging folder is then removed and the target untouched)
 */
export async function writeOutputFolder<T>(
  target: string,
  opts: OutputFolderOptions,
  write: (dir: string) => Promise<T> | T,
): Promise<T> {
  const abs = resolve(target);
  checkOutputFolder(abs, opts);
  const parent = dirname(abs);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, `${basename(abs)}.cartography-staging-`));
  // Interrupted (Ctrl-C, kill): remove the staging folder, then die of the same signal.
  const onSignal = (signal: NodeJS.Signals): void => {
    rmSync(staging, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const result = await write(staging);
    writeFileSync(join(staging, OUTPUT_MARKER), outputMarkerText(opts.kind));
    commit(staging, abs, checkOutputFolder(abs, opts));
    return result;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

/**
 * Checks the `option` naming an output FILE (e.g. `carto mip --out pic.png`): it must not be an
 * existing folder, and its folder must exist. An existing file is overwritten.
 * @throws InputError `{ field: option, value: <absolute path> }`
 */
export function checkOutputFile(file: string, option: string): void {
  const abs = resolve(file);
  const where = { field: option, value: abs };
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    // absent: fine when its folder exists
  }
  if (isDir) throw new InputError('is a folder; give the path of a file to write', where);
  let parentIsDir = false;
  try {
    parentIsDir = statSync(dirname(abs)).isDirectory();
  } catch {
    // missing
  }
  if (!parentIsDir) throw new InputError(`folder ${dirname(abs)} does not exist`, where);
}

/** Moves the finished `staging` folder to `target` (state from `checkOutputFolder`). */
function commit(staging: string, target: string, state: TargetState): void {
  if (state === 'absent') {
    renameSync(staging, target);
    return;
  }
  if (state === 'empty') {
    rmdirSync(target); // fails (and so keeps it) if something appeared in it meanwhile
    renameSync(staging, target);
    return;
  }
  // An earlier output of the same kind: aside, new in, and only then the old one away.
  const aside = mkdtempSync(join(dirname(target), `${basename(target)}.cartography-old-`));
  renameSync(target, aside); // replaces the empty `aside` folder (POSIX rename)
  try {
    renameSync(staging, target);
  } catch (e) {
    renameSync(aside, target);
    throw e;
  }
  rmSync(aside, { recursive: true, force: true });
}

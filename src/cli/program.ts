/**
 * The `carto` program: its root (description, version, global options) and the command modules.
 *
 * Every file in `src/cli/commands/` exports `register(program)`, which adds its commands (use
 * `commandGroup(program, 'stats', …)` from `./shared.js` for nested groups such as `carto stats lmm`).
 * Files are loaded in name order, so adding a command never means editing this file or main.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { addCommandFromSpec, manifestEntry, manifestOfModules, type CommandManifest } from './manifest.js';

const here = dirname(fileURLToPath(import.meta.url));
/** `.ts` when running from source (tsx), `.js` when running the build in dist/. */
const ext = extname(fileURLToPath(import.meta.url));
const commandsDir = join(here, 'commands');

type RegisterFn = (program: Command) => void;

/** The root `carto` command without any sub-command. */
export function baseProgram(): Command {
  // src/cli and dist/cli are both two levels below the package root.
  const pkg = JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return (
    new Command('carto')
      .description(
        'Cartography: CAR T-cell therapy studies from raw data to answers — PET quantification,\n' +
          'patient journey, lab assays and the pre-specified statistical analysis, reproducibly.',
      )
      .version(pkg.version)
      .option('--debug', 'print the stack trace of an unexpected error')
      // Usage errors (unknown option, missing argument) throw instead of exiting 1: runCli maps them to
      // exit 2, the code of every other input error.
      .exitOverride()
      .showHelpAfterError('(run with --help for usage)')
      .addHelpText(
        'after',
        '\nExamples:\n' +
          '  carto demo --out carto-demo       simulate a virtual trial and write its report\n' +
          '  carto run examples/sts-001 --out carto-sts-001   import, quantify, analyse and report a bundle\n' +
          '  carto suv <series-dir> --mask labels.nii.gz --json   SUV statistics per VOI',
      )
  );
}

/** Names (without extension) of the command modules, in load order. */
export function commandModuleNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`) && !f.startsWith('_'))
    .map((f) => f.slice(0, -ext.length))
    .sort();
}

/**
 * Imports the command modules `names` (in that order) and returns their `register` functions.
 * A module that fails to load is reported on stderr and left out, so one broken command module does
 * not take every other command down; a module without `register()` is a programming error (throws).
 */
export async function importCommandModules(
  names: string[],
): Promise<{ file: string; register: RegisterFn }[]> {
  const modules: { file: string; register: RegisterFn }[] = [];
  for (const name of names) {
    let mod: { register?: RegisterFn };
    try {
      mod = (await import(pathToFileURL(join(commandsDir, name + ext)).href)) as typeof mod;
    } catch (e) {
      process.stderr.write(`warning: commands of ${name}${ext} are unavailable: ${(e as Error).message}\n`);
      continue;
    }
    if (typeof mod.register !== 'function') throw new Error(`CLI module ${name}${ext} exports no register()`);
    modules.push({ file: name, register: mod.register });
  }
  return modules;
}

/** The program with the commands of the modules `names` (default: every command module). */
export async function buildProgram(names: string[] = commandModuleNames()): Promise<Command> {
  const program = baseProgram();
  for (const { register } of await importCommandModules(names)) register(program);
  return program;
}

/** The manifest of every command module (see manifest.ts); used by scripts/build.mjs. */
export async function commandManifest(): Promise<CommandManifest> {
  const names = commandModuleNames();
  const modules = await importCommandModules(names);
  const missing = names.filter((n) => !modules.some((m) => m.file === n));
  // A build must not ship a CLI that silently lacks commands.
  if (missing.length > 0) throw new Error(`command modules failed to load: ${missing.join(', ')}`);
  return manifestOfModules(baseProgram(), modules);
}

/**
 * The top-level command named in `args` (the arguments after node and the script) and whether help is
 * asked for (`-h`, `--help`, or `carto help …`). The root's own options take no value, so the first
 * argument not starting with `-` is the command; nothing after `--` counts.
 */
export function invokedCommand(args: string[]): { name: string | undefined; help: boolean } {
  let name: string | undefined;
  let help = false;
  for (const a of args) {
    if (a === '--') break;
    if (a === '-h' || a === '--help') help = true;
    else if (name === undefined && !a.startsWith('-')) name = a;
  }
  return { name, help: help || name === 'help' };
}

/**
 * Parses `argv` (as process.argv) and runs the command, importing only the command modules needed.
 * A command that runs gets a program of only the modules registering its top-level name (from
 * `manifest`). Help, `--version`, a missing or unknown command are answered by the command tree
 * rebuilt from `manifest`, without importing any command module; should that tree ever reach a
 * command's action (e.g. `-h` was an option's value), the real modules are imported and `argv` parsed
 * again by them.
 */
export async function runWithManifest(argv: string[], manifest: CommandManifest): Promise<void> {
  const runReal = async (name: string): Promise<void> => {
    const entry = manifestEntry(manifest, name);
    if (!entry) throw new Error(`command ${name} is not in the command manifest`);
    await (await buildProgram(entry.files)).parseAsync(argv);
  };
  const invoked = invokedCommand(argv.slice(2));
  if (invoked.name !== undefined && !invoked.help && manifestEntry(manifest, invoked.name)) {
    await runReal(invoked.name);
    return;
  }
  const program = baseProgram();
  for (const { spec } of manifest.commands) {
    addCommandFromSpec(program, spec, (leaf) => {
      let top = leaf;
      while (top.parent && top.parent !== program) top = top.parent;
      return runReal(top.name());
    });
  }
  await program.parseAsync(argv);
}

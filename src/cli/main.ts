/**
 * `carto` — the Cartography command line.
 *
 * Every file in `src/cli/commands/` exports `register(program)`, which adds its commands (use
 * `commandGroup(program, 'stats', …)` from `./shared.js` for nested groups such as `carto stats lmm`).
 * Files are loaded in name order, so adding a command never means editing this file.
 */
import { readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { runCli } from './shared.js';

const here = dirname(fileURLToPath(import.meta.url));
const ext = extname(fileURLToPath(import.meta.url));

export async function buildProgram(): Promise<Command> {
  const program = new Command('carto')
    .description(
      'Cartography: CAR T-cell therapy studies from raw data to answers — PET quantification,\n' +
        'patient journey, lab assays and the pre-specified statistical analysis, reproducibly.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  carto demo --out report/          simulate a virtual trial and write its report\n' +
        '  carto run examples/sts-001 --out out/   import, quantify, analyse and report a study bundle\n' +
        '  carto suv <series-dir> --mask labels.nii.gz --json   SUV statistics per VOI',
    );
  const dir = join(here, 'commands');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`) && !f.startsWith('_'))
    .sort();
  for (const f of files) {
    // One broken command module must not take every other command down: report it and go on.
    let mod: { register?: (p: Command) => void };
    try {
      mod = (await import(pathToFileURL(join(dir, f)).href)) as typeof mod;
    } catch (e) {
      process.stderr.write(`warning: commands of ${f} are unavailable: ${(e as Error).message}\n`);
      continue;
    }
    if (typeof mod.register !== 'function') throw new Error(`CLI module ${f} exports no register()`);
    mod.register(program);
  }
  return program;
}

await runCli(async () => {
  const program = await buildProgram();
  await program.parseAsync(process.argv);
});

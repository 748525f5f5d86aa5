/**
 * `carto` — the Cartography command line (the entry point; the program is built in ./program.ts).
 *
 * Run from the build (dist/cli/main.js, next to dist/cli-manifest.json; see bin/carto.js), start-up
 * imports only what the invocation needs: help, `--version` and usage errors are answered from the
 * command manifest, and a command imports only the modules registering its top-level name. Run from
 * source (tsx), every command module is loaded, since a manifest might not match the sources.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkManifest } from './manifest.js';
import { buildProgram, runWithManifest } from './program.js';
import { runCli } from './shared.js';

const fromBuild = import.meta.url.endsWith('.js');
const manifestFile = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli-manifest.json');

await runCli(async () => {
  if (fromBuild && existsSync(manifestFile)) {
    const manifest = checkManifest(JSON.parse(readFileSync(manifestFile, 'utf8')), manifestFile);
    await runWithManifest(process.argv, manifest);
  } else {
    await (await buildProgram()).parseAsync(process.argv);
  }
});

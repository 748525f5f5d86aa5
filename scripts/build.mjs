#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm ci` leaves a working build): compiles src/ to dist/ with
// tsc (tsconfig.build.json: ES modules with source maps), builds the browser app (web/, Vite) into
// dist/web/ (served by `carto serve` at `/`, src/server/web-assets.ts), then writes dist/cli-manifest.json, the
// command manifest the built CLI starts from (src/cli/manifest.ts). The manifest is written last: it
// is also the build's time stamp, which bin/carto.js compares with the sources.
// Usage: node scripts/build.mjs [out-dir]   (default dist/; out-dir is emptied first)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(process.argv[2] ?? join(root, 'dist'));
// Stale files of deleted sources must not survive (a deleted command module would still load). Only an
// earlier build or an empty folder is emptied, never a folder we did not write: an earlier build holds
// BUILD_MARK (written first, so that a failed build is recognised too).
const BUILD_MARK = '.cartography-build';
if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, BUILD_MARK))) {
  console.error(
    `build: ${out} is not empty and is not an earlier build (no ${BUILD_MARK}); refusing to empty it`,
  );
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, BUILD_MARK), 'written by scripts/build.mjs; emptied by the next build\n');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], {
  stdio: 'inherit',
});
if (r.status !== 0) {
  console.error(`build: tsc failed (exit ${r.status ?? r.signal})`);
  process.exit(1);
}
// the browser app: Vite (web/vite.config.ts) into <out>/web
const { build: viteBuild } = await import('vite');
try {
  await viteBuild({
    configFile: join(root, 'web', 'vite.config.ts'),
    build: { outDir: join(out, 'web'), emptyOutDir: true },
  });
} catch (e) {
  console.error(`build: the web app (vite, web/) failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
const { commandManifest } = await import(pathToFileURL(join(out, 'cli', 'program.js')).href);
const manifest = await commandManifest();
writeFileSync(join(out, 'cli-manifest.json'), `${JSON.stringify(manifest)}\n`);
console.log(
  `build: ${out} (${manifest.commands.length} top-level commands in cli-manifest.json; web app in web/)`,
);

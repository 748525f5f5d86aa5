#!/usr/bin/env node
// Cartography command-line entry point. Runs the build (dist/, written by `npm run build`, which
// `npm ci` runs as `prepare`) with source maps, so stack traces name the TypeScript files. Runs the
// TypeScript sources through tsx instead (slower start) when CARTO_FROM_SOURCE=1, or, with a one-line
// notice, when there is no build or a file under src/ is newer than it (stat of ~150 files: ~2 ms).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Written last by scripts/build.mjs: its time is the build's.
const stamp = join(root, 'dist', 'cli-manifest.json');
const src = join(root, 'src');

/** Newest modification time (ms) of `dir`, the folders below it and their files. */
function newestMtimeMs(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Why the sources must run instead of the build, or '' to run the build. */
function reasonToRunSource() {
  if (process.env.CARTO_FROM_SOURCE === '1') return 'CARTO_FROM_SOURCE=1';
  if (!existsSync(stamp)) return 'there is no build in dist/';
  if (existsSync(src) && newestMtimeMs(src) > statSync(stamp).mtimeMs) return 'src/ is newer than dist/';
  return '';
}

const reason = reasonToRunSource();
if (reason === '') {
  process.setSourceMapsEnabled(true);
  await import('../dist/cli/main.js');
} else {
  if (reason !== 'CARTO_FROM_SOURCE=1') {
    process.stderr.write(`carto: running from source, ${reason} (\`npm run build\` for a fast start)\n`);
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}

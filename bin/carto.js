#!/usr/bin/env node
// Cartography command-line entry point. Runs the build (dist/, written by `npm run build`, which
// `npm ci` runs as `prepare`) with source maps, so stack traces name the TypeScript files. Runs the
// TypeScript sources through tsx instead (slower start) when CARTO_FROM_SOURCE=1, or, with a one-line
// notice, when there is no build or a file under src/ is newer than it (stat of ~150 files: ~2 ms).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hugePageRelaunchEnv } from './huge-pages.mjs';

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

// Whole-volume commands start once more with glibc's huge-page tunable (bin/huge-pages.mjs). The child
// gets the terminal's signals itself (same process group); a signal sent to this process alone is passed
// on; the exit code or signal of the child is ours.
const relaunchEnv = hugePageRelaunchEnv(process.argv.slice(2), process.env, process.platform);
if (relaunchEnv !== null) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: relaunchEnv,
  });
  process.on('SIGINT', () => {}); // the terminal's Ctrl-C reaches the child directly
  for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (e) => {
    process.stderr.write(`carto: could not start ${process.execPath}: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  await runHere();
}

async function runHere() {
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
}

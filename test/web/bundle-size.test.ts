/**
 * Size of the web app's JavaScript (issue 14: under 300 kB gzip without niivue): the Vite build of web/
 * into a temporary folder; the JavaScript a page loads before the dashboard (the entry script and its
 * preloaded imports) must stay under 300 kB gzip. The dashboard's own chunk and the charting chunk
 * (vega-embed with Vega and Vega-Lite, loaded only there) are printed beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { projectRoot } from '../helpers/shared-data.js';

const LIMIT_BYTES = 300 * 1000;

test('the app loads under 300 kB of gzipped JavaScript before the dashboard', async () => {
  const out = mkdtempSync(join(tmpdir(), 'carto-web-size-'));
  try {
    await build({
      configFile: join(projectRoot, 'web', 'vite.config.ts'),
      build: { outDir: out, emptyOutDir: true },
      logLevel: 'error',
    });
    const gz = (file: string) => gzipSync(readFileSync(join(out, file)), { level: 9 }).length;
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1] as string);
    assert.ok(initial.length >= 1, 'index.html loads the entry script');
    const all = readdirSync(join(out, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => `assets/${f}`);
    const sizes = Object.fromEntries(all.map((f) => [f, gz(f)]));
    const initialBytes = initial.reduce((a, f) => a + (sizes[f] ?? 0), 0);
    const totalBytes = Object.values(sizes).reduce((a, b) => a + b, 0);
    console.log(
      `web app JavaScript, gzip: ${Object.entries(sizes)
        .map(([f, b]) => `${f} ${(b / 1000).toFixed(1)} kB`)
        .join(
          '; ',
        )}; initial ${(initialBytes / 1000).toFixed(1)} kB, all ${(totalBytes / 1000).toFixed(1)} kB`,
    );
    assert.ok(initialBytes < LIMIT_BYTES, `initial JavaScript ${initialBytes} B gzip ≥ ${LIMIT_BYTES} B`);
    assert.ok(
      all.some((f) => /embed/.test(f)) && !initial.some((f) => /embed/.test(f)),
      'the charting library is a chunk of its own, not loaded before the dashboard',
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

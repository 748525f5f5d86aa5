/**
 * Size of the web app's JavaScript (issue 14: under 300 kB gzip without niivue). Builds web/ with
 * Vite in memory (the configuration `scripts/build.mjs` uses) and adds up, gzip-compressed: every
 * chunk the app loads, except niivue's part of the viewer's chunk (only the viewer page's own modules,
 * web/src/…, count there) and the chunks only niivue's chunk imports (its decompressors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Rollup } from 'vite';
import { projectRoot } from '../helpers/shared-data.js';

const LIMIT_KB = 300;

/** The gzip kB of the app's JavaScript without niivue, and of each counted chunk. */
export async function appJsGzipKb(): Promise<{ totalKb: number; chunks: Record<string, number> }> {
  const out = await build({
    configFile: join(projectRoot, 'web', 'vite.config.ts'),
    build: { write: false },
    logLevel: 'silent',
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Rollup.RollupOutput[];
  const chunks = outputs.flatMap((o) => o.output.filter((c): c is Rollup.OutputChunk => c.type === 'chunk'));
  const hasNiivue = (c: Rollup.OutputChunk) => Object.keys(c.modules).some((m) => m.includes('/@niivue/'));
  const niivueFiles = new Set(chunks.filter(hasNiivue).map((c) => c.fileName));
  // chunks imported only from niivue's chunks (and from those), transitively
  const onlyNiivue = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const c of chunks) {
      if (niivueFiles.has(c.fileName) || onlyNiivue.has(c.fileName)) continue;
      const importers = chunks.filter(
        (x) => x.imports.includes(c.fileName) || x.dynamicImports.includes(c.fileName),
      );
      if (
        importers.length > 0 &&
        importers.every((x) => niivueFiles.has(x.fileName) || onlyNiivue.has(x.fileName))
      ) {
        onlyNiivue.add(c.fileName);
        grew = true;
      }
    }
  }
  const kb = (code: string) => gzipSync(code).length / 1024;
  const counted: Record<string, number> = {};
  for (const c of chunks) {
    if (onlyNiivue.has(c.fileName)) continue;
    counted[c.fileName] = niivueFiles.has(c.fileName)
      ? kb(
          Object.entries(c.modules)
            .filter(([id]) => !id.includes('/node_modules/'))
            .map(([, m]) => m.code ?? '')
            .join('\n'),
        )
      : kb(c.code);
  }
  return { totalKb: Object.values(counted).reduce((a, b) => a + b, 0), chunks: counted };
}

test(
  `the web app's JavaScript without niivue is under ${LIMIT_KB} kB gzip`,
  { timeout: 180_000 },
  async () => {
    const { totalKb, chunks } = await appJsGzipKb();
    const list = Object.entries(chunks)
      .map(([f, k]) => `${f} ${k.toFixed(1)}`)
      .join(', ');
    console.log(`web app JavaScript without niivue: ${totalKb.toFixed(1)} kB gzip (${list})`);
    assert.ok(
      Object.keys(chunks).some((f) => f.includes('index')),
      'the entry chunk is counted',
    );
    assert.ok(totalKb < LIMIT_KB, `${totalKb.toFixed(1)} kB gzip ≥ ${LIMIT_KB} kB (${list})`);
  },
);

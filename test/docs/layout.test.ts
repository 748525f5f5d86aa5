/**
 * The layout of src/ as the README describes it: every folder has a README.md saying what it owns and
 * what it may import, the README's layout paragraph names every folder, and the core modules do no I/O
 * and import nothing from the command line, server, database, pipeline or report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../helpers/shared-data.js';

const src = join(projectRoot, 'src');
const folders = readdirSync(src).filter((f) => statSync(join(src, f)).isDirectory());
const CORE = ['imaging', 'stats', 'flow', 'assays', 'clinical', 'analysis', 'sim'];
const NOT_FROM_CORE = ['cli', 'server', 'store', 'pipeline', 'report'];
const IO_MODULES = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'dgram'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return f.endsWith('.ts') ? [p] : [];
  });
}

test('every folder of src/ has a README.md that says what it owns and what it may import', () => {
  for (const f of folders) {
    const readme = readFileSync(join(src, f, 'README.md'), 'utf8');
    assert.match(readme, /^# src\//m, `src/${f}/README.md: title`);
    assert.match(readme, /^Owns:/m, `src/${f}/README.md: "Owns:" paragraph`);
    assert.match(readme, /^May import:/m, `src/${f}/README.md: "May import:" paragraph`);
  }
});

test("the README's layout names every folder of src/", () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const layout = readme.slice(readme.indexOf('- Layout:'));
  for (const f of folders) assert.ok(layout.includes(`\`src/${f}\``), `README layout lacks src/${f}`);
});

test('core modules do no I/O and import nothing from cli, server, store, pipeline or report', () => {
  const bad: string[] = [];
  for (const f of CORE.filter((c) => folders.includes(c))) {
    for (const file of tsFiles(join(src, f))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from '([^']+)'|import\('([^']+)'\)/g)) {
        const spec = m[1] ?? m[2]!;
        const mod = spec.replace(/^node:/, '');
        const rel = file.slice(src.length + 1);
        if (IO_MODULES.includes(mod)) bad.push(`${rel} imports ${spec}`);
        if (NOT_FROM_CORE.some((n) => new RegExp(`^(\\.\\./)+${n}/`).test(spec)))
          bad.push(`${rel} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

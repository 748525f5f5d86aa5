// Import rules of src/io (issue 13 item 4): the format readers and writers never call the simulator —
// the virtual trial's bundle is simulated and written by the command layer (src/cli/simulated-bundle.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../helpers/shared-data.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return f.endsWith('.ts') ? [p] : [];
  });
}

/** Import specifiers of `folder` (under src/) that reach into src/<target>/. */
function importsInto(folder: string, target: string): string[] {
  const root = join(projectRoot, 'src', folder);
  const bad: string[] = [];
  for (const file of tsFiles(root)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/from '([^']+)'|import\('([^']+)'\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (new RegExp(`^(\\.\\./)+${target}/`).test(spec)) bad.push(`${file.slice(root.length + 1)}: ${spec}`);
    }
  }
  return bad;
}

test('src/io imports nothing from src/sim', () => {
  assert.deepEqual(importsInto('io', 'sim'), []);
});

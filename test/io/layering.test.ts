// Import rules of src/io (issue 13 item 4): the format readers and writers never call the simulator —
// the virtual trial's bundle is simulated and written by the command layer (src/cli/simulated-bundle.ts).
// Nor do the statistics kernels of src/stats: the simulator draws from their generator, not the reverse.
// And the DICOM dataset accessors have one home, src/io/dicom/values.ts: src/imaging receives typed
// headers (src/imaging/suv-input.ts) and never a DICOM header record or a keyword accessor.
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

test('src/stats imports nothing from src/sim (the seeded generator is src/stats/prng.ts)', () => {
  assert.deepEqual(importsInto('stats', 'sim'), []);
});

/** The DICOM header-record accessors of src/io/dicom/values.ts. */
const ACCESSORS = ['rawValue', 'textValue', 'textValues', 'numValue', 'numValues', 'seqItems'];
const DICOM_PARSERS = ['parseDicomDate', 'parseDicomTime', 'parseDicomDateTime', 'parseFloatingDateTime'];

test('src/imaging imports nothing from src/io and names no DICOM header record or keyword accessor', () => {
  assert.deepEqual(importsInto('imaging', 'io'), []);
  const root = join(projectRoot, 'src', 'imaging');
  const words = ['DicomHeaderRecord', ...ACCESSORS, ...DICOM_PARSERS];
  const bad: string[] = [];
  for (const file of tsFiles(root)) {
    const text = readFileSync(file, 'utf8');
    for (const w of words)
      if (new RegExp(`\\b${w}\\b`).test(text)) bad.push(`${file.slice(root.length + 1)}: ${w}`);
  }
  assert.deepEqual(bad, []);
});

test('the DICOM accessors and DA/TM/DT parsers are defined once, in src/io/dicom/values.ts', () => {
  const root = join(projectRoot, 'src');
  const homes = new Map<string, string[]>();
  for (const file of tsFiles(root)) {
    const text = readFileSync(file, 'utf8');
    for (const w of ['DicomHeaderRecord', ...ACCESSORS, ...DICOM_PARSERS]) {
      if (new RegExp(`export (function|type) ${w}\\b`).test(text)) {
        homes.set(w, [...(homes.get(w) ?? []), file.slice(root.length + 1)]);
      }
    }
  }
  for (const w of ['DicomHeaderRecord', ...ACCESSORS, ...DICOM_PARSERS]) {
    assert.deepEqual(homes.get(w), ['io/dicom/values.ts'], w);
  }
});

/**
 * The bundle content hash (src/pipeline/hash.ts) covers every file the bundle references: a file
 * replaced in place under the same path — a scan's CT series, a scan, a mask, a table — changes it, so
 * `carto import` does not report a changed study as unchanged; rewriting the same bytes keeps it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulatedBundle } from '../../src/cli/simulated-bundle.js';
import { bundleContentHash } from '../../src/pipeline/hash.js';
import { readBundle } from '../../src/study/bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-hash-'));
const bundleDir = join(dir, 'bundle');

/** Points the first scan's `ct_path` (the last column of scans.csv) at a new CT folder with one file. */
function addCtFolder(): string {
  const ct = join(bundleDir, 'ct-1');
  mkdirSync(ct);
  writeFileSync(join(ct, 'ct-0001.dcm'), Buffer.from('CT slice one'));
  const lines = readFileSync(join(bundleDir, 'scans.csv'), 'utf8').trimEnd().split('\n');
  assert.ok(lines[0]!.endsWith(',ct_path'), 'scans.csv ends with ct_path');
  assert.ok(lines[1]!.endsWith(','), 'the first scan has no CT yet');
  lines[1] = `${lines[1]!}ct-1`;
  writeFileSync(join(bundleDir, 'scans.csv'), lines.join('\n') + '\n');
  return ct;
}

let ctDir: string;
before(async () => {
  await writeSimulatedBundle(bundleDir, { seed: 5, patients: 3, voxelMm: 12 });
  ctDir = addCtFolder();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const hash = (): string => bundleContentHash(readBundle(bundleDir));

test('the bundle reads with its CT folder', () => {
  const b = readBundle(bundleDir);
  assert.equal(b.scans.filter((s) => s.ctPath !== undefined).length, 1);
});

test('a CT slice replaced in place changes the hash; the same bytes rewritten keep it', () => {
  const h0 = hash();
  writeFileSync(join(ctDir, 'ct-0001.dcm'), Buffer.from('CT slice one'));
  assert.equal(hash(), h0, 'same bytes: same hash');
  writeFileSync(join(ctDir, 'ct-0001.dcm'), Buffer.from('CT slice ONE'));
  assert.notEqual(hash(), h0, 'a changed CT slice changes the hash');
});

test('a CT slice added to the CT folder changes the hash', () => {
  const h0 = hash();
  writeFileSync(join(ctDir, 'ct-0002.dcm'), Buffer.from('CT slice two'));
  assert.notEqual(hash(), h0);
});

test('a scan file and a table replaced in place change the hash', () => {
  const h0 = hash();
  const scan = readBundle(bundleDir).scans[0]!.path;
  // a scan is a file (NIfTI) or a folder (a DICOM series): change the last byte of its first file
  const target = statSync(scan).isDirectory() ? join(scan, readdirSync(scan).sort()[0]!) : scan;
  const bytes = readFileSync(target);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
  writeFileSync(target, bytes);
  const h1 = hash();
  assert.notEqual(h1, h0, 'a changed scan file changes the hash');
  const csv = join(bundleDir, 'scans.csv');
  writeFileSync(csv, readFileSync(csv, 'utf8') + '\n');
  assert.notEqual(hash(), h1, 'a changed table changes the hash');
});

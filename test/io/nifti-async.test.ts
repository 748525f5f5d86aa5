/**
 * `readNiftiAsync` (src/io/nifti.ts: the gzip data inflated in zlib's thread pool) gives what
 * `readNifti` gives: the same volume, header facts and errors (message, file, field), for plain and
 * gzip files, a 4D file's frame, a corrupt stream, a stream shorter or longer than the header declares
 * and a declared size over the byte budget; and the event loop runs while a large volume inflates.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { IDENTITY_DIRECTION } from '../../src/imaging/volume.js';
import { readNifti, readNiftiAsync, writeNifti, type ReadNiftiOptions } from '../../src/io/nifti.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-nifti-async-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const grid = {
  size: [9, 7, 5] as [number, number, number],
  spacingMm: [2, 2.5, 3] as [number, number, number],
  originLps: [-4, 6, 12] as [number, number, number],
  direction: IDENTITY_DIRECTION,
};
const data = Float32Array.from({ length: 9 * 7 * 5 }, (_, q) => Math.sin(q) * 7 + 3);

/** Either reader's outcome: the image, or the error's name, message and location. */
async function outcome(read: () => unknown): Promise<unknown> {
  try {
    return await read();
  } catch (e) {
    const err = e as Error & { location?: unknown };
    return { name: err.name, message: err.message, location: err.location };
  }
}

async function same(file: string, opts: ReadNiftiOptions = {}): Promise<unknown> {
  const a = await outcome(() => readNifti(file, opts));
  const b = await outcome(() => readNiftiAsync(file, opts));
  assert.deepEqual(b, a, file);
  return a;
}

test('readNiftiAsync = readNifti on plain, gzip and 4D files and on every kind of bad gzip data', async () => {
  const plain = join(dir, 'suv.nii');
  const gz = join(dir, 'suv.nii.gz');
  writeNifti({ ...grid, data, unit: 'SUV' }, plain);
  writeNifti({ ...grid, data, unit: 'SUV' }, gz);
  for (const f of [plain, gz]) {
    const img = (await same(f, { unit: 'SUVbw g/mL' })) as { volume: { data: Float32Array } };
    assert.deepEqual(img.volume.data, data, f);
  }
  const nii = gunzipSync(readFileSync(gz));
  // a 4D file (dim[0] 4, dim[4] 2): a frame is needed, then read
  const four = Buffer.concat([nii, nii.subarray(352)]);
  four.writeInt16LE(4, 40);
  four.writeInt16LE(2, 48);
  const fourGz = join(dir, 'four.nii.gz');
  writeFileSync(fourGz, gzipSync(four));
  const err4 = (await same(fourGz)) as { message: string };
  assert.match(err4.message, /4D file with 2 volumes/);
  await same(fourGz, { frame: 1 });
  // bad data: a corrupt stream, one that ends early, one that inflates to more than declared
  const corrupt = Buffer.from(readFileSync(gz));
  corrupt.fill(0x55, 40, 200);
  const short = gzipSync(nii.subarray(0, nii.length - 40));
  const long = gzipSync(Buffer.concat([nii, Buffer.alloc(4096, 1)]));
  for (const [name, bytes, pattern] of [
    ['corrupt.nii.gz', corrupt, /corrupt gzip stream|InputError/],
    ['short.nii.gz', short, /truncated|short|beyond|size/i],
    ['long.nii.gz', long, /more than the \d+ bytes the header declares/],
  ] as const) {
    const f = join(dir, name);
    writeFileSync(f, bytes);
    const e = (await same(f)) as { name: string; message: string };
    assert.equal(e.name, 'InputError', name);
    assert.match(e.message, pattern, name);
  }
  // over the byte budget
  const e = (await same(gz, { maxBytes: 1000 })) as { name: string; message: string };
  assert.equal(e.name, 'InputError');
});

test('the event loop runs while readNiftiAsync inflates a large volume', async () => {
  const n = 64 * 64 * 1024; // 16 MB of float32
  let seed = 1;
  const big = Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 5);
  const f = join(dir, 'big.nii.gz');
  writeNifti({ ...grid, size: [64, 64, 1024], data: big, unit: 'SUV' }, f);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    const img = await readNiftiAsync(f);
    assert.deepEqual(img.volume.data, big);
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks > 0, 'no timer ran while the volume inflated');
});

/**
 * NIfTI voxel data without copies: an uncompressed .nii is read into one SharedArrayBuffer and the
 * voxels are typed-array views on it (native byte order, aligned vox_offset); an unaligned vox_offset
 * or a big-endian file takes the copy path and reads the same values; `parseNifti` of the caller's
 * bytes never aliases them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNifti, parseNifti, readNifti } from '../../src/io/nifti.js';
import type { NiftiData } from '../../src/io/nifti.js';
import type { Direction3, Vec3, Volume } from '../../src/imaging/volume.js';

const tmp = mkdtempSync(join(tmpdir(), 'carto-nifti-views-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function volumeOf<T extends NiftiData>(data: T): Volume<T> {
  return {
    size: [4, 3, 5] as Vec3,
    spacingMm: [1, 2, 3] as Vec3,
    originLps: [0, 0, 0] as Vec3,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Direction3,
    data,
    unit: 'unknown',
  };
}

const N = 60;
const floats = Float32Array.from({ length: N }, (_, i) => (i - 17) * 0.37 + 1e-3 * i * i);

/** Header bytes (352) and data of encodeNifti, with vox_offset moved to `voxOffset` (padding zeros). */
function withVoxOffset(bytes: Uint8Array, voxOffset: number): Uint8Array {
  const out = new Uint8Array(voxOffset + bytes.length - 352);
  out.set(bytes.subarray(0, 352));
  new DataView(out.buffer).setFloat32(108, voxOffset, true);
  out.set(bytes.subarray(352), voxOffset);
  return out;
}

/** The little-endian NIfTI-1 file of encodeNifti byte-swapped into a big-endian one. */
function toBigEndian(bytes: Uint8Array, bytesPerVoxel: number): Uint8Array {
  const out = bytes.slice();
  const swap = (at: number, size: number): void => {
    for (let k = 0; k < size; k++) out[at + k] = bytes[at + size - 1 - k]!;
  };
  const four = [0, 32, 56, 60, 64, 108, 112, 116, 124, 128, 132, 136, 140, 144];
  for (let o = 76; o < 108; o += 4) four.push(o);
  for (let o = 256; o < 328; o += 4) four.push(o);
  const two = [36, 68, 70, 72, 74, 120, 252, 254];
  for (let o = 40; o < 56; o += 2) two.push(o);
  for (const o of four) swap(o, 4);
  for (const o of two) swap(o, 2);
  for (let o = 352; o < bytes.length; o += bytesPerVoxel) swap(o, bytesPerVoxel);
  return out;
}

test('float32, int16 and uint8 .nii are views on one SharedArrayBuffer with the written values', () => {
  const cases: NiftiData[] = [
    floats,
    Int16Array.from({ length: N }, (_, i) => i * 500 - 15000),
    Uint8Array.from({ length: N }, (_, i) => (i * 7) % 256),
    Float64Array.from({ length: N }, (_, i) => Math.sqrt(i) - 3),
  ];
  for (const data of cases) {
    const file = join(tmp, `view-${data.constructor.name}.nii`);
    const bytes = encodeNifti(volumeOf(data));
    writeFileSync(file, bytes);
    const read = readNifti(file).volume.data;
    assert.equal(read.constructor, data.constructor, data.constructor.name);
    assert.ok(read.buffer instanceof SharedArrayBuffer, `${data.constructor.name}: shared memory`);
    assert.equal(read.byteOffset, 352, `${data.constructor.name}: a view after the header`);
    assert.deepEqual(Array.from(read), Array.from(data));
    // parseNifti of the same bytes (a copy) gives the same values.
    assert.deepEqual(Array.from(parseNifti(readFileSync(file), file).volume.data), Array.from(read));
  }
});

test('scl_slope keeps the scaled data in shared memory', () => {
  const bytes = encodeNifti(volumeOf(floats));
  new DataView(bytes.buffer).setFloat32(112, 2, true);
  new DataView(bytes.buffer).setFloat32(116, 0.5, true);
  const file = join(tmp, 'scaled.nii');
  writeFileSync(file, bytes);
  const read = readNifti(file).volume.data;
  assert.ok(read.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(
    Array.from(read),
    Array.from(floats, (v) => Math.fround(v * 2 + 0.5)),
  );
});

test('an unaligned vox_offset and a big-endian file take the copy path and read the same values', () => {
  const le = encodeNifti(volumeOf(floats));
  const unaligned = join(tmp, 'unaligned.nii');
  writeFileSync(unaligned, withVoxOffset(le, 353));
  const u = readNifti(unaligned).volume.data;
  assert.ok(u instanceof Float32Array);
  assert.equal(u.byteOffset, 0, 'a copy, not a view at byte 353');
  assert.deepEqual(Array.from(u), Array.from(floats));

  const big = join(tmp, 'big-endian.nii');
  writeFileSync(big, toBigEndian(le, 4));
  const b = readNifti(big);
  assert.deepEqual(b.volume.size, [4, 3, 5]);
  assert.deepEqual(b.volume.spacingMm, [1, 2, 3]);
  assert.equal(b.volume.data.byteOffset, 0, 'a byte-swapped copy');
  assert.deepEqual(Array.from(b.volume.data), Array.from(floats));

  const shorts = Int16Array.from({ length: N }, (_, i) => i * 300 - 9000);
  const bigShort = join(tmp, 'big-endian-int16.nii');
  writeFileSync(bigShort, toBigEndian(encodeNifti(volumeOf(shorts)), 2));
  assert.deepEqual(Array.from(readNifti(bigShort).volume.data), Array.from(shorts));
});

test("parseNifti copies the caller's uncompressed bytes: changing them later leaves the volume alone", () => {
  const bytes = encodeNifti(volumeOf(floats));
  const img = parseNifti(bytes, 'in-memory.nii');
  new Float32Array(bytes.buffer, 352, N).fill(0);
  assert.deepEqual(Array.from(img.volume.data), Array.from(floats));
  const u8 = encodeNifti(volumeOf(Uint8Array.from({ length: N }, (_, i) => i + 1)));
  const img8 = parseNifti(u8, 'in-memory-u8.nii');
  u8.fill(0, 352);
  assert.equal(img8.volume.data[0], 1);
});

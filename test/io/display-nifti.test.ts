/**
 * The viewer's display volume (src/io/display-nifti.ts) and NIfTI reading
 * (src/io/nifti-voxels.ts): the 8-bit
 * quantization of the SUV through the window, the display NIfTI's header, and the clear errors of
 * `niftiVoxels` (file, field and value) for files the viewer does not read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayNifti, displaySlope, quantizeSuv } from '../../src/io/display-nifti.js';
import { niftiVoxels } from '../../src/io/nifti-voxels.js';
import { IDENTITY_DIRECTION } from '../../src/imaging/volume.js';
import { encodeNifti } from '../../src/io/nifti.js';

/** A float32 NIfTI of a 3×2×2 volume with the given values, as encodeNifti writes it (the server's). */
function floatNifti(values: number[]): Uint8Array {
  return encodeNifti({
    size: [3, 2, 2],
    spacingMm: [2, 3, 4],
    originLps: [10, 20, 30],
    direction: IDENTITY_DIRECTION,
    data: Float32Array.from(values),
    unit: 'SUVbw g/mL',
  });
}

test('niftiVoxels reads the grid, the values in place and scl_slope/inter', () => {
  const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11.5];
  const bytes = floatNifti(values);
  const v = niftiVoxels('suv.nii', bytes);
  assert.deepEqual(v.size, [3, 2, 2]);
  assert.ok(v.data instanceof Float32Array);
  assert.deepEqual([...v.data], values);
  assert.equal(v.data.buffer, bytes.buffer, 'a view, not a copy');
  assert.equal(v.slope, 1);
  assert.equal(v.inter, 0);
  // the voxels at an odd place in a larger buffer: read through a copy, same values
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual([...niftiVoxels('suv.nii', shifted.subarray(1)).data], values);
});

test('niftiVoxels names the file, the field and the value of a file it does not read', () => {
  const bytes = floatNifti(new Array<number>(12).fill(1));
  const edit = (f: (dv: DataView) => void) => {
    const b = bytes.slice();
    f(new DataView(b.buffer));
    return b;
  };
  const cases: [Uint8Array, RegExp][] = [
    [bytes.subarray(0, 100), /suv\.nii: length is 100; /],
    [edit((dv) => dv.setInt32(0, 348, false)), /suv\.nii: byte order is big-endian; .*little-endian/],
    [edit((dv) => dv.setUint8(345, 0x78)), /suv\.nii: magic is not n\+1; .*NIfTI-1/],
    [edit((dv) => dv.setInt16(70, 64, true)), /suv\.nii: datatype is 64; /],
    [edit((dv) => dv.setInt16(44, 0, true)), /suv\.nii: dim\[1\.\.3\] is 3×0×2; /],
    [edit((dv) => dv.setFloat32(108, 40, true)), /suv\.nii: vox_offset is 40; /],
    [bytes.subarray(0, bytes.length - 4), /suv\.nii: vox_offset is 352; .*12 voxels/],
  ];
  for (const [b, message] of cases) assert.throws(() => niftiVoxels('suv.nii', b), message);
});

test('quantizeSuv: 0 at or below 0 and for NaN, a positive SUV at least 1, 255 at and above the window', () => {
  const windowMax = 5;
  const values = [-1, 0, NaN, 1e-6, 0.01, 2.5, 4.99, 5, 7, 1000, 0.0098, 0.0099];
  const v = niftiVoxels('suv.nii', floatNifti(values));
  const out = new Uint8Array(values.length);
  quantizeSuv(v, windowMax, out);
  assert.deepEqual([...out], [0, 0, 0, 1, 1, 128, 254, 255, 255, 255, 1, 1]);
  // each byte times the display slope is the SUV to half a level (within the window)
  for (const [q, x] of values.entries())
    if (x > 0.02 && x <= windowMax)
      assert.ok(Math.abs(out[q]! * displaySlope(windowMax) - x) <= windowMax / 510 + 1e-9);
});

test('quantizeSuv rounds as Math.round, half up: at every level boundary and its float neighbours', () => {
  // the level v = SUV · 255 / windowMax; with windowMax 255 and slope 1 the level is the stored value
  const step = (x: number, dir: 1 | -1) => {
    const b = new Float32Array([x]);
    const u = new Int32Array(b.buffer);
    u[0]! += x > 0 ? dir : x < 0 ? -dir : dir; // the next float32 up (dir 1) or down
    return b[0]!;
  };
  const values: number[] = [];
  for (let n = 0; n <= 256; n++)
    for (const base of [n - 0.5, n, n + 0.5]) {
      let up = Math.fround(base);
      let down = up;
      for (let s = 0; s < 6; s++) values.push((up = step(up, 1)), (down = step(down, -1)));
      values.push(Math.fround(base));
    }
  // a file's reading (slope 1, inter 0) with these voxels
  const v = {
    ...niftiVoxels('suv.nii', floatNifti(new Array<number>(12).fill(0))),
    data: Float32Array.from(values),
  };
  const out = new Uint8Array(values.length);
  quantizeSuv(v, 255, out);
  const expected = values.map((x) => (x > 0 ? Math.min(255, Math.max(1, Math.round(x))) : 0));
  assert.deepEqual([...out], expected);
});

test('displayNifti: the SUV header with uint8 voxels, scl_slope windowMax/255, cal 0…windowMax, no intent', () => {
  const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11.5];
  const suv = niftiVoxels('suv.nii', floatNifti(values));
  const out = new Uint8Array(displayNifti(suv, 10));
  const d = niftiVoxels('display.nii', out);
  assert.ok(d.data instanceof Uint8Array);
  assert.deepEqual(d.size, suv.size);
  assert.equal(d.slope, Math.fround(10 / 255));
  const dv = new DataView(out.buffer);
  assert.equal(dv.getInt16(68, true), 0);
  assert.equal(dv.getInt16(72, true), 8);
  assert.equal(dv.getFloat32(124, true), 10);
  assert.equal(dv.getFloat32(128, true), 0);
  // the grid's geometry (pixdim, qform/sform: bytes 76–108 and 252–348) is the SUV's
  for (const [from, to] of [
    [76, 108],
    [252, 348],
  ])
    assert.deepEqual([...out.subarray(from, to)], [...suv.bytes.subarray(from, to)]);
  assert.deepEqual([...d.data], [0, 26, 51, 77, 102, 128, 153, 179, 204, 230, 255, 255]);
});

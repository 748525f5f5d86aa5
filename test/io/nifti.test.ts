/**
 * NIfTI reader/writer: reference files (IBSI phantom, STS_001 header geometry), write → read round trips
 * for every datatype and for qform-only / sform-only headers in all 48 axis orientations, scaling,
 * 4D frames and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNifti, readNifti, writeNifti } from '../../src/io/nifti.js';
import { ijkToLps } from '../../src/imaging/volume.js';
import type { Direction3, Vec3, Volume } from '../../src/imaging/volume.js';
import { sharedData } from '../helpers/shared-data.js';
import { allOrientations } from '../imaging/orientations.js';
import { assertAllClose } from '../helpers/assert-close.js';

const tmp = mkdtempSync(join(tmpdir(), 'carto-nifti-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

test('IBSI phantom and STS_001 NIfTI: sizes, spacing, LPS origin (DICOM ImagePositionPatient of slice 0)', () => {
  const p = readNifti(sharedData('imaging', 'ibsi1-digital-phantom', 'phantom.nii.gz'));
  assert.deepEqual(p.volume.size, [5, 4, 4]);
  assert.deepEqual(p.volume.spacingMm, [2, 2, 2]);
  const s = readNifti(sharedData('imaging', 'sts-001-pet', 'nifti', 'STS_001', 'PET_image.nii.gz'));
  assert.deepEqual(s.volume.size, [41, 43, 59]);
  // DICOM slice 000000.dcm: ImagePositionPatient -21.09375\-86.71875\-881.3, PixelSpacing 4.6875, thickness 3.27.
  // Float32 header fields: 1e-4 relative.
  assertAllClose(s.volume.originLps, [-21.09375, -86.71875, -881.3], 1e-6, 'origin', 1e-3);
  assertAllClose(s.volume.spacingMm, [4.6875, 4.6875, 3.27], 1e-5, 'spacing');
  assertAllClose(s.volume.direction, [1, 0, 0, 0, 1, 0, 0, 0, 1], 0, 'direction', 1e-6);
});

test('round trip of every datatype, .nii and .nii.gz', () => {
  const grid = {
    size: [3, 4, 5] as Vec3,
    spacingMm: [1.5, 2, 2.5] as Vec3,
    originLps: [10, -20, 30] as Vec3,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Direction3,
  };
  const n = 60;
  for (const make of [
    () => Float32Array.from({ length: n }, (_, i) => i * 0.25 - 3),
    () => Float64Array.from({ length: n }, (_, i) => i / 3),
    () => Int16Array.from({ length: n }, (_, i) => i * 100 - 3000),
    () => Uint8Array.from({ length: n }, (_, i) => i * 4),
    () => Uint16Array.from({ length: n }, (_, i) => i * 1000),
    () => Int32Array.from({ length: n }, (_, i) => i * 100000 - 7),
  ]) {
    for (const ext of ['.nii', '.nii.gz']) {
      const data = make();
      const f = join(tmp, `rt-${data.constructor.name}${ext}`);
      writeNifti({ ...grid, data, unit: 'x' }, f);
      const back = readNifti(f).volume;
      assert.equal(back.data.constructor, data.constructor);
      assert.deepEqual(Array.from(back.data), Array.from(data));
      assertAllClose(back.originLps, grid.originLps, 0, 'origin', 1e-5);
      assertAllClose(back.spacingMm, grid.spacingMm, 1e-6, 'spacing');
    }
  }
  assert.equal(readFileSync(join(tmp, 'rt-Uint8Array.nii.gz'))[0], 0x1f, '.gz is gzip');
});

test('all 48 orientations: qform-only and sform-only headers give back the grid (voxel centres in LPS)', () => {
  const dirs = allOrientations();
  assert.equal(new Set(dirs.map((d) => d.join())).size, 48);
  for (const direction of dirs) {
    for (const transforms of ['qform', 'sform'] as const) {
      const vol: Volume<Uint8Array> = {
        size: [2, 3, 4],
        spacingMm: [1, 2, 3],
        originLps: [5, 6, -7],
        direction,
        data: new Uint8Array(24),
        unit: 'label',
      };
      writeFileSync(join(tmp, 'o.nii'), encodeNifti(vol, { transforms }));
      const r = readNifti(join(tmp, 'o.nii'));
      assert.equal(r.transform, transforms);
      // Float32 quaternion: 1e-6 on unit vectors.
      assertAllClose(r.volume.direction, direction, 0, `${transforms} ${direction.join()}`, 1e-6);
      assertAllClose(ijkToLps(r.volume, [1, 2, 3]), ijkToLps(vol, [1, 2, 3]), 0, 'voxel centre', 1e-4);
    }
  }
});

test('scl_slope/scl_inter are applied; 4D needs a frame; bad files are refused with the file named', () => {
  const vol: Volume<Int16Array> = {
    size: [2, 2, 1],
    spacingMm: [1, 1, 1],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data: Int16Array.from([1, 2, 3, 4]),
    unit: '',
  };
  const bytes = encodeNifti(vol);
  const dv = new DataView(bytes.buffer);
  dv.setFloat32(112, 0.5, true);
  dv.setFloat32(116, 10, true);
  const f = join(tmp, 'scaled.nii');
  writeFileSync(f, bytes);
  assert.deepEqual(Array.from(readNifti(f).volume.data), [10.5, 11, 11.5, 12]);
  // Make it 4D with 2 frames of 2 voxels each (dims 2×1×1×2).
  const b4 = encodeNifti(vol);
  const d4 = new DataView(b4.buffer);
  d4.setInt16(40, 4, true);
  d4.setInt16(42, 2, true);
  d4.setInt16(44, 1, true);
  d4.setInt16(46, 1, true);
  d4.setInt16(48, 2, true);
  const f4 = join(tmp, 'four.nii');
  writeFileSync(f4, b4);
  assert.throws(() => readNifti(f4), /4D file with 2 volumes.*four\.nii|four\.nii.*4D file with 2 volumes/);
  assert.deepEqual(Array.from(readNifti(f4, { frame: 1 }).volume.data), [3, 4]);
  const trunc = join(tmp, 'trunc.nii');
  writeFileSync(trunc, bytes.subarray(0, 356));
  assert.throws(
    () => readNifti(trunc),
    (e: Error) => e.name === 'InputError' && /trunc\.nii.*truncated/.test(e.message),
  );
  const junk = join(tmp, 'junk.nii');
  writeFileSync(junk, new Uint8Array(400));
  assert.throws(
    () => readNifti(junk),
    (e: Error) => e.name === 'InputError' && /junk\.nii/.test(e.message),
  );
});

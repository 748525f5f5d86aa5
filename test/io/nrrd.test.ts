/**
 * NRRD reader on PyRadiomics breast1 (gzip): first-order values of PyRadiomics' baseline
 * (mean 131.12587412587413, min 102, max 162, median 130, voxel-counting volume 132.42579545515324 mm³ — the
 * baseline CSV in ../shared/data/imaging/pyradiomics-breast1), plus raw/detached/RAS headers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNrrd } from '../../src/io/nrrd.js';
import { quantifyLabelMap } from '../../src/imaging/voi-stats.js';
import { sharedData } from '../helpers/shared-data.js';
import { assertAllClose, assertClose } from '../helpers/assert-close.js';
import { readCsv } from '../../src/io/csv.js';

test('PyRadiomics breast1: first-order statistics equal the PyRadiomics baseline', () => {
  const dir = sharedData('imaging', 'pyradiomics-breast1');
  const img = readNrrd(join(dir, 'breast1_image.nrrd')).volume;
  const lab = readNrrd(join(dir, 'breast1_label.nrrd')).volume;
  const base = readCsv(join(dir, 'baseline_firstorder.csv'));
  const row = (name: string) => Number(base.rows.find((r) => r['featureName'] === name)!['breast1']);
  const suv = { ...img, data: Float32Array.from(img.data) };
  const [s] = quantifyLabelMap(suv, lab, [1], { globalPeak: false });
  // Integer image: mean is a ratio of integers; 1e-14 relative covers double summation.
  assertClose(s!.suvMean, row('original_firstorder_Mean'), 1e-14, 'mean');
  assert.equal(s!.suvMin, row('original_firstorder_Minimum'));
  assert.equal(s!.suvMax, row('original_firstorder_Maximum'));
  assert.equal(s!.suvMedian, row('original_firstorder_Median'));
  // PyRadiomics Variance is the population variance.
  assertClose(s!.suvSd ** 2, row('original_firstorder_Variance'), 1e-12, 'variance');
  // PyRadiomics shape VoxelVolume (voxel counting) = 132.42579545515324 mm³ (README of the data).
  assertClose(s!.volumeMl * 1000, 132.42579545515324, 1e-12, 'voxel-counting volume');
  assertAllClose(img.originLps, [-116.54304, -48.14465400000001, 9.4500000000000295], 0);
});

test('raw encoding, RAS space, detached data file, big endian', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'carto-nrrd-'));
  try {
    const data = Buffer.alloc(8 * 2);
    for (let i = 0; i < 8; i++) data.writeInt16BE(i * 10 - 5, 2 * i);
    writeFileSync(join(tmp, 'd.raw'), data);
    writeFileSync(
      join(tmp, 'a.nhdr'),
      'NRRD0004\ntype: short\ndimension: 3\nspace: right-anterior-superior\nsizes: 2 2 2\n' +
        'space directions: (-2,0,0) (0,-3,0) (0,0,4)\nendian: big\nencoding: raw\nspace origin: (10,20,30)\ndata file: d.raw\n',
    );
    const v = readNrrd(join(tmp, 'a.nhdr')).volume;
    assert.deepEqual(Array.from(v.data), [-5, 5, 15, 25, 35, 45, 55, 65]);
    assert.deepEqual(v.spacingMm, [2, 3, 4]);
    assert.deepEqual(v.direction, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual(v.originLps, [-10, -20, 30]);
    writeFileSync(
      join(tmp, 'bad.nrrd'),
      'NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 2\nencoding: bzip2\n\nxx',
    );
    assert.throws(
      () => readNrrd(join(tmp, 'bad.nrrd')),
      (e: Error) => e.name === 'InputError' && /bad\.nrrd.*encoding/.test(e.message),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

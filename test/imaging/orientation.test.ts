/**
 * Orientation: one labelled phantom written as NIfTI in all 48 axis orientations (image and mask
 * together; and the mask alone, resampled onto the canonical image grid), and as RTSTRUCT contours
 * rasterised onto the image in every orientation whose slices are axial — identical VOI statistics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNifti, writeNifti } from '../../src/io/nifti.js';
import { quantifyLabelMap, voiStatistics } from '../../src/imaging/voi-stats.js';
import type { LabelData, LabelStatistics } from '../../src/imaging/voi-stats.js';
import { maskOntoGrid } from '../../src/imaging/resample.js';
import { rasterizeContours } from '../../src/imaging/rasterize.js';
import { ijkToLps } from '../../src/imaging/volume.js';
import type { Volume } from '../../src/imaging/volume.js';
import { allOrientations, reorient } from './orientations.js';
import { assertClose } from '../helpers/assert-close.js';

const ID = [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'];

function phantom(): { suv: Volume<Float32Array>; labels: Volume<Uint8Array> } {
  const size: [number, number, number] = [14, 11, 9];
  const grid = {
    size,
    spacingMm: [2, 2.5, 3] as [number, number, number],
    originLps: [-10, 20, -30] as [number, number, number],
    direction: ID,
  };
  const n = 14 * 11 * 9;
  const data = new Float32Array(n);
  const lab = new Uint8Array(n);
  for (let k = 0; k < 9; k++)
    for (let j = 0; j < 11; j++)
      for (let i = 0; i < 14; i++) {
        const q = i + 14 * (j + 11 * k);
        // Asymmetric values so any flip/permutation error changes the statistics.
        data[q] = 1 + 0.37 * i + 0.11 * j * j + 0.05 * i * k + (q % 7) * 0.3;
        if ((i - 4) ** 2 + (j - 5) ** 2 / 1.5 + (k - 4) ** 2 / 2 < 9) lab[q] = 1;
        else if (i >= 9 && i < 13 && j >= 2 && j < 6 && k >= 3 && k < 8) lab[q] = 2;
      }
  return { suv: { ...grid, data, unit: 'SUV' }, labels: { ...grid, data: lab, unit: 'label' } };
}

function same(a: LabelStatistics[], b: LabelStatistics[], what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((x, n) => {
    const y = b[n]!;
    assert.equal(x.label, y.label);
    assert.equal(x.voxelCount, y.voxelCount, `${what} count`);
    assert.equal(x.suvMin, y.suvMin);
    assert.equal(x.suvMax, y.suvMax);
    assert.equal(x.suvMedian, y.suvMedian);
    // Same values summed in another order: 1e-12 relative.
    for (const k of ['volumeMl', 'suvMean', 'suvSd', 'suvPeakLocal', 'suvPeakGlobal', 'matvMl'] as const) {
      assertClose(x[k], y[k], 1e-12, `${what} ${k}`);
    }
  });
}

test('48 NIfTI orientations: image + mask, and mask alone resampled onto the image, give identical statistics', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'carto-orient-'));
  try {
    const { suv, labels } = phantom();
    const ref = quantifyLabelMap(suv, labels);
    assert.deepEqual(
      ref.map((r) => r.label),
      [1, 2],
    );
    for (const [n, dir] of allOrientations().entries()) {
      const fi = join(tmp, `img${n}.nii.gz`);
      const fm = join(tmp, `mask${n}.nii`);
      writeNifti(reorient(suv, dir), fi, { transforms: n % 2 ? 'qform' : 'sform' });
      writeNifti(reorient(labels, dir), fm, { transforms: n % 3 ? 'both' : 'qform' });
      const img = readNifti(fi).volume as Volume<Float32Array>;
      const msk = readNifti(fm).volume as Volume<LabelData>;
      same(quantifyLabelMap(img, msk), ref, `orientation ${n} (${dir.join(',')})`);
      const onCanonical = maskOntoGrid(msk, suv);
      assert.equal(onCanonical.resampled, n !== 0, 'identity orientation is the same lattice');
      same(quantifyLabelMap(suv, onCanonical.volume), ref, `orientation ${n} resampled`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('RTSTRUCT contours of label 2 rasterised onto the image in the 16 axial-slice orientations: identical statistics', () => {
  const { suv, labels } = phantom();
  // Label 2 is the box i 9..12, j 2..5, k 3..7: its contour per slice is the rectangle through the voxel
  // edges' midpoints (0.5 voxel outside the outer centres, nudged 0.1 inward of the next centre).
  const contours = [3, 4, 5, 6, 7].map((k) => {
    const a = ijkToLps(suv, [8.6, 1.6, k]);
    const b = ijkToLps(suv, [12.4, 5.4, k]);
    return {
      pointsLps: Float64Array.from([a[0], a[1], a[2], b[0], a[1], a[2], b[0], b[1], a[2], a[0], b[1], a[2]]),
    };
  });
  const ref = quantifyLabelMap(suv, labels, [2])[0]!;
  const axial = allOrientations().filter((d) => d[8] !== 0);
  assert.equal(axial.length, 16);
  for (const dir of axial) {
    const img = reorient(suv, dir);
    const { mask } = rasterizeContours(img, contours);
    const s = voiStatistics(img, mask);
    same([{ label: 2, ...s }], [ref], `RTSTRUCT ${dir.join(',')}`);
  }
});

/**
 * VOI statistics: IBSI 1 digital phantom reference values, and the fast global/local SUVpeak against a
 * brute-force implementation written here (distance from LPS voxel centres, no shared code).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti } from '../../src/io/nifti.js';
import { quantifyLabelMap, voiStatistics, medianInPlace } from '../../src/imaging/voi-stats.js';
import { ijkToLps } from '../../src/imaging/volume.js';
import type { Volume } from '../../src/imaging/volume.js';
import { sharedData } from '../helpers/shared-data.js';
import { assertClose } from '../helpers/assert-close.js';

const R_MM = 10 * Math.cbrt(3 / (4 * Math.PI));

/** Brute force: mean of voxels whose centre is within R_MM (LPS distance) of voxel c. */
function bruteSphereMean(v: Volume<Float32Array>, c: number): number {
  const [nx, ny, nz] = v.size;
  const pc = ijkToLps(v, [c % nx, Math.floor(c / nx) % ny, Math.floor(c / (nx * ny))]);
  let s = 0;
  let n = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = ijkToLps(v, [i, j, k]);
        if (Math.hypot(p[0] - pc[0], p[1] - pc[1], p[2] - pc[2]) <= R_MM) {
          s += v.data[i + nx * (j + ny * k)]!;
          n++;
        }
      }
  return s / n;
}

test('IBSI 1 digital phantom: local peak 2.6, global peak 3.1, mean 2.15, volume 592 mm³, variance 3.05', () => {
  const dir = sharedData('imaging', 'ibsi1-digital-phantom');
  const expected = JSON.parse(readFileSync(join(dir, 'EXPECTED.json'), 'utf8')) as Record<string, number>;
  const img = readNifti(join(dir, 'phantom.nii.gz')).volume;
  const mask = readNifti(join(dir, 'mask.nii.gz')).volume;
  const suv = { ...img, data: Float32Array.from(img.data) };
  const s = voiStatistics(suv, Uint8Array.from(mask.data));
  // IBSI reference values are published to 3 significant digits: tolerance = half a unit in the last digit.
  assertClose(s.suvPeakLocal, expected['local_intensity_peak']!, 0, 'local peak', 0.005);
  assertClose(s.suvPeakGlobal, expected['global_intensity_peak']!, 0, 'global peak', 0.05);
  assertClose(s.suvMean, expected['mean']!, 0, 'mean', 0.005);
  assertClose(s.suvSd ** 2, expected['variance']!, 0, 'variance (population)', 0.005);
  assert.equal(s.volumeMl * 1000, expected['volume_voxel_counting_mm3']);
  assert.equal(s.suvMin, expected['minimum']);
  assert.equal(s.suvMax, expected['maximum']);
  assert.equal(s.suvMedian, expected['median']);
  assert.equal(s.voxelCount, 74);
});

function randomVolume(seed: number, size: [number, number, number], spacing: [number, number, number]) {
  let x = seed >>> 0;
  const rnd = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const n = size[0] * size[1] * size[2];
  const data = new Float32Array(n);
  // Integer values make ties at the maximum likely (tests the tie rule).
  for (let q = 0; q < n; q++) data[q] = Math.floor(rnd() * 6);
  const labels = new Uint8Array(n);
  for (let q = 0; q < n; q++) labels[q] = rnd() < 0.3 ? 1 + Math.floor(rnd() * 3) : 0;
  const grid = {
    size,
    spacingMm: spacing,
    originLps: [3, -7, 11] as [number, number, number],
    direction: [0, 1, 0, -1, 0, 0, 0, 0, 1] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ],
  };
  return { suv: { ...grid, data, unit: 'SUV' }, labels: { ...grid, data: labels, unit: 'label' } };
}

test('global and local SUVpeak equal a brute-force sphere search (anisotropic grid, borders, ties)', () => {
  for (const [seed, spacing] of [
    [1, [4, 4, 4]],
    [2, [2.5, 3.1, 1.7]],
    [3, [1.65, 1.65, 2.0]],
  ] as const) {
    const { suv, labels } = randomVolume(seed, [13, 11, 9], [...spacing]);
    const stats = quantifyLabelMap(suv, labels);
    assert.deepEqual(
      stats.map((s) => s.label),
      [1, 2, 3],
    );
    for (const st of stats) {
      let glob = -Infinity;
      let max = -Infinity;
      const vals: number[] = [];
      for (let q = 0; q < labels.data.length; q++)
        if (labels.data[q] === st.label) {
          vals.push(suv.data[q]!);
          if (suv.data[q]! > max) max = suv.data[q]!;
        }
      let local = -Infinity;
      for (let q = 0; q < labels.data.length; q++) {
        if (labels.data[q] !== st.label) continue;
        const m = bruteSphereMean(suv, q);
        if (m > glob) glob = m;
        if (suv.data[q] === max && m > local) local = m;
      }
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      // Exact in real arithmetic; 1e-12 covers double rounding of prefix-sum differences.
      assertClose(st.suvPeakGlobal, glob, 1e-12, `seed ${seed} label ${st.label} global`);
      assertClose(st.suvPeakLocal, local, 1e-12, `seed ${seed} label ${st.label} local`);
      assertClose(st.suvMean, mean, 1e-12, 'mean');
      assert.equal(st.voxelCount, vals.length);
      const sorted = vals.slice().sort((a, b) => a - b);
      const med =
        sorted.length % 2
          ? sorted[(sorted.length - 1) / 2]!
          : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
      assert.equal(st.suvMedian, med);
      assertClose(
        st.matvMl,
        (vals.filter((v) => v >= 2.5).length * spacing[0] * spacing[1] * spacing[2]) / 1000,
        1e-12,
        'matv',
      );
    }
  }
});

test('median: odd and even lengths, duplicates (quickselect vs sort)', () => {
  let x = 7;
  for (const n of [1, 2, 3, 10, 101, 1000, 1001]) {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = (x = (x * 48271) % 2147483647) % 17;
    const s = Array.from(a).sort((p, q) => p - q);
    const want = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
    assert.equal(medianInPlace(a), want, `n=${n}`);
  }
});

test('labels listed but absent give voxelCount 0 and NaN statistics; mask on another grid is refused', () => {
  const { suv, labels } = randomVolume(5, [6, 5, 4], [2, 2, 2]);
  const [s] = quantifyLabelMap(suv, labels, [42]);
  assert.equal(s!.voxelCount, 0);
  assert.ok(Number.isNaN(s!.suvMean));
  const shifted = { ...labels, originLps: [0, 0, 0] as [number, number, number] };
  assert.throws(() => quantifyLabelMap(suv, shifted), /differs from the image grid/);
});

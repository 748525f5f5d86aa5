/**
 * Threaded imaging kernels (src/parallel/pool.ts): the global SUVpeak search split into slabs across
 * worker threads, and the Gaussian filter split into lines/planes, give results bit-identical to the
 * single-thread path (threads forced on small volumes through the `threads` option); thread-count
 * validation; a failing worker task surfaces as an error instead of a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantifyLabelMap, voiStatistics } from '../../src/imaging/voi-stats.js';
import { gaussianFilter } from '../../src/imaging/filter.js';
import type { Vec3, Volume } from '../../src/imaging/volume.js';
import { PARALLEL_MIN_VOXELS, runThreadsSync, splitRange, threadCount } from '../../src/parallel/pool.js';

/** Deterministic noisy volume with hot blobs, on SharedArrayBuffer-backed arrays when `shared`. */
function phantom(size: Vec3, shared: boolean): { suv: Volume<Float32Array>; labels: Volume<Uint8Array> } {
  const n = size[0] * size[1] * size[2];
  const data = shared ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n);
  const lab = shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
  let x = 12345;
  const rnd = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  const [nx, ny, nz] = size;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const q = i + nx * (j + ny * k);
        const d1 = Math.hypot(i - 6, j - 7, k - 5);
        const d2 = Math.hypot(i - 15, j - 12, k - 17);
        data[q] = 1 + rnd() + 8 * Math.exp((-d1 * d1) / 8) + 5 * Math.exp((-d2 * d2) / 12);
        lab[q] = d1 < 4 ? 1 : d2 < 5 ? 2 : (i + j + k) % 7 === 0 && k > 10 ? 3 : 0;
      }
  const grid = {
    size,
    spacingMm: [2, 2.5, 3] as Vec3,
    originLps: [0, 0, 0] as Vec3,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'],
  };
  return { suv: { ...grid, data, unit: 'SUV' }, labels: { ...grid, data: lab, unit: 'label' } };
}

test('global and local SUVpeak and all VOI statistics: 2 and 3 threads equal 1 thread bit for bit', () => {
  const { suv, labels } = phantom([22, 20, 24], true);
  const one = quantifyLabelMap(suv, labels, undefined, { threads: 1 });
  assert.equal(one.length, 3);
  for (const r of one) assert.ok(Number.isFinite(r.suvPeakGlobal) && r.suvPeakGlobal >= r.suvPeakLocal);
  for (const threads of [2, 3]) {
    const many = quantifyLabelMap(suv, labels, undefined, { threads });
    assert.deepStrictEqual(many, one);
  }
});

test('an explicit thread count also works on data not in shared memory (copied), bit-identical', () => {
  const { suv, labels } = phantom([22, 20, 24], false);
  assert.deepStrictEqual(
    quantifyLabelMap(suv, labels, [2, 1, 9], { threads: 2 }),
    quantifyLabelMap(suv, labels, [2, 1, 9], { threads: 1 }),
  );
});

test('label-map statistics from the histogram counts equal per-mask statistics (uint8, float32, label 0 listed)', () => {
  const { suv, labels } = phantom([22, 20, 24], false);
  const asFloat = { ...labels, data: Float32Array.from(labels.data) };
  for (const map of [labels, asFloat]) {
    const rows = quantifyLabelMap(suv, map, [3, 0, 1, 2, 7]);
    rows.forEach(({ label, ...stats }) => {
      const mask = Uint8Array.from(labels.data, (v) => (v === label ? 1 : 0));
      assert.deepStrictEqual(stats, voiStatistics(suv, mask), `label ${label}`);
    });
    assert.equal(rows[1]!.voxelCount, labels.data.filter((v) => v === 0).length);
    assert.equal(rows[4]!.voxelCount, 0);
  }
});

test('Gaussian filter: 2 and 3 threads equal 1 thread bit for bit (isotropic and per-axis FWHM)', () => {
  const { suv } = phantom([22, 20, 24], false);
  for (const fwhm of [7, [5, 0, 9] as Vec3]) {
    const one = gaussianFilter(suv, fwhm, 4, { threads: 1 });
    for (const threads of [2, 3]) {
      const many = gaussianFilter(suv, fwhm, 4, { threads });
      assert.deepStrictEqual(Array.from(many.data), Array.from(one.data));
      assert.deepStrictEqual(many.size, one.size);
    }
  }
});

test('thread count: explicit, CARTO_THREADS, size threshold, invalid values', () => {
  assert.equal(threadCount(10, 3), 3);
  assert.equal(threadCount(10), 1);
  const saved = process.env['CARTO_THREADS'];
  try {
    process.env['CARTO_THREADS'] = '2';
    assert.equal(threadCount(PARALLEL_MIN_VOXELS), 2);
    assert.equal(threadCount(PARALLEL_MIN_VOXELS - 1), 1);
    process.env['CARTO_THREADS'] = 'two';
    assert.throws(() => threadCount(PARALLEL_MIN_VOXELS), /CARTO_THREADS.*'two'/);
  } finally {
    if (saved === undefined) delete process.env['CARTO_THREADS'];
    else process.env['CARTO_THREADS'] = saved;
  }
  assert.throws(() => threadCount(10, 0), /whole number ≥ 1, got 0/);
  assert.throws(() => gaussianFilter(phantom([4, 4, 4], false).suv, 7, 4, { threads: 1.5 }), /got 1.5/);
  assert.deepStrictEqual(splitRange(10, 3), [
    [0, 3],
    [3, 6],
    [6, 10],
  ]);
});

test('a worker task that throws makes runThreadsSync throw with its message', () => {
  const url = new URL('./parallel-failing-task.ts', import.meta.url).href;
  assert.throws(
    () => runThreadsSync(url, 'failingTask', () => {}, [0, 1]),
    /worker thread 1 failed: .*task 1 failed on purpose/s,
  );
  assert.throws(() => runThreadsSync(url, 'noSuchExport', () => {}, [0, 1]), /worker thread 1 failed/);
});

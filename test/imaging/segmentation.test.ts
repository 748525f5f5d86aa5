/**
 * MATV and connected components against independent implementations written here: union–find
 * labelling (not flood fill) on random masks, exact box volumes, voxel-centre sphere counts, and the
 * threshold rules (fixed 2.5, 41 % SUVmax, PERCIST 1.5·mean + 2·SD).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectedComponents,
  matvForLabels,
  patientMatv,
  percistLiverThreshold,
  regionGrow,
  segmentLesion,
  thresholdSuv,
} from '../../src/imaging/segmentation.js';
import type { Direction3, Vec3, Volume } from '../../src/imaging/volume.js';
import { assertClose } from '../helpers/assert-close.js';

const ID: Direction3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
function vol(
  size: Vec3,
  spacing: Vec3,
  f: (i: number, j: number, k: number) => number,
): Volume<Float32Array> {
  const data = new Float32Array(size[0] * size[1] * size[2]);
  for (let k = 0; k < size[2]; k++)
    for (let j = 0; j < size[1]; j++)
      for (let i = 0; i < size[0]; i++) data[i + size[0] * (j + size[1] * k)] = f(i, j, k);
  return { size, spacingMm: spacing, originLps: [0, 0, 0], direction: ID, data, unit: 'SUV' };
}

/** Independent: union–find over 26-neighbour pairs; returns component sizes sorted. */
function unionFindSizes(mask: Uint8Array, [nx, ny, nz]: Vec3): number[] {
  const parent = new Int32Array(mask.length).map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = i + nx * (j + ny * k);
        if (!mask[p]) continue;
        for (let dk = -1; dk <= 1; dk++)
          for (let dj = -1; dj <= 1; dj++)
            for (let di = -1; di <= 1; di++) {
              const a = i + di,
                b = j + dj,
                c = k + dk;
              if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
              const q = a + nx * (b + ny * c);
              if (mask[q]) parent[find(p)] = find(q);
            }
      }
  const sizes = new Map<number, number>();
  for (let p = 0; p < mask.length; p++) if (mask[p]) sizes.set(find(p), (sizes.get(find(p)) ?? 0) + 1);
  return [...sizes.values()].sort((a, b) => a - b);
}

test('26-connected components equal an independent union–find on random masks', () => {
  let x = 12345;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (const density of [0.05, 0.2, 0.35]) {
    const size: Vec3 = [17, 13, 11];
    const mask = new Uint8Array(size[0] * size[1] * size[2]).map(() => (rnd() < density ? 1 : 0));
    const cc = connectedComponents(mask, size, 26);
    const mine = cc.voxelCounts.slice(1).sort((a, b) => a - b);
    assert.deepEqual(mine, unionFindSizes(mask, size), `density ${density}`);
    for (let p = 0; p < mask.length; p++) assert.equal(cc.labels[p]! > 0, mask[p] === 1);
  }
  // Corner-touching voxels: one component with 26-, two with 6-connectivity.
  const m = new Uint8Array(8);
  m[0] = 1;
  m[7] = 1;
  assert.equal(connectedComponents(m, [2, 2, 2], 26).count, 1);
  assert.equal(connectedComponents(m, [2, 2, 2], 6).count, 2);
});

test('MATV of synthetic shapes with known volumes: boxes exactly, spheres = voxel-centre count', () => {
  // Two boxes (SUV 6 and 3) on background 1, voxels 2×2×3 mm = 0.012 mL.
  const v = vol([30, 30, 20], [2, 2, 3], (i, j, k) =>
    i >= 2 && i < 12 && j >= 3 && j < 11 && k >= 1 && k < 7
      ? 6
      : i >= 18 && i < 23 && j >= 18 && j < 28 && k >= 10 && k < 14
        ? 3
        : 1,
  );
  const all = new Uint8Array(v.data.length).fill(1);
  const fixed = segmentLesion(v, { voi: all });
  assert.equal(fixed.voxelCount, 10 * 8 * 6 + 5 * 10 * 4);
  assertClose(fixed.matvMl, (480 + 200) * 0.012, 1e-12, 'fixed 2.5');
  assert.equal(fixed.componentCount, 2);
  // 41 % of SUVmax 6 = 2.46 → both boxes; 60 % = 3.6 → the hot box only.
  assert.equal(segmentLesion(v, { voi: all }, { kind: 'percentMax', percent: 41 }).voxelCount, 680);
  assert.equal(segmentLesion(v, { voi: all }, { kind: 'percentMax', percent: 60 }).voxelCount, 480);
  // Region growing from a seed in the cold box reaches only that box.
  const grown = segmentLesion(v, { seedIjk: [20, 20, 11] });
  assert.equal(grown.voxelCount, 200);
  assert.equal(
    regionGrow(v, [0, 0, 0], 2.5).reduce((a, b) => a + b, 0),
    0,
    'seed below threshold → empty',
  );

  // Sphere of radius 9 mm, SUV 10 inside, on a 1.5 mm grid, centre off-lattice.
  const c: Vec3 = [20.3, 19.7, 20.1];
  const R = 9;
  const sp: Vec3 = [1.5, 1.5, 1.5];
  const s = vol([28, 28, 28], sp, (i, j, k) =>
    Math.hypot(i * 1.5 - c[0], j * 1.5 - c[1], k * 1.5 - c[2]) <= R ? 10 : 0.5,
  );
  let inside = 0;
  for (let k = 0; k < 28; k++)
    for (let j = 0; j < 28; j++)
      for (let i = 0; i < 28; i++)
        if (Math.hypot(i * 1.5 - c[0], j * 1.5 - c[1], k * 1.5 - c[2]) <= R) inside++;
  const seg = segmentLesion(s, { seedIjk: [13, 13, 13] });
  assert.equal(seg.voxelCount, inside);
  // And close to the analytic 4/3·π·R³ (3.05 mL): voxelisation error < 3 % at R = 6 voxels.
  assertClose(seg.matvMl, ((4 / 3) * Math.PI * R ** 3) / 1000, 0.03, 'sphere volume');
  const pt = patientMatv(s, [seg, seg]);
  assertClose(pt.sumOfLesionsMl, 2 * seg.matvMl, 1e-12, 'sum');
  assertClose(pt.totalMl, seg.matvMl, 1e-12, 'union counts shared voxels once');
  assert.equal(pt.componentCount, 1);
});

test('threshold rules: fixed, % SUVmax, PERCIST liver', () => {
  assert.equal(thresholdSuv({ kind: 'fixed', suv: 2.5 }, 99), 2.5);
  assertClose(thresholdSuv({ kind: 'percentMax', percent: 41 }, 10), 4.1, 1e-15);
  assertClose(percistLiverThreshold(2, 0.3), 3.6, 1e-15);
  assertClose(thresholdSuv({ kind: 'percist', liverMeanSuv: 2, liverSdSuv: 0.3 }, 0), 3.6, 1e-15);
});

test('matvForLabels (bounding-box passes) = per-lesion segmentLesion and the union of their masks', () => {
  let x = 4242;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const size: Vec3 = [24, 20, 16];
  const suv = vol(size, [2, 2, 2.5], () => 0.5 + 6 * rnd() ** 2);
  const labels = new Uint8Array(suv.data.length);
  const centres: Vec3[] = [
    [5, 5, 4],
    [15, 12, 9],
    [8, 15, 12],
  ];
  centres.forEach((c, n) => {
    for (let k = 0; k < 16; k++)
      for (let j = 0; j < 20; j++)
        for (let i = 0; i < 24; i++)
          if ((i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= 16)
            labels[i + 24 * (j + 20 * k)] = n + 1;
  });
  for (const rule of [
    { kind: 'fixed', suv: 2.5 },
    { kind: 'percentMax', percent: 41 },
  ] as const) {
    const fast = matvForLabels(suv, { data: labels }, [1, 2, 3], rule);
    const segs = [1, 2, 3].map((l) =>
      segmentLesion(suv, { voi: labels.map((v) => (v === l ? 1 : 0)) }, rule),
    );
    fast.lesions.forEach((f, n) => {
      assert.equal(f.voxelCount, segs[n]!.voxelCount);
      assert.equal(f.componentCount, unionFindSizes(segs[n]!.mask, size).length);
      assertClose(f.thresholdSuv, segs[n]!.thresholdSuv, 1e-15, 'threshold');
    });
    const pt = patientMatv(suv, segs);
    assertClose(fast.patient.totalMl, pt.totalMl, 1e-12, 'patient total');
    const union = new Uint8Array(labels.length);
    for (const s of segs) s.mask.forEach((v, q) => (union[q] = union[q]! | v));
    assert.equal(fast.patient.componentCount, unionFindSizes(union, size).length);
  }
});

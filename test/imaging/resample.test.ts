/**
 * Resampling: trilinear reproduces a linear function of LPS position exactly on any target grid
 * (rotated, finer, shifted); nearest neighbour picks the voxel containing the centre; overlap counts;
 * a mask that misses the image is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridOverlap, maskOntoGrid, resampleLinear, resampleNearest } from '../../src/imaging/resample.js';
import { ijkToLps } from '../../src/imaging/volume.js';
import type { Grid, Volume } from '../../src/imaging/volume.js';
import { assertClose } from '../helpers/assert-close.js';

const f = (p: number[]) => 2 + 0.3 * p[0]! - 0.2 * p[1]! + 0.05 * p[2]!;

function source(): Volume<Float32Array> {
  const g: Grid = {
    size: [20, 18, 16],
    spacingMm: [2, 2.5, 3],
    originLps: [-10, -12, 5],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  };
  const data = new Float32Array(20 * 18 * 16);
  for (let k = 0; k < 16; k++)
    for (let j = 0; j < 18; j++)
      for (let i = 0; i < 20; i++) data[i + 20 * (j + 18 * k)] = f(ijkToLps(g, [i, j, k]));
  return { ...g, data, unit: 'x' };
}

test('trilinear resampling reproduces a linear field on a rotated, finer grid (inside the source centres)', () => {
  const src = source();
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  const target: Grid = {
    size: [15, 15, 12],
    spacingMm: [1.3, 1.1, 1.7],
    originLps: [0, -2, 14],
    direction: [c, s, 0, -s, c, 0, 0, 0, 1],
  };
  const out = resampleLinear(src, target);
  let checked = 0;
  for (let k = 0; k < 12; k++)
    for (let j = 0; j < 15; j++)
      for (let i = 0; i < 15; i++) {
        const p = ijkToLps(target, [i, j, k]);
        // Float32 storage of the source: 1e-5 relative.
        assertClose(out.data[i + 15 * (j + 15 * k)]!, f(p), 1e-5, `voxel ${i},${j},${k}`, 1e-5);
        checked++;
      }
  assert.equal(checked, 15 * 15 * 12);
});

test('nearest neighbour takes the voxel containing the target centre; 0 outside; overlap counts', () => {
  const src = source();
  const target: Grid = {
    size: [50, 4, 4],
    spacingMm: [1, 1, 1],
    originLps: [-20, -5, 20],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  };
  const out = resampleNearest(src, target);
  for (let i = 0; i < 50; i++) {
    const x = -20 + i;
    const si = Math.floor((x + 10) / 2 + 0.5);
    const want = si < 0 || si >= 20 ? 0 : src.data[si + 20 * (Math.floor((-5 + 12) / 2.5 + 0.5) + 18 * 5)]!;
    assert.equal(out.data[i], want, `x = ${x}`);
  }
  // Source x extent: −11 … 29 mm (edges) → target centres −11 … 28 inside along x (40), all 4×4 in y/z.
  assert.equal(gridOverlap(src, target).targetVoxelsInside, 40 * 16);
  const far: Volume<Uint8Array> = {
    ...src,
    originLps: [1000, 0, 0],
    data: new Uint8Array(src.data.length).fill(1),
  };
  assert.throws(
    () => maskOntoGrid(far, target, { file: 'm.nii' }),
    (e: Error) => e.name === 'InputError' && /m\.nii.*does not overlap/.test(e.message),
  );
});

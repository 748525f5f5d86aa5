/**
 * RTSTRUCT-style contour rasterisation vs an independent per-voxel crossing-number test written here:
 * several contours per slice, a hole (contour inside a contour), concave shapes, an anisotropic rotated
 * grid; plus the refusal of oblique and open contours.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rasterizeContours } from '../../src/imaging/rasterize.js';
import { ijkToLps } from '../../src/imaging/volume.js';
import type { Grid } from '../../src/imaging/volume.js';

/** Independent even-odd test of a 2D point against polygons (x, y arrays in LPS mm). */
function insideEvenOdd(px: number, py: number, polys: [number, number][][]): boolean {
  let inside = false;
  for (const poly of polys) {
    for (let a = 0, b = poly.length - 1; a < poly.length; b = a++) {
      const [xa, ya] = poly[a]!;
      const [xb, yb] = poly[b]!;
      if (ya > py !== yb > py && px < xa + ((py - ya) * (xb - xa)) / (yb - ya)) inside = !inside;
    }
  }
  return inside;
}

const star = (cx: number, cy: number, r1: number, r2: number, n: number): [number, number][] =>
  Array.from({ length: 2 * n }, (_, t) => {
    const r = t % 2 ? r2 : r1;
    const ang = (Math.PI * t) / n + 0.1;
    return [cx + r * Math.cos(ang), cy + r * Math.sin(ang)];
  });
const circle = (cx: number, cy: number, r: number, n = 40): [number, number][] =>
  Array.from({ length: n }, (_, t) => [
    cx + r * Math.cos((2 * Math.PI * t) / n),
    cy + r * Math.sin((2 * Math.PI * t) / n),
  ]);

test('islands, holes and concave contours: same voxels as an independent even-odd point test', () => {
  for (const grid of [
    {
      size: [40, 36, 5],
      spacingMm: [2, 2, 3],
      originLps: [-40.3, -35.7, 10],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    },
    // Rows along −y, columns along +x (a 90° in-plane rotation), anisotropic pixels, slices along −z.
    {
      size: [36, 40, 5],
      spacingMm: [1.7, 2.3, 3],
      originLps: [-40.3, 35.1, 22],
      direction: [0, -1, 0, 1, 0, 0, 0, 0, -1],
    },
  ] as Grid[]) {
    const slicesZ = [0, 1, 2, 3, 4].map((k) => ijkToLps(grid, [0, 0, k])[2]);
    const polysBySlice = new Map<number, [number, number][][]>();
    polysBySlice.set(1, [circle(0.2, 0.1, 25.3), circle(3.1, -2.2, 9.7)]); // ring (hole)
    polysBySlice.set(2, [star(-15.2, 10.4, 14.9, 6.3, 5), circle(18.3, -12.6, 7.1)]); // two islands, concave
    polysBySlice.set(3, [star(0.4, 0.3, 30.2, 12.1, 7), circle(0.4, 0.3, 5.2), circle(20.2, 20.1, 3.3)]);
    const contours = [...polysBySlice.entries()].flatMap(([k, polys]) =>
      polys.map((p) => ({ pointsLps: Float64Array.from(p.flatMap(([x, y]) => [x, y, slicesZ[k]!])) })),
    );
    const { mask, contoursUsed } = rasterizeContours(grid, contours);
    assert.equal(contoursUsed, 7);
    let n = 0;
    const [nx, ny, nz] = grid.size;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const p = ijkToLps(grid, [i, j, k]);
          const want = insideEvenOdd(p[0], p[1], polysBySlice.get(k) ?? []);
          assert.equal(mask[i + nx * (j + ny * k)] === 1, want, `voxel ${i},${j},${k}`);
          if (want) n++;
        }
    assert.ok(n > 300, `non-trivial masks (${n} voxels)`);
  }
});

test('contours off the grid are counted; oblique and open contours are refused', () => {
  const grid: Grid = {
    size: [10, 10, 3],
    spacingMm: [1, 1, 1],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  };
  const sq = (z: number) => Float64Array.from([1.5, 1.5, z, 6.5, 1.5, z, 6.5, 6.5, z, 1.5, 6.5, z]);
  const r = rasterizeContours(grid, [{ pointsLps: sq(1) }, { pointsLps: sq(9) }]);
  assert.equal(r.contoursOutside, 1);
  assert.equal(
    r.mask.reduce((a, b) => a + b, 0),
    25,
  );
  assert.throws(
    () =>
      rasterizeContours(grid, [{ pointsLps: Float64Array.from([0, 0, 0, 5, 0, 1, 5, 5, 2]) }], {
        file: 'rs.dcm',
        roi: 'GTV',
      }),
    (e: Error) => e.name === 'InputError' && /rs\.dcm.*not parallel/.test(e.message),
  );
  assert.throws(
    () => rasterizeContours(grid, [{ pointsLps: sq(1), geometricType: 'OPEN_PLANAR' }]),
    /OPEN_PLANAR/,
  );
});

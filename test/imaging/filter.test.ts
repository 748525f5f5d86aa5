/**
 * Gaussian filter against the analytic response: a point source gives the requested FWHM (per axis,
 * anisotropic voxels) within 2 %, mass is preserved, a flat image stays flat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';
import { gaussianFilter, earl2ToEarl1, FWHM_PER_SIGMA } from '../../src/imaging/filter.js';
import type { Vec3, Volume } from '../../src/imaging/volume.js';
import { assertClose } from '../helpers/assert-close.js';

function point(size: Vec3, spacing: Vec3): Volume<Float32Array> {
  const data = new Float32Array(size[0] * size[1] * size[2]);
  const c = [(size[0] - 1) / 2, (size[1] - 1) / 2, (size[2] - 1) / 2];
  data[c[0]! + size[0] * (c[1]! + size[1] * c[2]!)] = 1000;
  return {
    size,
    spacingMm: spacing,
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data,
    unit: 'x',
  };
}

/** FWHM (mm) of a sampled 1D profile by linear interpolation of the half-maximum crossings. */
function fwhmHalfMax(p: number[], spacing: number): number {
  const m = Math.max(...p);
  const c = p.indexOf(m);
  let l = c;
  while (p[l - 1]! >= m / 2) l--;
  let r = c;
  while (p[r + 1]! >= m / 2) r++;
  const xl = l - 1 + (m / 2 - p[l - 1]!) / (p[l]! - p[l - 1]!);
  const xr = r + (p[r]! - m / 2) / (p[r]! - p[r + 1]!);
  return (xr - xl) * spacing;
}

test('point source: FWHM equals the request within 2 % on every axis (second moment and half-maximum)', () => {
  for (const [fwhm, sp] of [
    [7, [0.5, 0.7, 0.6]],
    [
      [6, 8, 10],
      [0.5, 0.5, 0.8],
    ],
  ] as [number | Vec3, Vec3][]) {
    const v = point([81, 81, 81], sp);
    const f = gaussianFilter(v, fwhm);
    const want: Vec3 = typeof fwhm === 'number' ? [fwhm, fwhm, fwhm] : fwhm;
    let total = 0;
    for (const x of f.data) total += x;
    // Float32 storage between the three 1D passes: 1e-4 relative.
    assertClose(total, 1000, 1e-4, 'mass');
    for (let ax = 0; ax < 3; ax++) {
      // Marginal profile along the axis through the centre.
      const prof: number[] = [];
      for (let t = 0; t < 81; t++) {
        const ijk = [40, 40, 40];
        ijk[ax] = t;
        prof.push(f.data[ijk[0]! + 81 * (ijk[1]! + 81 * ijk[2]!)]!);
      }
      let s = 0,
        s2 = 0;
      prof.forEach((w, t) => {
        s += w;
        s2 += w * ((t - 40) * sp[ax]!) ** 2;
      });
      assertClose(Math.sqrt(s2 / s) * FWHM_PER_SIGMA, want[ax]!, 0.02, `axis ${ax} moment FWHM`);
      assertClose(fwhmHalfMax(prof, sp[ax]!), want[ax]!, 0.02, `axis ${ax} half-max FWHM`);
    }
  }
});

test('flat image stays flat at the borders; zero FWHM is the identity; EARL filter = 7 mm', () => {
  const flat: Volume<Float32Array> = {
    size: [9, 7, 5],
    spacingMm: [4, 4, 4],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data: new Float32Array(315).fill(2.5),
    unit: 'x',
  };
  for (const x of gaussianFilter(flat, 7).data) assertClose(x, 2.5, 1e-6, 'flat');
  const p = point([11, 11, 11], [2, 2, 2]);
  assert.deepEqual(Array.from(gaussianFilter(p, 0).data), Array.from(p.data));
  assert.deepEqual(Array.from(earl2ToEarl1(p).data), Array.from(gaussianFilter(p, 7).data));
  assert.throws(
    () => gaussianFilter(p, -1),
    (e: unknown) => e instanceof InputError && /fwhmMm/.test(e.message),
  );
  assert.throws(() => gaussianFilter(p, 1e6), /FWHM must be 0…50 mm/);
  assert.throws(() => gaussianFilter(p, NaN, 4, { field: '--filter-fwhm-mm' }), /option --filter-fwhm-mm/);
});

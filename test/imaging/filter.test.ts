/**
 * Gaussian filter against the analytic response: a point source gives the requested FWHM (per axis,
 * anisotropic voxels) within 2 %, mass is preserved, a flat image stays flat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';
import { gaussianFilter, gaussianKernel, earl2ToEarl1, FWHM_PER_SIGMA } from '../../src/imaging/filter.js';
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

/** Reference: the three passes voxel by voxel, float64 sums renormalised over the taps inside, float32 between passes. */
function referenceFilter(v: Volume<Float32Array>, fwhm: Vec3): Float32Array {
  const [nx, ny, nz] = v.size;
  let cur = Float32Array.from(v.data);
  for (let ax = 0; ax < 3; ax++) {
    const sigma = fwhm[ax]! / FWHM_PER_SIGMA / v.spacingMm[ax]!;
    if (sigma === 0) continue;
    const k = gaussianKernel(sigma);
    const r = (k.length - 1) / 2;
    const next = new Float32Array(cur.length);
    const stride = [1, nx, nx * ny][ax]!;
    const count = v.size[ax]!;
    for (let q = 0; q < cur.length; q++) {
      const t = [q % nx, Math.floor(q / nx) % ny, Math.floor(q / (nx * ny))][ax]!;
      let acc = 0;
      let w = 0;
      for (let u = Math.max(0, t - r); u <= Math.min(count - 1, t + r); u++) {
        acc += k[u - t + r]! * cur[q + (u - t) * stride]!;
        w += k[u - t + r]!;
      }
      next[q] = acc / w;
    }
    cur = next;
  }
  void nz;
  return cur;
}

test('folded row sweeps equal the voxel-by-voxel definition (kernels of 3…12 taps each side, lines shorter than the kernel)', () => {
  let x = 99;
  const rnd = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  const size: Vec3 = [40, 6, 40];
  const data = new Float32Array(size[0] * size[1] * size[2]).map(() => 0.1 + 10 * rnd());
  const v: Volume<Float32Array> = {
    size,
    spacingMm: [1, 1.5, 0.8],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data,
    unit: 'x',
  };
  for (const fwhm of [[7, 7, 7] as Vec3, [10, 4, 12] as Vec3, [2, 0, 5] as Vec3]) {
    const radii = [0, 1, 2].map(
      (ax) => (gaussianKernel(fwhm[ax]! / FWHM_PER_SIGMA / v.spacingMm[ax]!).length - 1) / 2,
    );
    const got = gaussianFilter(v, fwhm).data;
    const want = referenceFilter(v, fwhm);
    for (let q = 0; q < want.length; q++)
      assertClose(got[q]!, want[q]!, 1e-6, `fwhm ${fwhm.join('/')} (radii ${radii.join('/')}) voxel ${q}`);
  }
});

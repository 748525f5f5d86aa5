/**
 * The WebAssembly SIMD kernels of the Gaussian filter (src/imaging/gaussian-simd.wat) against the scalar
 * TypeScript reference in src/imaging/filter.ts: bit-identical outputs (Buffer.compare) on random volumes of
 * every size 1…17 per axis, anisotropic spacing, FWHM 0 on one axis, kernels wider than the line, on 1 and 2
 * threads; and the committed module bytes are exactly what the .wat assembles to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FWHM_PER_SIGMA, gaussianFilter, gaussianKernel } from '../../src/imaging/filter.js';
import { wasmSimdAvailable } from '../../src/imaging/gaussian-simd.js';
import type { Vec3, Volume } from '../../src/imaging/volume.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

function volume(size: Vec3, spacingMm: Vec3, rnd: () => number): Volume<Float32Array> {
  const data = new Float32Array(size[0] * size[1] * size[2]);
  // Mixed signs and magnitudes (SUV-like values, a few large, some exact zeros).
  for (let i = 0; i < data.length; i++) {
    const u = rnd();
    data[i] = u < 0.1 ? 0 : u < 0.15 ? (rnd() - 0.5) * 1e5 : (rnd() - 0.2) * 20;
  }
  return { size, spacingMm, originLps: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data, unit: 'x' };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

test('WebAssembly SIMD is available on this engine (the SIMD path is the default, not a silent fallback)', () => {
  assert.equal(wasmSimdAvailable(), true);
});

test('SIMD kernels equal the scalar code bit for bit: every size 1…17 per axis, FWHM 0 on one axis, kernels wider than the line', () => {
  const rnd = lcg(20261206);
  let cases = 0;
  let widerThanLine = 0;
  for (let nx = 1; nx <= 17; nx++) {
    for (let ny = 1; ny <= 17; ny += 2) {
      const nz = 1 + ((nx * 7 + ny * 3) % 17);
      const size: Vec3 = [nx, ny, nz];
      const spacing: Vec3 = [0.4 + 3 * rnd(), 0.4 + 3 * rnd(), 0.4 + 3 * rnd()];
      const v = volume(size, spacing, rnd);
      const zeroAxis = cases % 4; // 0, 1, 2: that axis unsmoothed; 3: all smoothed
      const fwhm: Vec3 = [0, 1, 2].map((ax) => (ax === zeroAxis ? 0 : 1 + 15 * rnd())) as Vec3;
      for (let ax = 0; ax < 3; ax++) {
        const r = (gaussianKernel(fwhm[ax]! / FWHM_PER_SIGMA / spacing[ax]!).length - 1) / 2;
        if (fwhm[ax]! > 0 && 2 * r + 1 > size[ax]!) widerThanLine++;
      }
      const scalar = gaussianFilter(v, fwhm, 4, { threads: 1, simd: false }).data;
      const simd = gaussianFilter(v, fwhm, 4, { threads: 1, simd: true }).data;
      assert.ok(
        sameBits(scalar, simd),
        `size ${size.join('×')}, spacing ${spacing.join('/')}, FWHM ${fwhm.join('/')}: SIMD ≠ scalar`,
      );
      cases++;
    }
  }
  assert.equal(cases, 17 * 9);
  assert.ok(widerThanLine > 50, `only ${widerThanLine} axes with a kernel wider than the line`);
});

test('SIMD kernels equal the scalar code bit for bit on 1 and 2 threads, private and shared input (long lines: 8-, 2- and 1-wide tails; truncation 2.5 σ)', () => {
  const rnd = lcg(7);
  for (const [size, spacing, fwhm, truncate] of [
    [[45, 17, 23], [1.65, 1.65, 1.65], 7, 4],
    [[33, 29, 9], [0.8, 1.3, 3.27], [6, 8, 10], 4],
    [[17, 41, 15], [2, 2, 2], [7, 0, 5], 2.5],
  ] as [Vec3, Vec3, number | Vec3, number][]) {
    const v = volume(size, spacing, rnd);
    const scalar = gaussianFilter(v, fwhm, truncate, { threads: 1, simd: false }).data;
    // The input in shared memory (as readNifti gives) is read by the first pass on every thread; a
    // private one is copied in by the calling thread after the threads touched the output's pages.
    const shared = new Float32Array(new SharedArrayBuffer(4 * v.data.length));
    shared.set(v.data);
    for (const input of [v, { ...v, data: shared }]) {
      for (const threads of [1, 2]) {
        const simd = gaussianFilter(input, fwhm, truncate, { threads, simd: true }).data;
        const what = `size ${size.join('×')}, ${threads} thread(s), ${input === v ? 'private' : 'shared'} input`;
        assert.ok(sameBits(scalar, simd), `${what}: SIMD ≠ scalar`);
      }
    }
    assert.ok(sameBits(shared, v.data), 'the input is left as it was');
    const scalar2 = gaussianFilter(v, fwhm, truncate, { threads: 2, simd: false }).data;
    assert.ok(sameBits(scalar, scalar2), `size ${size.join('×')}: scalar on 2 threads ≠ 1 thread`);
  }
});

test('SIMD kernels equal the scalar code on integer and float64 inputs (the same float32 rounding on the way in)', () => {
  const rnd = lcg(3);
  const f = volume([13, 11, 7], [1, 1.5, 2], rnd);
  const i16 = { ...f, data: Int16Array.from(f.data, (x) => Math.round(x * 100)) };
  const f64 = { ...f, data: Float64Array.from(f.data, (x) => x + rnd() * 1e-9) };
  for (const v of [i16, f64]) {
    const scalar = gaussianFilter(v, 5, 4, { threads: 1, simd: false }).data;
    assert.ok(sameBits(scalar, gaussianFilter(v, 5, 4, { threads: 1, simd: true }).data));
  }
});

test('the committed module (gaussian-simd-wasm.ts) is exactly what gaussian-simd.wat assembles to; a drift is reported', () => {
  const ok = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs'), '--check'], {
    encoding: 'utf8',
  });
  assert.equal(ok.status, 0, ok.stderr);
  // A copy of the two files with one byte of the .wat changed: --check names the generated file, exit 1.
  const dir = mkdtempSync(join(tmpdir(), 'carto-wasm-'));
  try {
    mkdirSync(join(dir, 'src', 'imaging'), { recursive: true });
    for (const f of ['gaussian-simd.wat', 'gaussian-simd-wasm.ts'])
      cpSync(join(root, 'src', 'imaging', f), join(dir, 'src', 'imaging', f));
    const wat = join(dir, 'src', 'imaging', 'gaussian-simd.wat');
    writeFileSync(
      wat,
      readFileSync(wat, 'utf8').replace('(memory (export "memory") 1)', '(memory (export "memory") 2)'),
    );
    const bad = spawnSync(
      process.execPath,
      [join(root, 'scripts', 'build-wasm.mjs'), '--check', '--root', dir],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(bad.status, 1);
    assert.match(
      bad.stderr,
      /src\/imaging\/gaussian-simd-wasm\.ts differs from what src\/imaging\/gaussian-simd\.wat/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inPlace: a float32 input (shared on 2 threads) is filtered in its own memory, bit-identical; other inputs are left as they are', () => {
  const rnd = lcg(11);
  const v = volume([19, 14, 11], [1.2, 1.65, 2.5], rnd);
  const want = gaussianFilter(v, 7, 4, { threads: 1, simd: false }).data;
  for (const threads of [1, 2]) {
    const shared = new Float32Array(new SharedArrayBuffer(4 * v.data.length));
    shared.set(v.data);
    const got = gaussianFilter({ ...v, data: shared }, 7, 4, { threads, inPlace: true }).data;
    assert.equal(got, shared, `${threads} thread(s): filtered in the input's memory`);
    assert.ok(sameBits(got, want), `${threads} thread(s): in place ≠ scalar`);
  }
  // Not in place: a private float32 input on 2 threads, an integer input.
  const priv = Float32Array.from(v.data);
  const got = gaussianFilter({ ...v, data: priv }, 7, 4, { threads: 2, inPlace: true }).data;
  assert.notEqual(got, priv);
  assert.ok(sameBits(priv, v.data) && sameBits(got, want));
  const i16 = Int16Array.from(v.data, (x) => Math.round(x));
  const copy = i16.slice();
  gaussianFilter({ ...v, data: i16 }, 7, 4, { threads: 1, inPlace: true });
  assert.deepEqual(i16, copy);
});

test('the folded order is kept: a ±1e30 pair around a voxel cancels before the voxel is added (any other order loses it)', () => {
  // Along each axis in turn: ones everywhere, +1e30 and −1e30 at distance d either side of voxel 14 of
  // 29-voxel lines (9 lines across: the 8-wide, 2-wide and 1-wide code paths), every line of the volume.
  for (let ax = 0; ax < 3; ax++) {
    const size: Vec3 = [9, 9, 9];
    size[ax] = 29;
    const [nx, ny] = size;
    for (const d of [1, 3, 7]) {
      const data = new Float32Array(size[0] * size[1] * size[2]).fill(1);
      for (let q = 0; q < data.length; q++) {
        const t = [q % nx, Math.floor(q / nx) % ny, Math.floor(q / (nx * ny))][ax]!;
        if (t === 14 - d) data[q] = 1e30;
        if (t === 14 + d) data[q] = -1e30;
      }
      const v: Volume<Float32Array> = {
        size,
        spacingMm: [1, 1, 1],
        originLps: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        data,
        unit: 'x',
      };
      const border: Vec3 = [0, 0, 0];
      border[ax] = 10; // r = 17: voxel 14 is a border output (taps in order, renormalised)
      const interior: Vec3 = [0, 0, 0];
      interior[ax] = 3; // r = 6: voxel 14 is interior (folded order)
      for (const f of [border, interior]) {
        const scalar = gaussianFilter(v, f, 4, { threads: 1, simd: false }).data;
        const simd = gaussianFilter(v, f, 4, { threads: 1, simd: true }).data;
        assert.ok(sameBits(scalar, simd), `axis ${ax}, d ${d}, FWHM ${f[ax]}: SIMD ≠ scalar`);
        const centre = [4, 4, 4];
        centre[ax] = 14;
        const q = centre[0]! + nx * (centre[1]! + ny * centre[2]!);
        const r = (gaussianKernel(f[ax]! / FWHM_PER_SIGMA).length - 1) / 2;
        // Interior voxel (folded order): the pair cancels exactly and the ones remain; a border voxel
        // (taps in order) loses them, whichever path.
        if (r < 14) assert.ok(simd[q]! > 0.5 && simd[q]! <= 1, `axis ${ax}, d ${d}, r ${r}: ${simd[q]}`);
      }
    }
  }
});

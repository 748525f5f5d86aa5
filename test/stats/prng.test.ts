import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/stats/prng.js';

test('Rng: same seed and stream → same sequence; other seed or stream → different', () => {
  const a = new Rng(42, 'x');
  const b = new Rng(42, 'x');
  const c = new Rng(43, 'x');
  const d = new Rng(42, 'y');
  const seqA = Array.from({ length: 20 }, () => a.nextUint32());
  assert.deepEqual(
    Array.from({ length: 20 }, () => b.nextUint32()),
    seqA,
  );
  assert.notDeepEqual(
    Array.from({ length: 20 }, () => c.nextUint32()),
    seqA,
  );
  assert.notDeepEqual(
    Array.from({ length: 20 }, () => d.nextUint32()),
    seqA,
  );
});

test('Rng: uniform and normal moments (n = 200 000) within 5 standard errors', () => {
  const r = new Rng(7);
  const n = 200_000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  let below = 0;
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    su += u;
    const z = r.normal();
    sn += z;
    sn2 += z * z;
    if (z < -1.959963984540054) below++;
  }
  // Uniform mean 1/2, SE sqrt(1/12/n); normal mean 0 (SE 1/sqrt(n)), variance 1 (SE sqrt(2/n)),
  // P(Z < −1.96) = 0.025 (SE sqrt(p(1−p)/n)).
  assert.ok(Math.abs(su / n - 0.5) < 5 * Math.sqrt(1 / 12 / n), `uniform mean ${su / n}`);
  assert.ok(Math.abs(sn / n) < 5 / Math.sqrt(n), `normal mean ${sn / n}`);
  assert.ok(Math.abs(sn2 / n - 1) < 5 * Math.sqrt(2 / n), `normal variance ${sn2 / n}`);
  assert.ok(Math.abs(below / n - 0.025) < 5 * Math.sqrt((0.025 * 0.975) / n), `tail ${below / n}`);
});

test('Rng: exponential mean and integer range', () => {
  const r = new Rng(3);
  const n = 100_000;
  let s = 0;
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    s += r.exponential(0.5);
    seen.add(r.int(-2, 2));
  }
  // Exp(rate 0.5): mean 2, SD 2 → SE 2/sqrt(n).
  assert.ok(Math.abs(s / n - 2) < (5 * 2) / Math.sqrt(n), `exponential mean ${s / n}`);
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    [-2, -1, 0, 1, 2],
  );
});

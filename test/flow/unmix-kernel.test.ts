/**
 * The blocked unmixing kernel (src/flow/compensation.ts `unmix`, four terms per pass) gives exactly the
 * per-event sums x_j = Σ_i U[i][j]·x_i taken in detector order with zero coefficients skipped (a
 * plain per-event loop written here): bit for bit, for float32 and float64 columns, square in place,
 * non-square (spectral) and event counts that are not whole blocks; the other columns are untouched.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unmix } from '../../src/flow/compensation.js';
import type { Column, FlowEvents } from '../../src/flow/types.js';

function events(n: number, p: number, f32: boolean): FlowEvents {
  let x = 987654321;
  const rnd = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  const columns: Column[] = Array.from({ length: p }, () => {
    const c = f32 ? new Float32Array(n) : new Float64Array(n);
    for (let e = 0; e < n; e++) c[e] = (rnd() - 0.1) * 10000;
    return c;
  });
  return { parameterNames: columns.map((_, i) => `P${i}`), columns, eventCount: n };
}

/** Per event: acc = 0, then acc += U[i][j]·x_i for i ascending with U[i][j] ≠ 0. */
function reference(ev: FlowEvents, idx: number[], U: number[][]): Float64Array[] {
  const m = U[0]!.length;
  return Array.from({ length: m }, (_, j) => {
    const out = new Float64Array(ev.eventCount);
    for (let e = 0; e < ev.eventCount; e++) {
      let acc = 0;
      idx.forEach((ci, i) => {
        const u = U[i]![j]!;
        if (u !== 0) acc = acc + u * ev.columns[ci]![e]!;
      });
      out[e] = acc;
    }
    return out;
  });
}

function matrix(n: number, m: number, seed: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: m }, (_, j) =>
      i === j ? 1.02 : (i * 7 + j * 3 + seed) % 4 === 0 ? 0 : ((i + 2 * j + seed) % 11) / 97 - 0.04,
    ),
  );
}

test('unmix equals the per-event detector-order sums bit for bit (float32/float64, square in place, spectral)', () => {
  for (const f32 of [true, false]) {
    for (const [n, m] of [
      [9, 9],
      [7, 3],
      [2, 2],
    ] as const) {
      const ev = events(4096 * 2 + 123, n + 2, f32);
      const idx = Array.from({ length: n }, (_, i) => i + 1);
      const U = matrix(n, m, n);
      const want = reference(ev, idx, U);
      const untouched = [Array.from(ev.columns[0]!), Array.from(ev.columns[n + 1]!)];
      const got = unmix(ev, idx, U, n === m);
      assert.equal(got.length, m);
      got.forEach((col, j) => {
        assert.equal(col instanceof Float32Array, f32);
        const expected = f32 ? Float32Array.from(want[j]!) : want[j]!;
        assert.deepStrictEqual(
          Array.from(col),
          Array.from(expected),
          `output ${j} (${f32 ? 'f32' : 'f64'}, ${n}×${m})`,
        );
      });
      if (n === m) assert.strictEqual(got[0], ev.columns[1]);
      assert.deepStrictEqual([Array.from(ev.columns[0]!), Array.from(ev.columns[n + 1]!)], untouched);
    }
  }
});

test('unmix on columns in shared memory: 2 and 3 threads equal one thread bit for bit (in place and not)', () => {
  const n = 6;
  const U = matrix(n, n, 5);
  const idx = Array.from({ length: n }, (_, i) => i);
  const base = events(4096 * 5 + 77, n, true);
  const sharedCopy = (): FlowEvents => ({
    ...base,
    columns: base.columns.map((c) => {
      const s = new Float32Array(new SharedArrayBuffer(4 * c.length));
      s.set(c);
      return s;
    }),
  });
  const one = unmix(sharedCopy(), idx, U, false, { threads: 1 }).map((c) => Array.from(c));
  assert.deepStrictEqual(
    one,
    reference(base, idx, U).map((c) => Array.from(Float32Array.from(c))),
  );
  for (const threads of [2, 3]) {
    const ev = sharedCopy();
    const out = unmix(ev, idx, U, false, { threads });
    assert.ok(out[0]!.buffer instanceof SharedArrayBuffer);
    assert.deepStrictEqual(
      out.map((c) => Array.from(c)),
      one,
    );
    const evIn = sharedCopy();
    const inPlace = unmix(evIn, idx, U, true, { threads });
    assert.strictEqual(inPlace[0], evIn.columns[0]);
    assert.deepStrictEqual(
      inPlace.map((c) => Array.from(c)),
      one,
    );
  }
});

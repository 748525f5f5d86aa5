// Internal helpers of the survival module: the O(n) radix argsort must equal a stable comparison sort
// (exact), including ties, zeros, fractional and large times; factor level order as R's factor().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { factorLevels, orderByTime, orderByValue } from '../../../src/stats/survival/input.js';

test('radix orderByTime equals a stable comparison argsort on 20 000 times with ties', () => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const n = 20000;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rnd();
    t[i] = u < 0.3 ? Math.floor(rnd() * 50) : u < 0.35 ? 0 : u < 0.9 ? rnd() * 1000 : rnd() * 1e9;
  }
  const got = orderByTime(t);
  const ref = Array.from({ length: n }, (_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
  assert.deepEqual(Array.from(got), ref);
});

test('integer times (constant low digits skipped) sort correctly', () => {
  const n = 5000;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = (i * 7919) % 1000;
  const got = Array.from(orderByTime(t));
  const ref = Array.from({ length: n }, (_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
  assert.deepEqual(got, ref);
});

// R 4.2 here: sort(c("squamous","adeno","large","Small","_x","Z10","z2")) gives
// "_x" "adeno" "large" "Small" "squamous" "Z10" "z2" (ICU collation).
test('factor levels: numeric order for numeric labels, R sort() (ICU) order otherwise', () => {
  assert.deepEqual(factorLevels(['10', '9', '2', '9']), ['2', '9', '10']);
  assert.deepEqual(factorLevels(['squamous', 'adeno', 'large', 'Small', '_x', 'Z10', 'z2']), [
    '_x',
    'adeno',
    'large',
    'Small',
    'squamous',
    'Z10',
    'z2',
  ]);
  assert.deepEqual(factorLevels(['b', 'a'], ['b', 'a']), ['b', 'a']);
});

test('orderByValue sorts negative, zero and positive doubles like a stable comparison sort', () => {
  let seed = 99;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const n = 10000;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rnd();
    x[i] =
      u < 0.2
        ? -Math.floor(rnd() * 20) || 0
        : u < 0.25
          ? 0
          : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 6);
  }
  const got = Array.from(orderByValue(x));
  const ref = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]! || a - b);
  assert.deepEqual(got, ref);
});

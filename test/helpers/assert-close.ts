/**
 * Tolerance assertions for numeric golden tests. On failure the message gives the label, the
 * expected and actual values, the difference and the tolerance (stdlib style).
 */
import assert from 'node:assert/strict';

/** Asserts |actual − expected| ≤ relTol·|expected| (or ≤ absTol when given and larger). */
export function assertClose(actual: number, expected: number, relTol: number, label = '', absTol = 0): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${label}: expected NaN, got ${actual}`);
    return;
  }
  if (!Number.isFinite(expected)) {
    assert.equal(actual, expected, `${label}: expected ${expected}, got ${actual}`);
    return;
  }
  const diff = Math.abs(actual - expected);
  const tol = Math.max(relTol * Math.abs(expected), absTol);
  assert.ok(
    diff <= tol,
    `${label}: expected ${expected}, got ${actual} (Δ ${diff.toExponential(3)} > tol ${tol.toExponential(3)})`,
  );
}

/** Element-wise `assertClose` over two arrays of equal length. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  relTol: number,
  label = '',
  absTol = 0,
): void {
  assert.equal(actual.length, expected.length, `${label}: length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    assertClose(actual[i]!, expected[i]!, relTol, `${label}[${i}]`, absTol);
  }
}

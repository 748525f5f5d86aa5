// src/stats/linalg.ts against R (fixtures/linalg.R → linalg.json): Householder QR as qr() (R factor with
// dqrdc2's signs, qr.qty, coefficients, chol2inv), rank detection with dqrdc2's limited pivoting
// (tol 1e-7), Cholesky as chol() with its solves, inverse and log-determinant, and the failure on a
// non-positive-definite matrix. Tolerances 1e-12 relative (JSON holds 15 significant digits), absolute
// 1e-13 for entries that are zero up to rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  aliasedColumns,
  backSolveT,
  backSolveUpper,
  cholesky,
  cholInPlace,
  cholInverse,
  cholSolve,
  forwardSolve,
  householderQrInPlace,
  inverseFromR,
  invertSymmetric,
  logDetFromChol,
  solveSymmetric,
  upperTriangularInverse,
} from '../../src/stats/linalg.js';
import { assertAllClose } from '../helpers/assert-close.js';

interface Golden {
  full: {
    X: number[][];
    y: number[];
    R: number[][];
    qty: number[];
    rank: number;
    coef: number[];
    xtxInv: number[][];
    Rinv: number[][];
  };
  deficient: { X: number[][]; rank: number; pivot: number[]; Rkept: number[][] };
  spd: {
    A: number[][];
    b: number[];
    L: number[][];
    solve: number[];
    inverse: number[][];
    logDet: number;
    forward: number[];
    back: number[];
  };
  notPd: { A: number[][]; cholFails: boolean; minEigen: number };
}
const g = JSON.parse(readFileSync(new URL('./fixtures/linalg.json', import.meta.url), 'utf8')) as Golden;
const REL = 1e-12;
const ABS = 1e-13;
const flat = (m: number[][]): Float64Array => Float64Array.from(m.flat());
const columns = (m: number[][]): Float64Array[] =>
  m[0]!.map((_, j) => Float64Array.from(m.map((r) => r[j]!)));
/** Upper triangle (leading k×k) of a row-major matrix with leading dimension ld, as rows. */
const upper = (a: Float64Array, k: number, ld: number): number[] =>
  Array.from({ length: k * k }, (_, t) =>
    t % k >= Math.floor(t / k) ? a[Math.floor(t / k) * ld + (t % k)]! : 0,
  );

test('Householder QR of a full-rank 8×4 matrix: R and Qᵀy as R qr(), qr.R, qr.qty', () => {
  const { X, y } = g.full;
  const A = flat(X);
  const qty = Float64Array.from(y);
  assert.deepEqual(householderQrInPlace(A, 8, 4, qty), []);
  assertAllClose(upper(A, 4, 4), g.full.R.flat(), REL, 'R', ABS);
  assertAllClose(Array.from(qty), g.full.qty, REL, 'qty', ABS);
  for (let i = 1; i < 8; i++) for (let j = 0; j < Math.min(i, 4); j++) assert.equal(A[i * 4 + j], 0);
});

test('least squares from the QR: coefficients, R⁻¹ and (XᵀX)⁻¹ as qr.coef, backsolve, chol2inv', () => {
  const A = flat(g.full.X);
  const qty = Float64Array.from(g.full.y);
  householderQrInPlace(A, 8, 4, qty);
  assertAllClose(Array.from(backSolveUpper(A, 4, 4, qty)), g.full.coef, REL, 'coef');
  assertAllClose(Array.from(upperTriangularInverse(A, 4, 4)), g.full.Rinv.flat(), REL, 'Rinv', ABS);
  assertAllClose(Array.from(inverseFromR(A, 4, 4)), g.full.xtxInv.flat(), REL, 'xtxInv', ABS);
});

test('rank-deficient 9×6 design: aliased columns and rank as qr(tol = 1e-7) pivoting', () => {
  const cols = columns(g.deficient.X);
  const aliased = aliasedColumns(cols);
  const p = cols.length;
  const kept = Array.from({ length: p }, (_, j) => j).filter((j) => !aliased.includes(j));
  assert.equal(kept.length, g.deficient.rank);
  assert.deepEqual([...kept, ...aliased], g.deficient.pivot);
  // the kept columns in pivot order reproduce R's leading rank × rank block of qr.R
  const k = kept.length;
  const n = g.deficient.X.length;
  const A = new Float64Array(n * k);
  for (let i = 0; i < n; i++) kept.forEach((c, j) => (A[i * k + j] = g.deficient.X[i]![c]!));
  assert.deepEqual(householderQrInPlace(A, n, k), []);
  assertAllClose(upper(A, k, k), g.deficient.Rkept.flat(), 1e-9, 'Rkept', 1e-12);
});

test('Householder QR reports a column that the caller calls negligible, and a zero column by default', () => {
  const cols = columns(g.deficient.X);
  const n = g.deficient.X.length;
  const A = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) A[i * 3 + j] = cols[j]![i]!;
  const norms = cols.slice(0, 3).map((c) => Math.hypot(...c));
  assert.deepEqual(
    householderQrInPlace(Float64Array.from(A), n, 3, null, (j, nrm) => nrm <= 1e-10 * norms[j]!),
    [2],
  );
  const Z = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) Z[i * 2] = cols[1]![i]!;
  assert.deepEqual(householderQrInPlace(Z, n, 2), [1]);
});

test('Cholesky of an SPD matrix: L, solves, inverse and log-determinant as chol(), solve(), chol2inv()', () => {
  const { A, b } = g.spd;
  const a = flat(A);
  const L = cholesky(a, 4);
  assert.ok(L !== null);
  assertAllClose(Array.from(L), g.spd.L.flat(), REL, 'L', ABS);
  assert.deepEqual(Array.from(a), A.flat(), 'input unchanged');
  assertAllClose(Array.from(cholSolve(L, b, 4)), g.spd.solve, REL, 'cholSolve');
  assertAllClose(Array.from(solveSymmetric(a, b, 4)!), g.spd.solve, REL, 'solveSymmetric');
  assertAllClose(Array.from(invertSymmetric(a, 4)!), g.spd.inverse.flat(), REL, 'invertSymmetric');
  assertAllClose([logDetFromChol(L, 4)], [g.spd.logDet], REL, 'logDet');
  const f = Float64Array.from(b);
  forwardSolve(L, 4, 4, f);
  assertAllClose(Array.from(f), g.spd.forward, REL, 'forwardsolve');
  const u = Float64Array.from(b);
  backSolveT(L, 4, 4, u);
  assertAllClose(Array.from(u), g.spd.back, REL, 'backsolve');
});

test('in-place tiled Cholesky on a block inside a larger matrix (offset, leading dimension) equals chol()', () => {
  // 4×4 SPD embedded at row 1, column 2 of a 6×7 buffer
  const ld = 7;
  const off = 1 * ld + 2;
  const buf = new Float64Array(6 * ld).fill(99);
  g.spd.A.forEach((r, i) => r.forEach((v, j) => (buf[off + i * ld + j] = v)));
  assert.equal(cholInPlace(buf, 4, ld, off), true);
  const L = Array.from({ length: 16 }, (_, t) => {
    const i = Math.floor(t / 4);
    const j = t % 4;
    return j <= i ? buf[off + i * ld + j]! : 0;
  });
  assertAllClose(L, g.spd.L.flat(), REL, 'L', ABS);
  assert.equal(buf[0], 99, 'outside the block untouched');
  assertAllClose(Array.from(cholInverse(buf, 4, ld, off)), g.spd.inverse.flat(), REL, 'cholInverse');
});

test('Cholesky of a symmetric non-PD matrix fails as chol() does: null / false, never NaN', () => {
  assert.equal(g.notPd.cholFails, true);
  assert.ok(g.notPd.minEigen < 0);
  const a = flat(g.notPd.A);
  assert.equal(cholesky(a, 3), null);
  assert.equal(solveSymmetric(a, [1, 2, 3], 3), null);
  assert.equal(invertSymmetric(a, 3), null);
  assert.equal(cholInPlace(Float64Array.from(a), 3, 3), false);
  assert.equal(cholInPlace(Float64Array.from([1, 0, 0, Number.NaN]), 2, 2), false);
});

test('cholesky() relative pivot tolerance: near-singular fails at coxph toler.chol ε^0.75, passes at 1e-300', () => {
  // second pivot 1e-13 < ε^0.75 ≈ 1.8e-12 (relative to max diagonal 1)
  const a = Float64Array.from([1, 1, 1, 1 + 1e-13]);
  assert.equal(cholesky(a, 2), null);
  const L = cholesky(a, 2, 1e-300);
  assert.ok(L !== null);
  assert.equal(L[1], 0, 'strict upper triangle zeroed');
  assert.equal(L[2], 1);
});

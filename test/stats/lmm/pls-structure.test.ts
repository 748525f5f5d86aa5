// Structure of the blocked sparse PLS: which random-effect terms are factorised per block (nested in
// the blocking factor) and which go to the dense Schur part (crossed), the elimination order chosen by
// the flop estimate, and the per-block compression of Zᵀ W to the columns a block uses. The numbers
// themselves are checked against lme4 in lmm-golden.test.ts and crossed-golden.test.ts; here every
// elimination order must give the same objective (1e-12: identical arithmetic up to summation order),
// and (1 | patient) written as a crossed or a nested model with the second effect switched off too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../../src/io/csv.js';
import { dataFrameFromCsv } from '../../../src/stats/data-frame.js';
import { buildModelFrame, designFromFrame } from '../../../src/stats/design.js';
import { buildPlsSystem, buildReTerms, evaluatePls, objective } from '../../../src/stats/lmm/pls.js';
import { assertClose } from '../../helpers/assert-close.js';

const df = dataFrameFromCsv(readCsv(fileURLToPath(new URL('./fixtures/lesions.csv', import.meta.url))));

function system(formula: string, blockBy?: number, data = df): ReturnType<typeof buildPlsSystem> {
  const mf = buildModelFrame(formula, data);
  const d = designFromFrame(mf);
  return buildPlsSystem(buildReTerms(mf), d.X, d.p, d.y!, blockBy);
}

test('nested (1 | patient/lesion): blocked by patient, both terms in patient blocks, nothing dense', () => {
  const sys = system('log_suv ~ timepoint + (1 | patient/lesion)', 1);
  assert.deepEqual(
    sys.terms.map((t) => t.group),
    ['lesion:patient', 'patient'],
  );
  assert.deepEqual(sys.blockTerms, [0, 1]);
  assert.equal(sys.nb, 20);
  assert.equal(sys.q2, 0);
  // each block: the patient's intercept plus one intercept per lesion of that patient
  const lesionsPerPatient = new Map<number, Set<string>>();
  const t = sys.terms[0]!;
  sys.terms[1]!.codes.forEach((pcode, i) => {
    if (!lesionsPerPatient.has(pcode)) lesionsPerPatient.set(pcode, new Set());
    lesionsPerPatient.get(pcode)!.add(t.levels[t.codes[i]!]!);
  });
  for (let b = 0; b < sys.nb; b++) assert.equal(sys.blockSize[b], 1 + lesionsPerPatient.get(b)!.size);
  // blocked by lesion instead (208 blocks of one, the 20 patients dense): same objective
  const byLesion = system('log_suv ~ timepoint + (1 | patient/lesion)', 0);
  assert.deepEqual(byLesion.blockTerms, [0]);
  assert.equal(byLesion.q2, 20);
  for (const th of [
    [0.7, 1.3],
    [0.2, 0],
  ]) {
    assertClose(
      objective(byLesion, evaluatePls(byLesion, th), true),
      objective(sys, evaluatePls(sys, th), true),
      1e-12,
      `θ=${th.join(',')}`,
    );
  }
  // the cheaper order by the flop estimate: ~10 lesions per patient make 11×11 patient blocks, so
  // eliminating the 208 lesions first and the 20 patients densely costs less
  assert.deepEqual(system('log_suv ~ timepoint + (1 | patient/lesion)').blockTerms, [0]);
});

test('crossed (1 | patient) + (1 | lesion): one term blocked, the other dense; objective unchanged', () => {
  const sys = system('log_suv ~ timepoint + (1 | patient) + (1 | lesion)');
  assert.equal(sys.blockTerms.length, 1);
  assert.equal(sys.denseTerms.length, 1);
  const nested = system('log_suv ~ timepoint + (1 | patient) + (1 | lesion:patient)', 1);
  assert.equal(nested.denseTerms.length, 0);
  const a = objective(sys, evaluatePls(sys, [0.8, 0]), true);
  const b = objective(nested, evaluatePls(nested, [0, 0.8]), true);
  assertClose(a, b, 1e-12, 'objective with the second term switched off');
});

test('crossed factors with many levels: the larger factor eliminated first, Zᵀ W compressed per block, pre-summed and block-by-block Schur updates agree', () => {
  // 3 000 rows, a with 300 levels (10 rows each), b with 60 levels drawn at random (seeded LCG)
  let seed = 42;
  const unif = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  const n = 3000;
  const data = {
    columns: ['a', 'b', 'x', 'y'],
    nrow: n,
    data: {
      a: Array.from({ length: n }, (_, i) => `A${i % 300}`),
      b: Array.from({ length: n }, () => `B${Math.floor(unif() * 60)}`),
      x: Array.from({ length: n }, () => unif()),
      y: Array.from({ length: n }, () => unif() + unif()),
    },
  };
  const formula = 'y ~ x + (1 | a) + (1 | b)';
  const sys = system(formula, undefined, data);
  assert.deepEqual(
    sys.terms.map((t) => t.group),
    ['a', 'b'],
  );
  assert.deepEqual(sys.blockTerms, [0]);
  assert.equal(sys.q2, 60);
  assert.equal(sys.m, 63);
  for (let b = 0; b < sys.nb; b++) {
    const used = Array.from(sys.cols.subarray(sys.colPtr[b], sys.colPtr[b + 1]));
    // the b levels co-occurring with this a level (ascending), then the two X columns and y
    const rows = sys.terms[0]!.codes.reduce<number[]>((acc, c, i) => (c === b ? [...acc, i] : acc), []);
    const levels = [...new Set(rows.map((i) => sys.terms[1]!.codes[i]!))].sort((u, v) => u - v);
    assert.deepEqual(used, [...levels, 60, 61, 62]);
  }
  // every a level has 10 rows: one class of equal Σz², its Schur update pre-summed
  assert.equal(sys.classes.length, 1);
  assert.ok(sys.blockClass.every((c) => c === 0));
  // b eliminated first instead: b levels have different row counts, blocks updated one by one
  const other = system(formula, 1, data);
  assert.deepEqual(other.blockTerms, [1]);
  assert.equal(other.q2, 300);
  assert.equal(other.classes.length, 0);
  for (const th of [
    [0.5, 0.3],
    [1.2, 0],
    [0, 0.9],
  ]) {
    for (const reml of [true, false]) {
      assertClose(
        objective(sys, evaluatePls(sys, th), reml),
        objective(other, evaluatePls(other, th), reml),
        1e-12,
        `θ=${th.join(',')} reml=${reml}`,
      );
    }
  }
});

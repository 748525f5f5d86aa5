// Structure of the blocked PLS: which random-effect terms are factorised per block (nested in the
// blocking factor) and which go to the dense Schur part (crossed). The numbers themselves are checked
// against lme4 in lmm-golden.test.ts; here we check that the cheap structure is chosen, and that the
// blocked (nested) and dense (crossed) paths give the same objective for the same model: (1 | patient)
// written as a crossed model with the lesion effect switched off, and as a nested one likewise (1e-12:
// identical arithmetic up to summation order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../../src/io/csv.js';
import { dataFrameFromCsv } from '../../../src/stats/data-frame.js';
import { buildModelFrame, designFromFrame } from '../../../src/stats/design.js';
import { buildPlsSystem, buildReTerms, evaluatePls, objective } from '../../../src/stats/lmm/pls.js';
import { assertClose } from '../../helpers/assert-close.js';

const df = dataFrameFromCsv(readCsv(fileURLToPath(new URL('./fixtures/lesions.csv', import.meta.url))));

function system(formula: string): ReturnType<typeof buildPlsSystem> {
  const mf = buildModelFrame(formula, df);
  const d = designFromFrame(mf);
  return buildPlsSystem(buildReTerms(mf), d.X, d.p, d.y!);
}

test('nested (1 | patient/lesion): both terms in patient blocks, nothing dense', () => {
  const sys = system('log_suv ~ timepoint + (1 | patient/lesion)');
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
});

test('crossed (1 | patient) + (1 | lesion): one term blocked, the other dense; objective unchanged', () => {
  const sys = system('log_suv ~ timepoint + (1 | patient) + (1 | lesion)');
  assert.equal(sys.blockTerms.length, 1);
  assert.equal(sys.denseTerms.length, 1);
  const nested = system('log_suv ~ timepoint + (1 | patient) + (1 | lesion:patient)');
  assert.equal(nested.denseTerms.length, 0);
  const a = objective(sys, evaluatePls(sys, [0.8, 0]), true);
  const b = objective(nested, evaluatePls(nested, [0, 0.8]), true);
  assertClose(a, b, 1e-12, 'objective with the second term switched off');
});

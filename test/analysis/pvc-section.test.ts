// The partial-volume correction section and the correlation sections on a small StudyData built in
// the test (study-builder.ts). Numbers are checked against the library functions they must equal
// (pvcFit, clusteredPearson, pearson — those are tested against R in test/stats), plus the
// section's bookkeeping (fitting set, n, not-run reasons).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partialVolumeSection } from '../../src/analysis/pvc.js';
import { biopsyCd8Correlation, bloodCd8Correlation } from '../../src/analysis/correlations.js';
import { tumourData } from '../../src/analysis/lesions.js';
import { pvcFit } from '../../src/stats/pvc.js';
import { buildStudy } from './study-builder.js';
import { assertAllClose } from '../helpers/assert-close.js';
import { InputError } from '../../src/errors.js';

test('PVC section fits on pre-CART, non-irradiated, non-EBV lesions and corrects every lesion row', () => {
  const study = buildStudy();
  const s = partialVolumeSection(study);
  assert.equal(s.status, 'ok', s.reason);
  const td = tumourData(study);
  const fitRows = td.rows.filter((r) => r.timepoint === 'pre' && r.irradiated !== true && !r.ebvPositive);
  assert.ok(fitRows.every((r) => r.inPvcFit));
  assert.equal(td.rows.filter((r) => r.inPvcFit).length, fitRows.length);
  const mask = td.rows.map((r) => r.timepoint === 'pre' && r.irradiated !== true && !r.ebvPositive);
  const ref = pvcFit(
    td.rows.map((r) => r.suvPeak),
    td.rows.map((r) => r.volumeMl),
    { knotsFrom: mask },
  );
  assertAllClose(
    td.rows.map((r) => r.suvPeakCorrected),
    ref.corrected,
    1e-14,
    'corrected',
  );
  assert.equal(s.n?.lesions, fitRows.length);
  assert.equal(s.figures.length, 1);
  assert.equal(s.results['knots'].length, 4);
});

test('PVC settings: log-volume scale and disabled correction', () => {
  const logStudy = buildStudy({ settings: { pvc: { scale: 'log-volume' } } });
  const s = partialVolumeSection(logStudy);
  assert.equal(s.status, 'ok');
  assert.equal(s.results['scale'], 'log-volume');
  const off = partialVolumeSection(buildStudy({ settings: { pvc: { enabled: false } } }));
  assert.equal(off.status, 'not-run');
  assert.match(off.reason!, /disabled/);
  assert.throws(() => tumourData(buildStudy({ settings: { pvc: { method: 'bayes' } } })), InputError);
});

test('blood CD8 correlation pairs scans with the nearest lab value and uses the clustered Pearson', () => {
  const s = bloodCd8Correlation(buildStudy());
  assert.equal(s.status, 'ok', s.reason);
  const r = s.results['correlation'] as { r: number; clusters: number; method: string };
  assert.equal(r.method, 'pearson-clustered-lorenz2011');
  assert.equal(r.clusters, 15);
  const none = bloodCd8Correlation({ ...buildStudy(), labs: [] });
  assert.equal(none.status, 'not-run');
  assert.match(none.reason!, /no lab values/);
});

test('biopsy CD8 correlation: Pearson over biopsied lesions; not-run with fewer than 3', () => {
  const study = buildStudy();
  const s = biopsyCd8Correlation(study);
  assert.equal(s.status, 'ok', s.reason);
  assert.equal(s.n?.lesions, 8);
  const few = biopsyCd8Correlation({ ...buildStudy(), biopsies: buildStudy().biopsies.slice(0, 2) });
  assert.equal(few.status, 'not-run');
  assert.match(few.reason!, /only 2/);
});

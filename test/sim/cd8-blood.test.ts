// Circulating CD8 of the virtual trial (SIM_MODEL.labs): drawn on the paper's blood-sample days 0, +7
// and +28 (Methods, "Measurement of circulating T-cells and cytokines"), with no relation to the
// blood-pool uptake (the paper found no correlation; issue 15 item 6).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulateTrial } from '../../src/sim/trial.js';
import { SIM_MODEL } from '../../src/sim/trial-params.js';

const trials = [1, 2, 3, 4, 5].map((seed) => simulateTrial({ seed, patients: 23 }));

const pearson = (x: number[], y: number[]): number => {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
};

test('circulating CD8: samples on days 0, +7, +28 only, geometric mean at the model median', () => {
  const logs: number[] = [];
  for (const t of trials)
    for (const s of t.truth.assays.qpcr.samples) {
      assert.ok([0, 7, 28].includes(s.day), `${s.patientId} day ${s.day}`);
      logs.push(Math.log(s.cd8CopiesPerCell));
    }
  // 5 × 23 patients: SE of the mean log ≈ √(0.25²/115 + 0.2²/330) ≈ 0.026; tolerance 4 SE.
  const gm = Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length);
  assert.ok(Math.abs(Math.log(gm / SIM_MODEL.labs.cd8CopiesMedian)) < 0.105, `GM ${gm}`);
});

test('circulating CD8 on day +7 does not follow the true blood-pool SUV of the post-CART scans', () => {
  const cd8: number[] = [];
  const pool: number[] = [];
  for (const t of trials)
    for (const sc of t.truth.scans) {
      if (sc.timepoint === 'pre' || sc.timepoint === 'pre-ld') continue;
      const s = t.truth.assays.qpcr.samples.find((q) => q.patientId === sc.patientId && q.day === 7);
      if (!s) continue;
      cd8.push(Math.log(s.cd8CopiesPerCell));
      pool.push(sc.organSuvTrue.aorta);
    }
  // ≈ 170 pairs (of ≈ 115 patients): under independence |r| < 0.3 is beyond 3 SE even with the pairs of
  // a patient sharing its CD8 value. CD8 drawn in proportion to the scan's blood-pool SUV (the former
  // model, log-SD 0.25) gives r ≈ 0.64 on the same scans.
  assert.ok(cd8.length > 100, `${cd8.length} pairs`);
  const r = pearson(cd8, pool);
  assert.ok(Math.abs(r) < 0.3, `r = ${r}`);
});

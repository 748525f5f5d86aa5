/** ⁵¹Cr % specific lysis: formula values computed by hand (exact arithmetic, tolerance 1e-12). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyseChromiumRelease, lyticUnits, percentSpecificLysis } from '../../src/assays/lysis.js';
import { ComputationError } from '../../src/errors.js';
import { assertClose } from '../helpers/assert-close.js';

describe('51Cr release', () => {
  it('% specific lysis = 100 (E − S)/(M − S)', () => {
    assert.equal(percentSpecificLysis(1500, 500, 2500), 50);
    assert.throws(() => percentSpecificLysis(1, 10, 10), ComputationError);
  });
  it('triplicates per E:T, spontaneous QC and lytic units', () => {
    const r = analyseChromiumRelease(
      [
        { effectorToTarget: 40, cpm: 2100 },
        { effectorToTarget: 40, cpm: 2000 },
        { effectorToTarget: 40, cpm: 1900 },
        { effectorToTarget: 10, cpm: 1000 },
        { effectorToTarget: 10, cpm: 1100 },
        { effectorToTarget: 10, cpm: 900 },
      ],
      [450, 500, 550],
      [2400, 2500, 2600],
    );
    assert.equal(r.spontaneousPercentOfMaximum, 20);
    assert.equal(r.qcPassed, true);
    assert.deepEqual(
      r.points.map((p) => p.effectorToTarget),
      [40, 10],
    );
    assertClose(r.points[0]!.meanPercent, 75, 1e-12, 'E:T 40');
    assertClose(r.points[1]!.meanPercent, 25, 1e-12, 'E:T 10');
    assertClose(r.points[1]!.sdPercent, 5, 1e-12, 'sd E:T 10');
    // 50 % lies halfway between ln 10 and ln 40 → E:T 20 → 10⁶ / (20 × 5000) = 10 LU50 per 10⁶ effectors
    assertClose(lyticUnits(r.points, 50, 5000), 10, 1e-12, 'LU50');
    assert.throws(() => lyticUnits(r.points, 90, 5000), ComputationError);
  });
});

/**
 * Programme figures vs R (fixtures/outcomes/followup.R → followup.json, R survival `survfit`):
 * median follow-up by reverse Kaplan–Meier, KM medians of OS and PFS per product, and type-7 quartiles
 * of vein-to-vein time. Tolerance: 1e-12 relative (medians are event times or midpoints, quartiles are
 * linear interpolations: exact in binary up to rounding).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertClose } from '../helpers/assert-close.js';
import { projectRoot } from '../helpers/shared-data.js';
import {
  cumulativeIncidence,
  medianFollowUpReverseKm,
  programmeFigures,
  quantile7,
  type PatientOutcome,
} from '../../src/registry/outcomes.js';

interface Golden {
  os_time: number[];
  os_status: number[];
  pfs_time: number[];
  pfs_status: number[];
  v2v: number[];
  median_follow_up: number;
  median_os: number;
  median_pfs: number;
  v2v_q: number[];
}
const g = JSON.parse(
  readFileSync(join(projectRoot, 'test', 'registry', 'fixtures', 'outcomes', 'followup.json'), 'utf8'),
) as Golden;

test('median follow-up (reverse KM) and type-7 quartiles match R', () => {
  assertClose(
    medianFollowUpReverseKm(g.os_time, g.os_status) ?? NaN,
    g.median_follow_up,
    1e-12,
    'median follow-up',
  );
  g.v2v_q.forEach((q, i) =>
    assertClose(quantile7(g.v2v, [0.25, 0.5, 0.75][i] ?? 0) ?? NaN, q, 1e-12, `v2v q${i}`),
  );
  assert.equal(quantile7([], 0.5), null);
});

test('programme figures over infused patients match R (follow-up, PFS/OS medians per product, vein-to-vein)', () => {
  const outcomes: PatientOutcome[] = g.os_time.map((t, i) => ({
    patientId: `P${i}`,
    crsByDay: [],
    icansByDay: [],
    maxCrs: i % 3,
    maxIcans: 0,
    veinToVeinDays: g.v2v[i] ?? null,
    stage: 'evaluable',
    dropoutReason: null,
    bestResponse: i % 2 === 0 ? 'CR' : 'PR',
    os: { days: t, status: (g.os_status[i] ?? 0) as 0 | 1 },
    pfs: { days: g.pfs_time[i] ?? 0, status: (g.pfs_status[i] ?? 0) as 0 | 1 },
    ttp: null,
    nrm: null,
    product: 'axi-cel',
  }));
  outcomes.push({
    ...outcomes[0]!,
    patientId: 'R1',
    stage: 'referred',
    dropoutReason: 'rapid-progression',
    os: null,
    pfs: null,
    veinToVeinDays: null,
    maxCrs: null,
    bestResponse: null,
    product: null,
  });
  const f = programmeFigures(outcomes);
  assert.deepEqual(f.flow, { referred: 13, accepted: 12, apheresed: 12, infused: 12, evaluable: 12 });
  assert.deepEqual(f.dropoutReasons, { 'rapid-progression': 1 });
  assertClose(f.medianFollowUpDays ?? NaN, g.median_follow_up, 1e-12, 'median follow-up');
  assertClose(f.byProduct['axi-cel']?.medianOsDays ?? NaN, g.median_os, 1e-12, 'median OS');
  assertClose(f.byProduct['axi-cel']?.medianPfsDays ?? NaN, g.median_pfs, 1e-12, 'median PFS');
  assert.equal(f.veinToVein.n, 12);
  assertClose(f.veinToVein.medianDays ?? NaN, g.v2v_q[1] ?? NaN, 1e-12, 'median v2v');
  assert.deepEqual(f.maxCrs, { '0': 4, '1': 4, '2': 4 });
  assert.deepEqual(f.bestResponse, { CR: 6, PR: 6 });
});

test('cumulative incidence of NRM with progression competing (Aalen–Johansen) matches R survfit pstate', () => {
  const n = JSON.parse(
    readFileSync(join(projectRoot, 'test', 'registry', 'fixtures', 'outcomes', 'nrm.json'), 'utf8'),
  ) as { time: number[]; status: number[]; at: number[]; cif_nrm: number[]; cif_progression: number[] };
  // jsonlite writes 15 significant digits: 1e-12 relative
  cumulativeIncidence(n.time, n.status, 1, n.at).forEach((v, i) =>
    assertClose(v, n.cif_nrm[i] ?? NaN, 1e-12, `NRM at ${n.at[i]}`),
  );
  cumulativeIncidence(n.time, n.status, 2, n.at).forEach((v, i) =>
    assertClose(v, n.cif_progression[i] ?? NaN, 1e-12, `progression at ${n.at[i]}`),
  );
  assert.deepEqual(cumulativeIncidence(n.time, n.status, 1, [5]), [0]);
});

// Kaplan–Meier against R survival 3.5-3 (fixtures/km.R → km.json): survfit tables with
// summary(censored = TRUE), summary(fit)$table medians and CIs, summary(fit, times, extend = TRUE).
// Tolerance 1e-10 relative (the KM tolerance); the R values are printed to 15 significant
// digits, so agreement is bounded by ~1e-15 and 1e-10 leaves room for a different summation order.
// Counts (nRisk, nEvent, nCensor, n, events) must be exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  kaplanMeier,
  kaplanMeierByGroup,
  medianFollowUp,
  nRiskAt,
  survivalAt,
} from '../../../src/stats/survival/index.js';
import type { KmConfType, KmResult } from '../../../src/stats/survival/index.js';
import { InputError } from '../../../src/errors.js';
import { assertClose } from '../../helpers/assert-close.js';

type Num = number | null;
type Arr = Num | Num[];
interface Stratum {
  group: string;
  n: number;
  events: number;
  median: Num;
  medianLower: Num;
  medianUpper: Num;
  table: Record<'time' | 'nRisk' | 'nEvent' | 'nCensor' | 'surv' | 'stdErr' | 'lower' | 'upper', Arr>;
  at: { times: Arr; surv: Arr; nRisk: Arr };
}
interface Case {
  name: string;
  time: number[];
  status: number[];
  group: string[] | null;
  confType: KmConfType;
  strata: Stratum[];
}
interface Fixture {
  cases: Case[];
  reverse: {
    time: number[];
    status: number[];
    median: number;
    medianLower: number;
    medianUpper: number;
    surv: number[];
  };
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/km.json', import.meta.url), 'utf8')) as Fixture;
const TOL = 1e-10;

/** jsonlite unboxes length-1 vectors; null is R's NA/NaN. */
function arr(x: Arr): number[] {
  const a = Array.isArray(x) ? x : [x];
  return a.map((v) => (v === null ? NaN : v));
}
const num = (x: Num): number => (x === null ? NaN : x);

function checkStratum(km: KmResult, st: Stratum, label: string): void {
  assert.equal(km.n, st.n, `${label} n`);
  assert.equal(km.events, st.events, `${label} events`);
  const times = arr(st.table.time);
  assert.equal(km.table.length, times.length, `${label} rows`);
  const cols = ['surv', 'stdErr', 'lower', 'upper'] as const;
  const exact = ['time', 'nRisk', 'nEvent', 'nCensor'] as const;
  for (const c of exact) {
    assert.deepEqual(
      km.table.map((r) => r[c]),
      arr(st.table[c]),
      `${label} ${c}`,
    );
  }
  for (const c of cols) {
    const exp = arr(st.table[c]);
    km.table.forEach((r, i) => assertClose(r[c], exp[i]!, TOL, `${label} ${c}[${i}] t=${r.time}`));
  }
  assertClose(km.median, num(st.median), TOL, `${label} median`);
  assertClose(km.medianLower, num(st.medianLower), TOL, `${label} medianLower`);
  assertClose(km.medianUpper, num(st.medianUpper), TOL, `${label} medianUpper`);
  const at = arr(st.at.times);
  const sAt = survivalAt(km, at);
  arr(st.at.surv).forEach((v, i) => assertClose(sAt[i]!, v, TOL, `${label} survivalAt(${at[i]})`));
  assert.deepEqual(nRiskAt(km, at), arr(st.at.nRisk), `${label} nRiskAt`);
}

for (const c of fx.cases) {
  test(`KM ${c.name} (${c.confType}) equals R survfit`, () => {
    if (c.group === null) {
      checkStratum(kaplanMeier(c.time, c.status, { confType: c.confType }), c.strata[0]!, c.name);
    } else {
      const res = kaplanMeierByGroup(c.time, c.status, c.group, { confType: c.confType });
      assert.deepEqual(
        res.strata.map((s) => s.group),
        c.strata.map((s) => s.group),
        'group order as R factor()',
      );
      res.strata.forEach((s, j) => checkStratum(s, c.strata[j]!, `${c.name}[${s.group}]`));
    }
  });
}

test('reverse KM (median follow-up) equals R survfit(Surv(time, 1 - status) ~ 1)', () => {
  const r = fx.reverse;
  const km = kaplanMeier(r.time, r.status, { reverse: true });
  assertClose(km.median, r.median, TOL, 'median follow-up');
  assertClose(km.medianLower, r.medianLower, TOL, 'lower');
  assertClose(km.medianUpper, r.medianUpper, TOL, 'upper');
  km.table.forEach((row, i) => assertClose(row.surv, r.surv[i]!, TOL, `surv[${i}]`));
  const fu = medianFollowUp(r.time, r.status);
  assertClose(fu.median, r.median, TOL, 'medianFollowUp');
  assertClose(fu.lower, r.medianLower, TOL, 'medianFollowUp lower');
  assertClose(fu.upper, r.medianUpper, TOL, 'medianFollowUp upper');
});

test('a 99% level changes the limits as R conf.int = 0.99 would (z = qnorm(0.995))', () => {
  const km95 = kaplanMeier([1, 2, 3, 4, 5], [1, 1, 0, 1, 1]);
  const km99 = kaplanMeier([1, 2, 3, 4, 5], [1, 1, 0, 1, 1], { confLevel: 0.99 });
  // log CI: log(lower) = log S − z·se_log, so the ratio of log-distances is z99/z95.
  const r0 = km95.table[0]!;
  const r1 = km99.table[0]!;
  const ratio = Math.log(r1.surv / r1.lower) / Math.log(r0.surv / r0.lower);
  assertClose(ratio, 2.5758293035489004 / 1.959963984540054, 1e-12, 'z ratio');
});

test('bad input: negative, missing and infinite times, status outside 0/1, length mismatch', () => {
  const bad = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof InputError && re.test(e.message));
  };
  bad(() => kaplanMeier([1, -2, 3], [1, 0, 1]), /field time.*≥ 0.*-2/);
  bad(() => kaplanMeier([1, NaN, 3], [1, 0, 1]), /row 2, field time: missing time/);
  bad(() => kaplanMeier([1, Infinity], [1, 0]), /field time/);
  bad(() => kaplanMeier([1, 2, 3], [1, 2, 1]), /field status.*0 \(censored\) or 1 \(event\).*2/);
  bad(() => kaplanMeier([1, 2, 3], [1, 0]), /field status/);
  bad(() => kaplanMeier([1, -1], [1, 0], { names: { time: 'os_days' } }), /field os_days/);
  bad(() => kaplanMeierByGroup([1, 2], [1, 0], ['a', '']), /row 2, field group: missing group/);
});

// The trial report's statistics against R (fixtures/trial-report.R → trial-report.json): exact
// Clopper–Pearson CIs (binom.test), the reverse Kaplan–Meier median follow-up with its CI
// (survfit(Surv(time, 1 - status) ~ 1)), the trapezoid AUC (a hand-written trapz) and Spearman's
// correlation (cor.test(method = "spearman", exact = FALSE)); and the clear errors of each on bad input.
// Tolerance 1e-12 relative (jsonlite writes 15 significant digits); p-values 1e-9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { clopperPearson } from '../../src/stats/binomial.js';
import { trapezoidAuc } from '../../src/stats/auc.js';
import { averageRanks, spearman, spearmanUpperTail } from '../../src/stats/correlation.js';
import { kaplanMeier, medianFollowUp } from '../../src/stats/survival/index.js';
import { InputError } from '../../src/errors.js';
import { assertAllClose, assertClose } from '../helpers/assert-close.js';

interface Golden {
  binom: { x: number; n: number; level: number; estimate: number; lower: number; upper: number }[];
  followUp: {
    name: string;
    time: number[];
    status: number[];
    median: number;
    lower: number | string;
    upper: number | string;
    surv: number[];
    times: number[];
  }[];
  auc: { x: number[] | number; y: number[] | number; auc: number }[];
  spearman: Record<
    string,
    { x: number[]; y: number[]; exact: boolean | null; r: number; statistic: number; p: number }
  >;
}
const fx = JSON.parse(
  readFileSync(new URL('./fixtures/trial-report.json', import.meta.url), 'utf8'),
) as Golden;
const TOL = 1e-12;
/** jsonlite writes R's NA as the string "NA". */
const num = (v: number | string): number => (typeof v === 'number' ? v : NaN);
const arr = (v: number[] | number): number[] => (Array.isArray(v) ? v : [v]);

test('clopperPearson equals binom.test conf.int (x = 0, x = n, levels 0.9 / 0.95 / 0.99)', () => {
  assert.ok(fx.binom.length >= 10);
  for (const c of fx.binom) {
    const r = clopperPearson(c.x, c.n, c.level);
    const label = `${c.x}/${c.n} @${c.level}`;
    assertClose(r.estimate, c.estimate, TOL, `${label} estimate`);
    assertClose(r.lower, c.lower, TOL, `${label} lower`, 1e-300);
    assertClose(r.upper, c.upper, TOL, `${label} upper`);
  }
});

test('clopperPearson refuses x outside 0…n, a non-integer n and a level outside (0, 1)', () => {
  assert.throws(
    () => clopperPearson(5, 4),
    (e: unknown) => e instanceof InputError && /x must/.test(e.message),
  );
  assert.throws(() => clopperPearson(1, 0), /n must be an integer/);
  assert.throws(() => clopperPearson(1.5, 4), /field x/);
  assert.throws(() => clopperPearson(1, 4, 1), /level must lie/);
});

test('reverse Kaplan–Meier median follow-up and its CI equal survfit(Surv(time, 1 - status) ~ 1)', () => {
  for (const c of fx.followUp) {
    const fu = medianFollowUp(c.time, c.status);
    assertClose(fu.median, c.median, TOL, `${c.name} median`);
    assertClose(fu.lower, num(c.lower), TOL, `${c.name} lower`);
    assertClose(fu.upper, num(c.upper), TOL, `${c.name} upper`);
    const km = kaplanMeier(c.time, c.status, { reverse: true });
    assertAllClose(
      km.table.map((r) => r.time),
      c.times,
      TOL,
      `${c.name} times`,
    );
    assertAllClose(
      km.table.map((r) => r.surv),
      c.surv,
      TOL,
      `${c.name} surv`,
    );
  }
});

test('trapezoidAuc equals the hand-written R trapz', () => {
  for (const c of fx.auc) assertClose(trapezoidAuc(arr(c.x), arr(c.y)), c.auc, TOL, `auc ${String(c.x)}`);
});

test('trapezoidAuc refuses unequal lengths, no points, non-finite values and non-increasing x', () => {
  assert.throws(() => trapezoidAuc([0, 1], [1]), /differ in length/);
  assert.throws(() => trapezoidAuc([], []), /at least one point/);
  assert.throws(() => trapezoidAuc([0, 1], [1, NaN]), /field y: non-finite y value \(value: NaN\)/);
  assert.throws(() => trapezoidAuc([0, 7, 7], [1, 2, 3]), /row 3, field x: x must increase strictly/);
});

test('spearman equals cor.test(method = "spearman"): exact (n ≤ 9), Edgeworth, t approximation (ties, exact = FALSE)', () => {
  assert.ok(Object.keys(fx.spearman).length >= 10);
  for (const [name, c] of Object.entries(fx.spearman)) {
    const r = spearman(c.x, c.y, c.exact === false ? { exact: false } : {});
    assertClose(r.r, c.r, TOL, `${name} rho`);
    assertClose(r.statistic, c.statistic, 1e-10, `${name} S`);
    assertClose(r.p, c.p, 1e-9, `${name} p`);
  }
  assert.deepEqual(averageRanks([3, 1, 3, 2]), [3.5, 1, 3.5, 2]);
  assert.throws(() => spearman([1, 2, 3], [1, 1, 1]), /constant variable/);
  assert.throws(() => spearman([1, 2], [1, 2]), /at least 3 pairs/);
  assert.throws(
    () => spearman([1, 1, 2], [1, 2, 3], { exact: true }),
    /field exact: an exact Spearman p-value/,
  );
  assert.equal(spearman([1, 1, 2, 3], [1, 2, 3, 4]).pMethod, 't-approximation');
  assert.equal(spearman([1, 2, 3, 4], [1, 3, 2, 4]).pMethod, 'exact');
});

test('spearmanUpperTail: 1 at S ≤ 0, 0 above the maximum (n³ − n)/3, in [0, 1]; exact tails fall in S', () => {
  for (const n of [5, 9, 10, 23]) {
    const max = (n ** 3 - n) / 3;
    assert.equal(spearmanUpperTail(0, n), 1);
    assert.equal(spearmanUpperTail(max + 2, n), 0);
    let last = 1;
    for (let s = 2; s <= max; s += 2) {
      const p = spearmanUpperTail(s, n);
      assert.ok(p >= 0 && p <= 1, `n ${n}, S ${s}`);
      // The Edgeworth series (n > 9) is not monotone far in the tails (nor is R's).
      if (n <= 9) assert.ok(p <= last, `n ${n}, S ${s}`);
      last = p;
    }
  }
  // n = 3: S ∈ {0, 2, 6, 8} with counts 1, 2, 2, 1 of 3! = 6.
  assert.equal(spearmanUpperTail(6, 3), 3 / 6);
});

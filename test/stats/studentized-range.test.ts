/**
 * Studentized range distribution vs R (test/stats/posthoc/posthoc.R → studentized-range.json): ptukey over a grid
 * of q × nmeans (2–20) × df (2 … 30 000, ∞) plus nranges > 1, lower tail to 1e-13 absolute and the upper tail
 * (the Tukey p-value) to 1e-8 relative or 1e-13 absolute — both follow Copenhaver & Holland's quadrature, so they
 * differ by rounding only (lgamma of ν/2 and erfc); below ~1e-5 the upper tail's 1e-13 absolute floor is what
 * either implementation can claim. qtukey: to 1e-9 relative against the exact root of R's ptukey (uniroot, tol
 * 1e-13), and to 1e-6 against R's qtukey, whose secant iteration stops at a 1e-4 step.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { logGamma, ptukey, ptukeyUpper, qtukey } from '../../src/stats/studentized-range.js';
import { assertClose } from '../helpers/assert-close.js';

interface Golden {
  ptukey: { q: number; nmeans: number; df: string; nranges: number; p: number; upper: number }[];
  qtukey: { p: number; nmeans: number; df: string; qtukey: number; exact: number }[];
}
const golden = JSON.parse(
  readFileSync(new URL('./posthoc/studentized-range.json', import.meta.url), 'utf8'),
) as Golden;

describe('studentized range vs R ptukey/qtukey', () => {
  it('ptukey lower and upper tails over the grid', () => {
    assert.ok(golden.ptukey.length > 200);
    for (const g of golden.ptukey) {
      const df = Number(g.df);
      const label = `q=${g.q} k=${g.nmeans} df=${g.df} r=${g.nranges}`;
      assertClose(ptukey(g.q, g.nmeans, df, g.nranges), g.p, 0, `${label} lower`, 1e-13);
      assertClose(ptukeyUpper(g.q, g.nmeans, df, g.nranges), g.upper, 1e-8, `${label} upper`, 1e-13);
    }
  });
  it('qtukey: exact root of ptukey; R qtukey within its stopping tolerance', () => {
    for (const g of golden.qtukey) {
      const df = Number(g.df);
      const q = qtukey(g.p, g.nmeans, df);
      const label = `p=${g.p} k=${g.nmeans} df=${g.df}`;
      assertClose(q, g.exact, 1e-9, `${label} exact`);
      assertClose(q, g.qtukey, 1e-6, `${label} R qtukey`);
    }
  });
  it('edge cases: q ≤ 0, q = ∞, invalid arguments', () => {
    assert.equal(ptukey(0, 3, 10), 0);
    assert.equal(ptukey(-1, 3, 10), 0);
    assert.equal(ptukey(Infinity, 3, 10), 1);
    assert.ok(Number.isNaN(ptukey(2, 1, 10)));
    assert.ok(Number.isNaN(ptukey(2, 3, 1)));
    assert.ok(Number.isNaN(ptukey(NaN, 3, 10)));
    assert.ok(Number.isNaN(qtukey(1.5, 3, 10)));
    assert.equal(qtukey(0, 3, 10), 0);
  });
  it('logGamma matches closed forms', () => {
    assertClose(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'lgamma(1/2)');
    assertClose(logGamma(1), 0, 0, 'lgamma(1)', 1e-15);
    assertClose(logGamma(10), Math.log(362880), 1e-14, 'lgamma(10)');
    assertClose(logGamma(75), 247.57291409618688, 1e-14, 'lgamma(75)');
  });
});

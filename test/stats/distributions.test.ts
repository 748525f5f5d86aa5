// Distribution tails against R (fixtures/distributions.R → distributions.json).
// Tolerance 1e-12 relative: both sides use double-precision incomplete beta/gamma; observed
// agreement is ~1e-15, the margin covers libm differences.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import {
  chisqUpper,
  fUpper,
  normalTwoSidedP,
  tQuantileDf,
  tTwoSidedP,
} from '../../src/stats/distributions.js';
import { assertClose } from '../helpers/assert-close.js';

interface Fixture {
  t2: { t: number; df: number; p: number }[];
  chisq: { x: number; df: number; p: number }[];
  f: { f: number; df1: number; df2: number; p: number }[];
  z: { z: number; p: number }[];
  qt: { p: number; df: number; q: number }[];
}
const fx = JSON.parse(
  readFileSync(new URL('./fixtures/distributions.json', import.meta.url), 'utf8'),
) as Fixture;
const TOL = 1e-12;

test('two-sided t p-values equal R 2*pt(-|t|, df)', () => {
  for (const c of fx.t2) assertClose(tTwoSidedP(c.t, c.df), c.p, TOL, `t=${c.t} df=${c.df}`);
});
test('chi-square upper tails equal R pchisq(lower.tail=FALSE), including p ~ 1e-12', () => {
  for (const c of fx.chisq) assertClose(chisqUpper(c.x, c.df), c.p, TOL, `x=${c.x} df=${c.df}`);
});
test('F upper tails equal R pf(lower.tail=FALSE)', () => {
  for (const c of fx.f) assertClose(fUpper(c.f, c.df1, c.df2), c.p, TOL, `f=${c.f}`);
});
test('two-sided normal p-values keep digits far in the tail', () => {
  for (const c of fx.z) assertClose(normalTwoSidedP(c.z), c.p, TOL, `z=${c.z}`);
});
test('t quantiles equal R qt', () => {
  for (const c of fx.qt) assertClose(tQuantileDf(c.p, c.df), c.q, 1e-10, `p=${c.p} df=${c.df}`);
});

/**
 * Correctly rounded 10^y for doubles, so FCS log decoding matches C `pow` (glibc, used by NumPy/FlowIO) to
 * the last bit; V8's `Math.pow` is off by one ulp for some arguments.
 *
 * Method: double-double arithmetic (Dekker 1971; Knuth TAOCP 4.2.2): z = y·ln10, n = round(z/ln2),
 * r = z − n·ln2 (|r| ≤ 0.35), exp(r) by its Taylor series to ~1e-30 relative, then scaled by 2^n.
 */

const LN10_HI = 2.302585092994046;
const LN10_LO = -2.1707562233822494e-16;
const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17;
const SPLITTER = 134217729; // 2^27 + 1

type DD = [number, number];

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function ddAdd(a: DD, b: DD): DD {
  const [s, e] = twoSum(a[0], b[0]);
  const t = e + a[1] + b[1];
  return twoSum(s, t);
}

function ddMul(a: DD, b: DD): DD {
  const [p, e] = twoProd(a[0], b[0]);
  return twoSum(p, e + a[0] * b[1] + a[1] * b[0]);
}

function ddMulNum(a: DD, b: number): DD {
  const [p, e] = twoProd(a[0], b);
  return twoSum(p, e + a[1] * b);
}

function ddDivNum(a: DD, b: number): DD {
  const q1 = a[0] / b;
  const [p, e] = twoProd(q1, b);
  const rem = (a[0] - p - e + a[1]) / b;
  return twoSum(q1, rem);
}

/**
 * 10^y rounded to the nearest double (ties aside, which double-double cannot resolve).
 * @param y exponent (finite; |y| ≤ 300)
 * @returns 10^y; falls back to `10 ** y` outside |y| ≤ 300 or for non-finite y
 */
export function pow10(y: number): number {
  if (!Number.isFinite(y) || Math.abs(y) > 300) return 10 ** y;
  if (y === 0) return 1;
  const z = ddMulNum([LN10_HI, LN10_LO], y);
  const n = Math.round(z[0] / LN2_HI);
  const r = ddAdd(z, ddMulNum([LN2_HI, LN2_LO], -n));
  // exp(r) = Σ r^k / k!
  let term: DD = [1, 0];
  let sum: DD = [1, 0];
  for (let k = 1; k < 30; k++) {
    term = ddDivNum(ddMul(term, r), k);
    sum = ddAdd(sum, term);
    if (Math.abs(term[0]) < 1e-34 * Math.abs(sum[0])) break;
  }
  const scaled = (sum[0] + sum[1]) * 2 ** n;
  return scaled;
}

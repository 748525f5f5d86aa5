/**
 * The typed reader's number fast path (`fastDecimal`, src/io/csv-bytes.ts) against `Number(text)`:
 * on every string it either gives exactly Number's double (Object.is: −0 too) or declines (NaN, the
 * reader then falls back to Number); it must not decline plain decimals of up to 15 digits with
 * exponents within ±22. Random strings, 17-significant-digit values, denormals, '1e-320', '-0', '+',
 * 2⁵³ ± 1; and the same cells through `parseCsvColumns` with quotes, CRLF, a BOM and NA.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastDecimal } from '../../src/io/csv-bytes.js';
import { parseCsvColumns } from '../../src/io/csv-columns.js';

const bytesOf = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** fastDecimal of the whole string, checked against Number(); true when the fast path took it. */
function check(s: string): boolean {
  const b = bytesOf(`,${s},`); // the cell between two separators, as in a row
  const v = fastDecimal(b, 1, 1 + s.length);
  if (Number.isNaN(v)) return false;
  assert.ok(Object.is(v, Number(s)), `${JSON.stringify(s)}: fast ${v}, Number ${Number(s)}`);
  return true;
}

const EDGE = [
  '0',
  '-0',
  '+0',
  '-0.0',
  '0.0e5',
  '-0e-5',
  '+1.5',
  '1.',
  '.5',
  '-.5e-3',
  '1e22',
  '1e23',
  '1e37',
  '1e38',
  '9e22',
  '123e20',
  '4.35',
  '0.1',
  '0.3',
  '2.675',
  '1.7976931348623157e308',
  '2.2250738585072014e-308',
  '5e-324',
  '4.9406564584124654e-324',
  '1e-320',
  '1e-400',
  '1e400',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '9007199254740995',
  '90071992547409.93',
  '0.30000000000000004',
  '0.1000000000000000055511151231257827',
  '123456789012345678e-5',
  '1.2345678901234567',
  '00012',
  '000.000001',
  '1e0005',
  '1e',
  'e5',
  '.',
  '-',
  '+',
  '1.2.3',
  '--1',
  '1e+',
  '0x1A',
  'Inf',
  'NaN',
  'NA',
  '',
  ' 1',
  '1 ',
];

test('fast path equals Number() or declines, on edge cases', () => {
  for (const s of EDGE) check(s);
  // It must take the plain ones.
  for (const s of ['0', '-0', '+1.5', '.5', '1.', '1e22', '4.35', '9007199254740991', '123e20', '1e37']) {
    assert.ok(check(s), `${s} should take the fast path`);
  }
  for (const s of ['1e-320', '5e-324', '9007199254740993', '1e38', '0x1A', 'NA', '', ' 1', '1e', '.']) {
    assert.equal(check(s), false, `${s} should decline`);
  }
});

test('fast path equals Number() on 200 000 random decimal strings', () => {
  let seed = 7;
  const rnd = (k: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * k);
  };
  let taken = 0;
  let plain = 0;
  for (let t = 0; t < 200_000; t++) {
    const nd = 1 + rnd(20);
    let digits = '';
    for (let k = 0; k < nd; k++) digits += String(rnd(10));
    const point = rnd(nd + 2) - 1; // -1: no point
    let s = point < 0 ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`;
    if (s === '.') s = '0.';
    const sign = ['', '-', '+'][rnd(3)]!;
    const exp = rnd(3) === 0 ? `${'eE'[rnd(2)]}${['', '-', '+'][rnd(3)]}${rnd(60)}` : '';
    s = `${sign}${s}${exp}`;
    if (check(s)) taken++;
    const e = exp === '' ? 0 : Number(exp.slice(1));
    if (nd <= 15 && Math.abs(e) + nd <= 22) {
      plain++;
      assert.ok(check(s), `${s} should take the fast path`);
    }
  }
  assert.ok(plain > 10_000 && taken >= plain, `${taken} taken, ${plain} plain`);
});

test('fast path equals Number() on random doubles written with 1–17 significant digits', () => {
  let seed = 11;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let t = 0; t < 100_000; t++) {
    const x = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
    check(String(x));
    check(x.toPrecision(1 + Math.floor(rnd() * 17)));
    check(x.toExponential(Math.floor(rnd() * 17)));
    check(x.toFixed(Math.floor(rnd() * 12)));
  }
});

test('parseCsvColumns: every numeric cell is Number(text), whatever the quoting, line ends and BOM', () => {
  const cells = ['1.2345678901234567', '-0', '1e-320', '+2.5', '5e-324', '9007199254740993', '0.1', '1e23'];
  for (const end of ['\n', '\r\n', '\r']) {
    for (const bom of ['', '\ufeff']) {
      const rows = cells.map((c, i) => `${i % 2 === 0 ? `"${c}"` : c},${c},NA`);
      const text = `${bom}a,b,c${end}${rows.join(end)}${end}`;
      const t = parseCsvColumns(text, 'n.csv');
      assert.deepEqual(t.columns, ['a', 'b', 'c']);
      for (const j of [0, 1]) {
        const col = t.data[j]!;
        assert.equal(col.kind, 'number');
        assert.equal(col.kind === 'number' && col.missing, null);
        cells.forEach((c, i) => assert.ok(Object.is(col.values[i], Number(c)), `${c} in column ${j}`));
      }
      const na = t.data[2]!;
      assert.ok(na.kind === 'number' && na.missing !== null && na.missing.every((m) => m === 1));
    }
  }
});

test('parseCsvColumns: a separator that can be part of a number splits cells first', () => {
  for (const [sep, text, want] of [
    [
      '.',
      'a.b\n1.25\n-3.\n',
      [
        [1, -3],
        [25, null],
      ],
    ],
    [
      'e',
      'aeb\n1e5\n2e-1\n',
      [
        [1, 2],
        [5, -1],
      ],
    ],
    [
      '-',
      'a-b\n1-2\n-7\n',
      [
        [1, null],
        [2, 7],
      ],
    ],
  ] as const) {
    const t = parseCsvColumns(text, 's.csv', sep);
    assert.deepEqual(t.columns, ['a', 'b'], sep);
    want.forEach((w, j) => {
      const col = t.data[j]!;
      assert.equal(col.kind, 'number', sep);
      w.forEach((x, i) => {
        if (x === null) assert.equal(col.kind === 'number' && col.missing?.[i], 1, `${sep} ${j} ${i}`);
        else assert.equal(col.values[i], x, `${sep} ${j} ${i}`);
      });
    });
  }
});

test('parseCsvColumns: a file longer than its first MiB suggests grows its columns', () => {
  // Long rows first (the estimate from the first MiB is far too small), then short ones.
  const head = Array.from({ length: 30_000 }, (_, i) => `${i}.000000000000000000000000000000`).join('\n');
  const tail = Array.from({ length: 500_000 }, (_, i) => (i % 3 === 2 ? 'NA' : String(i % 10))).join('\n');
  const t = parseCsvColumns(`x\n${head}\n${tail}\n`, 'g.csv');
  assert.equal(t.nrow, 530_000);
  const col = t.data[0]!;
  assert.ok(col.kind === 'number' && col.missing !== null);
  assert.equal(col.values.length, 530_000);
  assert.equal(col.values[29_999], 29_999);
  assert.equal(col.values[530_000 - 2], 8);
  assert.equal(col.missing[530_000 - 1], 0);
  assert.equal(col.missing[530_000 - 3], 1);
  assert.equal(col.missing[2], 0);
});

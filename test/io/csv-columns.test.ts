/**
 * The typed one-pass reader (`parseCsvColumns`) against the string parser + column typing
 * (`dataFrameFromCsv(parseCsv(text))`, R's read.csv rule): same types, same values bit for bit (−0,
 * NaN, Inf, hex, 16-digit decimals, exponents beyond the fast path), same errors; on tricky cells and on
 * 3000 random tables built from awkward cells, separators, quotes and line ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvColumnCells, parseCsv } from '../../src/io/csv.js';
import { columnText, parseCsvColumns, readCsvColumns } from '../../src/io/csv-columns.js';
import { dataFrameFromCsv } from '../../src/stats/data-frame.js';
import { InputError } from '../../src/errors.js';

/** Outcome of a parse: the error message, or the data frame and the text columns' cells. */
function viaStrings(text: string, sep = ','): unknown {
  try {
    const t = parseCsv(text, 'f.csv', sep);
    const cells = csvColumnCells(t)!;
    const df = dataFrameFromCsv(t);
    const text_ = t.columns.map((c, j) =>
      df.data[c]!.some((v) => typeof v === 'string') ? cells[j] : 'number',
    );
    return { df, text: text_ };
  } catch (e) {
    return (e as Error).message;
  }
}

function viaColumns(text: string, sep = ','): unknown {
  try {
    const t = parseCsvColumns(text, 'f.csv', sep);
    const df = dataFrameFromCsv(t);
    const text_ = t.data.map((c, j) =>
      df.data[t.columns[j]!]!.some((v) => typeof v === 'string') ? c.values : 'number',
    );
    return { df, text: text_ };
  } catch (e) {
    return (e as Error).message;
  }
}

/** deepEqual plus Object.is on every number (−0 and NaN payloads of the same kind). */
function assertSame(a: unknown, b: unknown, text: string): void {
  assert.deepStrictEqual(a, b, JSON.stringify(text));
  if (typeof a === 'object' && a !== null) {
    const da = (a as { df: { data: Record<string, unknown[]> } }).df.data;
    const db = (b as { df: { data: Record<string, unknown[]> } }).df.data;
    for (const k of Object.keys(da)) {
      da[k]!.forEach((v, i) => assert.ok(Object.is(v, db[k]![i]), `${JSON.stringify(text)} ${k}[${i}]`));
    }
  }
}

const CELLS = [
  '1',
  '-0',
  '0',
  '+2',
  '1.5',
  '-1.549408121',
  '55.06909098',
  '1e3',
  '1E-3',
  '-2.5E+2',
  '.5',
  '5.',
  '-.5e-3',
  '0x1A',
  '-0x1A',
  'Inf',
  '-Inf',
  'NaN',
  'NA',
  '',
  ' 3 ',
  ' NA ',
  '12345678901234567',
  '123456789012345',
  '0.000000000000000000000001',
  '1e400',
  '1e-400',
  '9007199254740993',
  '1e22',
  '1e23',
  '4.35',
  '0.1',
  'x',
  'A',
  'a b',
  '"4"',
  '"a,b"',
  '"say ""hi"""',
  '""',
  '"multi\nline"',
  'TRUE',
  '1e',
  'e5',
  '.',
  '-',
  '1.2.3',
  '1e+05',
  '00012',
  '1_000',
  '٣',
];

test('tricky table: typed columns equal the string parser with R typing', () => {
  const text =
    '\ufeffid, x ,label,mixed,note\r\n1, 3.5 ,"a,b",1,"say ""hi"""\r\n2,1e-3,plain,2,\r\n\r\n' +
    '3,-2.5E+2, NA ,x7,"multi\nline"\r\n4,Inf,,4, spaced \r\n5,-Inf,"",NA,"  "\r\n6,NA,NA\r\n7,.5,z,0x1A,end';
  assertSame(viaColumns(text), viaStrings(text), text);
  const t = parseCsvColumns(text, 'f.csv');
  assert.deepEqual(t.columns, ['id', 'x', 'label', 'mixed', 'note']);
  assert.equal(t.nrow, 7);
  assert.equal(t.data[0]!.kind, 'number');
  assert.deepEqual(Array.from(t.data[0]!.values), [1, 2, 3, 4, 5, 6, 7]);
  const x = t.data[1]!;
  assert.ok(x.kind === 'number' && x.missing !== null);
  assert.deepEqual(Array.from(x.missing), [0, 0, 0, 0, 0, 1, 0]);
  // 'mixed' turns text at row 3 (x7): its first rows are the cells as written.
  assert.deepEqual(t.data[3]!.values, ['1', '2', 'x7', '4', 'NA', '', '0x1A']);
  assert.deepEqual(columnText(t, 'x'), ['3.5', '1e-3', '-2.5E+2', 'Inf', '-Inf', 'NA', '.5']);
});

test('columns named in `text` stay text: "1.0" and "1" are different labels', () => {
  const t = parseCsvColumns('g,y\n1.0,1\n1,2\n', 'f.csv', ',', undefined, { text: ['g'] });
  assert.deepEqual(t.data[0], { kind: 'text', values: ['1.0', '1'] });
  assert.equal(t.data[1]!.kind, 'number');
});

test('errors are the string parser’s, naming file and row', () => {
  for (const text of [
    '',
    '\n\n',
    'a,a\n1,2',
    'a,,b\n1,2,3',
    'a,b\n1,2,3\n',
    'a,b\n"1,2\n',
    'a;b;c\n1;2;3\n',
  ]) {
    const want = viaStrings(text);
    assert.equal(typeof want, 'string', text);
    assert.equal(viaColumns(text), want, text);
  }
  assert.throws(
    () => readCsvColumns('/no/such/file.csv'),
    (e: unknown) => e instanceof InputError && e.location.file === '/no/such/file.csv',
  );
});

test('3000 random tables: same types, values and errors as parseCsv + dataFrameFromCsv', () => {
  let seed = 12345;
  const rnd = (k: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * k);
  };
  const ends = ['\n', '\r\n', '\r'];
  for (let trial = 0; trial < 3000; trial++) {
    const width = 1 + rnd(4);
    const end = ends[rnd(3)]!;
    const sep = trial % 5 === 0 ? ';' : ',';
    const lines = [Array.from({ length: width }, (_, j) => (rnd(20) === 0 ? ' h ' : `c${j}`)).join(sep)];
    // Columns lean numeric (so that a late non-number turns a numeric column into text).
    const numericBias = Array.from({ length: width }, () => rnd(3) !== 0);
    const nrow = rnd(12);
    for (let r = 0; r < nrow; r++) {
      if (rnd(15) === 0) {
        lines.push('');
        continue;
      }
      const w = rnd(10) === 0 ? width + rnd(3) - 1 : width;
      const cells = Array.from({ length: Math.max(w, 1) }, (_, j) =>
        numericBias[j] && rnd(8) !== 0 ? CELLS[rnd(30)]! : CELLS[rnd(CELLS.length)]!,
      );
      lines.push(cells.join(sep));
    }
    let text = lines.join(end) + (rnd(2) === 0 ? end : '');
    if (rnd(20) === 0) text += sep;
    assertSame(viaColumns(text, sep), viaStrings(text, sep), text);
  }
});

test('readCsvColumns reads a file; strings() parses it again as parseCsv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-csvcol-'));
  try {
    const file = join(dir, 't.csv');
    writeFileSync(file, 'a,b\n1,x\n2,y\n');
    const t = readCsvColumns(file);
    assert.equal(t.file, file);
    assert.deepEqual(Array.from(t.data[0]!.values as Float64Array), [1, 2]);
    assert.deepEqual(t.strings().rows, [
      { a: '1', b: 'x' },
      { a: '2', b: 'y' },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

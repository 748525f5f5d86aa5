/**
 * The one-pass CSV parser and column typing on tricky cells: quoted separators, escaped quotes, NA,
 * empty cells, spaces around cells, scientific notation, Inf, a column numeric except one row (a
 * factor, as R's read.csv), blank lines, CRLF, short rows, a separator at the end; the same DataFrame
 * whether or not the table's rows were read first; errors naming file and row; a separator of one
 * non-ASCII character; UTF-8 bytes (valid or not) read as their text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvColumnCells, parseCsv } from '../../src/io/csv.js';
import { dataFrameFromCsv } from '../../src/stats/data-frame.js';
import { InputError } from '../../src/errors.js';

const TRICKY =
  '\ufeffid, x ,label,mixed,note\r\n' +
  '1, 3.5 ,"a,b",1,"say ""hi"""\r\n' +
  '2,1e-3,plain,2,\r\n' +
  '\r\n' +
  '3,-2.5E+2, NA ,x7,"multi\nline"\r\n' +
  '4,Inf,,4, spaced \r\n' +
  '5,-Inf,"",NA,"  "\r\n' +
  '6,NA,NA\r\n' +
  '7,.5,z,0x1A,end,';

test('tricky cells: records, trimmed cells, blank line skipped, short row padded, trailing separator', () => {
  // Row 7 ends with a separator: one cell more than the header → refused (as before).
  assert.throws(
    () => parseCsv(TRICKY, 'tricky.csv'),
    (e: unknown) =>
      e instanceof InputError &&
      /row has 6 cells but the header has 5/.test(e.message) &&
      e.location.row === 7,
  );
  const t = parseCsv(TRICKY.slice(0, -1), 'tricky.csv');
  assert.deepEqual(t.columns, ['id', 'x', 'label', 'mixed', 'note']);
  assert.deepEqual(t.rows, [
    { id: '1', x: '3.5', label: 'a,b', mixed: '1', note: 'say "hi"' },
    { id: '2', x: '1e-3', label: 'plain', mixed: '2', note: '' },
    { id: '3', x: '-2.5E+2', label: 'NA', mixed: 'x7', note: 'multi\nline' },
    { id: '4', x: 'Inf', label: '', mixed: '4', note: 'spaced' },
    { id: '5', x: '-Inf', label: '', mixed: 'NA', note: '' },
    { id: '6', x: 'NA', label: 'NA', mixed: '', note: '' },
    { id: '7', x: '.5', label: 'z', mixed: '0x1A', note: 'end' },
  ]);
});

test('tricky cells: column types and values as R read.csv (numeric unless one cell is not a number)', () => {
  const text = TRICKY.slice(0, -1);
  const fresh = parseCsv(text, 'tricky.csv');
  assert.ok(csvColumnCells(fresh), 'a fresh table keeps its column cells');
  const df = dataFrameFromCsv(fresh);
  assert.equal(df.nrow, 7);
  assert.deepEqual(df.data.id, [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(df.data.x, [3.5, 0.001, -250, Infinity, -Infinity, null, 0.5]);
  assert.deepEqual(df.data.label, ['a,b', 'plain', null, null, null, null, 'z']);
  // 'x7' makes the whole column a factor: every cell a string, NA and '' missing.
  assert.deepEqual(df.data.mixed, ['1', '2', 'x7', '4', null, null, '0x1A']);
  assert.deepEqual(df.data.note, ['say "hi"', null, 'multi\nline', 'spaced', null, null, 'end']);
  // Without the x7 row the column is numeric (hex as R's type.convert).
  const numeric = dataFrameFromCsv(parseCsv(text.replace('x7', '3'), 'tricky.csv'));
  assert.deepEqual(numeric.data.mixed, [1, 2, 3, 4, null, null, 26]);
  // Reading rows first (they may be edited) drops the column cells; the result is the same.
  const read = parseCsv(text, 'tricky.csv');
  assert.equal(read.rows.length, 7);
  assert.equal(csvColumnCells(read), undefined);
  assert.deepEqual(dataFrameFromCsv(read), df);
  // Rows replaced: the new rows are the truth.
  const replaced = parseCsv(text, 'tricky.csv');
  replaced.rows = replaced.rows.slice(0, 2);
  assert.equal(dataFrameFromCsv(replaced).nrow, 2);
});

test('a numeric override names file, row and column of the non-number; factor override keeps strings', () => {
  const t = parseCsv('a,b\n1,2\n2,oops\n', 'o.csv');
  assert.throws(
    () => dataFrameFromCsv(t, { types: { b: 'numeric' } }),
    (e: unknown) =>
      e instanceof InputError &&
      e.location.file === 'o.csv' &&
      e.location.row === 2 &&
      e.location.field === 'b' &&
      e.location.value === 'oops' &&
      /declared numeric/.test(e.message),
  );
  assert.deepEqual(dataFrameFromCsv(t, { types: { a: 'factor' } }).data.a, ['1', '2']);
});

test('quotes only open at the start of a cell; unterminated quote names the line', () => {
  const t = parseCsv('a,b\nx"y",""\n"p"q,""""\n', 'q.csv');
  assert.deepEqual(t.rows, [
    { a: 'x"y"', b: '' },
    { a: 'pq', b: '"' },
  ]);
  assert.throws(
    () => parseCsv('a,b\n1,2\n3,"open\nmore\n', 'u.csv'),
    (e: unknown) =>
      e instanceof InputError && e.location.file === 'u.csv' && /starting before line 5/.test(e.message),
  );
  // Semicolon separator with its hint, and the same file read with ';'.
  assert.throws(() => parseCsv('a;b\n1;2\n', 's.csv'), /seems to use ';' as separator/);
  assert.deepEqual(parseCsv('a;b\n1;2', 's.csv', ';').rows, [{ a: '1', b: '2' }]);
});

test('a separator of one non-ASCII character: quoted, doubled and trimmed cells as with a comma', () => {
  const text = '\ufeffid§name§note\r\n1§ Zoë §"a§b"\r\n2§"€ ""x"""§\u00a0end\u00a0\n3§§"p§"\n';
  const t = parseCsv(text, 'w.csv', '§');
  assert.deepEqual(t.columns, ['id', 'name', 'note']);
  assert.deepEqual(t.rows, [
    { id: '1', name: 'Zoë', note: 'a§b' },
    { id: '2', name: '€ "x"', note: 'end' },
    { id: '3', name: '', note: 'p§' },
  ]);
  // The same table written with ',' (the text holds none).
  const comma = parseCsv(text.replace(/§/g, ','), 'w.csv').rows;
  assert.deepEqual(
    comma.map((r) => ({ ...r, note: r.note!.replace(',', '§') })),
    t.rows,
  );
  assert.throws(
    () => parseCsv('a€b\n1€2€3\n', 'w.csv', '€'),
    (e: unknown) =>
      e instanceof InputError &&
      e.location.file === 'w.csv' &&
      e.location.row === 1 &&
      /row has 3 cells but the header has 2/.test(e.message),
  );
});

test('UTF-8 bytes and text give the same table; invalid bytes read as U+FFFD, as a file read as text', () => {
  const text = 'a,b\n"é,1",😀\n2, ü \n';
  assert.deepEqual(parseCsv(Buffer.from(text, 'utf8'), 'b.csv').rows, parseCsv(text, 'b.csv').rows);
  const bad = Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xff, 0x2c, 0xe2, 0x82, 0x0a]);
  assert.deepEqual(parseCsv(bad, 'b.csv').rows, [{ a: '\ufffd', b: '\ufffd' }]);
  assert.deepEqual(parseCsv(bad, 'b.csv').rows, parseCsv(bad.toString('utf8'), 'b.csv').rows);
});

/**
 * src/io/csv-text.ts is the CSV grammar the web app imports (its report tables, web/src/pages/Study.tsx):
 * nothing on its import path uses a Node API, and where there is no Buffer (the browser) the scanner's
 * byte view (a Uint8Array with a TextDecoder) reads every case the same as with Node's Buffer: quotes,
 * CRLF, a BOM, multi-byte text, invalid UTF-8, a BOM inside a cell, a separator of one non-ASCII
 * character, and the same errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseCsv } from '../../src/io/csv-text.js';
import { InputError } from '../../src/errors.js';
import { projectRoot } from '../helpers/shared-data.js';

/** `fn` run while `globalThis.Buffer` is absent, as in the browser (restored afterwards). */
function withoutBuffer<T>(fn: () => T): T {
  const saved = globalThis.Buffer;
  (globalThis as { Buffer?: unknown }).Buffer = undefined;
  try {
    return fn();
  } finally {
    globalThis.Buffer = saved;
  }
}

const enc = new TextEncoder();
const CASES: { name: string; input: string | Uint8Array; separator?: string }[] = [
  {
    name: 'quotes, "" escapes, CRLF, blank line, short row, spaces',
    input: 'id, x ,note\r\n1, 3.5 ,"a,""b"""\r\n\r\n2,"multi\nline"\r\n3, spaced ,  \r\n',
  },
  { name: 'a BOM, as text', input: '\ufeffa,b\n1,2\n' },
  { name: 'a BOM, as bytes', input: enc.encode('\ufeffa,b\n1,2\n') },
  { name: 'multi-byte text', input: 'organ,note\nLeber,ä ö ü — ✓ 𝛼\nMilz,"€, ¥"\n' },
  // U+FEFF inside a cell is text: kept (at a cell's ends trim() takes it, as any white space); after a
  // "" escape the decoder starts a slice at it, which a TextDecoder that strips BOMs would drop
  { name: 'a BOM inside a cell is kept', input: 'a,b\nx\ufeffy,"q""\ufeffz"\n' },
  {
    name: 'invalid UTF-8 bytes read as U+FFFD',
    input: Uint8Array.from([0x61, 0x2c, 0x62, 0x0a, 0xff, 0x31, 0x2c, 0xc3, 0x0a]),
  },
  { name: 'a separator of one non-ASCII character', input: 'a§b§c\n1§"x§y"§ü\n', separator: '§' },
  { name: 'semicolon separator', input: 'a;b\n1;2\n', separator: ';' },
];

test('without Buffer (the browser) every case parses as with Node Buffer', () => {
  for (const c of CASES) {
    const node = parseCsv(c.input, 'case.csv', c.separator);
    const web = withoutBuffer(() => parseCsv(c.input, 'case.csv', c.separator));
    assert.deepEqual(web.columns, node.columns, c.name);
    assert.deepEqual(web.rows, node.rows, c.name);
  }
  // and the values are what the grammar says (not only equal to each other)
  const multi = withoutBuffer(() => parseCsv(CASES[3]!.input));
  assert.deepEqual(multi.rows, [
    { organ: 'Leber', note: 'ä ö ü — ✓ 𝛼' },
    { organ: 'Milz', note: '€, ¥' },
  ]);
  const bom = withoutBuffer(() => parseCsv(CASES[2]!.input));
  assert.deepEqual(bom.columns, ['a', 'b']);
  const inCell = withoutBuffer(() => parseCsv(CASES[4]!.input));
  assert.deepEqual(inCell.rows, [{ a: 'x\ufeffy', b: 'q"\ufeffz' }]);
  const bad = withoutBuffer(() => parseCsv(CASES[5]!.input));
  assert.deepEqual(bad.rows, [{ a: '\ufffd1', b: '\ufffd' }]);
  const wide = withoutBuffer(() => parseCsv(CASES[6]!.input, 'w.csv', '§'));
  assert.deepEqual(wide.rows, [{ a: '1', b: 'x§y', c: 'ü' }]);
});

test('without Buffer the errors are the same InputErrors, naming the file and row', () => {
  for (const [input, message] of [
    ['a,b\n1,2,3\n', /^long\.csv, row 1: row has 3 cells but the header has 2$/],
    ['a,b\n1,"open\n', /^long\.csv: unterminated quoted field starting before line 3$/],
    ['a;b\n1;2\n', /^long\.csv, row 0: the header is a single column; the file seems to use ';'/],
    ['', /^long\.csv: empty CSV file: no header row$/],
  ] as const) {
    const messageOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof InputError, String(e));
        return e.message;
      }
      assert.fail(`no error for ${JSON.stringify(input)}`);
    };
    const node = messageOf(() => parseCsv(input, 'long.csv'));
    assert.match(node, message);
    assert.equal(
      messageOf(() => withoutBuffer(() => parseCsv(input, 'long.csv'))),
      node,
    );
  }
});

test('src/io/csv-text.ts imports only modules of the project, none with a Node API (the web app bundles it)', () => {
  const seen = new Set<string>();
  const found: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else found.push(`${relative(projectRoot, file)}: ${spec}`);
    }
  };
  visit(join(projectRoot, 'src', 'io', 'csv-text.ts'));
  assert.ok(seen.size >= 3, `csv-text.ts, csv-bytes.ts, errors.ts: ${[...seen].join(', ')}`);
  assert.deepEqual(found, []);
});

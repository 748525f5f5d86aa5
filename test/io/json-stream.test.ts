/**
 * Streaming JSON: the chunks `writeJson` writes join to exactly `JSON.stringify(value, replacer,
 * indent)` — nested arrays and objects, empty ones, holes, undefined/functions/symbols (left out or
 * null), NaN/±Infinity, −0, typed arrays, Dates and toJSON, boxed primitives, Map/Set, strings with
 * line breaks and quotes, key order, indent 0/2/4 — on fixed cases and 500 random values; chunks stay
 * near the chunk size; cycles and BigInt throw as JSON.stringify; `printJson` prints the same text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeJson, type JsonReplacer } from '../../src/io/json-stream.js';
import { jsonReplacer, printJson } from '../../src/cli/shared.js';

function streamed(value: unknown, replacer?: JsonReplacer, indent?: number, chunkSize = 16): string[] {
  const chunks: string[] = [];
  writeJson(value, (c) => chunks.push(c), {
    ...(replacer ? { replacer } : {}),
    ...(indent !== undefined ? { indent } : {}),
    chunkSize,
  });
  return chunks;
}

function assertSameText(value: unknown, replacer?: JsonReplacer, indent?: number): void {
  const want = `${JSON.stringify(value, replacer, indent)}`;
  assert.equal(streamed(value, replacer, indent).join(''), want);
}

const CASES: unknown[] = [
  null,
  0,
  -0,
  NaN,
  'a\nb "q" \u2028 é',
  true,
  [],
  {},
  [[]],
  [{}],
  { a: [] },
  [1, , 3], // eslint-disable-line no-sparse-arrays
  [undefined, () => 1, Symbol('s')],
  { u: undefined, f: () => 1, s: Symbol('s'), n: null, x: 1 },
  { strata: [{ group: 'A', table: [{ time: 1, surv: 0.5, lower: NaN }], at: [] }] },
  { typed: new Float64Array([1.5, NaN, -Infinity]), u8: new Uint8Array([1, 2]) },
  { when: new Date(0), custom: { toJSON: (k: string) => `key ${k}` } },
  [new Date(1e12), { toJSON: () => undefined }],
  { boxed: [Object(1), Object('s'), Object(false)] },
  { map: new Map([[1, 2]]), set: new Set([1]) },
  { b: 1, a: 2, 1: 'one', nested: { z: { y: { x: [1, [2, [3, { w: 'deep' }]]] } } } },
  { long: Array.from({ length: 300 }, (_, i) => ({ i, v: i / 7, s: `r${i}` })) },
];

test('fixed cases: the streamed chunks join to JSON.stringify (no replacer, jsonReplacer; indent 0, 2, 4)', () => {
  for (const v of CASES) {
    for (const indent of [undefined, 2, 4]) {
      assertSameText(v, undefined, indent);
      assertSameText(v, jsonReplacer, indent);
    }
  }
  // A replacer sees the same holder and key as in JSON.stringify.
  const seen: string[] = [];
  const spy: JsonReplacer = function (k, v) {
    seen.push(`${Array.isArray(this) ? 'array' : typeof this}:${k}`);
    return v;
  };
  const value = { a: [1, { b: 2 }], c: { d: 3 } };
  JSON.stringify(value, spy, 2);
  const native = seen.splice(0);
  streamed(value, spy, 2);
  assert.deepEqual(seen, native);
});

test('top level values JSON leaves out give the text undefined; cycles and BigInt throw', () => {
  assert.equal(streamed(undefined).join(''), 'undefined');
  assert.equal(streamed(() => 1).join(''), 'undefined');
  const cyc: Record<string, unknown> = { a: [1] };
  (cyc['a'] as unknown[]).push(cyc);
  assert.throws(() => streamed(cyc), TypeError);
  assert.throws(() => streamed({ big: [10n] }), TypeError);
});

test('500 random values equal JSON.stringify with jsonReplacer at indent 2', () => {
  let seed = 7;
  const rnd = (k: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * k);
  };
  const leaf = (): unknown =>
    [null, rnd(1000) / 7, -0, NaN, Infinity, 'x', 'a"b\n', true, undefined, new Float64Array([rnd(9), NaN])][
      rnd(10)
    ];
  const make = (depth: number): unknown => {
    if (depth === 0 || rnd(3) === 0) return leaf();
    if (rnd(2) === 0) return Array.from({ length: rnd(6) }, () => make(depth - 1));
    const o: Record<string, unknown> = {};
    for (let k = rnd(6); k > 0; k--) o[`k${rnd(8)}`] = make(depth - 1);
    return o;
  };
  for (let t = 0; t < 500; t++) assertSameText(make(5), jsonReplacer, 2);
});

test('a large array is written in chunks of about the chunk size, never as one string', () => {
  const value = { events: Array.from({ length: 100_000 }, (_, i) => i * 0.25) };
  const chunks = streamed(value, jsonReplacer, 2, 65536);
  assert.equal(chunks.join(''), JSON.stringify(value, jsonReplacer, 2));
  assert.ok(chunks.length > 10, `${chunks.length} chunks`);
  assert.ok(Math.max(...chunks.map((c) => c.length)) < 65536 + 100);
});

test('printJson writes the JSON.stringify text and a line break to stdout', () => {
  const value = { strata: [{ group: null, table: [{ time: 1, surv: NaN }] }], x: new Float64Array([1, 2]) };
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string) => {
    out.push(chunk);
    return true;
  };
  try {
    printJson(value);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(out.join(''), `${JSON.stringify(value, jsonReplacer, 2)}\n`);
});

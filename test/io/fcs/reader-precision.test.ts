/**
 * Column precision of `readFcs` (src/io/fcs/reader.ts, data.ts): by default a `$DATATYPE` F file gives
 * float32 columns for the parameters whose values pre-processing leaves as stored (exactly the file's
 * float32 values) and float64 columns for the scaled ones (time × `$TIMESTEP`); `precision: 64` gives
 * float64 everywhere with the same values, `precision: 32` float32 everywhere; compensation of float32
 * columns gives float64 columns equal to compensating the float64 columns.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compensate } from '../../../src/flow/compensation.js';
import { readFcs } from '../../../src/io/fcs/reader.js';
import { writeFcs } from '../../../src/io/fcs/writer.js';

const work = mkdtempSync(join(tmpdir(), 'carto-fcs-precision-'));
after(() => rmSync(work, { recursive: true, force: true }));

const N = 5000;
const file = join(work, 'f32.fcs');
writeFcs(
  file,
  {
    parameters: [{ name: 'FSC-A' }, { name: 'FL1-A' }, { name: 'FL2-A' }, { name: 'Time' }],
    columns: [
      Array.from({ length: N }, (_, e) => 1000.1 + e * 3.3),
      Array.from({ length: N }, (_, e) => 200.7 + ((e * 37) % 1000) * 1.1),
      Array.from({ length: N }, (_, e) => 50.3 + ((e * 11) % 700) * 2.9),
      Array.from({ length: N }, (_, e) => e),
    ],
    spillover: {
      parameterNames: ['FL1-A', 'FL2-A'],
      values: [
        [1, 0.13],
        [0.07, 1],
      ],
    },
    keywords: { $TIMESTEP: '0.1' },
  },
  {},
);

test('default precision of a $DATATYPE F file: float32 where values stay as stored, float64 for time × $TIMESTEP', () => {
  const ds = readFcs(file);
  assert.equal(ds.dataType, 'F');
  const [fsc, fl1, fl2, time] = ds.events!.columns;
  assert.ok(fsc instanceof Float32Array && fl1 instanceof Float32Array && fl2 instanceof Float32Array);
  assert.ok(time instanceof Float64Array);
  assert.equal(fsc[7], Math.fround(1000.1 + 7 * 3.3));
  assert.equal(time[123], 123 * 0.1);
  const wide = readFcs(file, { precision: 64 });
  assert.ok(wide.events!.columns.every((c) => c instanceof Float64Array));
  ds.events!.columns.forEach((c, j) =>
    assert.deepEqual(Array.from(c), Array.from(wide.events!.columns[j]!), `parameter ${j}`),
  );
  const narrow = readFcs(file, { precision: 32 });
  assert.ok(narrow.events!.columns.every((c) => c instanceof Float32Array));
  assert.equal(narrow.events!.columns[3]![123], Math.fround(123 * 0.1));
  const raw = readFcs(file, { raw: true });
  assert.ok(raw.events!.columns.every((c) => c instanceof Float32Array));
  assert.equal(raw.events!.columns[3]![123], 123);
});

test('compensating float32 columns gives float64 columns equal to compensating float64 columns', () => {
  const ds = readFcs(file);
  const wide = readFcs(file, { precision: 64 });
  const a = compensate(ds.events!, ds.spillover!);
  const b = compensate(wide.events!, wide.spillover!);
  assert.ok(a.columns[1] instanceof Float64Array && a.columns[2] instanceof Float64Array);
  assert.ok(Math.abs(a.columns[1][10]! - ds.events!.columns[1]![10]!) > 1, 'compensation changed FL1-A');
  for (const j of [1, 2])
    assert.deepEqual(Array.from(a.columns[j]!), Array.from(b.columns[j]!), `column ${j}`);
  // In place keeps the columns (and their precision).
  const inPlace = compensate(ds.events!, ds.spillover!, { inPlace: true });
  assert.strictEqual(inPlace.columns[1], ds.events!.columns[1]);
  assert.equal(inPlace.columns[1]![10], Math.fround(b.columns[1]![10]!));
});

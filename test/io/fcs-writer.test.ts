import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { parseSpillover, readFcs } from '../../src/io/fcs/reader.js';
import { encodeFcs, writeFcs, type FcsWriteData } from '../../src/io/fcs/writer.js';
import { Rng } from '../../src/stats/prng.js';

const work = mkdtempSync(join(tmpdir(), 'carto-fcs-writer-'));
after(() => rmSync(work, { recursive: true, force: true }));

function sample(nEvents: number): FcsWriteData {
  const rng = new Rng(7, 'fcs-writer-test');
  const cols = [0, 1, 2, 3].map((p) =>
    Float64Array.from({ length: nEvents }, () => rng.gauss(p * 1000, 300 + p) * (p === 3 ? -1e-3 : 1)),
  );
  return {
    parameters: [
      { name: 'FSC-A', range: 262144 },
      { name: 'SSC-A' },
      { name: 'FITC-A', stain: 'CD3' },
      { name: 'PE-A', stain: 'CD8/CD4 mix', range: 1024 },
    ],
    columns: cols,
    spillover: {
      parameterNames: ['FITC-A', 'PE-A'],
      values: [
        [1, 0.125],
        [0.0301, 1],
      ],
    },
    fileName: 'tube/1.fcs',
    keywords: { CARTO_NOTE: 'a//b/', $CYT: 'Virtual cytometer' },
  };
}

test('writeFcs → readFcs round trip: values equal their float32, keywords, escapes, spillover', () => {
  const data = sample(1000);
  const file = join(work, 'a.fcs');
  writeFcs(file, data);
  const ds = readFcs(file);
  assert.equal(ds.version, 'FCS3.1');
  assert.equal(ds.dataType, 'F');
  assert.equal(ds.littleEndian, true);
  assert.equal(ds.totalEvents, 1000);
  assert.deepEqual(ds.warnings, []);
  assert.deepEqual(
    ds.parameters.map((p) => [p.name, p.stain, p.bits, p.range, p.logDecades, p.gain]),
    [
      ['FSC-A', null, 32, 262144, 0, 1],
      ['SSC-A', null, 32, 262144, 0, 1],
      ['FITC-A', 'CD3', 32, 262144, 0, 1],
      ['PE-A', 'CD8/CD4 mix', 32, 1024, 0, 1],
    ],
  );
  // Every value exactly equals its float32 rounding (no scaling: $PnE 0,0 and no $PnG).
  data.columns.forEach((c, p) => {
    const f32 = Float32Array.from(c as Float64Array);
    const got = ds.events!.columns[p]!;
    for (let e = 0; e < c.length; e++) assert.equal(got[e], f32[e], `parameter ${p} event ${e}`);
  });
  // Escaped delimiters in values (doubled on write) come back as written.
  assert.equal(ds.keywords['$FIL'], 'tube/1.fcs');
  assert.equal(ds.keywords['CARTO_NOTE'], 'a//b/');
  assert.equal(ds.keywords['$CYT'], 'Virtual cytometer');
  assert.equal(ds.keywords['$NEXTDATA'], '0');
  assert.equal(ds.keywords['$MODE'], 'L');
  assert.equal(ds.keywords['$BEGINANALYSIS'], '0');
  assert.equal(ds.keywords['$ENDSTEXT'], '0');
  assert.deepEqual(parseSpillover(ds.keywords), data.spillover);
  assert.deepEqual(ds.spillover, data.spillover);
  // HEADER and TEXT offsets agree and DATA is exactly $TOT × 16 bytes at the end of the file.
  assert.equal(ds.header.dataBegin, Number(ds.keywords['$BEGINDATA']));
  assert.equal(ds.header.dataEnd, Number(ds.keywords['$ENDDATA']));
  assert.equal(ds.header.textBegin, 58);
  assert.equal(ds.header.dataBegin, ds.header.textEnd + 1);
  const size = readFileSync(file).length;
  assert.equal(ds.header.dataEnd, size - 1);
  assert.equal(ds.header.dataEnd - ds.header.dataBegin + 1, 1000 * 4 * 4);
  // No clock keywords: the bytes are a function of the data only.
  assert.deepEqual(encodeFcs(data), encodeFcs(sample(1000)));
  assert.ok(!['$DATE', '$BTIM', '$ETIM', '$LAST_MODIFIED'].some((k) => k in ds.keywords));
});

test('DATA offsets beyond the HEADER limit are written as 0 in HEADER and read from TEXT', () => {
  // The real limit is 99 999 999 bytes; lowering it to 2000 exercises the same path on a 16 kB file.
  const data = sample(1000);
  const bytes = encodeFcs(data, { maxHeaderOffset: 2000 });
  const file = join(work, 'big.fcs');
  writeFileSync(file, bytes);
  const ds = readFcs(file);
  assert.equal(ds.header.dataBegin, 0);
  assert.equal(ds.header.dataEnd, 0);
  assert.ok(ds.header.textEnd < 2000 && ds.header.textEnd > 58);
  assert.equal(Number(ds.keywords['$BEGINDATA']), ds.header.textEnd + 1);
  assert.equal(Number(ds.keywords['$ENDDATA']), bytes.length - 1);
  assert.equal(ds.events!.columns[2]![999], Math.fround(data.columns[2]![999]!));
  // The default limit keeps them in HEADER; a TEXT that itself overflows the limit is refused.
  assert.notEqual(readFcs(join(work, 'a.fcs')).header.dataBegin, 0);
  assert.throws(() => encodeFcs(data, { maxHeaderOffset: 100 }), InputError);
});

test('zero events and one parameter are valid files', () => {
  const file = join(work, 'empty.fcs');
  writeFcs(file, { parameters: [{ name: 'FSC-A' }], columns: [new Float32Array(0)] });
  const ds = readFcs(file);
  assert.equal(ds.totalEvents, 0);
  assert.equal(ds.events!.eventCount, 0);
});

test('encodeFcs refuses mismatched columns, non-finite values and unwritable keywords (InputError)', () => {
  const d = sample(10);
  const bad = (patch: Partial<FcsWriteData>, re: RegExp): void =>
    assert.throws(
      () => encodeFcs({ ...d, ...patch }),
      (e: unknown) => e instanceof InputError && re.test(e.message),
    );
  bad({ columns: d.columns.slice(0, 3) }, /4 parameters but 3 columns/);
  bad({ columns: [...d.columns.slice(0, 3), new Float64Array(9)] }, /PE-A has 9 events/);
  bad({ columns: [...d.columns.slice(0, 3), Float64Array.from({ length: 10 }, () => NaN)] }, /not a finite/);
  bad({ columns: [...d.columns.slice(0, 3), new Float64Array(10).fill(1e39)] }, /not a finite float32/);
  bad({ parameters: [], columns: [] }, /at least one parameter/);
  bad({ keywords: { $TOT: '5' } }, /set by the FCS writer/);
  bad({ keywords: { X: '/leading' } }, /starts with the TEXT delimiter/);
  bad({ keywords: { X: '' } }, /empty value/);
  bad({ spillover: { parameterNames: ['FITC-A', 'APC-A'], values: d.spillover!.values } }, /not a parameter/);
  bad({ spillover: { parameterNames: ['FITC-A', 'PE-A'], values: [[1, 0]] } }, /n×n/);
  bad({ parameters: d.parameters.map((p) => ({ ...p, name: 'X' })) }, /unique/);
});

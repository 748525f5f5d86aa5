/**
 * FCS reader against FlowIO truth arrays (exact equality) and the parser edge cases in shared/data/flow/fcs-misc
 * (values from shared/data/README.md and the FlowIO / fcsparser / npm fcs test suites).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { readFcs, readFcsDataSetInfos } from '../../../src/io/fcs/reader.js';
import { parseText } from '../../../src/io/fcs/segments.js';
import { sharedData } from '../../helpers/shared-data.js';
import { readNpy } from './npy.js';

const misc = (f: string): string => sharedData('flow', 'fcs-misc', f);

function assertEqualsNpy(file: string, npy: string, raw: boolean): void {
  const ds = readFcs(file, { raw });
  const truth = readNpy(npy);
  const [n, p] = truth.shape as [number, number];
  assert.equal(ds.events!.eventCount, n);
  assert.equal(ds.events!.columns.length, p);
  for (let j = 0; j < p; j++) {
    const col = ds.events!.columns[j]!;
    for (let i = 0; i < n; i++) {
      // Exact: same float64 bits as FlowIO (no tolerance).
      if (col[i] !== truth.data[i * p + j])
        assert.fail(`event ${i} parameter ${j}: ${col[i]} ≠ ${truth.data[i * p + j]}`);
    }
  }
}

describe('FCS reader vs FlowIO truth (exact)', () => {
  it('data1.fcs raw events after $PnR masks', () => {
    assertEqualsNpy(
      sharedData('flow', 'gatingml2-compliance-set1', 'data1.fcs'),
      sharedData('flow', 'flowio-truth', 'data1_original_events.npy'),
      true,
    );
  });
  it('data1.fcs pre-processed ($PnE log decode, ÷$PnG)', () => {
    assertEqualsNpy(
      sharedData('flow', 'gatingml2-compliance-set1', 'data1.fcs'),
      sharedData('flow', 'flowio-truth', 'data1_preprocessed.npy'),
      false,
    );
  });
  it('Accuri FCS 3.1 int32 with $TIMESTEP', () => {
    assertEqualsNpy(
      misc('B01_KC-A-W---91-US.fcs'),
      sharedData('flow', 'flowio-truth', 'B01_KC-A-W---91-US_preprocessed_events.npy'),
      false,
    );
  });
});

describe('FCS reader: fcs-misc edge cases', () => {
  it('variable $PnB widths with $PnR bit masks (FlowIO variable_int test)', () => {
    const ds = readFcs(misc('variable_int_example.fcs'), { raw: true });
    const e1 = [
      49135, 61373, 48575, 49135, 61373, 48575, 7523, 598, 49135, 61373, 48575, 49135, 61373, 48575, 28182,
      61200, 48575, 49135, 32445, 30797, 19057, 49135, 61373, 48575, 5969, 8265081,
    ];
    const e2 = [
      61266, 48575, 49135, 20925, 61265, 48575, 27961, 25200, 61287, 48575, 9795, 49135, 29117, 49135, 61373,
      48575, 61228, 48575, 22, 21760, 49135, 20413, 49135, 23997, 19807, 15691602,
    ];
    assert.deepEqual(
      ds.events!.columns.map((c) => c[0]),
      e1,
    );
    assert.deepEqual(
      ds.events!.columns.map((c) => c[1]),
      e2,
    );
    assert.equal(ds.parameters[25]!.bits, 32);
    assert.ok(
      ds.warnings.some((w) => w.includes('$TIMESTEP')),
      'unreadable $TIMESTEP is reported',
    );
  });
  it('refuses HEADER/TEXT DATA offset discrepancies (start and stop)', () => {
    for (const f of [
      'noncompliant_data_start_offset_discrepancy.fcs',
      'noncompliant_data_stop_offset_discrepancy.fcs',
    ]) {
      assert.throws(
        () => readFcs(misc(f)),
        (e: unknown) => e instanceof InputError && /DATA offsets disagree/.test(e.message),
      );
    }
  });
  it('AriaFile1 (npm fcs): 2-byte offset discrepancy refused by default, accepted with tolerance; truncated', () => {
    assert.throws(() => readFcs(misc('AriaFile1_npm-fcs.fcs')), /disagree by 2 byte/);
    assert.throws(() => readFcs(misc('AriaFile1_npm-fcs.fcs'), { offsetTolerance: 2 }), /truncated/);
    // cut short: refused even for the first events and for TEXT only (it must not report a readable $TOT)
    for (const o of [{ maxEvents: 1000 }, { textOnly: true }])
      assert.throws(
        () => readFcs(misc('AriaFile1_npm-fcs.fcs'), { offsetTolerance: 2, ...o }),
        /DATA segment is cut short/,
      );
    // the events it does hold, read from a copy padded to the length $TOT needs
    const bytes = readFileSync(misc('AriaFile1_npm-fcs.fcs'));
    const padded = join(mkdtempSync(join(tmpdir(), 'carto-aria-')), 'padded.fcs');
    writeFileSync(padded, Buffer.concat([bytes, Buffer.alloc(10000 * 12 * 4)]));
    const ds = readFcs(padded, { offsetTolerance: 2, maxEvents: 1000 });
    assert.equal(ds.totalEvents, 10000);
    assert.equal(ds.events!.eventCount, 1000);
    assert.equal(Math.round(ds.events!.columns[0]![0]! * 100) / 100, 33471.21);
    assert.equal(ds.events!.columns[1]![0], 33250);
    // README lists 33760 as "event 2"; in the file it is event 4 (event 2 holds 33446) — npm fcs test value.
    assert.equal(ds.events!.columns[1]![3], 33760);
  });
  it('100715.fcs: FCS 2.0 float big-endian, 65 016 events, exactly 2 negative SSC-A, SPILL', () => {
    const ds = readFcs(misc('100715.fcs'));
    assert.equal(ds.version, 'FCS2.0');
    assert.equal(ds.events!.eventCount, 65016);
    const ssc = ds.events!.columns[ds.parameters.findIndex((p) => p.name === 'SSC-A')]!;
    assert.equal(ssc.filter((v) => v < 0).length, 2);
    assert.equal(ds.spillover!.parameterNames.length, 13);
  });
  it('coulter_multi_dataset.lmd: two data sets via $NEXTDATA (FCS 2.0 + 3.0), 18 110 events each', () => {
    const infos = readFcsDataSetInfos(misc('coulter_multi_dataset.lmd'));
    assert.deepEqual(
      infos.map((d) => [d.version, d.totalEvents]),
      [
        ['FCS2.0', 18110],
        ['FCS3.0', 18110],
      ],
    );
    const second = readFcs(misc('coulter_multi_dataset.lmd'), { dataSet: 1 });
    assert.equal(second.events!.eventCount, 18110);
    assert.throws(() => readFcs(misc('coulter_multi_dataset.lmd'), { dataSet: 2 }), /2 data set/);
  });
  it('reads every other fcs-misc file with the $TOT event count and $PAR columns', () => {
    const cases: [string, number, number, string][] = [
      ['3FITC_4PE_004.fcs', 94569, 4, 'I'],
      ['G11_attune.fcs', 5785, 12, 'F'],
      ['index_sorted_example.fcs', 384, 13, 'F'],
      ['test_comp_example.fcs', 10703, 18, 'F'],
      ['test_data_2d_01.fcs', 10000, 2, 'F'],
    ];
    for (const [f, n, p, dt] of cases) {
      const ds = readFcs(misc(f));
      assert.equal(ds.events!.eventCount, n, f);
      assert.equal(ds.events!.columns.length, p, f);
      assert.equal(ds.dataType, dt, f);
      for (const c of ds.events!.columns)
        assert.ok(
          c.every((v) => Number.isFinite(v)),
          f,
        );
    }
    const comp = readFcs(misc('test_comp_example.fcs'), { textOnly: true });
    assert.equal(comp.spillover!.parameterNames.length, 14);
  });
});

describe('FCS TEXT parsing', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('doubled delimiters are escapes (fcsparser example)', () => {
    const { keys, values } = parseText(enc('/flow_speed/3 m//s/x/a///y/b/////'), 'x');
    assert.deepEqual(keys, ['flow_speed', 'x', 'y']);
    assert.deepEqual(values, ['3 m/s', 'a/', 'b//']);
  });
  it('legacy empty values read in empty-value mode', () => {
    const { keys, values } = parseText(enc('/A//B/1/'), 'x', 'empty-value');
    assert.deepEqual(keys, ['A', 'B']);
    assert.deepEqual(values, ['', '1']);
  });
});

describe('FCS reader: synthetic files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-fcs-'));
  /** Builds an FCS 3.1 file; offsets > 99 999 999 simulated by writing 0 in HEADER. */
  function build(kw: Record<string, string>, data: Buffer, zeroHeaderData = false): string {
    const textStart = 58;
    let text = '';
    let dataStart = 0;
    // iterate until offsets are stable (their digit count changes the TEXT length)
    for (let k = 0; k < 3; k++) {
      const all = { ...kw, $BEGINDATA: String(dataStart), $ENDDATA: String(dataStart + data.length - 1) };
      text =
        '|' +
        Object.entries(all)
          .map(([a, b]) => `${a}|${b.replace(/\|/g, '||')}|`)
          .join('');
      dataStart = textStart + Buffer.byteLength(text);
    }
    const hdr = (n: number): string => String(n).padStart(8, ' ');
    const header =
      'FCS3.1    ' +
      hdr(textStart) +
      hdr(textStart + Buffer.byteLength(text) - 1) +
      (zeroHeaderData ? hdr(0) + hdr(0) : hdr(dataStart) + hdr(dataStart + data.length - 1)) +
      hdr(0) +
      hdr(0);
    const f = join(dir, `f${Math.random().toString(36).slice(2)}.fcs`);
    writeFileSync(f, Buffer.concat([Buffer.from(header + text, 'latin1'), data]));
    return f;
  }
  const base = (n: number, dt: string, ord: string): Record<string, string> => ({
    $BYTEORD: ord,
    $DATATYPE: dt,
    $MODE: 'L',
    $NEXTDATA: '0',
    $PAR: '2',
    $TOT: String(n),
  });
  it('double little-endian, DATA offsets only in TEXT, $PnG and $TIMESTEP', () => {
    const data = Buffer.alloc(2 * 2 * 8);
    [1.5, 10, -2.25, 20].forEach((v, i) => data.writeDoubleLE(v, i * 8));
    const f = build(
      {
        ...base(2, 'D', '1,2,3,4'),
        $P1N: 'FL1-A',
        $P1B: '64',
        $P1E: '0,0',
        $P1R: '1024',
        $P1G: '2',
        $P2N: 'Time',
        $P2B: '64',
        $P2E: '0,0',
        $P2R: '1024',
        $TIMESTEP: '0.01',
      },
      data,
      true,
    );
    const ds = readFcs(f);
    assert.deepEqual(Array.from(ds.events!.columns[0]!), [0.75, -1.125]);
    assert.deepEqual(Array.from(ds.events!.columns[1]!), [10 * 0.01, 20 * 0.01]);
    const raw = readFcs(f, { raw: true });
    assert.deepEqual(Array.from(raw.events!.columns[0]!), [1.5, -2.25]);
  });
  it('24-bit big-endian integers with a $PnR mask, and a truncated copy is refused', () => {
    const data = Buffer.from([0xff, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x07]);
    const kw = {
      ...base(2, 'I', '4,3,2,1'),
      $P1N: 'A',
      $P1B: '24',
      $P1E: '0,0',
      $P1R: '65536',
      $P2N: 'B',
      $P2B: '24',
      $P2E: '2,1',
      $P2R: '1024',
    };
    const f = build(kw, data);
    const ds = readFcs(f, { raw: true });
    assert.deepEqual(Array.from(ds.events!.columns[0]!), [0x000001, 0x001000]); // 0xff0001 masked to 16 bits
    assert.deepEqual(Array.from(ds.events!.columns[1]!), [0x000200 % 1024, 7]);
    const scaled = readFcs(f);
    assert.equal(scaled.events!.columns[1]![1], 10 ** ((2 * 7) / 1024));
    const bytes = readFileSync(f);
    const cut = join(dir, 'cut.fcs');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 4));
    assert.throws(
      () => readFcs(cut),
      (e: unknown) => e instanceof InputError && /truncated/.test(e.message),
    );
  });
});

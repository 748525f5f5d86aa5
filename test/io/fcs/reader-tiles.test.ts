/**
 * FCS DATA decoding in tiles of events (src/io/fcs/reader.ts): files of more events than one tile (2048)
 * and than one read chunk (8 MiB), in every uniform layout (float32/float64 either byte order, 8/16/32-bit
 * integers with $PnR bit masks), give each event's stored value in its column.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readFcs } from '../../../src/io/fcs/reader.js';

const work = mkdtempSync(join(tmpdir(), 'carto-fcs-tiles-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A minimal FCS 3.1 file: `values[e][p]` stored as `type` with `bits` per value in the given byte order. */
function fcsBytes(
  type: 'I' | 'F' | 'D',
  bits: number,
  little: boolean,
  ranges: number[],
  values: number[][],
): Buffer {
  const P = ranges.length;
  const bytes = bits / 8;
  const data = Buffer.alloc(values.length * P * bytes);
  values.forEach((ev, e) =>
    ev.forEach((v, p) => {
      const o = (e * P + p) * bytes;
      if (type === 'F') {
        if (little) data.writeFloatLE(v, o);
        else data.writeFloatBE(v, o);
      } else if (type === 'D') {
        if (little) data.writeDoubleLE(v, o);
        else data.writeDoubleBE(v, o);
      } else if (bits === 8) data.writeUInt8(v, o);
      else if (bits === 16) {
        if (little) data.writeUInt16LE(v, o);
        else data.writeUInt16BE(v, o);
      } else if (little) data.writeUInt32LE(v, o);
      else data.writeUInt32BE(v, o);
    }),
  );
  const kw: [string, string][] = [
    ['$BYTEORD', little ? '1,2,3,4' : '4,3,2,1'],
    ['$DATATYPE', type],
    ['$MODE', 'L'],
    ['$NEXTDATA', '0'],
    ['$PAR', String(P)],
    ['$TOT', String(values.length)],
  ];
  ranges.forEach((r, p) =>
    kw.push(
      [`$P${p + 1}N`, `P${p + 1}`],
      [`$P${p + 1}B`, String(bits)],
      [`$P${p + 1}E`, '0,0'],
      [`$P${p + 1}R`, String(r)],
    ),
  );
  const textStart = 58;
  let text = '';
  let dataStart = 0;
  for (let k = 0; k < 3; k++) {
    const all = [...kw, ['$BEGINDATA', String(dataStart)], ['$ENDDATA', String(dataStart + data.length - 1)]];
    text = '|' + all.map(([a, b]) => `${a}|${b}|`).join('');
    dataStart = textStart + text.length;
  }
  const pad = (v: number) => String(v).padStart(8, ' ');
  const header =
    'FCS3.1    ' +
    pad(textStart) +
    pad(dataStart - 1) +
    pad(dataStart) +
    pad(dataStart + data.length - 1) +
    pad(0) +
    pad(0);
  return Buffer.concat([Buffer.from(header + text, 'latin1'), data]);
}

test('events across tiles and read chunks land in their columns (float, double, integers with masks, both byte orders)', () => {
  let x = 3;
  const rnd = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  const cases: {
    type: 'I' | 'F' | 'D';
    bits: number;
    ranges: number[];
    n: number;
    value: (p: number) => number;
    want: (v: number, p: number) => number;
  }[] = [
    {
      type: 'F',
      bits: 32,
      ranges: [262144, 262144, 1024],
      n: 5003,
      value: () => Math.fround(1e5 * rnd() - 100),
      want: (v) => v,
    },
    { type: 'D', bits: 64, ranges: [262144, 1024], n: 4099, value: () => 1e5 * rnd() - 100, want: (v) => v },
    // 1024 channels in 16 bits: the top 6 bits are masked off ($PnR).
    {
      type: 'I',
      bits: 16,
      ranges: [1024, 65536, 4096],
      n: 6000,
      value: () => Math.floor(65536 * rnd()),
      want: (v, p) => (p === 0 ? v % 1024 : p === 2 ? v % 4096 : v),
    },
    {
      type: 'I',
      bits: 8,
      ranges: [256, 64],
      n: 2049,
      value: () => Math.floor(256 * rnd()),
      want: (v, p) => (p === 1 ? v % 64 : v),
    },
    {
      type: 'I',
      bits: 32,
      ranges: [2 ** 32, 2 ** 20],
      n: 3000,
      value: () => Math.floor(2 ** 32 * rnd()),
      want: (v, p) => (p === 1 ? v % 2 ** 20 : v),
    },
    // More than one 8 MiB read chunk (2 float32 values per event: 1 048 576 events per chunk).
    {
      type: 'F',
      bits: 32,
      ranges: [262144, 262144],
      n: 1_100_003,
      value: () => Math.fround(1e4 * rnd()),
      want: (v) => v,
    },
  ];
  cases.forEach((c, n) => {
    for (const little of c.bits === 8 ? [true] : [true, false]) {
      const values = Array.from({ length: c.n }, () => c.ranges.map((_, p) => c.value(p)));
      const file = join(work, `${n}-${little}.fcs`);
      writeFileSync(file, fcsBytes(c.type, c.bits, little, c.ranges, values));
      const ds = readFcs(file, { raw: true });
      assert.equal(ds.events!.eventCount, c.n);
      const cols = ds.events!.columns;
      for (let e = 0; e < c.n; e++)
        for (let p = 0; p < c.ranges.length; p++) {
          if (cols[p]![e] !== c.want(values[e]![p]!, p))
            assert.fail(
              `${c.type}${c.bits} ${little ? 'LE' : 'BE'}: event ${e} parameter ${p}: got ${cols[p]![e]}, want ${c.want(values[e]![p]!, p)}`,
            );
        }
    }
  });
});

/**
 * Flow bench: writes a synthetic FCS 3.1 file of 10⁷ events × 20 float32 parameters (17 fluorescence channels with
 * a $SPILLOVER matrix) to a temp file, then times reading it (float32 columns), compensating in place and applying
 * 30 gates (rectangles with parents, polygons, quadrants, ellipses, booleans, one logicle-scaled range).
 * Usage: npm run bench flow   (CARTO_BENCH_EVENTS overrides the event count)
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compensate } from '../src/flow/compensation.js';
import { applyGates, type Dimension, type Gate, type GatingStrategy } from '../src/flow/gates.js';
import { readFcs } from '../src/io/fcs/reader.js';
import { peakRssMiB, report, timeIt } from './util.js';

const N = Number(process.env['CARTO_BENCH_EVENTS'] ?? 1e7);
const FL = Array.from({ length: 17 }, (_, i) => `FL${i + 1}-A`);
const NAMES = ['FSC-A', 'SSC-A', ...FL, 'Time'];
const P = NAMES.length;

function spillover(): number[][] {
  return FL.map((_, i) =>
    FL.map((__, j) => (i === j ? 1 : Math.abs(i - j) === 1 ? 0.08 : Math.abs(i - j) === 2 ? 0.01 : 0)),
  );
}

function writeFcs(file: string): void {
  const S = spillover();
  const kw: Record<string, string> = {
    $BYTEORD: '1,2,3,4',
    $DATATYPE: 'F',
    $MODE: 'L',
    $NEXTDATA: '0',
    $PAR: String(P),
    $TOT: String(N),
    $SPILLOVER: [String(FL.length), ...FL, ...S.flat().map(String)].join(','),
    $TIMESTEP: '0.01',
  };
  NAMES.forEach((n, i) => {
    kw[`$P${i + 1}N`] = n;
    kw[`$P${i + 1}B`] = '32';
    kw[`$P${i + 1}E`] = '0,0';
    kw[`$P${i + 1}R`] = '262144';
  });
  const dataLen = N * P * 4;
  let text = '';
  let dataStart = 0;
  for (let k = 0; k < 3; k++) {
    const all = { ...kw, $BEGINDATA: String(dataStart), $ENDDATA: String(dataStart + dataLen - 1) };
    text =
      '|' +
      Object.entries(all)
        .map(([a, b]) => `${a}|${b}|`)
        .join('');
    dataStart = 58 + Buffer.byteLength(text);
  }
  const pad = (v: number): string => String(v).padStart(8, ' ');
  const big = dataStart + dataLen - 1 > 99_999_999;
  const header =
    'FCS3.1    ' +
    pad(58) +
    pad(dataStart - 1) +
    (big ? pad(0) + pad(0) : pad(dataStart) + pad(dataStart + dataLen - 1)) +
    pad(0) +
    pad(0);
  const fd = openSync(file, 'w');
  writeSync(fd, Buffer.from(header + text, 'latin1'));
  const chunkEvents = 200_000;
  const buf = new Float32Array(chunkEvents * P);
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 4294967296;
  };
  for (let done = 0; done < N; done += chunkEvents) {
    const c = Math.min(chunkEvents, N - done);
    for (let e = 0; e < c; e++) {
      const pop = rnd() < 0.6 ? 1 : 0;
      const o = e * P;
      buf[o] = 40000 + 60000 * rnd() + pop * 30000;
      buf[o + 1] = 10000 + 40000 * rnd();
      for (let j = 0; j < FL.length; j++)
        buf[o + 2 + j] = (rnd() < 0.5 ? 100 : 5000) * (0.5 + rnd()) + pop * 2000;
      buf[o + P - 1] = done + e;
    }
    writeSync(fd, new Uint8Array(buf.buffer, 0, c * P * 4));
  }
  closeSync(fd);
}

function dim(name: string, transformRef: string | null = null): Dimension {
  return { kind: 'parameter', name, compensationRef: 'uncompensated', transformRef };
}

function strategy(): GatingStrategy {
  const gates: Gate[] = [];
  gates.push({
    kind: 'polygon',
    id: 'cells',
    parentId: null,
    dims: [dim('FSC-A'), dim('SSC-A')],
    vertices: [
      [45000, 12000],
      [140000, 12000],
      [140000, 48000],
      [45000, 48000],
      [40000, 30000],
    ],
  });
  for (let i = 0; i < 11; i++) {
    gates.push({
      kind: 'rectangle',
      id: `rect${i}`,
      parentId: i === 0 ? 'cells' : `rect${i - 1}`,
      dims: [{ dim: dim(FL[i]!), min: 500, max: null }],
    });
  }
  for (let i = 0; i < 7; i++) {
    gates.push({
      kind: 'polygon',
      id: `poly${i}`,
      parentId: 'cells',
      dims: [dim(FL[i]!), dim(FL[i + 1]!)],
      vertices: [
        [0, 0],
        [6000, 500],
        [8000, 8000],
        [300, 7000],
      ],
    });
  }
  for (const q of ['PP', 'PN', 'NP', 'NN']) {
    gates.push({
      kind: 'quadrant',
      id: `quad${q}`,
      parentId: 'cells',
      dims: [
        { dim: dim(FL[10]!), lo: q[0] === 'P' ? 1500 : -Infinity, hi: q[0] === 'P' ? Infinity : 1500 },
        { dim: dim(FL[11]!), lo: q[1] === 'P' ? 1500 : -Infinity, hi: q[1] === 'P' ? Infinity : 1500 },
      ],
    });
  }
  for (let i = 0; i < 2; i++) {
    gates.push({
      kind: 'ellipsoid',
      id: `ell${i}`,
      parentId: 'cells',
      dims: [dim(FL[12 + i]!), dim(FL[13 + i]!)],
      mean: [3000, 3000],
      covariance: [
        [4e6, 1e6],
        [1e6, 4e6],
      ],
      distanceSquare: 1,
    });
  }
  gates.push({
    kind: 'boolean',
    id: 'and1',
    parentId: null,
    op: 'and',
    operands: [
      { ref: 'poly0', complement: false },
      { ref: 'quadPP', complement: false },
    ],
  });
  gates.push({
    kind: 'boolean',
    id: 'or1',
    parentId: null,
    op: 'or',
    operands: [
      { ref: 'ell0', complement: false },
      { ref: 'ell1', complement: false },
    ],
  });
  gates.push({
    kind: 'boolean',
    id: 'not1',
    parentId: 'cells',
    op: 'not',
    operands: [{ ref: 'rect0', complement: false }],
  });
  gates.push({
    kind: 'boolean',
    id: 'and2',
    parentId: null,
    op: 'and',
    operands: [
      { ref: 'rect3', complement: false },
      { ref: 'or1', complement: true },
    ],
  });
  gates.push({
    kind: 'rectangle',
    id: 'logicle16',
    parentId: 'cells',
    dims: [{ dim: dim(FL[16]!, 'lgcl'), min: 0.5, max: 0.9 }],
  });
  return {
    gates,
    transforms: { lgcl: { kind: 'logicle', T: 262144, W: 0.5, M: 4.5, A: 0 } },
    ratios: {},
    matrices: {},
    closure: 'min-inclusive',
  };
}

/** CPU seconds (user + system) of this process since `since` (the machine is shared: wall time varies with load). */
function cpuS(since: NodeJS.CpuUsage): string {
  const u = process.cpuUsage(since);
  return `CPU ${((u.user + u.system) / 1e6).toFixed(1)} s`;
}

const dir = mkdtempSync(join(tmpdir(), 'carto-flow-bench-'));
const file = join(dir, 'big.fcs');
try {
  const w = await timeIt(() => writeFcs(file));
  console.log(
    `generated ${N} events × ${P} parameters (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB) in ${w.seconds.toFixed(1)} s`,
  );
  const baseRss = peakRssMiB();
  let c0 = process.cpuUsage();
  const read = await timeIt(() => readFcs(file, { precision: 32 }));
  report('read FCS (float32 columns)', read.seconds, cpuS(c0));
  const ds = read.result;
  c0 = process.cpuUsage();
  const comp = await timeIt(() => compensate(ds.events!, ds.spillover!, { inPlace: true }));
  report('compensate 17×17 in place', comp.seconds, cpuS(c0));
  const st = strategy();
  c0 = process.cpuUsage();
  const gated = await timeIt(() => applyGates(comp.result, st, null));
  report(`apply ${st.gates.length} gates`, gated.seconds, `${cpuS(c0)}, cells ${gated.result[0]!.count}`);
  report(
    'total read + compensate + gate',
    read.seconds + comp.seconds + gated.seconds,
    `1-min load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs, RSS before read ${baseRss.toFixed(0)} MiB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

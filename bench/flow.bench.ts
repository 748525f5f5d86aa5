/**
 * Flow bench: writes a synthetic FCS 3.1 file of 10⁷ events × 20 float32 parameters (17 fluorescence channels with
 * a $SPILLOVER matrix) to a temp file, then times reading it (float32 columns), compensating in place and applying
 * 30 gates (rectangles with parents, polygons, quadrants, ellipses, booleans, one logicle-scaled range).
 * Then the whole process as the user runs it: `carto fcs gate big.fcs --gating gates.xml --json` spawned
 * (the same 30 gates written as Gating-ML 2.0 with compensation-ref "FCS", so the command reads, compensates
 * with the file's $SPILLOVER and gates — block by block, src/io/fcs/gate-file.ts), its wall time, CPU time
 * and peak RSS (GNU time), target < 5 s (issue 18).
 * No peer is run: the target is absolute; R flowCore and Python FlowKit/fcsparser are not installed here
 * (the script says which of them it finds).
 * Usage: npm run bench flow   (CARTO_BENCH_EVENTS overrides the event count; BENCH_FLOW_REPEAT the number
 * of whole-process runs, default 3, median printed)
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compensate } from '../src/flow/compensation.js';
import { applyGates, type Dimension, type Gate, type GatingStrategy } from '../src/flow/gates.js';
import { readFcs } from '../src/io/fcs/reader.js';
import { median, peakRssMiB, report, spawnMeasured, timeIt } from './util.js';

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

/** Gating-ML 2.0 text of `st`, every dimension with compensation-ref "FCS" (the quadrants as one QuadrantGate). */
function gatingMl(st: GatingStrategy): string {
  const attr = (k: string, v: string | number | null | undefined) =>
    v === null || v === undefined ? '' : ` gating:${k}="${v}"`;
  const dimEl = (d: Dimension, extra = '') => {
    if (d.kind !== 'parameter') throw new Error('ratio dimensions are not used here');
    return `<gating:dimension gating:compensation-ref="FCS"${attr('transformation-ref', d.transformRef)}${extra}><data-type:fcs-dimension data-type:name="${d.name}"/></gating:dimension>`;
  };
  const coords = (vs: number[]) => vs.map((v) => `<gating:coordinate data-type:value="${v}"/>`).join('');
  const out: string[] = [];
  for (const [id, t] of Object.entries(st.transforms)) {
    if (t.kind !== 'logicle') throw new Error('only logicle is used here');
    out.push(
      `<transforms:transformation transforms:id="${id}"><transforms:logicle transforms:T="${t.T}" transforms:W="${t.W}" transforms:M="${t.M}" transforms:A="${t.A}"/></transforms:transformation>`,
    );
  }
  const quads = st.gates.filter((g) => g.kind === 'quadrant');
  for (const g of st.gates) {
    const parent = attr('parent_id', g.parentId);
    if (g.kind === 'rectangle')
      out.push(
        `<gating:RectangleGate gating:id="${g.id}"${parent}>${g.dims.map((d) => dimEl(d.dim, attr('min', d.min) + attr('max', d.max))).join('')}</gating:RectangleGate>`,
      );
    else if (g.kind === 'polygon')
      out.push(
        `<gating:PolygonGate gating:id="${g.id}"${parent}>${g.dims.map((d) => dimEl(d)).join('')}${g.vertices.map((v) => `<gating:vertex>${coords(v)}</gating:vertex>`).join('')}</gating:PolygonGate>`,
      );
    else if (g.kind === 'ellipsoid')
      out.push(
        `<gating:EllipsoidGate gating:id="${g.id}"${parent}>${g.dims.map((d) => dimEl(d)).join('')}<gating:mean>${coords(g.mean)}</gating:mean><gating:covarianceMatrix>${g.covariance.map((r) => `<gating:row>${r.map((v) => `<gating:entry data-type:value="${v}"/>`).join('')}</gating:row>`).join('')}</gating:covarianceMatrix><gating:distanceSquare data-type:value="${g.distanceSquare}"/></gating:EllipsoidGate>`,
      );
    else if (g.kind === 'boolean')
      out.push(
        `<gating:BooleanGate gating:id="${g.id}"${parent}><gating:${g.op}>${g.operands.map((o) => `<gating:gateReference gating:ref="${o.ref}"${o.complement ? ' gating:use-as-complement="true"' : ''}/>`).join('')}</gating:${g.op}></gating:BooleanGate>`,
      );
    else if (g === quads[0]) {
      // Dividers at each quadrant dimension's finite bound; a quadrant's location lies on its side.
      const dividers = g.dims.map((d, k) => {
        const cut = Number.isFinite(d.lo) ? d.lo : d.hi;
        return { id: `div${k}`, dim: d.dim, cut };
      });
      const quadEls = quads.map((q) => {
        if (q.kind !== 'quadrant') throw new Error('unreachable');
        const pos = q.dims
          .map((d, k) => {
            const loc = Number.isFinite(d.lo) ? d.lo + 1 : d.hi - 1;
            return `<gating:position gating:divider_ref="${dividers[k]!.id}" gating:location="${loc}"/>`;
          })
          .join('');
        return `<gating:Quadrant gating:id="${q.id}">${pos}</gating:Quadrant>`;
      });
      const divEls = dividers.map(
        (d) =>
          `<gating:divider gating:id="${d.id}" gating:compensation-ref="FCS"><data-type:fcs-dimension data-type:name="${(d.dim as { name: string }).name}"/><gating:value>${d.cut}</gating:value></gating:divider>`,
      );
      out.push(
        `<gating:QuadrantGate gating:id="quad"${parent}>${divEls.join('')}${quadEls.join('')}</gating:QuadrantGate>`,
      );
    }
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating" ' +
    'xmlns:transforms="http://www.isac-net.org/std/Gating-ML/v2.0/transformations" ' +
    'xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">\n' +
    out.join('\n') +
    '\n</gating:Gating-ML>\n'
  );
}

/** Which peers are installed: R flowCore, Python FlowKit, fcsparser. */
function peers(): string[] {
  const found: string[] = [];
  const r = spawnSync('Rscript', ['-e', 'cat(requireNamespace("flowCore", quietly = TRUE))'], {
    encoding: 'utf8',
  });
  if (r.stdout?.trim() === 'TRUE') found.push('R flowCore');
  for (const mod of ['flowkit', 'fcsparser']) {
    const p = spawnSync('python3', ['-c', `import ${mod}`], { encoding: 'utf8' });
    if (p.status === 0) found.push(`Python ${mod}`);
  }
  return found;
}

/** CPU seconds (user + system) of this process since `since` (the machine is shared: wall time varies with load). */
function cpuS(since: NodeJS.CpuUsage): string {
  const u = process.cpuUsage(since);
  return `CPU ${((u.user + u.system) / 1e6).toFixed(1)} s`;
}

const dir = mkdtempSync(join(tmpdir(), 'carto-flow-bench-'));
// CARTO_BENCH_FCS names a file to keep between runs (written when absent, reused when present; its
// Gating-ML is written beside it as <file>.gates.xml).
const keep = process.env['CARTO_BENCH_FCS'];
const file = keep ?? join(dir, 'big.fcs');
try {
  const w = await timeIt(() => (keep !== undefined && existsSync(keep) ? undefined : writeFcs(file)));
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

  // The whole process as the user runs it.
  // Beside a kept CARTO_BENCH_FCS file, the Gating-ML is kept too (for profiling the command by hand).
  const xml = keep !== undefined ? `${keep}.gates.xml` : join(dir, 'gates.xml');
  writeFileSync(xml, gatingMl(st));
  const carto = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'carto.js');
  const repeat = Number(process.env['BENCH_FLOW_REPEAT'] ?? 3);
  const runs: { seconds: number; peakRssMiB: number; cpuSeconds: number }[] = [];
  let cliCounts: number[] = [];
  let mode = '';
  for (let k = 0; k < repeat; k++) {
    const r = spawnMeasured(process.execPath, [carto, 'fcs', 'gate', file, '--gating', xml, '--json']);
    if (r.status !== 0) {
      console.log(`carto fcs gate failed (exit ${r.status}): ${r.stderr}`);
      process.exitCode = 1;
      break;
    }
    mode = r.stderr.includes('running from source') ? 'from source' : 'from the build';
    const res = JSON.parse(r.stdout) as { gates: { id: string; count: number }[] };
    cliCounts = st.gates.map((g) => res.gates.find((x) => x.id === g.id)?.count ?? NaN);
    runs.push(r);
    console.log(
      `whole process \`carto fcs gate big.fcs --gating gates.xml --json\` (${mode}) run ${k + 1}: ${r.seconds.toFixed(2)} s (CPU ${r.cpuSeconds.toFixed(1)} s), peak RSS ${r.peakRssMiB.toFixed(0)} MiB, 1-min load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
  if (runs.length > 0) {
    const inProcess = gated.result.map((g) => g.count);
    const differ = cliCounts.filter((c, k) => c !== inProcess[k]).length;
    console.log(
      `whole process median of ${runs.length}: ${median(runs.map((r) => r.seconds)).toFixed(2)} s (target < 5 s), CPU ${median(runs.map((r) => r.cpuSeconds)).toFixed(1)} s, peak RSS ${median(runs.map((r) => r.peakRssMiB)).toFixed(0)} MiB; ` +
        `${st.gates.length} gate counts, ${differ} differ from the in-process run (in-place float32 compensation there; the command streams the file and compensates into float64)`,
    );
  }
  const found = peers();
  console.log(
    `peers: ${found.length > 0 ? found.join(', ') : 'none installed (R flowCore, Python FlowKit, fcsparser)'}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * FCS DATA segment into typed columns (list mode, `$DATATYPE` I/F/D) and the FlowIO pre-processing of the
 * columns ($PnE, $PnG, $TIMESTEP). Used by `readFcs` (reader.ts).
 *
 * DATA is read in chunks of events straight into one typed column per parameter, so a file of 10⁷ events is
 * held once (as columns), never as a raw copy plus a decoded copy. Columns of ≥ 2²² events (when more than
 * one thread is available, `threadCount`) are on SharedArrayBuffers, for the threaded compensation and
 * gating — and then the threads also share the reading: each takes chunks of events in turn, reads them
 * from the file into its own chunk buffer and picks the parameters out into the shared columns (fresh
 * memory is faulted in on both cores). Source: FCS 3.1 (Spidlen et al. 2010) §3.3 DATA segment.
 */
import { readSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { Column } from '../../flow/types.js';
import { runThreadsSync, threadCount } from '../../parallel/pool.js';
import { pow10 } from './pow10.js';

/** What `readDataColumns` needs of a data set: where DATA lies and how events are laid out. */
export interface DataLayout {
  file: string;
  /** `$DATATYPE`. */
  dataType: 'I' | 'F' | 'D';
  littleEndian: boolean;
  /** Absolute byte offset of the first event. */
  dataBeginBytes: number;
  /** Per parameter: `$PnB` bits and `$PnR` range (NaN when absent). */
  parameters: { bits: number; range: number }[];
}

/** Bytes read per chunk (per thread). */
const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Reads `nEvents` events of DATA into one column per parameter.
 * @param fd open file descriptor of `layout.file`
 * @param float32 per parameter: true for a Float32Array column, false for Float64Array
 * @throws InputError when the file ends inside DATA (truncated file)
 */
export function readDataColumns(
  fd: number,
  layout: DataLayout,
  nEvents: number,
  float32: boolean[],
): Column[] {
  const shared = threadCount(nEvents) > 1;
  const columns: Column[] = float32.map((f32) => {
    const bytes = nEvents * (f32 ? 4 : 8);
    const buf = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    return f32 ? new Float32Array(buf) : new Float64Array(buf);
  });
  if (nEvents === 0) return columns;
  const bytesPerEvent = layout.parameters.reduce((s, p) => s + p.bits / 8, 0);
  const eventsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / bytesPerEvent));
  const chunks = Math.ceil(nEvents / eventsPerChunk);
  const threads = shared && uniformWidth(layout) !== 0 ? Math.min(threadCount(nEvents), chunks) : 1;
  const next = new Int32Array(threads > 1 ? new SharedArrayBuffer(8) : new ArrayBuffer(8));
  const tasks: ReadTask[] = Array.from({ length: threads }, () => ({
    fd,
    layout,
    nEvents,
    eventsPerChunk,
    columns,
    next,
  }));
  runThreadsSync(import.meta.url, 'readChunksTask', readChunksTask, tasks);
  if (next[1] !== 0) {
    throw new InputError('file ends inside DATA (truncated file)', {
      file: layout.file,
      field: 'DATA',
      value: next[1]! - 1,
    });
  }
  return columns;
}

/** Bytes per value when every parameter has the same width of 1, 2, 4 or 8 bytes, else 0. */
function uniformWidth(layout: DataLayout): number {
  const w0 = layout.parameters[0]!.bits / 8;
  if (!layout.parameters.every((p) => p.bits / 8 === w0)) return 0;
  return w0 === 1 || w0 === 2 || w0 === 4 || w0 === 8 ? w0 : 0;
}

/** A thread's share of `readDataColumns`: takes chunks of events from `next[0]`. */
interface ReadTask {
  fd: number;
  layout: DataLayout;
  nEvents: number;
  eventsPerChunk: number;
  columns: Column[];
  /** [next chunk, bytes got + 1 of a short read (0 = none)]. */
  next: Int32Array;
}

/** Worker entry (src/parallel/pool.ts) and calling-thread body of `readDataColumns`. Internal. */
export function readChunksTask(task: ReadTask): void {
  const { fd, layout, nEvents, eventsPerChunk, columns, next } = task;
  const reader = new DataChunkReader(fd, layout, Math.min(nEvents, eventsPerChunk));
  for (let c = Atomics.add(next, 0, 1); c * eventsPerChunk < nEvents; c = Atomics.add(next, 0, 1)) {
    const done = c * eventsPerChunk;
    const got = reader.read(done, Math.min(eventsPerChunk, nEvents - done), columns, done);
    if (got >= 0) {
      Atomics.store(next, 1, got + 1);
      return;
    }
  }
}

/**
 * One thread's reading of DATA in chunks of events: reads the bytes of events [e0, e0 + count) into its own
 * chunk buffer and decodes them into typed columns (bit masks applied; no `$PnE`/`$PnG` scaling). Used by
 * `readDataColumns` (whole columns) and by the streamed gating of a file (gate-file.ts).
 */
export class DataChunkReader {
  private readonly P: number;
  private readonly widths: number[];
  private readonly bytesPerEvent: number;
  private readonly masks: number[];
  private readonly w0: number;
  private readonly chunk: Buffer;

  /**
   * @param fd open file descriptor of `layout.file`
   * @param maxEvents most events read at once
   */
  constructor(
    private readonly fd: number,
    private readonly layout: DataLayout,
    maxEvents: number,
  ) {
    this.P = layout.parameters.length;
    this.widths = layout.parameters.map((p) => p.bits / 8);
    this.bytesPerEvent = this.widths.reduce((s, w) => s + w, 0);
    const isInt = layout.dataType === 'I';
    this.masks = layout.parameters.map((p) => {
      if (!isInt || !Number.isFinite(p.range) || p.range <= 0) return 0;
      const need = Math.ceil(Math.log2(p.range));
      return need < p.bits ? 2 ** need : 0; // modulus (0 = no mask)
    });
    this.w0 = uniformWidth(layout);
    // Own ArrayBuffer (offset 0) so typed views are aligned.
    this.chunk = Buffer.from(new ArrayBuffer(maxEvents * this.bytesPerEvent));
  }

  /**
   * Reads events [e0, e0 + count) (count ≤ maxEvents) into `columns` from index `dst` on.
   * @returns −1 when all bytes were read, else the number of bytes got (the file ends inside DATA)
   */
  read(e0: number, count: number, columns: Column[], dst: number): number {
    const { chunk, P, layout } = this;
    const len = count * this.bytesPerEvent;
    let got = 0;
    while (got < len) {
      const n = readSync(
        this.fd,
        chunk,
        got,
        len - got,
        layout.dataBeginBytes + e0 * this.bytesPerEvent + got,
      );
      if (n === 0) break;
      got += n;
    }
    if (got < len) return got;
    if (this.w0 !== 0) {
      const view = chunkView(chunk, len, count * P, this.w0, layout);
      // Tiles of events whose interleaved values stay in cache while each parameter's are picked out.
      for (let t0 = 0; t0 < count; t0 += TILE_EVENTS) {
        const t1 = Math.min(count, t0 + TILE_EVENTS);
        for (let p = 0; p < P; p++) deinterleave(view, P, p, t0, t1, columns[p]!, dst, this.masks[p]!);
      }
    } else {
      decodeBytewise(chunk, count, this.widths, this.masks, layout.littleEndian, columns, dst);
    }
    return -1;
  }
}

/** The chunk's first `len` bytes as values of `w0` bytes in host byte order (swapped in place if needed). */
function chunkView(chunk: Buffer, len: number, n: number, w0: number, layout: DataLayout): ArrayLike<number> {
  const hostLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const buf = chunk.subarray(0, len);
  if (layout.littleEndian !== hostLittle) {
    if (w0 === 2) buf.swap16();
    else if (w0 === 4) buf.swap32();
    else if (w0 === 8) buf.swap64();
  }
  const ab = chunk.buffer;
  if (layout.dataType === 'F') return new Float32Array(ab, 0, n);
  if (layout.dataType === 'D') return new Float64Array(ab, 0, n);
  if (w0 === 1) return new Uint8Array(ab, 0, n);
  if (w0 === 2) return new Uint16Array(ab, 0, n);
  if (w0 === 4) return new Uint32Array(ab, 0, n);
  return uint64AsNumbers(new BigUint64Array(ab, 0, n));
}

/** Mixed or odd integer widths (e.g. 24-bit): byte-wise decoding of `count` events into the columns at `done`. */
function decodeBytewise(
  chunk: Buffer,
  count: number,
  widths: number[],
  masks: number[],
  littleEndian: boolean,
  columns: Column[],
  done: number,
): void {
  const bytesPerEvent = widths.reduce((s, w) => s + w, 0);
  let offset = 0;
  widths.forEach((w, p) => {
    const col = columns[p]!;
    const m = masks[p]!;
    for (let e = 0; e < count; e++) {
      const o = e * bytesPerEvent + offset;
      let v = 0;
      if (littleEndian) for (let b = w - 1; b >= 0; b--) v = v * 256 + chunk[o + b]!;
      else for (let b = 0; b < w; b++) v = v * 256 + chunk[o + b]!;
      col[done + e] = m === 0 ? v : v % m;
    }
    offset += w;
  });
}

/** Events per tile of the de-interleaving copy (TILE_EVENTS × bytes per event fit in a core's L2 cache). */
const TILE_EVENTS = 2048;

/**
 * col[dst + e] = view[e·P + p] (mod `modulus` when nonzero) for events e in [e0, e1) of the chunk `view`:
 * one parameter's values out of interleaved events. The float32 cases run in their own monomorphic loops.
 */
function deinterleave(
  view: ArrayLike<number>,
  P: number,
  p: number,
  e0: number,
  e1: number,
  col: Column,
  dst: number,
  modulus: number,
): void {
  if (modulus === 0 && view instanceof Float32Array) {
    if (col instanceof Float32Array) copyF32ToF32(view, P, p, e0, e1, col, dst);
    else copyF32ToF64(view, P, p, e0, e1, col, dst);
  } else if (modulus === 0) for (let e = e0, k = e0 * P + p; e < e1; e++, k += P) col[dst + e] = view[k]!;
  else for (let e = e0, k = e0 * P + p; e < e1; e++, k += P) col[dst + e] = view[k]! % modulus;
}

function copyF32ToF32(
  v: Float32Array,
  P: number,
  p: number,
  e0: number,
  e1: number,
  c: Float32Array,
  d: number,
) {
  for (let e = e0, k = e0 * P + p; e < e1; e++, k += P) c[d + e] = v[k]!;
}

function copyF32ToF64(
  v: Float32Array,
  P: number,
  p: number,
  e0: number,
  e1: number,
  c: Float64Array,
  d: number,
) {
  for (let e = e0, k = e0 * P + p; e < e1; e++, k += P) c[d + e] = v[k]!;
}

function uint64AsNumbers(a: BigUint64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number(a[i]!);
  return out;
}

/** What the pre-processing needs of a parameter. */
export interface ScaledParameter {
  name: string;
  range: number;
  logDecades: number;
  logOffset: number;
  gain: number;
}

/** The time channel: `$PnN` equal to "time" (any case), or −1. */
export function timeParameterIndex(parameters: { name: string }[]): number {
  return parameters.findIndex((p) => p.name.trim().toLowerCase() === 'time');
}

/**
 * True when pre-processing changes parameter `j`'s values: `$PnE` log decoding, `$PnG` ≠ 1, or the time
 * channel with a `$TIMESTEP` other than 1.
 */
export function isScaled(parameters: ScaledParameter[], j: number, timestepS: number | null): boolean {
  const p = parameters[j]!;
  if (p.logDecades > 0 || p.gain !== 1) return true;
  return j === timeParameterIndex(parameters) && timestepS !== null && timestepS !== 1;
}

/** Applies $PnE log decoding, $PnG gain and $TIMESTEP in place (FlowIO pre-processing). */
export function scaleColumns(
  parameters: ScaledParameter[],
  timestepS: number | null,
  columns: Column[],
): void {
  const tIdx = timeParameterIndex(parameters);
  parameters.forEach((p, j) => {
    const col = columns[j]!;
    if (p.logDecades > 0) {
      const f2 = p.logOffset === 0 ? 1 : p.logOffset;
      const f1 = p.logDecades;
      const r = p.range;
      // Same operation order as FlowIO (f1·x/r) and a correctly rounded 10^y, so results agree with
      // C pow to the last bit. Integer channels hold few distinct values: memoise them.
      const memo = new Map<number, number>();
      for (let i = 0; i < col.length; i++) {
        const x = col[i]!;
        let v = memo.get(x);
        if (v === undefined) {
          v = pow10((f1 * x) / r) * f2;
          if (memo.size < 1 << 20) memo.set(x, v);
        }
        col[i] = v;
      }
    } else if (p.gain !== 1) {
      for (let i = 0; i < col.length; i++) col[i] = col[i]! / p.gain;
    }
    if (j === tIdx && timestepS !== null && timestepS !== 1) {
      const ts = timestepS;
      for (let i = 0; i < col.length; i++) col[i] = col[i]! * ts;
    }
  });
}

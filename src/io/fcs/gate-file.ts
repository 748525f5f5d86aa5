/**
 * Gate counts of an FCS file read as a stream: blocks of events are read from DATA, pre-processed, compensated
 * and gated one after the other, so the file's events are never held whole (no columns of `$TOT` values, no
 * memberships): memory is a few MiB per thread, whatever the file's size. Counts are identical to
 * `applyGates(readFcs(file).events, …)`: each block's values are those `readFcs` gives (same column precision,
 * same pre-processing), and every gate's value for an event depends on that event alone.
 * Big files (≥ 2²² events) are shared out among worker threads (src/parallel/pool.ts), each taking blocks in turn.
 * Source: Gating-ML 2.0 (Spidlen et al. 2015); FCS 3.1 (Spidlen et al. 2010) §3.3 DATA.
 */
import { closeSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { DataChunkReader, scaleColumns, type DataLayout, type ScaledParameter } from './data.js';
import { eventsToRead, float32Columns, openFcsFile, type FcsDataSet, type FcsReadOptions } from './reader.js';
import { runThreadsSync, threadCount } from '../../parallel/pool.js';
import {
  countBlock,
  gateShapes,
  gateTotals,
  ScratchColumns,
  type GateCount,
  type GatingStrategy,
} from '../../flow/gates.js';
import type { Column, FlowEvents, SpilloverMatrix } from '../../flow/types.js';

/** Events per block of `gateFcsFile` (its columns, scratch and memberships stay a few MiB per thread). */
const FILE_BLOCK = 1 << 15;

/**
 * Gate counts of one data set of an FCS file, its events read block by block (see the module note).
 * @param ds the data set's HEADER and TEXT (`readFcs(file, { ...options, textOnly: true })`)
 * @param strategy gates, transforms, matrices
 * @param fileSpillover the sample's own spillover (compensation-ref "FCS"), as for `applyGates`
 * @param options the read options `readFcs` would be given (`raw`, `precision`, `maxEvents`)
 * @param opts threads: thread count (default CARTO_THREADS, else os.availableParallelism(), for ≥ 2²² events)
 * @returns the events gated and each gate's counts (as `applyGates`, without memberships), in strategy order
 * @throws InputError as `applyGates` (bad references, absent parameters), and when the file ends inside DATA
 */
export function gateFcsFile(
  ds: FcsDataSet,
  strategy: GatingStrategy,
  fileSpillover: SpilloverMatrix | null,
  options: FcsReadOptions = {},
  opts: { threads?: number } = {},
): { eventCount: number; gates: GateCount[] } {
  const n = eventsToRead(ds, options);
  const float32 = float32Columns(ds, options);
  const names = ds.parameters.map((p) => p.name);
  const none: FlowEvents = {
    parameterNames: names,
    columns: float32.map((f) => (f ? new Float32Array(0) : new Float64Array(0))),
    eventCount: 0,
  };
  const shape = gateShapes(none, strategy, fileSpillover);
  const blocks = Math.ceil(n / FILE_BLOCK);
  const threads = Math.max(1, Math.min(threadCount(n, opts.threads), blocks));
  const memory = (bytes: number) => (threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const counts = new Float64Array(memory(8 * strategy.gates.length * blocks));
  const next = new Int32Array(memory(8));
  const layout: DataLayout = {
    file: ds.file,
    dataType: ds.dataType,
    littleEndian: ds.littleEndian,
    dataBeginBytes: ds.dataBeginBytes,
    parameters: ds.parameters.map((p) => ({ bits: p.bits, range: p.range })),
  };
  const scaling = options.raw === true ? null : { parameters: ds.parameters, timestepS: ds.timestepS };
  const fd = openFcsFile(ds.file);
  try {
    const tasks: GateFileTask[] = Array.from({ length: threads }, () => ({
      fd,
      layout,
      scaling,
      float32,
      names,
      strategy,
      fileSpillover,
      eventCount: n,
      blocks,
      next,
      counts,
    }));
    runThreadsSync(import.meta.url, 'gateFileTask', gateFileTask, tasks);
  } finally {
    closeSync(fd);
  }
  if (next[1] !== 0) {
    throw new InputError('file ends inside DATA (truncated file)', {
      file: ds.file,
      field: 'DATA',
      value: next[1]! - 1,
    });
  }
  return { eventCount: n, gates: gateTotals(shape, counts, blocks, n) };
}

/** A thread's share of `gateFcsFile`: takes blocks of FILE_BLOCK events from `next[0]`. */
interface GateFileTask {
  fd: number;
  layout: DataLayout;
  /** `$PnE`/`$PnG`/`$TIMESTEP` pre-processing, or null for stored values. */
  scaling: { parameters: ScaledParameter[]; timestepS: number | null } | null;
  /** Per parameter: Float32Array (true) or Float64Array block column, as `readFcs` gives. */
  float32: boolean[];
  names: string[];
  strategy: GatingStrategy;
  fileSpillover: SpilloverMatrix | null;
  eventCount: number;
  blocks: number;
  /** [next block, bytes got + 1 of a short read (0 = none)]. */
  next: Int32Array;
  /** Counts: [gate k · blocks + block]. */
  counts: Float64Array;
}

/** Worker entry (src/parallel/pool.ts) and calling-thread body of `gateFcsFile`. Internal. */
export function gateFileTask(task: GateFileTask): void {
  const { strategy, blocks, next, counts, eventCount: n } = task;
  const size = Math.min(n, FILE_BLOCK);
  const reader = new DataChunkReader(task.fd, task.layout, size);
  const columns: Column[] = task.float32.map((f) => (f ? new Float32Array(size) : new Float64Array(size)));
  const outputs = strategy.gates.map(() => new Uint8Array(size));
  const scratch = new ScratchColumns(size);
  for (let b = Atomics.add(next, 0, 1); b < blocks; b = Atomics.add(next, 0, 1)) {
    const e0 = b * FILE_BLOCK;
    const count = Math.min(FILE_BLOCK, n - e0);
    const got = reader.read(e0, count, columns, 0);
    if (got >= 0) {
      Atomics.store(next, 1, got + 1);
      return;
    }
    const cols = count === size ? columns : columns.map((c) => c.subarray(0, count));
    if (task.scaling) scaleColumns(task.scaling.parameters, task.scaling.timestepS, cols);
    const events: FlowEvents = { parameterNames: task.names, columns: cols, eventCount: count };
    const outs = count === size ? outputs : outputs.map((o) => o.subarray(0, count));
    countBlock(events, strategy, task.fileSpillover, outs, scratch).forEach(
      (c, k) => (counts[k * blocks + b] = c),
    );
  }
}

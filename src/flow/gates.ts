/**
 * Gates and their evaluation on events: rectangle/range, polygon, ellipsoid, quadrant, boolean, with parents,
 * compensation references, scale transforms and ratio dimensions (Gating-ML 2.0, Spidlen et al. 2015), and the
 * interval closure of each import source made explicit (Gating-ML: min ≤ x < max; flowCore: closed).
 */
import { InputError } from '../errors.js';
import { unmix, unmixingMatrix } from './compensation.js';
import { compileTransform, fratio, type CompiledTransform, type ScaleTransform } from './transforms.js';
import { parameterIndex, type Column, type FlowEvents, type SpilloverMatrix } from './types.js';
import { isShared, runThreadsSync, threadCount } from '../parallel/pool.js';
import { countOnes, ellipse2Membership, polygonMembership, rangeMembership } from './gate-kernels.js';

export { polygonMembership } from './gate-kernels.js';
export { ellipseFromFociAndEdge } from './ellipse.js';

/** "uncompensated", "FCS" (the file's spillover), or the id of a spectrum matrix in the strategy. */
export type CompensationRef = string;

/** A gate dimension: a data parameter or a ratio of two, optionally transformed. */
export type Dimension =
  | { kind: 'parameter'; name: string; compensationRef: CompensationRef; transformRef: string | null }
  | { kind: 'ratio'; ratioRef: string; compensationRef: CompensationRef; transformRef: string | null };

/** fratio transform A·(x1 − B)/(x2 − C) over two parameters. */
export interface RatioTransform {
  numerator: string;
  denominator: string;
  A: number;
  B: number;
  C: number;
}

/** Which interval ends are inside a rectangle/range/quadrant gate. */
export type Closure = 'min-inclusive' | 'closed';

/** Gate definitions (all with id, optional display name and optional parent). */
export type Gate = { name?: string } & (
  | {
      kind: 'rectangle';
      id: string;
      parentId: string | null;
      dims: { dim: Dimension; min: number | null; max: number | null }[];
    }
  | {
      kind: 'polygon';
      id: string;
      parentId: string | null;
      dims: [Dimension, Dimension];
      vertices: [number, number][];
    }
  | {
      kind: 'ellipsoid';
      id: string;
      parentId: string | null;
      dims: Dimension[];
      mean: number[];
      covariance: number[][];
      distanceSquare: number;
    }
  | {
      /** One quadrant of a Gating-ML QuadrantGate: lo ≤ x < hi per referenced divider. */
      kind: 'quadrant';
      id: string;
      parentId: string | null;
      dims: { dim: Dimension; lo: number; hi: number }[];
    }
  | {
      kind: 'boolean';
      id: string;
      parentId: string | null;
      op: 'and' | 'or' | 'not';
      operands: { ref: string; complement: boolean }[];
    }
);

/** True when a gate of `strategy` has a dimension with compensation-ref "FCS" (the file's own spillover). */
export function usesFileCompensation(strategy: GatingStrategy): boolean {
  return strategy.gates.some(
    (g) =>
      g.kind !== 'boolean' &&
      g.dims.some((d: Dimension | { dim: Dimension }) => ('dim' in d ? d.dim : d).compensationRef === 'FCS'),
  );
}

/** A set of gates with the transforms and matrices they refer to. */
export interface GatingStrategy {
  gates: Gate[];
  transforms: Record<string, ScaleTransform>;
  ratios: Record<string, RatioTransform>;
  /** Spectrum matrices by id: fluorochromes × detectors (named by `parameterNames` = detectors). */
  matrices: Record<string, { fluorochromes: string[]; detectors: string[]; values: number[][] }>;
  closure: Closure;
}

/** Result of one gate: membership (0/1 per event, parent applied), counts and hierarchy path. */
export interface GateResult {
  id: string;
  /** Names (or ids) from the root to this gate, e.g. ["Lymphocytes", "CD3+", "CD4+"]. */
  path: string[];
  parentId: string | null;
  count: number;
  parentCount: number;
  /** 100 × count / parentCount (NaN when the parent is empty). */
  percentOfParent: number;
  membership: Uint8Array;
}

/**
 * Applies every gate of a strategy to events.
 *
 * Every gate's value for an event depends on that event alone, so the events are evaluated in blocks of
 * GATE_BLOCK events, each block's compensated, ratio and transformed dimensions computed into scratch columns
 * that are reused from block to block (no full-length temporary columns: the memory in use is the events, the
 * memberships and a few MiB per thread). When the columns live in shared memory (e.g. `readFcs` of ≥ 2²²
 * events) the blocks are shared out among worker threads (src/parallel/pool.ts), each writing its part of the
 * shared memberships: results are identical to one thread. The strategy is first checked on zero events, so
 * bad references throw the same InputError however many threads run.
 * @param events pre-processed (scaled) events, columns named by $PnN
 * @param strategy gates, transforms, matrices
 * @param fileSpillover the sample's own spillover (used by compensation-ref "FCS"; null = none, then "FCS" means
 *   uncompensated, as the Gating-ML 2.0 compliance notes state)
 * @param opts threads: thread count when all columns are in SharedArrayBuffers (default CARTO_THREADS, else
 *   os.availableParallelism(), for ≥ 2²² events); columns not shared: one thread.
 * @returns one result per gate, in strategy order
 * @throws InputError for a dimension naming an absent parameter, an unknown transform/matrix/gate reference, or a
 *   cycle in parent/boolean references
 */
export function applyGates(
  events: FlowEvents,
  strategy: GatingStrategy,
  fileSpillover: SpilloverMatrix | null = null,
  opts: { threads?: number } = {},
): GateResult[] {
  const n = events.eventCount;
  const shared = events.columns.length > 0 && events.columns.every((c) => isShared(c));
  const asked = shared ? threadCount(n, opts.threads) : 1;
  // Blocks of GATE_BLOCK events, smaller when that leaves fewer than four per thread.
  const blockSize = Math.max(1024, Math.min(GATE_BLOCK, Math.ceil(n / (4 * asked))));
  const blocks = Math.ceil(n / blockSize);
  const threads = Math.max(1, Math.min(asked, blocks));
  const shape = gateShapes(events, strategy, fileSpillover);
  const memory = (bytes: number) => (threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const memberships = strategy.gates.map(() => new Uint8Array(memory(n)));
  const counts = new Float64Array(memory(8 * strategy.gates.length * blocks));
  const next = new Int32Array(memory(4));
  const tasks: GateRangeTask[] = Array.from({ length: threads }, () => ({
    events,
    strategy,
    fileSpillover,
    blockSize,
    blocks,
    next,
    memberships,
    counts,
  }));
  runThreadsSync(import.meta.url, 'gateRangeTask', gateRangeTask, tasks);
  return gateTotals(shape, counts, blocks, n).map((r, k) => ({ ...r, membership: memberships[k]! }));
}

/** A gate's result without its membership: id, path, counts and % of parent. */
export type GateCount = Omit<GateResult, 'membership'>;

/**
 * Each gate's id, path and parent, found on zero events of `events`: checks every reference, parameter,
 * transform and matrix of the strategy (the errors of `applyGates`, whatever the event and thread count).
 * @throws InputError as `applyGates`
 */
export function gateShapes(
  events: FlowEvents,
  strategy: GatingStrategy,
  fileSpillover: SpilloverMatrix | null,
): GateCount[] {
  const check = new GateContext(sliceEvents(events, 0, 0), strategy, fileSpillover, { threads: 1 });
  return strategy.gates.map((g) => {
    const { membership: _, ...r } = check.result(g.id);
    return r;
  });
}

/**
 * Whole-sample counts from per-block counts.
 * @param shape `gateShapes` of the strategy
 * @param counts [gate k · blocks + block]: events of each block in each gate
 * @param n events in all
 */
export function gateTotals(shape: GateCount[], counts: Float64Array, blocks: number, n: number): GateCount[] {
  const total = new Map<string, number>();
  shape.forEach((g, k) => {
    let c = 0;
    for (let b = 0; b < blocks; b++) c += counts[k * blocks + b]!;
    total.set(g.id, c);
  });
  return shape.map((r) => {
    const count = total.get(r.id)!;
    const parentCount = r.parentId ? total.get(r.parentId)! : n;
    return { ...r, count, parentCount, percentOfParent: parentCount > 0 ? (100 * count) / parentCount : NaN };
  });
}

/** Events per block of `applyGates` (its scratch columns stay a few MiB per thread). */
const GATE_BLOCK = 1 << 16;

/** Events [e0, e1) as views on the same columns (no copy). */
function sliceEvents(events: FlowEvents, e0: number, e1: number): FlowEvents {
  return {
    parameterNames: events.parameterNames,
    columns: events.columns.map((c) => c.subarray(e0, e1)),
    eventCount: e1 - e0,
  };
}

/** A thread's view of `applyGates`: takes blocks of events from `next`. */
interface GateRangeTask {
  events: FlowEvents;
  strategy: GatingStrategy;
  fileSpillover: SpilloverMatrix | null;
  /** Events per block (the last may be shorter). */
  blockSize: number;
  /** Number of blocks. */
  blocks: number;
  /** Work counter: the next block to take. */
  next: Int32Array;
  /** Memberships (all events), one per gate in strategy order. */
  memberships: Uint8Array[];
  /** Counts: [gate k · blocks + block]. */
  counts: Float64Array;
}

/** Worker entry (src/parallel/pool.ts) and calling-thread body of `applyGates`. Internal. */
export function gateRangeTask(task: GateRangeTask): void {
  const { strategy, blockSize, blocks, next, memberships, counts } = task;
  const n = task.events.eventCount;
  const scratch = new ScratchColumns(Math.min(n, blockSize));
  for (let b = Atomics.add(next, 0, 1); b < blocks; b = Atomics.add(next, 0, 1)) {
    const e0 = b * blockSize;
    const e1 = Math.min(n, e0 + blockSize);
    const outputs = strategy.gates.map((_, k) => memberships[k]!.subarray(e0, e1));
    const c = countBlock(sliceEvents(task.events, e0, e1), strategy, task.fileSpillover, outputs, scratch);
    c.forEach((x, k) => (counts[k * blocks + b] = x));
  }
}

/**
 * Evaluates every gate of `strategy` on one block of events (all its values in memory).
 * @param outputs per gate (strategy order): where its membership is written (the block's length)
 * @param scratch where computed dimensions are held (reset here)
 * @returns the block's count of each gate, in strategy order
 */
export function countBlock(
  events: FlowEvents,
  strategy: GatingStrategy,
  fileSpillover: SpilloverMatrix | null,
  outputs: Uint8Array[],
  scratch: ScratchColumns,
): number[] {
  scratch.reset();
  const byId = new Map(strategy.gates.map((g, k) => [g.id, outputs[k]!]));
  const ctx = new GateContext(events, strategy, fileSpillover, { threads: 1, outputs: byId, scratch });
  return strategy.gates.map((g) => ctx.count(g.id));
}

/** Float64 scratch columns of at most `capacity` values, handed out in turn and taken back all at once. */
export class ScratchColumns {
  private readonly columns: Float64Array[] = [];
  private used = 0;
  constructor(private readonly capacity: number) {}

  /** A column of `n` ≤ capacity values (contents undefined) until the next `reset`. */
  take(n: number): Float64Array {
    if (this.used === this.columns.length) this.columns.push(new Float64Array(this.capacity));
    return this.columns[this.used++]!.subarray(0, n);
  }

  reset(): void {
    this.used = 0;
  }
}

class GateContext {
  private readonly dimCache = new Map<string, Column>();
  private readonly raw64 = new Map<number, Float64Array>();
  private readonly compCache = new Map<string, { names: string[]; columns: Column[] }>();
  private readonly full = new Map<string, Uint8Array>();
  private readonly counts = new Map<string, number>();
  private readonly byId = new Map<string, Gate>();
  private readonly compiled = new Map<string, CompiledTransform>();
  private readonly visiting = new Set<string>();
  private readonly n: number;

  /**
   * @param opts threads: for the compensation (`unmix`); outputs: the arrays to write each gate's
   *   membership into (by gate id; default a fresh array per gate); scratch: where computed dimensions
   *   (compensated, ratio, transformed) are held (default fresh arrays).
   */
  constructor(
    private readonly events: FlowEvents,
    private readonly strategy: GatingStrategy,
    private readonly fileSpillover: SpilloverMatrix | null,
    private readonly opts: {
      threads?: number;
      outputs?: Map<string, Uint8Array>;
      scratch?: ScratchColumns;
    } = {},
  ) {
    this.n = events.eventCount;
    for (const g of strategy.gates) {
      if (this.byId.has(g.id)) throw new InputError('duplicate gate id', { field: 'gate', value: g.id });
      this.byId.set(g.id, g);
    }
  }

  gate(id: string): Gate {
    const g = this.byId.get(id);
    if (!g) throw new InputError('reference to an unknown gate', { field: 'gate', value: id });
    return g;
  }

  result(id: string): GateResult {
    const g = this.gate(id);
    const membership = this.membership(id);
    const path: string[] = [];
    for (let cur: Gate | undefined = g; cur; cur = cur.parentId ? this.gate(cur.parentId) : undefined) {
      path.unshift(cur.name ?? cur.id);
      if (path.length > this.byId.size)
        throw new InputError('cycle in parent gates', { field: 'gate', value: id });
    }
    const count = this.count(id);
    const parentCount = g.parentId ? this.count(g.parentId) : this.n;
    return {
      id,
      path,
      parentId: g.parentId,
      count,
      parentCount,
      percentOfParent: parentCount > 0 ? (100 * count) / parentCount : NaN,
      membership,
    };
  }

  /** Events in a gate including its parents (counted once per gate: a parent's count is reused by its children). */
  count(id: string): number {
    let c = this.counts.get(id);
    if (c === undefined) {
      c = countOnes(this.membership(id));
      this.counts.set(id, c);
    }
    return c;
  }

  /** Membership of a gate including its parents (the parent first: the gate's region is tested within it). */
  membership(id: string): Uint8Array {
    const cached = this.full.get(id);
    if (cached) return cached;
    if (this.visiting.has(id)) throw new InputError('cycle in gate references', { field: 'gate', value: id });
    this.visiting.add(id);
    const g = this.gate(id);
    const parent = g.parentId ? this.membership(g.parentId) : null;
    const m = this.ownMembership(g, parent);
    this.visiting.delete(id);
    this.full.set(id, m);
    return m;
  }

  /**
   * The gate's region within `parent` (null: all events), in a fresh array (or the gate's output), computed
   * once per gate by `membership`. Events outside the parent are 0 whatever the gate's test gives.
   */
  private ownMembership(g: Gate, parent: Uint8Array | null): Uint8Array {
    const n = this.n;
    const out = this.opts.outputs?.get(g.id);
    const m = out ?? new Uint8Array(n);
    const closed = this.strategy.closure === 'closed';
    switch (g.kind) {
      case 'rectangle':
      case 'quadrant': {
        // Each dimension's interval ANDed in turn, the first onto the parent.
        if (g.dims.length === 0) {
          if (parent) m.set(parent);
          else m.fill(1);
        }
        g.dims.forEach((d, k) => {
          const x = this.dimension(d.dim);
          const [lo, hi] = 'lo' in d ? [d.lo, d.hi] : [d.min ?? -Infinity, d.max ?? Infinity];
          rangeMembership(x, lo, hi, closed && g.kind === 'rectangle', k === 0 ? parent : m, m);
        });
        return m;
      }
      case 'polygon': {
        const x = this.dimension(g.dims[0]);
        const y = this.dimension(g.dims[1]);
        polygonMembership(x, y, g.vertices, m, parent);
        return m;
      }
      case 'ellipsoid': {
        const cols = g.dims.map((d) => this.dimension(d));
        const k = cols.length;
        const inv = unmixingMatrix(g.covariance); // plain matrix inverse for a square matrix
        if (k === 2) {
          ellipse2Membership(cols[0]!, cols[1]!, g.mean, inv, g.distanceSquare, m, parent);
          return m;
        }
        const d = new Float64Array(k);
        for (let i = 0; i < n; i++) {
          for (let a = 0; a < k; a++) d[a] = cols[a]![i]! - g.mean[a]!;
          let q = 0;
          for (let a = 0; a < k; a++) {
            let s = 0;
            for (let b = 0; b < k; b++) s += inv[a]![b]! * d[b]!;
            q += d[a]! * s;
          }
          m[i] = q <= g.distanceSquare ? 1 : 0;
        }
        break;
      }
      case 'boolean': {
        const ops = g.operands.map((o) => ({ m: this.membership(o.ref), c: o.complement ? 1 : 0 }));
        if (g.op === 'not') {
          if (ops.length !== 1)
            throw new InputError('a "not" gate takes exactly one operand', { field: 'gate', value: g.id });
          const o = ops[0]!;
          for (let i = 0; i < n; i++) m[i] = 1 - (o.m[i]! ^ o.c);
        } else {
          if (ops.length < 2)
            throw new InputError(`an "${g.op}" gate takes at least two operands`, {
              field: 'gate',
              value: g.id,
            });
          if (g.op === 'and') {
            m.fill(1);
            for (const o of ops) for (let i = 0; i < n; i++) m[i] = m[i]! & (o.m[i]! ^ o.c);
          } else {
            m.fill(0);
            for (const o of ops) for (let i = 0; i < n; i++) m[i] = m[i]! | (o.m[i]! ^ o.c);
          }
        }
        break;
      }
    }
    if (parent) for (let i = 0; i < n; i++) m[i] = m[i]! & parent[i]!;
    return m;
  }

  private transform(id: string): CompiledTransform {
    let t = this.compiled.get(id);
    if (!t) {
      const def = this.strategy.transforms[id];
      if (!def)
        throw new InputError('reference to an unknown transformation', {
          field: 'transformation-ref',
          value: id,
        });
      t = compileTransform(def);
      this.compiled.set(id, t);
    }
    return t;
  }

  /** Values of a gate dimension (compensated, ratio'd and transformed as the dimension says). */
  dimension(dim: Dimension): Column {
    const key = JSON.stringify(dim);
    const hit = this.dimCache.get(key);
    if (hit) return hit;
    let base: Column;
    if (dim.kind === 'parameter') base = this.parameter(dim.name, dim.compensationRef);
    else {
      const r = this.strategy.ratios[dim.ratioRef];
      if (!r)
        throw new InputError('reference to an unknown ratio transformation', {
          field: 'transformation-ref',
          value: dim.ratioRef,
        });
      const x1 = this.parameter(r.numerator, dim.compensationRef);
      const x2 = this.parameter(r.denominator, dim.compensationRef);
      base = this.column();
      for (let i = 0; i < this.n; i++) base[i] = fratio(x1[i]!, x2[i]!, r.A, r.B, r.C);
    }
    if (dim.transformRef !== null) {
      const t = this.transform(dim.transformRef);
      const out = this.column();
      for (let i = 0; i < this.n; i++) out[i] = t.forward(base[i]!);
      base = out;
    }
    this.dimCache.set(key, base);
    return base;
  }

  /** A float64 column of the events' length for a computed dimension. */
  private column(): Float64Array {
    return this.opts.scratch ? this.opts.scratch.take(this.n) : new Float64Array(this.n);
  }

  private parameter(name: string, compRef: CompensationRef): Column {
    if (compRef === 'uncompensated' || (compRef === 'FCS' && this.fileSpillover === null)) {
      return this.raw(name);
    }
    const comp = this.compensated(compRef);
    const k = comp.names.indexOf(name);
    if (k >= 0) return comp.columns[k]!;
    // Parameters outside the matrix (scatter, time) are not compensated.
    return this.raw(name);
  }

  private raw(name: string): Column {
    const i = parameterIndex(this.events, name);
    if (i < 0) {
      throw new InputError('gate dimension names a parameter that is not in the data', {
        field: 'fcs-dimension',
        value: name,
      });
    }
    const col = this.events.columns[i]!;
    if (!(col instanceof Float32Array) || !this.opts.scratch) return col;
    // A float64 copy (exact) in the block's scratch, so that the gate kernels see one array type.
    let copy = this.raw64.get(i);
    if (!copy) {
      copy = this.column();
      copy.set(col);
      this.raw64.set(i, copy);
    }
    return copy;
  }

  private compensated(ref: CompensationRef): { names: string[]; columns: Column[] } {
    const hit = this.compCache.get(ref);
    if (hit) return hit;
    let detectors: string[];
    let outNames: string[];
    let spectrum: number[][];
    if (ref === 'FCS') {
      const s = this.fileSpillover!;
      detectors = s.parameterNames;
      outNames = s.parameterNames;
      spectrum = s.values;
    } else {
      const mat = this.strategy.matrices[ref];
      if (!mat)
        throw new InputError('reference to an unknown compensation matrix', {
          field: 'compensation-ref',
          value: ref,
        });
      detectors = mat.detectors;
      outNames = mat.fluorochromes;
      spectrum = mat.values;
    }
    const idx = detectors.map((d) => {
      const i = parameterIndex(this.events, d);
      if (i < 0)
        throw new InputError('compensation detector not in the data', {
          field: 'compensation-ref',
          value: d,
        });
      return i;
    });
    // Only the outputs a gate dimension uses (each output is computed alone: the same values).
    const used = usedNames(this.strategy, ref);
    const keep = outNames.flatMap((name, j) => (used.has(name) ? [j] : []));
    const U = unmixingMatrix(spectrum).map((row) => keep.map((j) => row[j]!));
    const columns = unmix(this.events, idx, U, false, {
      threads: this.opts.threads,
      float64: true,
      outputs: this.opts.scratch ? keep.map(() => this.column()) : undefined,
    });
    const out = { names: keep.map((j) => outNames[j]!), columns };
    this.compCache.set(ref, out);
    return out;
  }
}

/** Names of the parameters that the strategy's gate dimensions (and their ratios) take with compensation `ref`. */
function usedNames(strategy: GatingStrategy, ref: CompensationRef): Set<string> {
  const used = new Set<string>();
  for (const g of strategy.gates) {
    if (g.kind === 'boolean') continue;
    for (const d of g.dims.map((x: Dimension | { dim: Dimension }) => ('dim' in x ? x.dim : x))) {
      if (d.compensationRef !== ref) continue;
      if (d.kind === 'parameter') used.add(d.name);
      else {
        const r = strategy.ratios[d.ratioRef];
        if (r) used.add(r.numerator).add(r.denominator);
      }
    }
  }
  return used;
}

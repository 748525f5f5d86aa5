/**
 * Gate evaluation fast paths (src/flow/gates.ts): the unrolled two-dimensional ellipsoid gives exactly
 * the membership of the quadratic form d·Σ⁻¹·d ≤ D² computed here term by term (events on and near the
 * boundary included), and counts of parents computed once are the counts of their memberships.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyGates } from '../../src/flow/gates.js';
import type { Dimension, GatingStrategy } from '../../src/flow/gates.js';
import { unmixingMatrix } from '../../src/flow/compensation.js';
import { InputError } from '../../src/errors.js';
import type { FlowEvents } from '../../src/flow/types.js';

const dim = (name: string): Dimension => ({
  kind: 'parameter',
  name,
  compensationRef: 'uncompensated',
  transformRef: null,
});

test('2D ellipsoid gate: membership equals the term-by-term quadratic form; parent counts reused correctly', () => {
  const n = 20000;
  const a = new Float32Array(n);
  const b = new Float64Array(n);
  let x = 42;
  const rnd = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  for (let i = 0; i < n; i++) {
    a[i] = 3000 + (rnd() - 0.5) * 8000;
    b[i] = 3000 + (rnd() - 0.5) * 8000;
  }
  // Events exactly on the boundary along the axes of a diagonal covariance.
  a[0] = 3000 + 2000;
  b[0] = 3000;
  const events: FlowEvents = { parameterNames: ['A', 'B'], columns: [a, b], eventCount: n };
  const covariance = [
    [4e6, 1e6],
    [1e6, 4e6],
  ];
  const strategy: GatingStrategy = {
    gates: [
      { kind: 'rectangle', id: 'root', parentId: null, dims: [{ dim: dim('A'), min: 0, max: 6500 }] },
      {
        kind: 'ellipsoid',
        id: 'ell',
        parentId: 'root',
        dims: [dim('A'), dim('B')],
        mean: [3000, 3000],
        covariance,
        distanceSquare: 1,
      },
      {
        kind: 'ellipsoid',
        id: 'circ',
        parentId: null,
        dims: [dim('A'), dim('B')],
        mean: [3000, 3000],
        covariance: [
          [4e6, 0],
          [0, 4e6],
        ],
        distanceSquare: 1,
      },
    ],
    transforms: {},
    ratios: {},
    matrices: {},
    closure: 'min-inclusive',
  };
  const [root, ell, circ] = applyGates(events, strategy);
  const inv = unmixingMatrix(covariance);
  let inRoot = 0;
  let inEll = 0;
  for (let i = 0; i < n; i++) {
    const d = [a[i]! - 3000, b[i]! - 3000];
    let q = 0;
    for (let r = 0; r < 2; r++) {
      let s = 0;
      for (let c = 0; c < 2; c++) s += inv[r]![c]! * d[c]!;
      q += d[r]! * s;
    }
    const r = a[i]! >= 0 && a[i]! < 6500 ? 1 : 0;
    const e = r & (q <= 1 ? 1 : 0);
    assert.equal(ell!.membership[i], e, `event ${i}`);
    inRoot += r;
    inEll += e;
  }
  assert.equal(circ!.membership[0], 1, 'boundary event is inside (≤)');
  assert.equal(root!.count, inRoot);
  assert.equal(ell!.count, inEll);
  assert.equal(ell!.parentCount, inRoot);
  assert.ok(inEll > 1000 && inEll < inRoot);
});

test('gates on columns in shared memory: 2 and 3 threads give the memberships and counts of one thread; bad references still InputError', () => {
  const n = 9001;
  let x = 7;
  const rnd = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  const col = (f: () => number) => {
    const c = new Float32Array(new SharedArrayBuffer(4 * n));
    for (let i = 0; i < n; i++) c[i] = f();
    return c;
  };
  const events: FlowEvents = {
    parameterNames: ['FSC-A', 'FL1-A', 'FL2-A', 'FL3-A'],
    columns: [
      col(() => 1000 * rnd()),
      col(() => 5000 * rnd() - 200),
      col(() => 5000 * rnd() - 200),
      col(() => 8000 * rnd()),
    ],
    eventCount: n,
  };
  const spill = {
    parameterNames: ['FL1-A', 'FL2-A', 'FL3-A'],
    values: [
      [1, 0.1, 0.01],
      [0.05, 1, 0.1],
      [0, 0.02, 1],
    ],
  };
  const comp = (name: string, transformRef: string | null = null): Dimension => ({
    kind: 'parameter',
    name,
    compensationRef: 'FCS',
    transformRef,
  });
  const strategy: GatingStrategy = {
    gates: [
      {
        kind: 'polygon',
        id: 'cells',
        parentId: null,
        dims: [dim('FSC-A'), comp('FL1-A')],
        vertices: [
          [100, 0],
          [900, 100],
          [800, 4000],
          [150, 3000],
        ],
      },
      {
        kind: 'rectangle',
        id: 'pos',
        parentId: 'cells',
        dims: [{ dim: comp('FL2-A', 'l'), min: 0.5, max: null }],
      },
      {
        kind: 'quadrant',
        id: 'q',
        parentId: 'pos',
        dims: [
          { dim: comp('FL1-A'), lo: 1000, hi: Infinity },
          { dim: comp('FL3-A'), lo: -Infinity, hi: 4000 },
        ],
      },
      {
        kind: 'ellipsoid',
        id: 'e',
        parentId: 'cells',
        dims: [comp('FL2-A'), comp('FL3-A')],
        mean: [2500, 4000],
        covariance: [
          [1e6, 2e5],
          [2e5, 2e6],
        ],
        distanceSquare: 1,
      },
      {
        kind: 'boolean',
        id: 'and',
        parentId: null,
        op: 'and',
        operands: [
          { ref: 'q', complement: false },
          { ref: 'e', complement: true },
        ],
      },
      {
        kind: 'boolean',
        id: 'or',
        parentId: null,
        op: 'or',
        operands: [
          { ref: 'pos', complement: false },
          { ref: 'e', complement: false },
        ],
      },
      {
        kind: 'boolean',
        id: 'not',
        parentId: 'cells',
        op: 'not',
        operands: [{ ref: 'or', complement: false }],
      },
    ],
    transforms: { l: { kind: 'logicle', T: 262144, W: 0.5, M: 4.5, A: 0 } },
    ratios: {},
    matrices: {},
    closure: 'min-inclusive',
  };
  const plain = (r: ReturnType<typeof applyGates>) =>
    r.map((g) => ({ ...g, membership: Array.from(g.membership) }));
  const one = plain(applyGates(events, strategy, spill, { threads: 1 }));
  assert.ok(
    one.every((g) => g.count > 0 && g.count < n),
    'every gate selects some events',
  );
  for (const threads of [2, 3])
    assert.deepStrictEqual(plain(applyGates(events, strategy, spill, { threads })), one);
  const bad: GatingStrategy = {
    ...strategy,
    gates: [
      { kind: 'rectangle', id: 'r', parentId: 'nope', dims: [{ dim: dim('FSC-A'), min: 0, max: null }] },
    ],
  };
  assert.throws(
    () => applyGates(events, bad, spill, { threads: 2 }),
    (e: unknown) => e instanceof InputError && /unknown gate/.test(e.message) && /nope/.test(e.message),
  );
});

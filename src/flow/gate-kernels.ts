/**
 * Per-event kernels of the gates (gates.ts): point in polygon, 2-D ellipsoid, membership count.
 * Source: Gating-ML 2.0 (Spidlen et al. 2015) §5.3.3 polygon (crossing number), §5.3.4 ellipsoid.
 */
import type { Column } from './types.js';

/**
 * Two-dimensional ellipsoid gate: m[i] = 1 when (d·inv·d) ≤ distanceSquare with d = x − mean; the same
 * operations in the same order as the general k-dimensional loop (identical results), unrolled.
 */
export function ellipse2Membership(
  x: Column,
  y: Column,
  mean: number[],
  inv: number[][],
  distanceSquare: number,
  m: Uint8Array,
  parent: Uint8Array | null = null,
): void {
  const mx = mean[0]!;
  const my = mean[1]!;
  const a00 = inv[0]![0]!;
  const a01 = inv[0]![1]!;
  const a10 = inv[1]![0]!;
  const a11 = inv[1]![1]!;
  for (let i = 0; i < m.length; i++) {
    if (parent !== null && parent[i] === 0) {
      m[i] = 0;
      continue;
    }
    const d0 = x[i]! - mx;
    const d1 = y[i]! - my;
    let s0 = 0;
    s0 += a00 * d0;
    s0 += a01 * d1;
    let s1 = 0;
    s1 += a10 * d0;
    s1 += a11 * d1;
    let q = 0;
    q += d0 * s0;
    q += d1 * s1;
    m[i] = q <= distanceSquare ? 1 : 0;
  }
}

/** Number of ones in a 0/1 membership (four bytes at a time where the array is 4-byte aligned). */
export function countOnes(m: Uint8Array): number {
  let c = 0;
  let i = 0;
  if (m.byteOffset % 4 === 0) {
    const words = new Uint32Array(m.buffer, m.byteOffset, m.length >> 2);
    // each byte is 0 or 1: the top byte of w·0x01010101 is the sum of the four
    for (let w = 0; w < words.length; w++) c += Math.imul(words[w]!, 0x01010101) >>> 24;
    i = words.length << 2;
  }
  for (; i < m.length; i++) c += m[i]!;
  return c;
}

/**
 * m[i] = within[i] & (lo ≤ x[i] < hi) — or ≤ hi when `closedHi` — with `within` null meaning all events
 * (`within` may be `m` itself, to AND another dimension's interval). NaN is outside. Branch-free.
 */
export function rangeMembership(
  x: Column,
  lo: number,
  hi: number,
  closedHi: boolean,
  within: Uint8Array | null,
  m: Uint8Array,
): void {
  const n = m.length;
  if (within === null) {
    if (closedHi) for (let i = 0; i < n; i++) m[i] = +(x[i]! >= lo) & +(x[i]! <= hi);
    else for (let i = 0; i < n; i++) m[i] = +(x[i]! >= lo) & +(x[i]! < hi);
  } else if (closedHi) for (let i = 0; i < n; i++) m[i] = within[i]! & +(x[i]! >= lo) & +(x[i]! <= hi);
  else for (let i = 0; i < n; i++) m[i] = within[i]! & +(x[i]! >= lo) & +(x[i]! < hi);
}

/**
 * Even–odd (crossing number) point-in-polygon test for every event (works for non-simple polygons); events
 * outside `parent` (when given) are 0 without a test.
 */
export function polygonMembership(
  x: Column,
  y: Column,
  vertices: [number, number][],
  out: Uint8Array,
  parent: Uint8Array | null = null,
): void {
  const nv = vertices.length;
  const vx = Float64Array.from(vertices.map((v) => v[0]));
  const vy = Float64Array.from(vertices.map((v) => v[1]));
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let k = 0; k < nv; k++) {
    minX = Math.min(minX, vx[k]!);
    maxX = Math.max(maxX, vx[k]!);
    minY = Math.min(minY, vy[k]!);
    maxY = Math.max(maxY, vy[k]!);
  }
  for (let i = 0; i < x.length; i++) {
    if (parent !== null && parent[i] === 0) {
      out[i] = 0;
      continue;
    }
    const px = x[i]!;
    const py = y[i]!;
    if (px < minX || px > maxX || py < minY || py > maxY) {
      out[i] = 0;
      continue;
    }
    let inside = 0;
    for (let a = 0, b = nv - 1; a < nv; b = a++) {
      const ya = vy[a]!;
      const yb = vy[b]!;
      if (ya > py !== yb > py) {
        const xc = ((vx[b]! - vx[a]!) * (py - ya)) / (yb - ya) + vx[a]!;
        if (px < xc) inside ^= 1;
      }
    }
    out[i] = inside;
  }
}

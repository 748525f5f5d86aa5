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
): void {
  const mx = mean[0]!;
  const my = mean[1]!;
  const a00 = inv[0]![0]!;
  const a01 = inv[0]![1]!;
  const a10 = inv[1]![0]!;
  const a11 = inv[1]![1]!;
  for (let i = 0; i < m.length; i++) {
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

/** Number of ones in a 0/1 membership. */
export function countOnes(m: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < m.length; i++) c += m[i]!;
  return c;
}

/** Even–odd (crossing number) point-in-polygon test for every event (works for non-simple polygons). */
export function polygonMembership(x: Column, y: Column, vertices: [number, number][], out: Uint8Array): void {
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

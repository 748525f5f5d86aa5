/**
 * FlowJo's ellipse form (two foci and edge points) as a Gating-ML 2.0 ellipsoid gate (mean, covariance,
 * distance square). Re-exported by gates.ts.
 */
import { InputError } from '../errors.js';

/**
 * A 2-D ellipse given by its two foci and points on its edge (FlowJo's `EllipsoidGate` form), as the mean,
 * covariance matrix and distance square (1) of a Gating-ML 2.0 ellipsoid gate (§5.3.4: x inside when
 * (x − μ)ᵀ Σ⁻¹ (x − μ) ≤ d²).
 *
 * The centre is the foci's midpoint and the first axis runs through the foci (any direction for a circle,
 * whose foci coincide). With (s, t) an edge point's coordinates along and across that axis, the semi-axes
 * a, b solve s²/a² + t²/b² = 1 over all edge points (least squares; FlowJo stores four); then
 * Σ = a² u uᵀ + b² v vᵀ with u, v the axis unit vectors.
 * @param foci the two foci [x, y]
 * @param edge at least two points on the ellipse
 * @param where names the gate in errors (e.g. the population path)
 * @throws InputError (field EllipsoidGate) when the edge points do not determine an ellipse or do not lie on
 *   one (relative residual above 2 %)
 */
export function ellipseFromFociAndEdge(
  foci: [[number, number], [number, number]],
  edge: [number, number][],
  where: { file?: string; gate: string },
): { mean: [number, number]; covariance: number[][]; distanceSquare: number } {
  const [f0, f1] = foci;
  const c: [number, number] = [(f0[0] + f1[0]) / 2, (f0[1] + f1[1]) / 2];
  const dx = f1[0] - f0[0];
  const dy = f1[1] - f0[1];
  const len = Math.hypot(dx, dy);
  const u: [number, number] = len > 0 ? [dx / len, dy / len] : [1, 0];
  const v: [number, number] = [-u[1], u[0]];
  const st = edge.map(([x, y]) => {
    const px = x - c[0];
    const py = y - c[1];
    return [(px * u[0] + py * u[1]) ** 2, (px * v[0] + py * v[1]) ** 2] as const;
  });
  // normal equations of m·s² + n·t² = 1 (m = 1/a², n = 1/b²)
  let saa = 0;
  let sab = 0;
  let sbb = 0;
  let ra = 0;
  let rb = 0;
  for (const [s2, t2] of st) {
    saa += s2 * s2;
    sab += s2 * t2;
    sbb += t2 * t2;
    ra += s2;
    rb += t2;
  }
  const det = saa * sbb - sab * sab;
  const bad = (why: string): never => {
    throw new InputError(`EllipsoidGate ${where.gate}: ${why}`, {
      file: where.file,
      field: 'EllipsoidGate',
      value: JSON.stringify({ foci, edge }),
    });
  };
  if (edge.length < 2 || !(Math.abs(det) > 1e-12 * (saa * sbb || 1)))
    bad('the edge points do not determine an ellipse');
  const m = (ra * sbb - rb * sab) / det;
  const n = (saa * rb - sab * ra) / det;
  if (!(m > 0 && n > 0)) bad('the edge points do not lie on an ellipse around the foci');
  const worst = Math.max(...st.map(([s2, t2]) => Math.abs(m * s2 + n * t2 - 1)));
  if (worst > 0.02) bad(`the edge points are off the ellipse (relative residual ${worst.toPrecision(3)})`);
  const a2 = 1 / m;
  const b2 = 1 / n;
  const covariance = [
    [a2 * u[0] * u[0] + b2 * v[0] * v[0], a2 * u[0] * u[1] + b2 * v[0] * v[1]],
    [a2 * u[1] * u[0] + b2 * v[1] * v[0], a2 * u[1] * u[1] + b2 * v[1] * v[1]],
  ];
  return { mean: c, covariance, distanceSquare: 1 };
}

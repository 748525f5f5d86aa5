/**
 * Area under a sampled curve by the trapezoid rule (docs/references/statistics.md §15), as the usual
 * hand-written R function `trapz <- function(x, y) sum(diff(x) * (head(y, -1) + tail(y, -1)) / 2)`.
 * Pure computation, no I/O.
 */
import { InputError } from '../errors.js';

/**
 * Σ (x[i+1] − x[i]) · (y[i] + y[i+1]) / 2 over consecutive points (unit: unit of x × unit of y).
 * A single point gives 0. No interpolation or extrapolation beyond the points given: the caller
 * decides the window and what stands in for a missing edge (see src/analysis/car-t-expansion.ts).
 *
 * @param x strictly increasing abscissae (e.g. days)
 * @param y finite ordinates, one per x
 * @throws InputError when lengths differ, there is no point, a value is not finite or x does not increase
 */
export function trapezoidAuc(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length)
    throw new InputError('x and y differ in length', { value: [x.length, y.length] });
  if (x.length === 0) throw new InputError('the trapezoid rule needs at least one point', { value: 0 });
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!))
      throw new InputError('non-finite x value', { row: i + 1, field: 'x', value: x[i] });
    if (!Number.isFinite(y[i]!))
      throw new InputError('non-finite y value', { row: i + 1, field: 'y', value: y[i] });
    if (i > 0 && !(x[i]! > x[i - 1]!))
      throw new InputError('x must increase strictly', { row: i + 1, field: 'x', value: x[i] });
  }
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}

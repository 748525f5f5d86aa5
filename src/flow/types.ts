/**
 * Plain-data types of the flow-cytometry core: event columns, parameters, spillover matrices.
 *
 * Events are stored column-wise (one typed array per parameter, event order as in the file) so that
 * gates and transforms work on whole columns without copying.
 */

/** One parameter's event values (float64 by default; float32 when a reader is asked to save memory). */
export type Column = Float64Array | Float32Array;

/** A spillover matrix: row i = spill of fluorochrome i into every detector j (FCS 3.1 `$SPILLOVER`). */
export interface SpilloverMatrix {
  /** Detector ($PnN) names, in matrix order. */
  parameterNames: string[];
  /** Row-major n×n values (diagonal ≈ 1). */
  values: number[][];
}

/** Events of one sample, column-wise. */
export interface FlowEvents {
  /** Parameter short names ($PnN), in column order. */
  parameterNames: string[];
  /** One column per parameter, all of length `eventCount`. */
  columns: Column[];
  /** Number of events. */
  eventCount: number;
}

/** Index of a parameter by $PnN name (exact match first, then case-insensitive); −1 when absent. */
export function parameterIndex(events: { parameterNames: string[] }, name: string): number {
  const exact = events.parameterNames.indexOf(name);
  if (exact >= 0) return exact;
  const lower = name.toLowerCase();
  return events.parameterNames.findIndex((n) => n.toLowerCase() === lower);
}

/**
 * FlowJo's "biex" display transform, exactly as FlowJo 10 builds it: a lookup table of data values at the
 * channels 0 … R (R = 4096) and linear interpolation between them. The table is a biexponential
 * B(c) = m·(e^{c·p/n} − s·e^{−c·q/n} − k) on the channels above the zero channel z, mirrored below it
 * (B(z − j) = −B(z + j)), where n = R + 1 is the number of table points, p = ln 10 · (decades), q the
 * negative range solving 2 ln q + w·q = 2 ln p − w·p, and k makes B(z) = 0.
 *
 * Sources: FlowJo's TreeStar biex code as ported to cytolib (RGLab, `biexpTrans`, C++) and to FlowKit
 * (`generate_biex_lut`, Python); the reference table `shared/data/flow/fcs-misc/flowjo_biex_lut_l256_w-7.943282_
 * n1_m4.418540_r262144.csv` (FlowJo parameters width −7.943282, negative 1, positive 4.418540, max 262144),
 * which `test/flow/flowjo-biex.test.ts` reproduces to every printed digit. FlowJo's own quirks are kept on purpose:
 * the channel fraction is c/n with n = R + 1 (not c/R), and the zero channel is an integer (⌊·⌋).
 */
import { InputError } from '../errors.js';

/** FlowJo biex parameters, named as in a FlowJo 10 workspace (`<transforms:biex …>`). */
export interface FlowJoBiexParams {
  /** Positive decades (FlowJo "pos", e.g. 4.41854). */
  pos: number;
  /** Extra negative decades (FlowJo "neg", ≥ 0; negative values count as 0 as in FlowJo). */
  neg: number;
  /** Width basis (FlowJo "width", ≤ −1, e.g. −10 or −100): more negative compresses more data near zero. */
  widthBasis: number;
  /** Top of the linear data scale (FlowJo "maxRange", e.g. 262144). */
  maxValue: number;
  /** Number of channels R of the table (FlowJo: 4096). */
  channelRange?: number;
}

/** A FlowJo biex lookup table: `dataValues[c]` is the data value shown at channel c (c = 0 … R). */
export interface FlowJoBiexTable {
  /** Data values (same units as the events), increasing, length R + 1. */
  dataValues: Float64Array;
  /** R: channels run from 0 to R. */
  channelRange: number;
  /** Channel where the data value is 0. */
  zeroChannel: number;
}

/**
 * Root q ∈ (0, p] of 2·ln q + w·q = 2·ln p − w·p (the "negative range" of the biex), by safeguarded Newton on an
 * increasing function (w ≥ 0). For w = 0 the root is p.
 */
function negativeRange(p: number, w: number): number {
  if (w === 0) return p;
  const g = (q: number): number => 2 * Math.log(q) + w * q - 2 * Math.log(p) + w * p;
  let lo = 0;
  let hi = p;
  let q = p / 2;
  for (let it = 0; it < 200; it++) {
    const r = g(q);
    if (r < 0) lo = q;
    else hi = q;
    let next = q - r / (2 / q + w);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - q) <= 1e-15 * q) return next;
    q = next;
  }
  return q;
}

/**
 * Builds FlowJo's biex lookup table.
 * @returns data values at channels 0 … R (R = `channelRange`, default 4096)
 * @throws InputError for pos ≤ 0, widthBasis > −1, maxValue ≤ 0 or a channel range < 2
 */
export function flowJoBiexTable(params: FlowJoBiexParams): FlowJoBiexTable {
  const R = params.channelRange ?? 4096;
  const bad = (field: string, value: number, msg: string): never => {
    throw new InputError(`FlowJo biex: ${msg}`, { field, value });
  };
  if (!(params.pos > 0)) bad('pos', params.pos, 'positive decades must be > 0');
  if (!(params.widthBasis <= -1)) bad('width', params.widthBasis, 'width basis must be ≤ −1');
  if (!(params.maxValue > 0)) bad('maxRange', params.maxValue, 'maximum value must be > 0');
  if (!(Number.isInteger(R) && R >= 2)) bad('channelRange', R, 'channel range must be an integer ≥ 2');

  const widthDecades = Math.log10(-params.widthBasis);
  let decades = params.pos - widthDecades / 2;
  const extra = Math.max(params.neg, 0) + widthDecades / 2;
  const zeroChannel = Math.min(Math.floor((extra * R) / (extra + decades)), Math.floor(R / 2));
  if (zeroChannel > 0) decades = (extra * R) / zeroChannel;
  const w = widthDecades / (2 * decades);
  const positiveRange = Math.LN10 * decades;
  const minimum = params.maxValue / Math.exp(positiveRange);
  const q = negativeRange(positiveRange, w);
  const n = R + 1;
  const scale = Math.exp((positiveRange + q) * (w + extra / decades));
  const raw = (c: number): number => Math.exp((c / n) * positiveRange) - scale * Math.exp((-c / n) * q);
  const offset = raw(zeroChannel);
  const dataValues = new Float64Array(n);
  for (let c = zeroChannel; c < n; c++) dataValues[c] = minimum * (raw(c) - offset);
  for (let c = 0; c < zeroChannel; c++) dataValues[c] = -dataValues[2 * zeroChannel - c]!;
  return { dataValues, channelRange: R, zeroChannel };
}

/**
 * The biex as a display transform on [0, 1]: forward(x) = channel(x) / R, the channel found by linear
 * interpolation in the lookup table and clamped to [0, R] outside it (FlowJo and FlowKit clamp the same way);
 * inverse(y) interpolates the table at channel y·R.
 */
export function compileFlowJoBiex(params: FlowJoBiexParams): {
  forward(x: number): number;
  inverse(y: number): number;
} {
  const { dataValues: v, channelRange: R } = flowJoBiexTable(params);
  const top = v.length - 1;
  return {
    forward(x: number): number {
      if (Number.isNaN(x)) return NaN;
      if (x <= v[0]!) return 0;
      if (x >= v[top]!) return 1;
      let a = 0;
      let b = top;
      while (b - a > 1) {
        const m = (a + b) >> 1;
        if (v[m]! <= x) a = m;
        else b = m;
      }
      return (a + (x - v[a]!) / (v[b]! - v[a]!)) / R;
    },
    inverse(y: number): number {
      const c = Math.min(Math.max(y * R, 0), top);
      const a = Math.min(Math.floor(c), top - 1);
      return v[a]! + (c - a) * (v[a + 1]! - v[a]!);
    },
  };
}

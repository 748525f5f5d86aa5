/**
 * Minimal NumPy `.npy` (format v1.0) reader for test fixtures: little-endian float64 ('<f8'), C order.
 */
import { readFileSync } from 'node:fs';

/** Array read from a .npy file: shape and row-major float64 data. */
export interface NpyArray {
  shape: number[];
  data: Float64Array;
}

/** Reads a v1.0 .npy file of dtype '<f8' (throws on anything else). */
export function readNpy(file: string): NpyArray {
  const buf = readFileSync(file);
  if (buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY')
    throw new Error(`${file}: not .npy`);
  const major = buf.readUInt8(6);
  if (major !== 1) throw new Error(`${file}: .npy version ${major} not supported`);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeS = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== '<f8' || fortran !== 'False' || shapeS === undefined)
    throw new Error(`${file}: unsupported header ${header}`);
  const shape = shapeS
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const start = 10 + headerLen;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readDoubleLE(start + 8 * i);
  return { shape, data };
}

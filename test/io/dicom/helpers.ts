/**
 * Test helpers for the DICOM reader tests: a minimal NIfTI reader (nifti-reader-js + fflate) for
 * the reference masks, order statistics, and a DICOM rewriter (dcmjs) that makes broken copies of
 * reference files in a temporary folder (never in ../shared).
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { gunzipSync } from 'fflate';
import * as nifti from 'nifti-reader-js';
import { withMetaGroupLength } from '../../../src/io/dicom/parse.js';

/** NIfTI image as plain data: dims, affine (RAS), data as float64. */
export interface NiftiImage {
  dims: [number, number, number];
  affine: number[][];
  pixDims: [number, number, number];
  data: Float64Array;
}

/** Reads a .nii or .nii.gz file (scl_slope/inter applied when set). */
export function readNifti(file: string): NiftiImage {
  let bytes: Uint8Array = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const h = nifti.readHeader(buf);
  if (!h) throw new Error(`not a NIfTI file: ${file}`);
  const raw = nifti.readImage(h, buf);
  const n = h.dims[1]! * h.dims[2]! * h.dims[3]!;
  let arr: ArrayLike<number>;
  switch (h.datatypeCode) {
    case 2:
      arr = new Uint8Array(raw, 0, n);
      break;
    case 4:
      arr = new Int16Array(raw, 0, n);
      break;
    case 8:
      arr = new Int32Array(raw, 0, n);
      break;
    case 16:
      arr = new Float32Array(raw, 0, n);
      break;
    case 64:
      arr = new Float64Array(raw, 0, n);
      break;
    default:
      throw new Error(`unsupported NIfTI datatype ${h.datatypeCode}`);
  }
  const slope = h.scl_slope && h.scl_slope !== 0 ? h.scl_slope : 1;
  const inter = h.scl_slope && h.scl_slope !== 0 ? h.scl_inter : 0;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = arr[i]! * slope + inter;
  return {
    dims: [h.dims[1]!, h.dims[2]!, h.dims[3]!],
    affine: h.affine,
    pixDims: [h.pixDims[1]!, h.pixDims[2]!, h.pixDims[3]!],
    data,
  };
}

/** Min, median (mean of the two middle values for even n) and max of values. */
export function minMedianMax(values: number[]): [number, number, number] {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  const med = n % 2 === 1 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2;
  return [v[0]!, med, v[n - 1]!];
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'carto-dicom-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Copies every file of `src` folder into `dst` folder (except names rejected by `keep`). */
export function copySeries(src: string, dst: string, keep: (name: string) => boolean = () => true): string[] {
  const names = readdirSync(src).filter(keep).sort();
  for (const n of names) copyFileSync(join(src, n), join(dst, n));
  return names;
}

/**
 * Rewrites a DICOM file with dcmjs after `mutate` changed its naturalised dataset (used to make
 * headers with missing or wrong attributes).
 */
export function rewriteDicom(src: string, dst: string, mutate: (ds: Record<string, unknown>) => void): void {
  const bytes = withMetaGroupLength(readFileSync(src), src);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const dict = dcmjs.data.DicomMessage.readFile(ab);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  mutate(ds);
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  writeFileSync(dst, new Uint8Array(dict.write()));
}

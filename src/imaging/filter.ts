/**
 * Separable Gaussian smoothing with the width given as FWHM in mm (converted per axis with the voxel
 * spacing), e.g. the EARL2 → EARL1 harmonisation filter of 7 mm FWHM. No I/O.
 *
 * σ_mm = FWHM / (2·√(2·ln 2)) ≈ FWHM / 2.3548; σ_vox = σ_mm / spacing along that axis. The sampled
 * kernel exp(−x²/(2σ²)) is truncated at ±ceil(4σ) voxels and normalised to sum 1. At the volume border
 * the weights that fall outside are dropped and the rest renormalised (a flat image stays flat; no
 * mirrored or zero padding).
 * Source: Kaalep et al., EJNMMI Phys 2019 6:28 (EARL2 with 7 mm Gaussian ≈ EARL1); docs/references/imaging.md §8.
 */
import { InputError } from '../errors.js';
import type { Vec3, Volume } from './volume.js';

/** FWHM → σ factor: 2·√(2·ln 2). */
export const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

/** EARL2 → EARL1 post-filter FWHM (mm). */
export const EARL1_FROM_EARL2_FWHM_MM = 7;

/** Largest FWHM accepted (mm): harmonisation filters are 4–10 mm; 50 mm bounds the kernel size. */
export const MAX_FWHM_MM = 50;

/** Normalised 1D Gaussian kernel (length 2r+1) for σ in voxels. */
export function gaussianKernel(sigmaVox: number, truncate = 4): Float64Array {
  const r = Math.max(0, Math.ceil(truncate * sigmaVox));
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let x = -r; x <= r; x++) {
    const w = sigmaVox > 0 ? Math.exp(-(x * x) / (2 * sigmaVox * sigmaVox)) : x === 0 ? 1 : 0;
    k[x + r] = w;
    s += w;
  }
  for (let x = 0; x < k.length; x++) k[x] = k[x]! / s;
  return k;
}

/**
 * Gaussian filter of a volume.
 *
 * @param volume image (any unit; the result keeps it).
 * @param fwhmMm FWHM in mm, the same for all axes or one per grid axis (0 = no smoothing on that axis).
 * @param truncate kernel half-width in σ (default 4).
 * @returns a new Float32 volume on the same grid.
 * @param opts field: the name to give `fwhmMm` in errors (e.g. the CLI option '--filter-fwhm-mm').
 * @throws InputError naming the field for a FWHM that is not finite, negative or over `MAX_FWHM_MM`,
 *   or a truncation outside 0.5…10 σ.
 */
export function gaussianFilter(
  volume: Volume<Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Int32Array>,
  fwhmMm: number | Vec3,
  truncate = 4,
  opts: { field?: string } = {},
): Volume<Float32Array> {
  const field = opts.field ?? 'fwhmMm';
  const fwhm: Vec3 = typeof fwhmMm === 'number' ? [fwhmMm, fwhmMm, fwhmMm] : fwhmMm;
  for (const f of fwhm) {
    if (!Number.isFinite(f) || f < 0 || f > MAX_FWHM_MM)
      throw new InputError(`FWHM must be 0…${MAX_FWHM_MM} mm`, { field, value: f });
  }
  if (!(truncate >= 0.5 && truncate <= 10))
    throw new InputError('kernel truncation must be 0.5…10 σ', { field: 'truncate', value: truncate });
  const out = Float32Array.from(volume.data);
  const [nx, ny, nz] = volume.size;
  for (let ax = 0; ax < 3; ax++) {
    const sigmaVox = fwhm[ax]! / FWHM_PER_SIGMA / volume.spacingMm[ax]!;
    if (sigmaVox === 0) continue;
    const kern = gaussianKernel(sigmaVox, truncate);
    const r = (kern.length - 1) / 2;
    if (ax === 0) {
      // Along i: rows are contiguous.
      const line = new Float64Array(nx);
      for (let row = 0; row < ny * nz; row++) {
        const start = row * nx;
        for (let t = 0; t < nx; t++) line[t] = out[start + t]!;
        for (let t = 0; t < nx; t++) {
          let acc = 0;
          let w = 0;
          const lo = Math.max(0, t - r);
          const hi = Math.min(nx - 1, t + r);
          for (let u = lo; u <= hi; u++) {
            const kw = kern[u - t + r]!;
            acc += kw * line[u]!;
            w += kw;
          }
          out[start + t] = acc / w;
        }
      }
      continue;
    }
    // Along j (within a slice) or k (across slices): gather the lines of one plane as rows of nx
    // contiguous values, so the inner loop runs over i (cache-friendly).
    const len = ax === 1 ? ny : nz;
    const planes = ax === 1 ? nz : ny;
    const buf = new Float64Array(len * nx);
    const acc = new Float64Array(nx);
    const base = (plane: number, t: number) => (ax === 1 ? nx * (t + ny * plane) : nx * (plane + ny * t));
    for (let plane = 0; plane < planes; plane++) {
      for (let t = 0; t < len; t++) {
        const src = base(plane, t);
        for (let i = 0; i < nx; i++) buf[t * nx + i] = out[src + i]!;
      }
      for (let t = 0; t < len; t++) {
        acc.fill(0);
        let w = 0;
        const lo = Math.max(0, t - r);
        const hi = Math.min(len - 1, t + r);
        for (let u = lo; u <= hi; u++) {
          const kw = kern[u - t + r]!;
          w += kw;
          const o = u * nx;
          for (let i = 0; i < nx; i++) acc[i] = acc[i]! + kw * buf[o + i]!;
        }
        const dst = base(plane, t);
        for (let i = 0; i < nx; i++) out[dst + i] = acc[i]! / w;
      }
    }
  }
  return { ...volume, size: [...volume.size], data: out, unit: volume.unit };
}

/** EARL2 → EARL1 harmonisation: Gaussian post-filter of 7 mm FWHM (Kaalep et al. 2019). */
export function earl2ToEarl1(volume: Volume<Float32Array | Float64Array>): Volume<Float32Array> {
  return gaussianFilter(volume, EARL1_FROM_EARL2_FWHM_MM);
}

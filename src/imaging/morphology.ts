/**
 * Morphology on label maps: erosion of every label by a distance in mm (a voxel keeps its label only
 * when every voxel whose centre lies within `radiusMm` of it carries the same label), used to shrink
 * organ VOIs against spill-in from neighbouring hot structures. Voxels outside the image count as
 * another label (VOIs touching the image border are eroded there too). No I/O.
 * Source: binary erosion with a spherical structuring element (Serra, Image Analysis and Mathematical
 * Morphology, 1982); voxel-centre sphere as in src/imaging/sphere.ts.
 */
import { InputError } from '../errors.js';
import type { Vec3, Volume } from './volume.js';
import type { LabelData } from './voi-stats.js';

/** Largest erosion distance accepted (mm): spill-in corrections use a few mm; 50 mm is generous. */
export const MAX_ERODE_MM = 50;

/** Largest structuring element accepted (voxels): bounds memory and time of the erosion. */
export const MAX_ERODE_ELEMENT_VOXELS = 1_000_000;

/**
 * Erodes every nonzero label of `labels` by `radiusMm`.
 *
 * @param labels label map; @param radiusMm erosion distance in mm (0 = copy), 0…`MAX_ERODE_MM`.
 * @param opts field: the name to give `radiusMm` in errors (e.g. the CLI option '--erode-mm').
 * @returns a new label map of the same type on the same grid.
 * @throws InputError naming the field for a radius that is not finite, negative or over
 *   `MAX_ERODE_MM`, a sphere wider than the volume along an axis (every voxel would be eroded) or one
 *   of more than `MAX_ERODE_ELEMENT_VOXELS` voxels.
 */
export function erodeLabels<T extends LabelData>(
  labels: Volume<T>,
  radiusMm: number,
  opts: { field?: string } = {},
): Volume<T> {
  const field = opts.field ?? 'radiusMm';
  if (!Number.isFinite(radiusMm) || radiusMm < 0 || radiusMm > MAX_ERODE_MM) {
    throw new InputError(`erosion distance must be 0…${MAX_ERODE_MM} mm`, { field, value: radiusMm });
  }
  const [nx, ny, nz] = labels.size;
  const [sx, sy, sz] = labels.spacingMm;
  const ri = Math.floor(radiusMm / sx + 1e-9);
  const rj = Math.floor(radiusMm / sy + 1e-9);
  const rk = Math.floor(radiusMm / sz + 1e-9);
  const across = [2 * ri + 1, 2 * rj + 1, 2 * rk + 1];
  const size = [nx, ny, nz];
  for (let a = 0; a < 3; a++) {
    if (across[a]! > size[a]!) {
      throw new InputError(
        `an erosion sphere of ${radiusMm} mm is ${across[a]} voxels across axis ${a}, wider than the ` +
          `volume (${size[a]} voxels): every voxel would be eroded`,
        { field, value: radiusMm },
      );
    }
  }
  if (across[0]! * across[1]! * across[2]! > MAX_ERODE_ELEMENT_VOXELS) {
    throw new InputError(
      `an erosion sphere of ${radiusMm} mm spans ${across.join('×')} voxels, over the ` +
        `${MAX_ERODE_ELEMENT_VOXELS}-voxel limit`,
      { field, value: radiusMm },
    );
  }
  const src = labels.data;
  const Ctor = src.constructor as new (n: number) => T;
  const out = new Ctor(src.length);
  const offs: Vec3[] = [];
  const r2 = radiusMm * radiusMm * (1 + 1e-9);
  for (let c = -rk; c <= rk; c++)
    for (let b = -rj; b <= rj; b++)
      for (let a = -ri; a <= ri; a++) {
        if ((a === 0 && b === 0 && c === 0) || (a * sx) ** 2 + (b * sy) ** 2 + (c * sz) ** 2 > r2) continue;
        offs.push([a, b, c]);
      }
  // Check the farthest offsets first: they fail soonest near a boundary.
  offs.sort(
    (p, q) =>
      q[0] ** 2 * sx * sx +
      q[1] ** 2 * sy * sy +
      q[2] ** 2 * sz * sz -
      (p[0] ** 2 * sx * sx + p[1] ** 2 * sy * sy + p[2] ** 2 * sz * sz),
  );
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const q = i + nx * (j + ny * k);
        const l = src[q]!;
        if (l === 0) continue;
        let keep = true;
        for (const [a, b, c] of offs) {
          const x = i + a;
          const y = j + b;
          const z = k + c;
          if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz || src[x + nx * (y + ny * z)] !== l) {
            keep = false;
            break;
          }
        }
        if (keep) out[q] = l;
      }
  return { ...labels, size: [...labels.size], data: out };
}

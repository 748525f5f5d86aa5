/**
 * Morphology on label maps: erosion of every label by a distance in mm (a voxel keeps its label only
 * when every voxel whose centre lies within `radiusMm` of it carries the same label), used to shrink
 * organ VOIs against spill-in from neighbouring hot structures. Voxels outside the image count as
 * another label (VOIs touching the image border are eroded there too). No I/O.
 * Source: binary erosion with a spherical structuring element (Serra, Image Analysis and Mathematical
 * Morphology, 1982); voxel-centre sphere as in src/imaging/sphere.ts.
 */
import type { Vec3, Volume } from './volume.js';
import type { LabelData } from './voi-stats.js';

/**
 * Erodes every nonzero label of `labels` by `radiusMm`.
 *
 * @param labels label map; @param radiusMm erosion distance in mm (0 = copy).
 * @returns a new label map of the same type on the same grid.
 * @throws RangeError for a negative or non-finite radius.
 */
export function erodeLabels<T extends LabelData>(labels: Volume<T>, radiusMm: number): Volume<T> {
  if (!(radiusMm >= 0) || !Number.isFinite(radiusMm))
    throw new RangeError(`erosion radius must be ≥ 0 mm, got ${radiusMm}`);
  const [nx, ny, nz] = labels.size;
  const [sx, sy, sz] = labels.spacingMm;
  const src = labels.data;
  const Ctor = src.constructor as new (n: number) => T;
  const out = new Ctor(src.length);
  const offs: Vec3[] = [];
  const ri = Math.floor(radiusMm / sx + 1e-9);
  const rj = Math.floor(radiusMm / sy + 1e-9);
  const rk = Math.floor(radiusMm / sz + 1e-9);
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

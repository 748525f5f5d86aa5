/**
 * Voxel arithmetic on a loaded scan (native voxel order of the NIfTI file: i fastest, then j, then k),
 * independent of the viewer: a VOI's SUVmax voxel and centroid from the label map, and the coronal
 * maximum-intensity projection.
 */

/** A volume as typed array plus its size `[nx, ny, nz]` (values already in their units). */
export interface Grid {
  size: [number, number, number];
  value: (q: number) => number;
}

/**
 * The voxel `[i, j, k]` of the highest SUV among the voxels whose label is `labelValue` (the first such
 * voxel in file order on ties), or null when no voxel carries the label.
 */
export function suvMaxVoxel(suv: Grid, labels: Grid, labelValue: number): [number, number, number] | null {
  const [nx, ny] = suv.size;
  const n = suv.size[0] * suv.size[1] * suv.size[2];
  let best = -Infinity;
  let at = -1;
  for (let q = 0; q < n; q++)
    if (labels.value(q) === labelValue) {
      const v = suv.value(q);
      if (v > best) {
        best = v;
        at = q;
      }
    }
  if (at < 0) return null;
  return [at % nx, Math.floor(at / nx) % ny, Math.floor(at / (nx * ny))];
}

/**
 * The coronal maximum-intensity projection: for every (i, k) the maximum SUV over j (the file's second
 * axis, anterior–posterior for an axial PET acquisition). Row-major `nz` rows of `nx` values, row 0 = k 0.
 */
export function coronalMip(suv: Grid): Float32Array {
  const [nx, ny, nz] = suv.size;
  const out = new Float32Array(nx * nz).fill(-Infinity);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      const base = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++) {
        const v = suv.value(base + i);
        if (v > out[k * nx + i]!) out[k * nx + i] = v;
      }
    }
  return out;
}

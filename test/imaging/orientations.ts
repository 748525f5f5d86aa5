/**
 * Test helper: the 48 axis-aligned orientations and re-gridding a volume into one of them without
 * moving any voxel in patient space (same voxel centres, same values; only the storage order and the
 * grid's direction cosines change).
 */
import type { Direction3, Vec3, Volume } from '../../src/imaging/volume.js';
import { ijkToLps } from '../../src/imaging/volume.js';

/** All 48 axis-aligned direction matrices (6 axis permutations × 8 sign patterns). */
export function allOrientations(): Direction3[] {
  const perms = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  const out: Direction3[] = [];
  for (const p of perms)
    for (let s = 0; s < 8; s++) {
      const d = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Direction3;
      for (let ax = 0; ax < 3; ax++) d[3 * ax + p[ax]!] = s & (1 << ax) ? -1 : 1;
      out.push(d);
    }
  return out;
}

/**
 * The same physical volume stored on a grid with direction `dir` (axis-aligned). `vol` must have the
 * identity direction.
 */
export function reorient<T extends Volume<Float32Array> | Volume<Uint8Array>>(vol: T, dir: Direction3): T {
  const [nx, ny, nz] = vol.size;
  const size: Vec3 = [0, 0, 0];
  const spacing: Vec3 = [0, 0, 0];
  const axisOf: number[] = [];
  const signOf: number[] = [];
  for (let a = 0; a < 3; a++) {
    const p = [0, 1, 2].find((c) => dir[3 * a + c] !== 0)!;
    axisOf.push(p);
    signOf.push(dir[3 * a + p]!);
    size[a] = vol.size[p]!;
    spacing[a] = vol.spacingMm[p]!;
  }
  // Old index of the new voxel (0,0,0): per old axis p, 0 when its new axis runs +, else n−1.
  const old0: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) old0[axisOf[a]!] = signOf[a]! > 0 ? 0 : vol.size[axisOf[a]!]! - 1;
  const origin = ijkToLps(vol, old0);
  const Ctor = vol.data.constructor as new (n: number) => T['data'];
  const data = new Ctor(vol.data.length);
  const o: Vec3 = [0, 0, 0];
  for (let k = 0; k < size[2]; k++)
    for (let j = 0; j < size[1]; j++)
      for (let i = 0; i < size[0]; i++) {
        const idx = [i, j, k];
        for (let a = 0; a < 3; a++) o[axisOf[a]!] = old0[axisOf[a]!]! + signOf[a]! * idx[a]!;
        data[i + size[0] * (j + size[1] * k)] = vol.data[o[0] + nx * (o[1] + ny * o[2])]!;
      }
  void nz;
  return { ...vol, size, spacingMm: spacing, originLps: origin, direction: dir, data };
}

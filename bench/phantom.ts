/**
 * Deterministic synthetic whole-body PET phantom for the imaging benchmarks (bench/imaging.bench.ts) and
 * for writing the same volume to NIfTI files (bench/imaging.bench.ts spawns `carto suv` on them).
 */
import type { Vec3, Volume } from '../src/imaging/volume.js';

/** Deterministic uniform [0, 1) generator. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

export interface Phantom {
  suv: Volume<Float32Array>;
  labels: Volume<Uint8Array>;
  organLabels: number[];
  lesionLabels: number[];
}

/**
 * Whole-body phantom: elliptic-cylinder body (SUV ≈ 1 with noise), `organs` ellipsoids at uptakes
 * 0.3–6, `lesions` hot spheres (SUV peak 3–15, blurred edge) labelled after the organs.
 */
export function phantom(size: Vec3, spacingMm: Vec3, organs: number, lesions: number, seed: number): Phantom {
  const [nx, ny, nz] = size;
  const n = nx * ny * nz;
  const rnd = lcg(seed);
  const data = new Float32Array(n);
  const lab = new Uint8Array(n);
  const cx = nx / 2;
  const cy = ny / 2;
  const ax = nx * 0.41;
  const ay = ny * 0.26;
  const z0 = Math.floor(nz * 0.03);
  const z1 = Math.ceil(nz * 0.97);
  for (let k = z0; k < z1; k++)
    for (let j = 0; j < ny; j++) {
      const dy = (j - cy) / ay;
      if (Math.abs(dy) >= 1) continue;
      const half = ax * Math.sqrt(1 - dy * dy);
      const i0 = Math.max(0, Math.ceil(cx - half));
      const i1 = Math.min(nx - 1, Math.floor(cx + half));
      const off = nx * (j + ny * k);
      for (let i = i0; i <= i1; i++) data[off + i] = 1;
    }
  const inBody = (i: number, j: number, k: number) =>
    k >= z0 && k < z1 && ((i - cx) / ax) ** 2 + ((j - cy) / ay) ** 2 < 1;
  const sphereish = (
    label: number,
    ci: number,
    cj: number,
    ck: number,
    r: Vec3,
    value: (d: number) => number,
  ): void => {
    for (let k = Math.max(0, Math.floor(ck - r[2])); k <= Math.min(nz - 1, Math.ceil(ck + r[2])); k++)
      for (let j = Math.max(0, Math.floor(cj - r[1])); j <= Math.min(ny - 1, Math.ceil(cj + r[1])); j++)
        for (let i = Math.max(0, Math.floor(ci - r[0])); i <= Math.min(nx - 1, Math.ceil(ci + r[0])); i++) {
          const d = Math.sqrt(((i - ci) / r[0]) ** 2 + ((j - cj) / r[1]) ** 2 + ((k - ck) / r[2]) ** 2);
          if (d > 1 || !inBody(i, j, k)) continue;
          const q = i + nx * (j + ny * k);
          lab[q] = label;
          data[q] = value(d);
        }
  };
  const organLabels: number[] = [];
  for (let o = 1; o <= organs; o++) {
    const r: Vec3 = [(0.03 + 0.07 * rnd()) * nx, (0.03 + 0.05 * rnd()) * ny, (0.015 + 0.04 * rnd()) * nz];
    const ci = cx + (rnd() * 2 - 1) * (ax - r[0]) * 0.8;
    const cj = cy + (rnd() * 2 - 1) * (ay - r[1]) * 0.6;
    const ck = z0 + r[2] + rnd() * (z1 - z0 - 2 * r[2]);
    const uptake = 0.3 + 5.7 * rnd() ** 2;
    sphereish(o, ci, cj, ck, r, () => uptake);
    organLabels.push(o);
  }
  const lesionLabels: number[] = [];
  for (let l = 0; l < lesions; l++) {
    const label = organs + 1 + l;
    const rMm = 5 + 20 * rnd();
    const r: Vec3 = [rMm / spacingMm[0], rMm / spacingMm[1], rMm / spacingMm[2]];
    const ci = cx + (rnd() * 2 - 1) * ax * 0.6;
    const cj = cy + (rnd() * 2 - 1) * ay * 0.5;
    const ck = z0 + r[2] + rnd() * (z1 - z0 - 2 * r[2]);
    const peak = 3 + 12 * rnd();
    sphereish(label, ci, cj, ck, r, (d) => 1 + (peak - 1) * Math.exp(-2.5 * d * d));
    lesionLabels.push(label);
  }
  // Multiplicative noise (10 %) on the body; low background (SUV ≈ 0.02) outside it, as in real PET,
  // so that every page of the volume is resident (no untouched zero pages flattering the memory figure).
  for (let q = 0; q < n; q++) data[q] = data[q] !== 0 ? data[q]! * (0.9 + 0.2 * rnd()) : 0.02 * rnd();
  const grid = {
    size,
    spacingMm,
    originLps: [0, 0, 0] as Vec3,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'],
  };
  // Keep only labels that have voxels (an organ may be fully overwritten by others).
  const present = new Set<number>();
  for (let q = 0; q < n; q++) if (lab[q]) present.add(lab[q]!);
  return {
    suv: { ...grid, data, unit: 'SUVbw g/mL' },
    labels: { ...grid, data: lab, unit: 'label' },
    organLabels: organLabels.filter((l) => present.has(l)),
    lesionLabels: lesionLabels.filter((l) => present.has(l)),
  };
}

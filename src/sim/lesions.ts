/**
 * Lesion placement for the virtual trial: anatomical locations (nodal stations, extranodal organs,
 * spleen, brain) and non-overlapping spheres that lie inside the body. Pure computation.
 */
import type { Vec3 } from '../imaging/volume.js';
import { ANATOMY, tissueAt } from './phantom.js';
import type { Rng } from '../stats/prng.js';

/** Where a lesion sits: location name, the `site` class of vois.csv and a sampler of centres. */
export interface LesionLocation {
  name: string;
  site: 'nodal' | 'extranodal' | 'spleen' | 'brain';
  /** Relative frequency among a patient's lesions (brain lesions are added separately). */
  weight: number;
  /**
   * True for lesions inside an organ with its own uptake (lung, liver, spleen, brain); the others must
   * keep a 5 mm margin from every organ except lung, so that no organ spills into them.
   */
  embedded?: boolean;
  /** Largest diameter (cm) that fits comfortably at this location. */
  maxDiameterCm: number;
  /** Draws a centre (LPS mm) for a lesion of radius `rMm`. */
  sample(rng: Rng, rMm: number): Vec3;
}

const side = (rng: Rng): number => (rng.bernoulli(0.5) ? 1 : -1);
const box = (rng: Rng, x: [number, number], y: [number, number], z: [number, number]): Vec3 => [
  rng.between(...x),
  rng.between(...y),
  rng.between(...z),
];
/** Uniform point in an ellipsoid shrunk by `rMm` on each axis. */
function inEllipsoid(rng: Rng, e: { c: Vec3; r: Vec3 }, rMm: number): Vec3 {
  for (;;) {
    const u: Vec3 = [rng.between(-1, 1), rng.between(-1, 1), rng.between(-1, 1)];
    if (u[0] ** 2 + u[1] ** 2 + u[2] ** 2 > 1) continue;
    return [0, 1, 2].map((a) => e.c[a]! + u[a]! * Math.max(1, e.r[a]! - rMm)) as Vec3;
  }
}

/** The location catalogue (weights: nodal 0.68, extranodal 0.27, spleen 0.015; the trial had 148 / 62 / 4, docs/references/trial.md §7). */
export const LOCATIONS: LesionLocation[] = [
  {
    name: 'cervical',
    site: 'nodal',
    weight: 0.1,
    maxDiameterCm: 3,
    sample: (g) => [side(g) * g.between(25, 40), g.between(-15, 10), g.between(650, 690)],
  },
  {
    name: 'axillary',
    site: 'nodal',
    weight: 0.1,
    maxDiameterCm: 5,
    sample: (g) => [side(g) * g.between(105, 135), g.between(-10, 30), g.between(540, 590)],
  },
  {
    name: 'mediastinal',
    site: 'nodal',
    weight: 0.12,
    maxDiameterCm: 7,
    sample: (g) => box(g, [-15, 15], [-40, 5], [470, 585]),
  },
  {
    name: 'para-aortic',
    site: 'nodal',
    weight: 0.12,
    maxDiameterCm: 7,
    sample: (g) => box(g, [-35, 50], [5, 45], [280, 420]),
  },
  {
    name: 'mesenteric',
    site: 'nodal',
    weight: 0.08,
    maxDiameterCm: 7,
    sample: (g) => box(g, [-10, 70], [-75, -20], [340, 400]),
  },
  {
    name: 'iliac',
    site: 'nodal',
    weight: 0.1,
    maxDiameterCm: 6,
    sample: (g) => [side(g) * g.between(40, 85), g.between(0, 40), g.between(165, 230)],
  },
  {
    name: 'inguinal',
    site: 'nodal',
    weight: 0.06,
    maxDiameterCm: 4,
    sample: (g) => [side(g) * g.between(60, 105), g.between(-50, -15), g.between(120, 160)],
  },
  {
    name: 'lung',
    site: 'extranodal',
    embedded: true,
    weight: 0.07,
    maxDiameterCm: 5,
    sample: (g, r) => inEllipsoid(g, ANATOMY.lungs[g.int(0, 1)]!, r),
  },
  {
    name: 'liver',
    site: 'extranodal',
    embedded: true,
    weight: 0.04,
    maxDiameterCm: 7,
    sample: (g, r) => inEllipsoid(g, ANATOMY.liver, r),
  },
  {
    name: 'bone',
    site: 'extranodal',
    weight: 0.08,
    maxDiameterCm: 4,
    sample: (g) => [side(g) * g.between(60, 115), g.between(10, 70), g.between(140, 200)],
  },
  {
    name: 'soft tissue',
    site: 'extranodal',
    weight: 0.05,
    maxDiameterCm: 6,
    sample: (g) => [side(g) * g.between(60, 100), g.between(30, 75), g.between(340, 400)],
  },
  {
    name: 'stomach',
    site: 'extranodal',
    weight: 0.03,
    maxDiameterCm: 5,
    sample: (g) => box(g, [25, 70], [-60, -25], [420, 470]),
  },
  {
    name: 'spleen',
    site: 'spleen',
    embedded: true,
    weight: 0.015,
    maxDiameterCm: 3,
    sample: (g, r) => inEllipsoid(g, ANATOMY.spleen, r),
  },
];

/** Brain lesions are only drawn for patients with CNS involvement. */
export const BRAIN_LOCATION: LesionLocation = {
  name: 'brain',
  site: 'brain',
  embedded: true,
  weight: 0,
  maxDiameterCm: 4,
  sample: (g, r) => inEllipsoid(g, ANATOMY.brain, r),
};

/** A placed sphere. */
export interface PlacedSphere {
  centreLps: Vec3;
  radiusMm: number;
  location: LesionLocation;
}

/** True when the sphere's centre and 6 axis extremes are inside the body (not air). */
function insideBody(c: Vec3, r: number): boolean {
  const pts: Vec3[] = [
    c,
    [c[0] + r, c[1], c[2]],
    [c[0] - r, c[1], c[2]],
    [c[0], c[1] + r, c[2]],
    [c[0], c[1] - r, c[2]],
    [c[0], c[1], c[2] + r],
    [c[0], c[1], c[2] - r],
  ];
  return pts.every((p) => tissueAt(p) !== 'air');
}

const DIRECTIONS: Vec3[] = [];
for (const a of [-1, 0, 1])
  for (const b of [-1, 0, 1])
    for (const c of [-1, 0, 1]) {
      if (a === 0 && b === 0 && c === 0) continue;
      const n = Math.hypot(a, b, c);
      DIRECTIONS.push([a / n, b / n, c / n]);
    }

/** True when the sphere of radius `r` + 5 mm around `c` touches only soft tissue, lung or lymph node. */
function clearOfOrgans(c: Vec3, r: number): boolean {
  const rr = r + 5;
  for (const d of DIRECTIONS)
    for (const f of [0.5, 1]) {
      const t = tissueAt([c[0] + f * rr * d[0], c[1] + f * rr * d[1], c[2] + f * rr * d[2]]);
      if (t !== 'soft_tissue' && t !== 'lung' && t !== 'lymph_node') return false;
    }
  return tissueAt(c) === 'soft_tissue' || tissueAt(c) === 'lung';
}

/**
 * Places a sphere of radius `rMm` at `location`, away from `placed` (gap ≥ 4 mm), inside the body
 * and — unless the location is inside an organ — clear of organs by 5 mm (so that organ uptake does
 * not spill into it: the trial's partial-volume correction, docs/references/trial.md §4, assumes it does not). Tries 80
 * centres at the location, then at roomy fallback stations; then shrinks the radius by 15 % (≤ 6 ×).
 */
export function placeSphere(
  rng: Rng,
  location: LesionLocation,
  rMm: number,
  placed: readonly PlacedSphere[],
): PlacedSphere {
  const fallbacks = [
    location,
    ...LOCATIONS.filter((l) => ['mediastinal', 'axillary', 'soft tissue', 'inguinal'].includes(l.name)),
  ];
  // First the full radius at the location, then at roomy fallbacks; then shrink (≤ 6 × 15 %).
  for (let shrink = 0; shrink < 7; shrink++) {
    for (const loc of fallbacks) {
      const r = Math.min(rMm, loc.maxDiameterCm * 5) * Math.pow(0.85, shrink);
      for (let attempt = 0; attempt < 80; attempt++) {
        const c = loc.sample(rng, r);
        if (!insideBody(c, r)) continue;
        if (loc.site === 'brain' && tissueAt(c) !== 'brain') continue;
        if (!loc.embedded && !clearOfOrgans(c, r)) continue;
        const clash = placed.some(
          (p) =>
            Math.hypot(p.centreLps[0] - c[0], p.centreLps[1] - c[1], p.centreLps[2] - c[2]) <
            p.radiusMm + r + 4,
        );
        if (!clash) return { centreLps: c, radiusMm: r, location: loc };
      }
    }
  }
  throw new Error('virtual trial: could not place a lesion (too many lesions for the phantom)');
}

/**
 * Flow cytometry of the virtual trial: per infused patient one FCS file of the CAR T product (day −5)
 * and one of blood at day +7, a Gating-ML 2.0 gating (Lymphocytes → CD3 → CD4 / CD8) and the `study.json`
 * `flow` block (docs/study-bundle.md). Pure computation, deterministic for a seed (own random streams
 * `flow/design/…` and `flow/events/…`).
 *
 * Event model (per file, N ~ U{5000…10000} events), on compensated ("true") fluorescence scales:
 * - class: debris, myeloid cells or lymphocytes (probabilities per file); lymphocytes are T cells
 *   (CD3+) with probability pT, else B/NK cells (CD3−, CD45RA+, 30 % CD57+); T cells are CD4+ (p4),
 *   CD8+ (p8) or double negative (2 %).
 * - CD4+ and CD8+ T cells: one memory subset (naive RA+ CCR7+ RO−, stem-cell memory RA+ CCR7+ RO+,
 *   central memory RA− CCR7+ RO+, effector memory RA− CCR7− RO+, terminal effector RA+ CCR7− RO−,
 *   docs/references/assays.md §7) with per-file probabilities, and independently each senescence trait (CD28lo, CD27lo,
 *   CD57+, KLRG1+) with its own probability. Traits are independent of the subset (a simplification).
 * - intensities: negative N(150, 100²); positive log-normal (median per marker, sdLog 0.35), so the
 *   study thresholds (≥ 800) separate them (misclassification < 1e-6 per event). Scatter: debris
 *   FSC-A N(12 000, 4 000²) SSC-A N(6 000, 3 000²); lymphocytes N(60 000, 5 000²), N(15 000, 2 500²);
 *   myeloid N(110 000, 12 000²), N(70 000, 12 000²) (clamped at ≥ 1).
 * - detectors = compensated row vector × spillover matrix S (FCS 3.1 convention), so compensating with the
 *   file's `$SPILLOVER` gives back the true values (up to float32 rounding).
 */
import { Rng } from '../stats/prng.js';
import { normalQuantileStd } from '../stats/distributions.js';
import type { SpilloverMatrix } from '../flow/types.js';

/** Detector channels ($PnN) and the markers they carry ($PnS); FSC-A and SSC-A first. */
export const FLOW_CHANNELS: readonly { name: string; stain: string | null }[] = [
  { name: 'FSC-A', stain: null },
  { name: 'SSC-A', stain: null },
  { name: 'APC-H7-A', stain: 'CD3' },
  { name: 'BV510-A', stain: 'CD4' },
  { name: 'PerCP-Cy5.5-A', stain: 'CD8' },
  { name: 'BV605-A', stain: 'CD45RA' },
  { name: 'PE-Cy7-A', stain: 'CCR7' },
  { name: 'BV421-A', stain: 'CD45RO' },
  { name: 'PE-A', stain: 'CD28' },
  { name: 'APC-A', stain: 'CD27' },
  { name: 'FITC-A', stain: 'CD57' },
  { name: 'BV711-A', stain: 'KLRG1' },
];

const FLUOR = FLOW_CHANNELS.slice(2).map((c) => c.name);
const CHANNEL_OF_STAIN = new Map(FLOW_CHANNELS.map((c, i) => [c.stain, i]));
const ch = (stain: string): number => CHANNEL_OF_STAIN.get(stain) ?? -1;

/** Spill of fluorochrome (row) into detector (column), in `FLOW_CHANNELS` order without the scatter. */
function spilloverValues(): number[][] {
  const spill: [string, string, number][] = [
    ['FITC-A', 'PE-A', 0.15],
    ['PE-A', 'PerCP-Cy5.5-A', 0.05],
    ['PE-A', 'PE-Cy7-A', 0.02],
    ['PerCP-Cy5.5-A', 'PE-Cy7-A', 0.04],
    ['BV421-A', 'BV510-A', 0.1],
    ['BV510-A', 'BV605-A', 0.03],
    ['BV605-A', 'BV711-A', 0.08],
    ['APC-A', 'APC-H7-A', 0.06],
    ['PE-Cy7-A', 'APC-H7-A', 0.01],
  ];
  const S: number[][] = FLUOR.map((_, i) => FLUOR.map((__, j) => (i === j ? 1 : 0)));
  for (const [from, to, v] of spill) S[FLUOR.indexOf(from)]![FLUOR.indexOf(to)] = v;
  return S;
}

/** Memory subsets in docs/references/assays.md §7 order. */
export const MEMORY_SUBSETS = ['naive', 'scm', 'cm', 'em', 'te'] as const;
export type MemorySubset = (typeof MEMORY_SUBSETS)[number];
/** Senescence traits (a cell meets each independently). */
export const SENESCENCE_TRAITS = ['cd28lo', 'cd27lo', 'cd57pos', 'klrg1pos'] as const;
export type SenescenceTrait = (typeof SENESCENCE_TRAITS)[number];

type Kind = 'product' | 'blood';
type Pop = 'cd4' | 'cd8';

/** Fixed parameters of the flow model (truth.json `flow.model`). */
export const FLOW_MODEL = {
  productDay: -5,
  bloodDay: 7,
  events: { min: 5000, max: 10000 },
  spillover: { parameterNames: FLUOR, values: spilloverValues() } satisfies SpilloverMatrix,
  negative: { mean: 150, sd: 100 },
  positiveSdLog: 0.35,
  positiveMedian: {
    CD3: 8000,
    CD4: 6000,
    CD8: 7000,
    CD45RA: 5000,
    CCR7: 4000,
    CD45RO: 4500,
    CD28: 6000,
    CD27: 5000,
    CD57: 5500,
    KLRG1: 4500,
  } as Record<string, number>,
  scatter: {
    debris: { fsc: [12000, 4000], ssc: [6000, 3000] },
    lymphocyte: { fsc: [60000, 5000], ssc: [15000, 2500] },
    myeloid: { fsc: [110000, 12000], ssc: [70000, 12000] },
  },
  /** Per-file fractions: U(min, max) draws. */
  fractions: {
    product: {
      debris: [0.05, 0.12],
      myeloid: [0.005, 0.02],
      tOfLymphocytes: [0.93, 0.99],
      cd4OfT: [0.35, 0.7],
    },
    blood: { debris: [0.08, 0.2], myeloid: [0.1, 0.25], tOfLymphocytes: [0.55, 0.85], cd4OfT: [0.2, 0.55] },
  } satisfies Record<Kind, Record<string, [number, number]>>,
  doubleNegativeOfT: 0.02,
  /** Population memory-subset proportions; per file × exp(N(0, 0.3²)) and renormalised. */
  subsets: {
    product: {
      cd8: { naive: 0.15, scm: 0.12, cm: 0.33, em: 0.3, te: 0.1 },
      cd4: { naive: 0.2, scm: 0.1, cm: 0.45, em: 0.2, te: 0.05 },
    },
    blood: {
      cd8: { naive: 0.08, scm: 0.05, cm: 0.17, em: 0.4, te: 0.3 },
      cd4: { naive: 0.12, scm: 0.05, cm: 0.35, em: 0.38, te: 0.1 },
    },
  } satisfies Record<Kind, Record<Pop, Record<MemorySubset, number>>>,
  subsetSdLog: 0.3,
  /** Senescence trait probabilities; per file × exp(N(0, 0.25²)), at most 0.9. */
  senescence: {
    product: {
      cd8: { cd28lo: 0.15, cd27lo: 0.2, cd57pos: 0.1, klrg1pos: 0.15 },
      cd4: { cd28lo: 0.07, cd27lo: 0.1, cd57pos: 0.05, klrg1pos: 0.08 },
    },
    blood: {
      cd8: { cd28lo: 0.35, cd27lo: 0.35, cd57pos: 0.3, klrg1pos: 0.35 },
      cd4: { cd28lo: 0.15, cd27lo: 0.15, cd57pos: 0.12, klrg1pos: 0.15 },
    },
  } satisfies Record<Kind, Record<Pop, Record<SenescenceTrait, number>>>,
  senescenceSdLog: 0.25,
  /** Marker thresholds (compensated units) written to study.json `flow.markers`. */
  thresholds: {
    CD45RA: 1000,
    CCR7: 800,
    CD45RO: 900,
    CD28: 1000,
    CD27: 1000,
    CD57: 1000,
    KLRG1: 1000,
  } as Record<string, number>,
  gates: {
    lymphocytes: { fsc: [35000, 90000], ssc: [2000, 32000] },
    cd3Min: 1000,
    cd4Min: 1000,
    cd8Min: 1000,
  },
};

/** True probabilities of one population (CD4+ or CD8+ T cells) in one file. */
export interface FlowPopulationTruth {
  /** Memory-subset proportions (sum 1). */
  subsets: Record<MemorySubset, number>;
  /** Probability of each senescence trait. */
  senescence: Record<SenescenceTrait, number>;
  /** Probability of meeting ≥ 2 of the four traits (independent traits: Poisson-binomial). */
  senescent2plus: number;
}

/** Realised (drawn) counts of one population in one file. */
export interface FlowPopulationCounts {
  count: number;
  subsets: Record<MemorySubset, number>;
  senescence: Record<SenescenceTrait, number>;
  senescent2plus: number;
}

/** The true design of one FCS file. */
export interface FlowSampleTruth {
  /** Path relative to the bundle (`flow/<patient>_day<d>.fcs`). */
  file: string;
  patientId: string;
  day: number;
  kind: Kind;
  events: number;
  /** Event-class probabilities (debris + myeloid + lymphocytes = 1). */
  fractions: { debris: number; myeloid: number; lymphocytes: number };
  /** T cells among lymphocytes; CD4+ and CD8+ among T cells (the rest is double negative). */
  tOfLymphocytes: number;
  cd4OfT: number;
  cd8OfT: number;
  populations: Record<Pop, FlowPopulationTruth>;
}

/** Realised counts of a rendered file (what an exact gating and phenotyping must find). */
export interface FlowSampleCounts {
  lymphocytes: number;
  tCells: number;
  populations: Record<Pop, FlowPopulationCounts>;
}

const r6 = (v: number): number => Number(v.toPrecision(6));

/** Probability that at least 2 of independent events with probabilities `p` occur. */
export function probabilityAtLeastTwo(p: readonly number[]): number {
  let dist = [1];
  for (const q of p) {
    const next = new Array<number>(dist.length + 1).fill(0);
    dist.forEach((v, k) => {
      next[k]! += v * (1 - q);
      next[k + 1]! += v * q;
    });
    dist = next;
  }
  return 1 - dist[0]! - (dist[1] ?? 0);
}

/**
 * Draws the design of a patient's flow files: the product (day −5) and, when the patient is followed to
 * day +7, blood at day +7.
 * @param seed trial seed; @param patientId pseudonym; @param followedToDay last day alive and followed
 */
export function designFlowSamples(seed: number, patientId: string, followedToDay: number): FlowSampleTruth[] {
  const M = FLOW_MODEL;
  const out: FlowSampleTruth[] = [];
  const plan: [Kind, number][] = [['product', M.productDay]];
  if (followedToDay >= M.bloodDay) plan.push(['blood', M.bloodDay]);
  for (const [kind, day] of plan) {
    const rng = new Rng(seed, `flow/design/${patientId}/${day}`);
    const F = M.fractions[kind];
    const u = ([lo, hi]: [number, number]): number => r6(rng.between(lo, hi));
    const debris = u(F.debris);
    const myeloid = u(F.myeloid);
    const tOfLymphocytes = u(F.tOfLymphocytes);
    const cd4OfT = u(F.cd4OfT);
    const populations = {} as Record<Pop, FlowPopulationTruth>;
    for (const pop of ['cd8', 'cd4'] as const) {
      const base = M.subsets[kind][pop];
      const w = MEMORY_SUBSETS.map((s) => base[s] * Math.exp(rng.gauss(0, M.subsetSdLog)));
      const total = w.reduce((a, b) => a + b, 0);
      const subsets = Object.fromEntries(MEMORY_SUBSETS.map((s, i) => [s, r6(w[i]! / total)])) as Record<
        MemorySubset,
        number
      >;
      const sb = M.senescence[kind][pop];
      const senescence = Object.fromEntries(
        SENESCENCE_TRAITS.map((t) => [
          t,
          r6(Math.min(0.9, sb[t] * Math.exp(rng.gauss(0, M.senescenceSdLog)))),
        ]),
      ) as Record<SenescenceTrait, number>;
      populations[pop] = {
        subsets,
        senescence,
        senescent2plus: r6(probabilityAtLeastTwo(SENESCENCE_TRAITS.map((t) => senescence[t]))),
      };
    }
    out.push({
      file: `flow/${patientId}_day${day}.fcs`,
      patientId,
      day,
      kind,
      events: rng.int(M.events.min, M.events.max),
      fractions: { debris, myeloid, lymphocytes: r6(1 - debris - myeloid) },
      tOfLymphocytes,
      cd4OfT,
      cd8OfT: r6(1 - cd4OfT - M.doubleNegativeOfT),
      populations,
    });
  }
  return out;
}

/**
 * Draws the events of one flow file.
 * @param seed trial seed; @param s the file's design
 * @returns detector values (uncompensated, one Float64Array per `FLOW_CHANNELS` entry) and the realised counts
 */
export function renderFlowSample(
  seed: number,
  s: FlowSampleTruth,
): { columns: Float64Array[]; counts: FlowSampleCounts } {
  const M = FLOW_MODEL;
  const rng = new Rng(seed, `flow/events/${s.patientId}/${s.day}`);
  const n = s.events;
  const C = FLOW_CHANNELS.length;
  const columns = FLOW_CHANNELS.map(() => new Float64Array(n));
  const emptyPop = (): FlowPopulationCounts => ({
    count: 0,
    subsets: { naive: 0, scm: 0, cm: 0, em: 0, te: 0 },
    senescence: { cd28lo: 0, cd27lo: 0, cd57pos: 0, klrg1pos: 0 },
    senescent2plus: 0,
  });
  const counts: FlowSampleCounts = {
    lymphocytes: 0,
    tCells: 0,
    populations: { cd4: emptyPop(), cd8: emptyPop() },
  };
  const classW = [s.fractions.debris, s.fractions.myeloid, s.fractions.lymphocytes];
  const tW = [s.cd4OfT, s.cd8OfT, M.doubleNegativeOfT];
  const subsetW = { cd4: MEMORY_SUBSETS.map((k) => s.populations.cd4.subsets[k]), cd8: [] as number[] };
  subsetW.cd8 = MEMORY_SUBSETS.map((k) => s.populations.cd8.subsets[k]);
  const S = M.spillover.values;
  const F = FLUOR.length;
  const trueRow = new Float64Array(C);
  const neg = (): number => rng.gauss(M.negative.mean, M.negative.sd);
  const pos = (marker: string): number => rng.logNormal(M.positiveMedian[marker]!, M.positiveSdLog);
  const set = (marker: string, positive: boolean): void => {
    trueRow[ch(marker)] = positive ? pos(marker) : neg();
  };
  const scatter = (sc: { fsc: number[]; ssc: number[] }): void => {
    trueRow[0] = Math.max(1, rng.gauss(sc.fsc[0]!, sc.fsc[1]!));
    trueRow[1] = Math.max(1, rng.gauss(sc.ssc[0]!, sc.ssc[1]!));
  };
  for (let e = 0; e < n; e++) {
    for (let c = 2; c < C; c++) trueRow[c] = neg();
    const cls = rng.weighted(classW);
    if (cls === 0) scatter(M.scatter.debris);
    else if (cls === 1) scatter(M.scatter.myeloid);
    else {
      scatter(M.scatter.lymphocyte);
      counts.lymphocytes++;
      if (!rng.bernoulli(s.tOfLymphocytes)) {
        set('CD45RA', true);
        if (rng.bernoulli(0.3)) set('CD57', true);
      } else {
        counts.tCells++;
        set('CD3', true);
        const t = rng.weighted(tW);
        if (t < 2) {
          const pop: Pop = t === 0 ? 'cd4' : 'cd8';
          set(pop === 'cd4' ? 'CD4' : 'CD8', true);
          const pc = counts.populations[pop];
          pc.count++;
          const subset = MEMORY_SUBSETS[rng.weighted(subsetW[pop])]!;
          pc.subsets[subset]++;
          set('CD45RA', subset === 'naive' || subset === 'scm' || subset === 'te');
          set('CCR7', subset === 'naive' || subset === 'scm' || subset === 'cm');
          set('CD45RO', subset === 'scm' || subset === 'cm' || subset === 'em');
          let k = 0;
          for (const trait of SENESCENCE_TRAITS) {
            const has = rng.bernoulli(s.populations[pop].senescence[trait]);
            if (has) {
              pc.senescence[trait]++;
              k++;
            }
            if (trait === 'cd28lo') set('CD28', !has);
            else if (trait === 'cd27lo') set('CD27', !has);
            else if (trait === 'cd57pos') set('CD57', has);
            else set('KLRG1', has);
          }
          if (k >= 2) pc.senescent2plus++;
        }
      }
    }
    columns[0]![e] = trueRow[0]!;
    columns[1]![e] = trueRow[1]!;
    // Detectors: true fluorochrome row × S.
    for (let j = 0; j < F; j++) {
      let v = 0;
      for (let i = 0; i < F; i++) {
        const sij = S[i]![j]!;
        if (sij !== 0) v += trueRow[i + 2]! * sij;
      }
      columns[j + 2]![e] = v;
    }
  }
  return { columns, counts };
}

/** One dimension of a rectangle gate: FCS parameter, compensation reference, bounds (null: open). */
export interface RectangleDimension {
  name: string;
  compensation: string;
  min: number | null;
  max: number | null;
}

/**
 * A Gating-ML 2.0 document of rectangle gates (with parents), as the simulators write their gating.
 * @param gates - each gate's id, parent id (null at the top) and dimensions
 * @param customInfo - optional text of a `<data-type:custom_info>` element
 */
export function rectangleGatingMl(
  gates: readonly { id: string; parent: string | null; dims: readonly RectangleDimension[] }[],
  customInfo?: string,
): string {
  const dim = (d: RectangleDimension): string =>
    `    <gating:dimension gating:compensation-ref="${d.compensation}"` +
    (d.min !== null ? ` gating:min="${d.min}"` : '') +
    (d.max !== null ? ` gating:max="${d.max}"` : '') +
    `>\n      <data-type:fcs-dimension data-type:name="${d.name}" />\n    </gating:dimension>\n`;
  const rect = (g: (typeof gates)[number]): string =>
    `  <gating:RectangleGate gating:id="${g.id}"${g.parent ? ` gating:parent_id="${g.parent}"` : ''}>\n` +
    g.dims.map(dim).join('') +
    '  </gating:RectangleGate>\n';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<gating:Gating-ML\n' +
    '  xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"\n' +
    '  xmlns:transforms="http://www.isac-net.org/std/Gating-ML/v2.0/transformations"\n' +
    '  xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">\n' +
    (customInfo !== undefined ? `  <data-type:custom_info>${customInfo}</data-type:custom_info>\n` : '') +
    gates.map(rect).join('') +
    '</gating:Gating-ML>\n'
  );
}

/** The Gating-ML 2.0 gating of the simulated files (Lymphocytes → CD3 → CD4, CD8). */
export function flowGatingMl(): string {
  const G = FLOW_MODEL.gates;
  const d = (
    name: string,
    compensation: string,
    min: number | null,
    max: number | null,
  ): RectangleDimension => ({
    name,
    compensation,
    min,
    max,
  });
  return rectangleGatingMl(
    [
      {
        id: 'Lymphocytes',
        parent: null,
        dims: [
          d('FSC-A', 'uncompensated', G.lymphocytes.fsc[0]!, G.lymphocytes.fsc[1]!),
          d('SSC-A', 'uncompensated', G.lymphocytes.ssc[0]!, G.lymphocytes.ssc[1]!),
        ],
      },
      { id: 'CD3', parent: 'Lymphocytes', dims: [d('APC-H7-A', 'FCS', G.cd3Min, null)] },
      {
        id: 'CD4',
        parent: 'CD3',
        dims: [d('BV510-A', 'FCS', G.cd4Min, null), d('PerCP-Cy5.5-A', 'FCS', null, G.cd8Min)],
      },
      {
        id: 'CD8',
        parent: 'CD3',
        dims: [d('PerCP-Cy5.5-A', 'FCS', G.cd8Min, null), d('BV510-A', 'FCS', null, G.cd4Min)],
      },
    ],
    'Cartography virtual trial: lymphocytes on scatter, T cells on compensated CD3, ' +
      'then CD4+ CD8− and CD8+ CD4− T cells.',
  );
}

/** The `study.json` `flow` block of the simulated bundle (docs/study-bundle.md). */
export function flowStudyBlock(): Record<string, unknown> {
  const markers: Record<string, { channel: string; threshold: number }> = {};
  for (const [marker, threshold] of Object.entries(FLOW_MODEL.thresholds)) {
    markers[marker] = { channel: FLOW_CHANNELS[ch(marker)]!.name, threshold };
  }
  return {
    compensate: true,
    cd4Gate: 'CD4',
    cd8Gate: 'CD8',
    populations: [
      { label: 'cd8', gate: 'CD8' },
      { label: 'cd4', gate: 'CD4' },
    ],
    markers,
    mfi: ['CD45RA', 'CCR7'],
  };
}

/**
 * A dye-dilution sample (CFSE, CellTrace Violet) whose cells per generation are exactly known: generation g holds
 * `countsPerGeneration[g]` values, placed at the normal quantiles (k + ½)/N_g of log2 intensity
 * N(log2(undividedIntensity) − g, sdLog2²) — a noise-free ("closed-form") sample whose histogram is the model of
 * src/flow/proliferation.ts, so a fit must give the counts back and the indices their hand-computed values.
 * @returns linear intensities, generation by generation (undivided first)
 */
export function dyeDilutionValues(
  countsPerGeneration: readonly number[],
  options: { undividedIntensity: number; sdLog2: number },
): Float64Array {
  const total = countsPerGeneration.reduce((a, b) => a + b, 0);
  const out = new Float64Array(total);
  const mu0 = Math.log2(options.undividedIntensity);
  let i = 0;
  countsPerGeneration.forEach((n, g) => {
    for (let k = 0; k < n; k++) out[i++] = 2 ** (mu0 - g + options.sdLog2 * normalQuantileStd((k + 0.5) / n));
  });
  return out;
}

/** What to plant in a simulated plate well. */
export interface PlateWellPlan {
  /** Events in the file. */
  events: number;
  /** Events per second of the steady flow (default 2000). */
  rate?: number;
  /** A segment [start, end) (fractions of the acquisition's events) acquired at `rateFactor` × the rate (a clog). */
  unstable?: { startFraction: number; endFraction: number; rateFactor: number };
  /** Fraction of events whose FSC-A is set to the top of its range ($PnR − 1, saturated). */
  marginFraction?: number;
}

/** Range ($PnR) of every channel of the simulated plate files. */
export const PLATE_RANGE = 262144;

/**
 * One well of a simulated plate: the trial's flow model (`renderFlowSample`, same channels, spillover and gating
 * `flowGatingMl()`) with a Time channel (0.01 s ticks, `$TIMESTEP` 0.01), optionally a segment of unsteady flow and
 * saturated events.
 * @returns FCS parameters, columns (detector values), the spillover matrix and keywords, ready for `writeFcs`
 */
export function renderPlateWell(
  seed: number,
  well: string,
  plan: PlateWellPlan,
): {
  parameters: { name: string; stain: string | null; range: number }[];
  columns: Float64Array[];
  spillover: SpilloverMatrix;
  keywords: Record<string, string>;
} {
  const design = designFlowSamples(seed, `well-${well}`, FLOW_MODEL.bloodDay)[1]!;
  const { columns } = renderFlowSample(seed, { ...design, events: plan.events });
  const rng = new Rng(seed, `flow/plate/${well}`);
  const n = plan.events;
  const rate = plan.rate ?? 2000;
  const time = new Float64Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    const u = plan.unstable;
    const f = u && i >= u.startFraction * n && i < u.endFraction * n ? u.rateFactor : 1;
    t += rng.exponential(rate * f);
    time[i] = Math.round(t * 100);
  }
  const m = plan.marginFraction ?? 0;
  if (m > 0) for (let i = 0; i < n; i++) if (rng.bernoulli(m)) columns[0]![i] = PLATE_RANGE - 1;
  for (const c of columns) for (let i = 0; i < n; i++) c[i] = Math.min(PLATE_RANGE - 1, c[i]!);
  return {
    parameters: [
      ...FLOW_CHANNELS.map((c) => ({ name: c.name, stain: c.stain, range: PLATE_RANGE })),
      { name: 'Time', stain: null, range: PLATE_RANGE },
    ],
    columns: [...columns, time],
    spillover: FLOW_MODEL.spillover,
    keywords: { $TIMESTEP: '0.01', 'WELL ID': well },
  };
}

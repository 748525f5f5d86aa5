/**
 * A virtual lab experiment of the design of Towers et al. (Cancer Immunol Immunother 2024; MSCs and
 * switchable CAR T cells in Transwell co-culture): four conditions — CAR T + target module (control), with MSCs,
 * with MSCs and the IDO-1 inhibitor 1-MT, without target module — × three donors (a block) × technical
 * triplicates, cells counted on days 1, 2, 5 and 7 (CAR T cells and the surviving MOLM-13 targets of each well:
 * expansion folds against day 1 and killing kinetics), and on day 7 ⁵¹Cr release against MOLM-13, IFN-γ ELISA,
 * IDO1 qPCR against GAPDH, PD-1 on CD8⁺ CAR T cells and CD57⁺ within their memory subsets by flow (FCS files with
 * Gating-ML 2.0 gates).
 * Known effects are planted (Fig. 2a/c/f, 3a/c; the paper's findings: MSCs slow expansion from day 5 and lower
 * IFN-γ, 1-MT restores expansion, killing and PD-1 do not depend on MSCs; without TM nothing happens) and listed
 * in the truth with the null comparisons. Pure: src/lab/write-simulated.ts writes the files.
 */
import type { FcsWriteData } from '../io/fcs/writer.js';
import { trapezoidAuc } from '../stats/auc.js';
import { Rng } from '../stats/prng.js';
import { rectangleGatingMl, type RectangleDimension } from './flow.js';

/** The conditions, control first. */
export const LAB_CONDITIONS = ['CAR+TM', 'CAR+TM+MSC', 'CAR+TM+MSC+1MT', 'CAR-TM'] as const;
type Condition = (typeof LAB_CONDITIONS)[number];
export const LAB_DONORS = ['D1', 'D2', 'D3'];
export const LAB_DAYS = [1, 2, 5, 7];
const REPLICATES = 3;
/** The day of the endpoint assays. */
const ENDPOINT_DAY = 7;

/** Fixed parameters of the model (truth.json `model`). */
export const LAB_MODEL = {
  counts: {
    /** Control CAR T cells/mL by day, and each condition's multiplier by day. */
    controlPerMl: { 1: 1e5, 2: 2e5, 5: 8e5, 7: 1.6e6 } as Record<number, number>,
    multiplier: {
      'CAR+TM': { 1: 1, 2: 1, 5: 1, 7: 1 },
      'CAR+TM+MSC': { 1: 1, 2: 1, 5: 0.5, 7: 0.4 },
      'CAR+TM+MSC+1MT': { 1: 1, 2: 1, 5: 1, 7: 1 },
      'CAR-TM': { 1: 1, 2: 1, 5: 0.15, 7: 0.1 },
    } as Record<Condition, Record<number, number>>,
    donorSdLog: 0.05,
    replicateCv: 0.06,
  },
  ifng: {
    pgMl: { 'CAR+TM': 800, 'CAR+TM+MSC': 400, 'CAR+TM+MSC+1MT': 400, 'CAR-TM': 40 } as Record<
      Condition,
      number
    >,
    donorSdLog: 0.05,
    replicateCv: 0.06,
    standardsPgMl: [4000, 2000, 1000, 500, 250, 125, 62.5, 31.25, 15.625, 7.8125, 0],
    curve: { b: -1.1, c: 0.05, d: 3.2, e: 600 },
    odNoiseSdLog: 0.02,
  },
  lysis: {
    target: 'MOLM-13',
    effectorTargetRatio: 10,
    percent: { 'CAR+TM': 45, 'CAR+TM+MSC': 45, 'CAR+TM+MSC+1MT': 45, 'CAR-TM': 5 } as Record<
      Condition,
      number
    >,
    donorSd: 1.5,
    replicateSd: 2.5,
    maximumCpm: 4000,
    spontaneousCpm: 480,
    pipettingCv: 0.02,
  },
  qpcr: {
    reference: 'GAPDH',
    target: 'IDO1',
    /** ΔCt = Ct(IDO1) − Ct(GAPDH); 3 cycles less = 8-fold. */
    deltaCt: { 'CAR+TM': 10, 'CAR+TM+MSC': 7, 'CAR+TM+MSC+1MT': 7, 'CAR-TM': 10 } as Record<
      Condition,
      number
    >,
    gapdhCt: 18,
    inputSd: 0.4,
    donorSd: 0.15,
    biologicalSd: 0.25,
    technicalSd: 0.08,
  },
  flow: {
    events: 3000,
    /** PD-1⁺ % of CD8⁺ CAR T cells. */
    pd1Percent: { 'CAR+TM': 30, 'CAR+TM+MSC': 30, 'CAR+TM+MSC+1MT': 30, 'CAR-TM': 10 } as Record<
      Condition,
      number
    >,
    donorSd: 1.5,
    replicateSd: 2,
    lymphocyteFraction: 0.85,
    cd8Fraction: 0.7,
  },
  /** Surviving MOLM-13 targets counted in each co-culture well (counts.csv population `MOLM-13`). */
  targets: {
    population: 'MOLM-13',
    /** Targets/mL on the first day; each condition's surviving fraction of them by day. */
    initialPerMl: 2e5,
    survival: {
      'CAR+TM': { 1: 1, 2: 0.6, 5: 0.25, 7: 0.15 },
      'CAR+TM+MSC': { 1: 1, 2: 0.6, 5: 0.25, 7: 0.15 },
      'CAR+TM+MSC+1MT': { 1: 1, 2: 0.6, 5: 0.25, 7: 0.15 },
      'CAR-TM': { 1: 1, 2: 1.1, 5: 1.6, 7: 2 },
    } as Record<Condition, Record<number, number>>,
    donorSdLog: 0.05,
    replicateCv: 0.06,
  },
  /**
   * Memory subsets of the CD8⁺ cells (CD45RA / CCR7; no CD45RO, so naive = CD45RA⁺ CCR7⁺) and CD57⁺ % within
   * each subset: MSCs raise CD57 in effector memory (1-MT does not reverse it), without TM fewer TEMRA are CD57⁺.
   */
  senescence: {
    subsetFraction: { naive: 0.2, tcm: 0.3, tem: 0.3, temra: 0.2 },
    cd57Percent: {
      naive: { 'CAR+TM': 3, 'CAR+TM+MSC': 3, 'CAR+TM+MSC+1MT': 3, 'CAR-TM': 3 },
      tcm: { 'CAR+TM': 10, 'CAR+TM+MSC': 10, 'CAR+TM+MSC+1MT': 10, 'CAR-TM': 10 },
      tem: { 'CAR+TM': 30, 'CAR+TM+MSC': 45, 'CAR+TM+MSC+1MT': 45, 'CAR-TM': 30 },
      temra: { 'CAR+TM': 60, 'CAR+TM+MSC': 60, 'CAR+TM+MSC+1MT': 60, 'CAR-TM': 40 },
    } as Record<SenescenceSubset, Record<Condition, number>>,
    replicateSd: 1.5,
  },
};
type SenescenceSubset = 'naive' | 'tcm' | 'tem' | 'temra';
const SENESCENCE_SUBSETS: SenescenceSubset[] = ['naive', 'tcm', 'tem', 'temra'];

/** One comparison the analysis should make and its true difference (0 for a planted null). */
export interface LabTruthComparison {
  readout: string;
  /** "day=7" within the counts' day cells; null for the day-7 endpoints. */
  stratum: string | null;
  a: string;
  b: string;
  trueDiff: number;
  planted: boolean;
}

/** The files of a virtual experiment (CSV tables as rows of cells). */
export interface SimulatedLab {
  experimentJson: Record<string, unknown>;
  samples: Record<string, string | number>[];
  cytotoxicity: Record<string, string | number>[];
  cytokines: Record<string, string | number>[];
  qpcr: Record<string, string | number>[];
  counts: Record<string, string | number>[];
  flow: Record<string, string | number>[];
  /** FCS file name (relative to the bundle) → data. */
  fcs: Map<string, FcsWriteData>;
  gatingMl: string;
  truth: { seed: number; model: typeof LAB_MODEL; comparisons: LabTruthComparison[] };
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Simulates the experiment.
 * @param seed PRNG seed; the same seed gives the same files
 * @returns experiment.json, the tables, the FCS files, the Gating-ML and the truth
 */
export function simulateLab(seed: number): SimulatedLab {
  const M = LAB_MODEL;
  const samples: SimulatedLab['samples'] = [];
  const design: DesignedSample[] = [];
  for (const day of LAB_DAYS)
    for (const condition of LAB_CONDITIONS)
      for (const donor of LAB_DONORS)
        for (let replicate = 1; replicate <= REPLICATES; replicate++) {
          const k = LAB_CONDITIONS.indexOf(condition) + 1;
          const id = `S-d${day}-c${k}-${donor}-r${replicate}`;
          design.push({ id, condition, donor, replicate, day });
          samples.push({ sample: id, condition, donor, replicate, day });
        }
  const endpoint = design.filter((s) => s.day === ENDPOINT_DAY);
  const donorDraw = (stream: string, sd: number): Map<string, number> => donorEffects(seed, stream, sd);

  // counts
  const rc = new Rng(seed, 'lab/counts');
  const dc = donorDraw('counts', M.counts.donorSdLog);
  const counts: SimulatedLab['counts'] = design.map((s) => {
    const mean = M.counts.controlPerMl[s.day]! * M.counts.multiplier[s.condition][s.day]!;
    const v = mean * Math.exp(dc.get(s.donor)!) * (1 + rc.gauss(0, M.counts.replicateCv));
    return { sample: s.id, population: '', cells_per_ml: Math.round(Math.max(0, v)) };
  });
  counts.push(...targetCounts(seed, design));

  // IFN-γ ELISA: standards in duplicate, samples in duplicate wells on one plate
  const re = new Rng(seed, 'lab/ifng');
  const de = donorDraw('ifng', M.ifng.donorSdLog);
  const p = M.ifng.curve;
  const od = (x: number): number =>
    round(
      (x === 0 ? p.c : p.c + (p.d - p.c) / (1 + (x / p.e) ** p.b)) *
        Math.exp(re.gauss(0, M.ifng.odNoiseSdLog)),
      4,
    );
  const cytokines: SimulatedLab['cytokines'] = [];
  for (const c of M.ifng.standardsPgMl)
    for (let w = 0; w < 2; w++)
      cytokines.push({
        plate: 'ELISA-1',
        role: 'standard',
        analyte: 'IFNg',
        concentration: c,
        sample: '',
        signal: od(c),
      });
  for (const s of endpoint) {
    const conc =
      M.ifng.pgMl[s.condition] * Math.exp(de.get(s.donor)!) * (1 + re.gauss(0, M.ifng.replicateCv));
    for (let w = 0; w < 2; w++)
      cytokines.push({
        plate: 'ELISA-1',
        role: 'sample',
        analyte: 'IFNg',
        concentration: '',
        sample: s.id,
        signal: od(conc),
      });
  }

  // ⁵¹Cr release: spontaneous and maximum triplicates, one well per culture replicate
  const rl = new Rng(seed, 'lab/lysis');
  const dl = donorDraw('lysis', M.lysis.donorSd);
  const L = M.lysis;
  const cpm = (mean: number): number =>
    Math.max(0, Math.round(rl.gauss(mean, Math.sqrt(mean + (L.pipettingCv * mean) ** 2))));
  const cytotoxicity: SimulatedLab['cytotoxicity'] = [];
  for (const [role, mean] of [
    ['spontaneous', L.spontaneousCpm],
    ['maximum', L.maximumCpm],
  ] as const)
    for (let w = 0; w < 3; w++)
      cytotoxicity.push({
        plate: 'CR51-1',
        target: L.target,
        role,
        sample: '',
        effector_target_ratio: '',
        cpm: cpm(mean),
      });
  for (const s of endpoint) {
    const lysis = L.percent[s.condition] + dl.get(s.donor)! + rl.gauss(0, L.replicateSd);
    cytotoxicity.push({
      plate: 'CR51-1',
      target: L.target,
      role: 'experimental',
      sample: s.id,
      effector_target_ratio: L.effectorTargetRatio,
      cpm: cpm(L.spontaneousCpm + (lysis / 100) * (L.maximumCpm - L.spontaneousCpm)),
    });
  }

  // qPCR: IDO1 and GAPDH in triplicate per sample
  const rq = new Rng(seed, 'lab/qpcr');
  const dq = donorDraw('qpcr', M.qpcr.donorSd);
  const Q = M.qpcr;
  const qpcr: SimulatedLab['qpcr'] = [];
  for (const s of endpoint) {
    const gapdh = Q.gapdhCt + rq.gauss(0, Q.inputSd);
    const ido1 = gapdh + Q.deltaCt[s.condition] + dq.get(s.donor)! + rq.gauss(0, Q.biologicalSd);
    for (const [target, ct] of [
      [Q.reference, gapdh],
      [Q.target, ido1],
    ] as const)
      for (let w = 0; w < 3; w++)
        qpcr.push({ plate: 'QPCR-1', sample: s.id, target, ct: round(ct + rq.gauss(0, Q.technicalSd), 3) });
  }

  const { flow, fcs } = flowFiles(seed, endpoint);

  return {
    experimentJson: experimentJson(),
    samples,
    cytotoxicity,
    cytokines,
    qpcr,
    counts,
    flow,
    fcs,
    gatingMl: labGatingMl(),
    truth: { seed, model: M, comparisons: truthComparisons() },
  };
}

/** One sample of the simulated design. */
interface DesignedSample {
  id: string;
  condition: Condition;
  donor: string;
  replicate: number;
  day: number;
}

/** counts.csv rows of the surviving targets (population MOLM-13) in every well, their own PRNG streams. */
function targetCounts(seed: number, design: DesignedSample[]): SimulatedLab['counts'] {
  const T = LAB_MODEL.targets;
  const r = new Rng(seed, 'lab/targets');
  const dt = donorEffects(seed, 'targets', T.donorSdLog);
  return design.map((s) => {
    const mean = T.initialPerMl * T.survival[s.condition][s.day]!;
    const v = mean * Math.exp(dt.get(s.donor)!) * (1 + r.gauss(0, T.replicateCv));
    return { sample: s.id, population: T.population, cells_per_ml: Math.round(Math.max(0, v)) };
  });
}

/** Each donor's effect on one readout: N(0, sd²), its own PRNG stream. */
function donorEffects(seed: number, stream: string, sd: number): Map<string, number> {
  const r = new Rng(seed, `lab/donor/${stream}`);
  return new Map(LAB_DONORS.map((d) => [d, r.gauss(0, sd)]));
}

/** flow.csv rows and one FCS file per day-7 sample (PD-1⁺ % of CD8⁺ by condition, donor and replicate). */
function flowFiles(seed: number, endpoint: DesignedSample[]): Pick<SimulatedLab, 'flow' | 'fcs'> {
  const M = LAB_MODEL;
  const rf = new Rng(seed, 'lab/flow');
  const df = donorEffects(seed, 'flow', M.flow.donorSd);
  const fcs = new Map<string, FcsWriteData>();
  const flow = endpoint.map((s) => {
    const pct = Math.min(
      95,
      Math.max(1, M.flow.pd1Percent[s.condition] + df.get(s.donor)! + rf.gauss(0, M.flow.replicateSd)),
    );
    const name = `fcs/${s.id}.fcs`;
    const rm = new Rng(seed, `lab/memory/${s.id}`);
    const cd57 = {} as Record<SenescenceSubset, number>;
    for (const sub of SENESCENCE_SUBSETS) {
      const p = M.senescence.cd57Percent[sub][s.condition] + rm.gauss(0, M.senescence.replicateSd);
      cd57[sub] = Math.min(0.99, Math.max(0.001, p / 100));
    }
    fcs.set(name, flowEvents(rf, rm, pct / 100, cd57, s.id));
    return { sample: s.id, file: name, gating: 'gating.xml' };
  });

  return { flow, fcs };
}

/** Every comparison against the control the analysis makes, with its true difference (0: a planted null). */
function truthComparisons(): LabTruthComparison[] {
  const M = LAB_MODEL;
  const L = M.lysis;
  const Q = M.qpcr;
  const truth: LabTruthComparison[] = [];
  const vsControl = (readout: string, stratum: string | null, value: (c: Condition) => number): void => {
    for (const c of LAB_CONDITIONS.slice(1)) {
      const diff = value(c) - value('CAR+TM');
      truth.push({ readout, stratum, a: c, b: 'CAR+TM', trueDiff: diff, planted: Math.abs(diff) > 1e-9 });
    }
  };
  for (const day of LAB_DAYS)
    vsControl(
      'cells_per_ml',
      `day=${day}`,
      (c) => M.counts.controlPerMl[day]! * M.counts.multiplier[c][day]!,
    );
  vsControl('ifng_pg_ml', null, (c) => M.ifng.pgMl[c]);
  vsControl('lysis_molm_13_et10_pct', null, (c) => L.percent[c]);
  vsControl('ido1_rel_gapdh', null, (c) => 2 ** -Q.deltaCt[c]);
  vsControl('pd1_pct_of_cd8', null, (c) => M.flow.pd1Percent[c]);
  const T = M.targets;
  for (const day of LAB_DAYS.slice(1)) {
    vsControl('expansion_fold', `day=${day}`, (c) => {
      const count = (d: number): number => M.counts.controlPerMl[d]! * M.counts.multiplier[c][d]!;
      return count(day) / count(LAB_DAYS[0]!);
    });
    vsControl('molm_13_killed_pct', `day=${day}`, (c) => 100 * (1 - T.survival[c][day]!));
  }
  vsControl('molm_13_killed_auc', null, (c) =>
    trapezoidAuc(
      LAB_DAYS,
      LAB_DAYS.map((d) => 100 * (1 - T.survival[c][d]!)),
    ),
  );
  for (const sub of SENESCENCE_SUBSETS)
    vsControl(`cd57_${sub}`, null, (c) => M.senescence.cd57Percent[sub][c]);

  return truth;
}

function experimentJson(): Record<string, unknown> {
  return {
    name: 'Virtual MSC × switchable CAR T co-culture (design of Towers et al. 2024)',
    description:
      'CAR T cells redirected by a target module (TM) against MOLM-13 in Transwell co-culture with or without ' +
      'MSCs, with the IDO-1 inhibitor 1-MT, or without TM; three donors, technical triplicates.',
    factors: [{ name: 'condition', levels: [...LAB_CONDITIONS], control: 'CAR+TM' }],
    donors: { name: 'donor', levels: LAB_DONORS, model: 'block' },
    replicates: REPLICATES,
    time: { name: 'day', unit: 'day', levels: LAB_DAYS },
    statistics: { posthoc: 'dunnett', compare: 'control', errorBars: 'sd', level: 0.95 },
    assays: {
      cytotoxicity: { file: 'cytotoxicity.csv' },
      cytokines: { file: 'cytokines.csv', curveModel: '4pl', belowLloq: 'half-lloq' },
      qpcr: { file: 'qpcr.csv', reference: 'GAPDH' },
      flow: {
        file: 'flow.csv',
        compensate: false,
        readouts: [
          {
            id: 'pd1_pct_of_cd8',
            title: 'PD-1⁺ of CD8⁺ CAR T cells',
            gate: 'PD1pos',
            statistic: 'percent-of-parent',
          },
          {
            id: 'cd57',
            kind: 'senescence',
            gate: 'CD8',
            memory: {
              CD45RA: { channel: 'BV421-A', threshold: 1000 },
              CCR7: { channel: 'BV605-A', threshold: 1000 },
            },
            marker: 'CD57',
            channel: 'FITC-A',
            threshold: 1000,
            subsets: SENESCENCE_SUBSETS,
          },
        ],
      },
      counts: { file: 'counts.csv' },
    },
    derived: [
      { id: 'expansion_fold', kind: 'expansionFold', from: 'cells_per_ml', reference: { time: LAB_DAYS[0] } },
      { id: 'molm_13_killed_pct', kind: 'killingKinetics', from: 'molm_13_per_ml', reference: 'initial' },
      {
        id: 'molm_13_killed_auc',
        kind: 'killingKinetics',
        from: 'molm_13_per_ml',
        reference: 'initial',
        value: 'auc',
      },
    ],
  };
}

/** Channels of the simulated cytometer. */
const CHANNELS = [
  { name: 'FSC-A', stain: null },
  { name: 'SSC-A', stain: null },
  { name: 'PerCP-Cy5.5-A', stain: 'CD8' },
  { name: 'PE-A', stain: 'PD-1' },
  { name: 'BV421-A', stain: 'CD45RA' },
  { name: 'BV605-A', stain: 'CCR7' },
  { name: 'FITC-A', stain: 'CD57' },
];
/** CD45RA⁺ and CCR7⁺ of each memory subset. */
const SUBSET_MARKERS: Record<SenescenceSubset, [boolean, boolean]> = {
  naive: [true, true],
  tcm: [false, true],
  tem: [false, false],
  temra: [true, false],
};

/**
 * Events of one sample: debris and lymphocytes on scatter; CD8⁺ cells, PD-1⁺ with probability `pd1`; CD8⁺ cells
 * in memory subsets (CD45RA, CCR7), CD57⁺ with the subset's probability `cd57` (drawn from `m`, a stream of
 * its own, so the scatter, CD8 and PD-1 values do not depend on it).
 */
function flowEvents(
  r: Rng,
  m: Rng,
  pd1: number,
  cd57: Record<SenescenceSubset, number>,
  sample: string,
): FcsWriteData {
  const F = LAB_MODEL.flow;
  const frac = LAB_MODEL.senescence.subsetFraction;
  const n = F.events;
  const cols = CHANNELS.map(() => new Float32Array(n));
  const level = (pos: boolean): number => (pos ? m.logNormal(5000, 0.3) : m.logNormal(150, 0.4));
  for (let i = 0; i < n; i++) {
    const lymph = r.uniform() < F.lymphocyteFraction;
    cols[0]![i] = lymph ? r.gauss(80000, 10000) : r.between(1000, 25000);
    cols[1]![i] = lymph ? r.gauss(25000, 5000) : r.between(0, 90000);
    const cd8 = lymph && r.uniform() < F.cd8Fraction;
    cols[2]![i] = cd8 ? r.logNormal(6000, 0.3) : r.logNormal(150, 0.4);
    cols[3]![i] = cd8 && r.uniform() < pd1 ? r.logNormal(5000, 0.3) : r.logNormal(120, 0.4);
    let sub: SenescenceSubset | null = null;
    if (cd8) {
      let u = m.uniform();
      sub = SENESCENCE_SUBSETS.find((k) => (u -= frac[k]) < 0) ?? 'temra';
    }
    const [ra, ccr7] = sub ? SUBSET_MARKERS[sub] : [m.uniform() < 0.5, m.uniform() < 0.5];
    cols[4]![i] = level(ra);
    cols[5]![i] = level(ccr7);
    cols[6]![i] = level(sub !== null && m.uniform() < cd57[sub]);
  }
  return {
    parameters: CHANNELS,
    columns: cols,
    fileName: `${sample}.fcs`,
    keywords: { $CYT: 'Cartography virtual cytometer' },
  };
}

/** Gating-ML 2.0: Lymphocytes (FSC/SSC) → CD8 (PerCP-Cy5.5 ≥ 1000) → PD1pos (PE ≥ 1000). */
export function labGatingMl(): string {
  const d = (name: string, min: number | null, max: number | null): RectangleDimension => ({
    name,
    compensation: 'uncompensated',
    min,
    max,
  });
  return rectangleGatingMl([
    { id: 'Lymphocytes', parent: null, dims: [d('FSC-A', 40000, 130000), d('SSC-A', 5000, 50000)] },
    { id: 'CD8', parent: 'Lymphocytes', dims: [d('PerCP-Cy5.5-A', 1000, null)] },
    { id: 'PD1pos', parent: 'CD8', dims: [d('PE-A', 1000, null)] },
  ]);
}

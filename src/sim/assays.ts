/**
 * Raw lab assays of the virtual trial (docs/study-bundle.md: qpcr.csv, cytokines.csv,
 * cytotoxicity.csv), drawn from true values that the trial keeps in `truth.json`. Pure computation,
 * deterministic for a seed; every assay draws from its own random streams (`assays/…`), so adding or
 * changing an assay does not shift the rest of the trial.
 *
 * Models:
 * - qPCR (docs/references/assays.md §1; MIQE): per plate and target a true standard curve Ct = a + s·log10(q) with
 *   a ~ N(38, 0.3²), s ~ N(−3.35, 0.05²); standards 10¹…10⁶ copies/µL in triplicate; each patient-day
 *   sample has reference-gene (GATA2, two copies per cell) copies/µL g ~ logN(median 2·10⁴, 0.4) and
 *   CD8 copies/µL = true CD8 copies per cell × g / 2, measured in triplicate; every Ct + N(0, 0.1²).
 * - Cytokines (ELISA OD): per plate and analyte a true 4PL OD = c + (d − c) / (1 + (x / e)^b),
 *   b ~ N(−1.2, 0.05²), c ~ N(0.05, 0.005²), d ~ N(3.0, 0.1²), e ~ logN(60, 0.1) pg/mL; standards
 *   500 pg/mL in 2-fold steps to 0.98 plus a 0 blank (a high-sensitivity IL-6 ELISA range), in
 *   duplicate; samples in duplicate, diluted
 *   10-fold when the true concentration exceeds the top standard; OD × exp(N(0, 0.03²)).
 * - ⁵¹Cr release: per plate and target (Raji) true maximum release M ~ N(4000, 200²) cpm and
 *   spontaneous S = M × U(0.10, 0.15); each product (day −5) lyses with the saturating curve
 *   lysis(E:T) = Lmax · E:T / (E:T + EC50), Lmax ~ U(50, 85) %, EC50 ~ logN(8, 0.5); well cpm =
 *   S + lysis/100 · (M − S) + N(0, mean + (0.03 · mean)²) (counting plus pipetting noise), triplicates.
 */
import type { QpcrWell } from '../assays/qpcr-study.js';
import { Rng } from '../stats/prng.js';

/** Fixed parameters of the assay models (written to truth.json under `assays.model`). */
export const ASSAY_MODEL = {
  qpcr: {
    referenceTarget: 'GATA2',
    target: 'CD8',
    standardsCopiesPerUl: [1e1, 1e2, 1e3, 1e4, 1e5, 1e6],
    replicates: 3,
    interceptCt: { mean: 38, sd: 0.3 },
    slope: { mean: -3.35, sd: 0.05 },
    ctNoiseSd: 0.1,
    referenceCopiesPerUl: { median: 2e4, sdLog: 0.4 },
    samplesPerPlate: 10,
  },
  cytokines: {
    analytes: ['IL6', 'IFNg'],
    standardsPgMl: [500, 250, 125, 62.5, 31.25, 15.625, 7.8125, 3.90625, 1.953125, 0.9765625, 0],
    standardReplicates: 2,
    sampleReplicates: 2,
    b: { mean: -1.2, sd: 0.05 },
    c: { mean: 0.05, sd: 0.005 },
    d: { mean: 3.0, sd: 0.1 },
    e: { median: 60, sdLog: 0.1 },
    signalNoiseSdLog: 0.03,
    highDilution: 10,
    samplesPerPlate: 15,
    /** IFN-γ (pg/mL) at day 7 with CRS ≥ 2, else: log-normal medians; sdLog. */
    ifngMedianPgMl: { crs2plus: 40, other: 6 },
    ifngSdLog: 0.8,
  },
  cytotoxicity: {
    target: 'Raji',
    day: -5,
    effectorTargetRatios: [40, 20, 10, 5],
    replicates: 3,
    maximumCpm: { mean: 4000, sd: 200 },
    spontaneousFractionOfMaximum: { min: 0.1, max: 0.15 },
    maxLysisPercent: { min: 50, max: 85 },
    ec50EffectorTarget: { median: 8, sdLog: 0.5 },
    pipettingCv: 0.03,
    patientsPerPlate: 7,
  },
};

/** One row of qpcr.csv: a well as the import reads it, without its row number. */
export type QpcrWellRow = Omit<QpcrWell, 'row'>;

/** One row of cytokines.csv. */
export interface CytokineWellRow {
  plate: string;
  role: 'standard' | 'sample';
  analyte: string;
  concentration: number | null;
  patientId: string | null;
  day: number | null;
  dilution: number | null;
  signal: number;
}

/** One row of cytotoxicity.csv. */
export interface CytotoxicityWellRow {
  plate: string;
  target: string;
  role: 'spontaneous' | 'maximum' | 'experimental';
  patientId: string | null;
  day: number | null;
  effectorTargetRatio: number | null;
  cpm: number;
}

/** What the assays need to know about one patient. */
export interface AssayPatientInput {
  patientId: string;
  crsGrade: number;
  /** True circulating CD8 copies per cell on the qPCR sample days. */
  cd8CopiesPerCell: { day: number; value: number }[];
  /** True IL-6 (pg/mL) on the cytokine sample days. */
  il6PgMl: { day: number; value: number }[];
}

/** True values of the lab assays (truth.json `assays`). */
export interface AssayTruth {
  model: typeof ASSAY_MODEL;
  qpcr: {
    /** True standard curve per plate and target: Ct = interceptCt + slope · log10(copies/µL). */
    curves: { plate: string; target: string; interceptCt: number; slope: number }[];
    /** Per patient-day: true CD8 copies per cell (= 2 × CD8 / GATA2 copies/µL) and both copies/µL. */
    samples: {
      plate: string;
      patientId: string;
      day: number;
      cd8CopiesPerCell: number;
      cd8CopiesPerUl: number;
      gata2CopiesPerUl: number;
    }[];
  };
  cytokines: {
    /** True 4PL per plate and analyte (drc LL.4 letters: OD = c + (d − c)/(1 + (x/e)^b)). */
    curves: { plate: string; analyte: string; b: number; c: number; d: number; e: number }[];
    /** True concentration in the undiluted sample (pg/mL) and the dilution written. */
    samples: {
      plate: string;
      analyte: string;
      patientId: string;
      day: number;
      concentrationPgMl: number;
      dilution: number;
    }[];
  };
  cytotoxicity: {
    /** True mean spontaneous and maximum release (cpm) per plate and target. */
    plates: { plate: string; target: string; spontaneousCpm: number; maximumCpm: number }[];
    /** True saturating lysis curve of each product and its value at each E:T (% specific lysis). */
    samples: {
      plate: string;
      target: string;
      patientId: string;
      day: number;
      maxLysisPercent: number;
      ec50EffectorTarget: number;
      lysisPercent: Record<string, number>;
    }[];
  };
}

/** The raw assay tables and their truth. */
export interface LabAssays {
  qpcr: QpcrWellRow[];
  cytokines: CytokineWellRow[];
  cytotoxicity: CytotoxicityWellRow[];
  truth: AssayTruth;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));
const sig = (v: number, digits: number): number => Number(v.toPrecision(digits));
const plateName = (prefix: string, k: number): string => `${prefix}-${String(k + 1).padStart(2, '0')}`;

/** Splits items into consecutive groups of at most `size`. */
function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Draws the raw qPCR, cytokine and ⁵¹Cr-release wells of a trial from its true values.
 *
 * @param seed the trial seed (integer)
 * @param patients per patient: CRS grade, true CD8 copies per cell and IL-6 (pg/mL) by day, in trial order
 * @returns the wells of qpcr.csv, cytokines.csv and cytotoxicity.csv and the true values behind them
 * @throws RangeError for a true value that is not finite and > 0
 */
export function simulateLabAssays(seed: number, patients: AssayPatientInput[]): LabAssays {
  const truth: AssayTruth = {
    model: ASSAY_MODEL,
    qpcr: { curves: [], samples: [] },
    cytokines: { curves: [], samples: [] },
    cytotoxicity: { plates: [], samples: [] },
  };
  for (const p of patients) {
    for (const v of [...p.cd8CopiesPerCell, ...p.il6PgMl]) {
      if (!(Number.isFinite(v.value) && v.value > 0))
        throw new RangeError(`true lab value of ${p.patientId} day ${v.day} must be > 0 (got ${v.value})`);
    }
  }
  return {
    qpcr: qpcrWells(seed, patients, truth),
    cytokines: cytokineWells(seed, patients, truth),
    cytotoxicity: cytotoxicityWells(seed, patients, truth),
    truth,
  };
}

function qpcrWells(seed: number, patients: AssayPatientInput[], truth: AssayTruth): QpcrWellRow[] {
  const Q = ASSAY_MODEL.qpcr;
  const rng = new Rng(seed, 'assays/qpcr');
  const wells: QpcrWellRow[] = [];
  const samples = patients.flatMap((p) => p.cd8CopiesPerCell.map((s) => ({ patientId: p.patientId, ...s })));
  const targets = [Q.target, Q.referenceTarget];
  chunks(samples, Q.samplesPerPlate).forEach((group, k) => {
    const plate = plateName('QPCR', k);
    const curve = new Map<string, { a: number; s: number }>();
    for (const target of targets) {
      const a = round(rng.gauss(Q.interceptCt.mean, Q.interceptCt.sd), 4);
      const s = round(rng.gauss(Q.slope.mean, Q.slope.sd), 4);
      curve.set(target, { a, s });
      truth.qpcr.curves.push({ plate, target, interceptCt: a, slope: s });
      for (const q of Q.standardsCopiesPerUl) {
        for (let r = 0; r < Q.replicates; r++) {
          const ct = a + s * Math.log10(q) + rng.gauss(0, Q.ctNoiseSd);
          wells.push({
            plate,
            role: 'standard',
            target,
            quantity: q,
            patientId: null,
            day: null,
            ct: round(ct, 3),
          });
        }
      }
    }
    for (const smp of group) {
      const gata2 = rng.logNormal(Q.referenceCopiesPerUl.median, Q.referenceCopiesPerUl.sdLog);
      const cd8 = (smp.value * gata2) / 2;
      truth.qpcr.samples.push({
        plate,
        patientId: smp.patientId,
        day: smp.day,
        cd8CopiesPerCell: smp.value,
        cd8CopiesPerUl: sig(cd8, 8),
        gata2CopiesPerUl: sig(gata2, 8),
      });
      for (const [target, copies] of [
        [Q.target, cd8],
        [Q.referenceTarget, gata2],
      ] as const) {
        const { a, s } = curve.get(target)!;
        for (let r = 0; r < Q.replicates; r++) {
          const ct = a + s * Math.log10(copies) + rng.gauss(0, Q.ctNoiseSd);
          wells.push({
            plate,
            role: 'sample',
            target,
            quantity: null,
            patientId: smp.patientId,
            day: smp.day,
            ct: round(ct, 3),
          });
        }
      }
    }
  });
  return wells;
}

/** drc LL.4: c + (d − c) / (1 + (x/e)^b); x = 0 gives c for b < 0. */
function ll4(x: number, p: { b: number; c: number; d: number; e: number }): number {
  if (x === 0) return p.b < 0 ? p.c : p.d;
  return p.c + (p.d - p.c) / (1 + Math.pow(x / p.e, p.b));
}

function cytokineWells(seed: number, patients: AssayPatientInput[], truth: AssayTruth): CytokineWellRow[] {
  const C = ASSAY_MODEL.cytokines;
  const rng = new Rng(seed, 'assays/cytokines');
  const wells: CytokineWellRow[] = [];
  // True concentrations: IL-6 from the trial; IFN-γ drawn here (higher at day 7 with CRS ≥ 2).
  const samples = patients.flatMap((p) => {
    const pr = new Rng(seed, `assays/ifng/${p.patientId}`);
    return p.il6PgMl.map((s) => {
      const median = s.day === 7 && p.crsGrade >= 2 ? C.ifngMedianPgMl.crs2plus : C.ifngMedianPgMl.other;
      const conc: Record<string, number> = {
        IL6: s.value,
        IFNg: round(pr.logNormal(median, C.ifngSdLog), 2),
      };
      return { patientId: p.patientId, day: s.day, conc };
    });
  });
  const top = Math.max(...C.standardsPgMl);
  chunks(samples, C.samplesPerPlate).forEach((group, k) => {
    const plate = plateName('CYT', k);
    for (const analyte of C.analytes) {
      const p = {
        b: round(rng.gauss(C.b.mean, C.b.sd), 4),
        c: round(rng.gauss(C.c.mean, C.c.sd), 4),
        d: round(rng.gauss(C.d.mean, C.d.sd), 4),
        e: round(rng.logNormal(C.e.median, C.e.sdLog), 3),
      };
      truth.cytokines.curves.push({ plate, analyte, ...p });
      const od = (x: number): number => round(ll4(x, p) * Math.exp(rng.gauss(0, C.signalNoiseSdLog)), 4);
      for (const conc of C.standardsPgMl) {
        for (let r = 0; r < C.standardReplicates; r++) {
          wells.push({
            plate,
            role: 'standard',
            analyte,
            concentration: conc,
            patientId: null,
            day: null,
            dilution: null,
            signal: od(conc),
          });
        }
      }
      for (const s of group) {
        const conc = s.conc[analyte]!;
        const dilution = conc > top ? C.highDilution : 1;
        truth.cytokines.samples.push({
          plate,
          analyte,
          patientId: s.patientId,
          day: s.day,
          concentrationPgMl: conc,
          dilution,
        });
        for (let r = 0; r < C.sampleReplicates; r++) {
          wells.push({
            plate,
            role: 'sample',
            analyte,
            concentration: null,
            patientId: s.patientId,
            day: s.day,
            dilution,
            signal: od(conc / dilution),
          });
        }
      }
    }
  });
  return wells;
}

function cytotoxicityWells(
  seed: number,
  patients: AssayPatientInput[],
  truth: AssayTruth,
): CytotoxicityWellRow[] {
  const X = ASSAY_MODEL.cytotoxicity;
  const rng = new Rng(seed, 'assays/cytotoxicity');
  const wells: CytotoxicityWellRow[] = [];
  const cpm = (mean: number): number =>
    Math.max(0, Math.round(rng.gauss(mean, Math.sqrt(mean + (X.pipettingCv * mean) ** 2))));
  chunks(patients, X.patientsPerPlate).forEach((group, k) => {
    const plate = plateName('CR51', k);
    const max = round(rng.gauss(X.maximumCpm.mean, X.maximumCpm.sd), 1);
    const spont = round(
      max * rng.between(X.spontaneousFractionOfMaximum.min, X.spontaneousFractionOfMaximum.max),
      1,
    );
    truth.cytotoxicity.plates.push({ plate, target: X.target, spontaneousCpm: spont, maximumCpm: max });
    for (const [role, mean] of [
      ['spontaneous', spont],
      ['maximum', max],
    ] as const) {
      for (let r = 0; r < X.replicates; r++) {
        wells.push({
          plate,
          target: X.target,
          role,
          patientId: null,
          day: null,
          effectorTargetRatio: null,
          cpm: cpm(mean),
        });
      }
    }
    for (const p of group) {
      const lmax = round(rng.between(X.maxLysisPercent.min, X.maxLysisPercent.max), 3);
      const ec50 = round(rng.logNormal(X.ec50EffectorTarget.median, X.ec50EffectorTarget.sdLog), 4);
      const lysisPercent: Record<string, number> = {};
      for (const et of X.effectorTargetRatios) {
        const lysis = round((lmax * et) / (et + ec50), 4);
        lysisPercent[String(et)] = lysis;
        for (let r = 0; r < X.replicates; r++) {
          wells.push({
            plate,
            target: X.target,
            role: 'experimental',
            patientId: p.patientId,
            day: X.day,
            effectorTargetRatio: et,
            cpm: cpm(spont + (lysis / 100) * (max - spont)),
          });
        }
      }
      truth.cytotoxicity.samples.push({
        plate,
        target: X.target,
        patientId: p.patientId,
        day: X.day,
        maxLysisPercent: lmax,
        ec50EffectorTarget: ec50,
        lysisPercent,
      });
    }
  });
  return wells;
}

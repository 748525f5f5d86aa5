/**
 * Cytotoxicity of a study: from the ⁵¹Cr-release wells of a bundle's `cytotoxicity.csv` to % specific
 * lysis per patient, day, target and E:T ratio. No I/O. Behaviour as docs/study-bundle.md
 * "Cytotoxicity: cytotoxicity.csv".
 *
 * Spontaneous (targets in medium) and maximum (detergent) release wells are per plate and target and
 * shared by the patients on that plate. % specific lysis = 100 × (experimental − mean spontaneous) /
 * (mean maximum − mean spontaneous) per well, averaged over the replicate wells of each patient, day,
 * target and E:T ratio (`analyseChromiumRelease`). A plate-target whose mean spontaneous release
 * exceeds 30 % of the mean maximum fails QC; its values are still returned, flagged.
 * Source: Brunner et al., Immunology 1968;14:181 (⁵¹Cr release assay).
 */
import { InputError } from '../errors.js';
import { labNameStem } from './cytokine-study.js';
import { analyseChromiumRelease } from './lysis.js';
import { compareStrings as cmpStr, wellField, wellGroupKey as key } from './wells.js';

/** One well of `cytotoxicity.csv`. `row` is its 1-based data row. */
export interface LysisWell {
  row: number;
  plate: string;
  target: string;
  role: 'spontaneous' | 'maximum' | 'experimental';
  /** Effector donor (experimental wells only; null on control wells). */
  patientId: string | null;
  /** Day relative to infusion (experimental wells only). */
  day: number | null;
  /** Effectors per target cell, > 0 (experimental wells only). */
  effectorToTarget: number | null;
  /** Counts per minute, ≥ 0. */
  cpm: number;
}

/** Controls of one target on one plate. */
export interface LysisPlateRow {
  plate: string;
  target: string;
  spontaneousMeanCpm: number;
  maximumMeanCpm: number;
  /** 100 × mean spontaneous / mean maximum (%). */
  spontaneousPercentOfMaximum: number;
  /** spontaneousPercentOfMaximum ≤ 30. */
  qcPassed: boolean;
  nSpontaneous: number;
  nMaximum: number;
}

/** Lysis of one patient-day against one target at one E:T ratio. */
export interface LysisSampleRow {
  plate: string;
  target: string;
  patientId: string;
  day: number;
  effectorToTarget: number;
  /** Replicate wells averaged. */
  nWells: number;
  /** Mean % specific lysis of the replicate wells. */
  meanPercent: number;
  /** Sample SD of the replicate % lysis (NaN for a single well). */
  sdPercent: number;
  /** QC of the plate-target's controls. */
  qcPassed: boolean;
}

export interface LysisStudyResult {
  plates: LysisPlateRow[];
  samples: LysisSampleRow[];
  /** Lab values: analyte `lysisAnalyteName(target, E:T)`, value = mean % specific lysis. */
  labs: { patientId: string; day: number; analyte: string; value: number }[];
}

/** Spontaneous release above this % of maximum fails QC (docs/study-bundle.md). */
export const MAX_SPONTANEOUS_PERCENT = 30;

/** An E:T ratio as JavaScript writes it, without exponent. */
const ET_TEXT = /^[0-9]+(\.[0-9]+)?$/;

/**
 * Lab analyte name of a lysis result: `lysis_<target>_et<ratio>_pct`, target as `labNameStem`, ratio in
 * shortest decimal form with `.` → `p`: ('Raji', 12.5) → 'lysis_raji_et12p5_pct', ('K562-CD19', 10) →
 * 'lysis_k562_cd19_et10_pct'.
 * @param target target cell line as written
 * @param effectorToTarget E:T ratio (effectors per target cell), finite and > 0
 * @throws InputError for a target without ASCII letters/digits or a ratio that is not > 0, or that needs an
 *   exponent to be written (< 1e-6 or ≥ 1e21)
 */
export function lysisAnalyteName(target: string, effectorToTarget: number): string {
  if (!(effectorToTarget > 0) || !Number.isFinite(effectorToTarget))
    throw new InputError('E:T ratio must be a finite number > 0', {
      field: 'effector_target_ratio',
      value: effectorToTarget,
    });
  const ratio = String(effectorToTarget);
  if (!ET_TEXT.test(ratio))
    throw new InputError('E:T ratio cannot be written without an exponent', {
      field: 'effector_target_ratio',
      value: effectorToTarget,
    });
  return `lysis_${labNameStem(target, 'target')}_et${ratio.replace('.', 'p')}_pct`;
}

function validateWell(w: LysisWell, file: string): void {
  const at = (field: string, value: unknown) => wellField(file, w.row, field, value);
  if (w.plate === '') throw new InputError('plate is empty', at('plate', w.plate));
  if (w.target === '') throw new InputError('target is empty', at('target', w.target));
  try {
    labNameStem(w.target, 'target');
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(
      'target has no ASCII letter or digit to form a lab analyte name',
      at('target', w.target),
    );
  }
  if (!(w.cpm >= 0) || !Number.isFinite(w.cpm))
    throw new InputError('cpm must be a finite number ≥ 0', at('cpm', w.cpm));
  if (w.role === 'experimental') {
    if (w.patientId === null || w.patientId === '')
      throw new InputError('an experimental well needs a patient_id', at('patient_id', w.patientId));
    if (w.day === null || !Number.isFinite(w.day))
      throw new InputError('an experimental well needs a day', at('day', w.day));
    const et = w.effectorToTarget;
    if (et === null || !(et > 0) || !Number.isFinite(et))
      throw new InputError('an experimental well needs an E:T ratio > 0', at('effector_target_ratio', et));
    if (!ET_TEXT.test(String(et)))
      throw new InputError(
        'E:T ratio cannot be written without an exponent',
        at('effector_target_ratio', et),
      );
  } else if (w.role !== 'spontaneous' && w.role !== 'maximum') {
    throw new InputError("role must be 'spontaneous', 'maximum' or 'experimental'", at('role', w.role));
  }
}

/**
 * % specific lysis of a study's ⁵¹Cr-release wells, per plate, target, patient, day and E:T ratio.
 * @param wells the wells of `cytotoxicity.csv` (cpm)
 * @param file the table's path, for error messages
 * @returns plate-target controls with QC (sorted by plate, target); samples (sorted by plate, target,
 *   patient, day, E:T); lab values in % (sorted by patient, day, analyte)
 * @throws InputError naming file, row and field for a bad well (cpm < 0 or not finite; experimental well
 *   without patient, day or E:T > 0); for experimental wells whose plate and target lack spontaneous or
 *   maximum wells (field `target`), or controls of one kind only (field `role`); for a mean maximum ≤ mean
 *   spontaneous release (field `cpm`, naming plate and target); for one patient, day and lab analyte
 *   measured twice — on two plates (field `plate`) or under two targets with the same lab name (field `target`)
 */
export function lysisOfStudy(wells: LysisWell[], file = 'cytotoxicity.csv'): LysisStudyResult {
  const controls = new Map<string, { spontaneous: LysisWell[]; maximum: LysisWell[] }>();
  const experimental = new Map<string, LysisWell[]>();
  for (const w of wells) {
    validateWell(w, file);
    const k = key(w.plate, w.target);
    if (w.role === 'experimental') {
      const list = experimental.get(k);
      if (list) list.push(w);
      else experimental.set(k, [w]);
    } else {
      let c = controls.get(k);
      if (!c) controls.set(k, (c = { spontaneous: [], maximum: [] }));
      c[w.role].push(w);
    }
  }

  const plateKeys = [...new Set([...controls.keys(), ...experimental.keys()])].sort(cmpStr);
  const plates: LysisPlateRow[] = [];
  const samples: LysisSampleRow[] = [];
  for (const pk of plateKeys) {
    const c = controls.get(pk) ?? { spontaneous: [], maximum: [] };
    const exp = experimental.get(pk) ?? [];
    const any = [...c.spontaneous, ...c.maximum, ...exp].reduce((a, b) => (b.row < a.row ? b : a));
    for (const kind of ['spontaneous', 'maximum'] as const) {
      if (c[kind].length > 0) continue;
      if (exp.length > 0) {
        const first = exp.reduce((a, b) => (b.row < a.row ? b : a));
        throw new InputError(`no ${kind}-release wells for target ${any.target} on plate ${any.plate}`, {
          file,
          row: first.row,
          field: 'target',
          value: first.target,
        });
      }
      throw new InputError(
        `target ${any.target} on plate ${any.plate} has no ${kind}-release wells to go with its other controls`,
        { file, row: any.row, field: 'role', value: any.role },
      );
    }
    const spont = c.spontaneous.map((w) => w.cpm);
    const max = c.maximum.map((w) => w.cpm);
    const s = spont.reduce((a, b) => a + b, 0) / spont.length;
    const m = max.reduce((a, b) => a + b, 0) / max.length;
    if (!(m > s)) {
      throw new InputError(
        `mean maximum release (${m} cpm) does not exceed mean spontaneous release (${s} cpm) for target ` +
          `${any.target} on plate ${any.plate}`,
        { file, row: c.maximum[0]!.row, field: 'cpm', value: c.maximum[0]!.cpm },
      );
    }
    const plateResult = analyseChromiumRelease([], spont, max, MAX_SPONTANEOUS_PERCENT);
    plates.push({
      plate: any.plate,
      target: any.target,
      spontaneousMeanCpm: plateResult.spontaneousMeanCpm,
      maximumMeanCpm: plateResult.maximumMeanCpm,
      spontaneousPercentOfMaximum: plateResult.spontaneousPercentOfMaximum,
      qcPassed: plateResult.qcPassed,
      nSpontaneous: spont.length,
      nMaximum: max.length,
    });

    const byPatientDay = new Map<string, LysisWell[]>();
    for (const w of exp) {
      const k = key(w.patientId!, w.day!);
      const list = byPatientDay.get(k);
      if (list) list.push(w);
      else byPatientDay.set(k, [w]);
    }
    for (const ws of byPatientDay.values()) {
      const r = analyseChromiumRelease(
        ws.map((w) => ({ effectorToTarget: w.effectorToTarget!, cpm: w.cpm })),
        spont,
        max,
        MAX_SPONTANEOUS_PERCENT,
      );
      for (const p of r.points) {
        samples.push({
          plate: any.plate,
          target: any.target,
          patientId: ws[0]!.patientId!,
          day: ws[0]!.day!,
          effectorToTarget: p.effectorToTarget,
          nWells: p.replicates.length,
          meanPercent: p.meanPercent,
          sdPercent: p.sdPercent,
          qcPassed: r.qcPassed,
        });
      }
    }
  }
  samples.sort(
    (a, b) =>
      cmpStr(a.plate, b.plate) ||
      cmpStr(a.target, b.target) ||
      cmpStr(a.patientId, b.patientId) ||
      a.day - b.day ||
      a.effectorToTarget - b.effectorToTarget,
  );

  // One lab value per patient, day and analyte name.
  const seen = new Map<string, LysisSampleRow>();
  const labs: LysisStudyResult['labs'] = [];
  for (const s of samples) {
    const analyte = lysisAnalyteName(s.target, s.effectorToTarget);
    const lk = key(s.patientId, s.day, analyte);
    const prev = seen.get(lk);
    if (prev) {
      const w = wells.find(
        (x) =>
          x.role === 'experimental' &&
          x.plate === s.plate &&
          x.target === s.target &&
          x.patientId === s.patientId &&
          x.day === s.day &&
          x.effectorToTarget === s.effectorToTarget,
      )!;
      if (prev.plate !== s.plate) {
        throw new InputError(
          `lysis of target ${s.target} by patient ${s.patientId}, day ${s.day}, E:T ${s.effectorToTarget} is ` +
            `measured on two plates (${prev.plate} and ${s.plate})`,
          { file, row: w.row, field: 'plate', value: s.plate },
        );
      }
      throw new InputError(
        `targets ${prev.target} and ${s.target} both give lab analyte ${analyte} for patient ${s.patientId}, ` +
          `day ${s.day}`,
        { file, row: w.row, field: 'target', value: s.target },
      );
    }
    seen.set(lk, s);
    labs.push({ patientId: s.patientId, day: s.day, analyte, value: s.meanPercent });
  }
  labs.sort((a, b) => cmpStr(a.patientId, b.patientId) || a.day - b.day || cmpStr(a.analyte, b.analyte));
  return { plates, samples, labs };
}

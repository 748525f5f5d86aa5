/**
 * Cytokines of a study: from the raw immunoassay wells of a bundle's `cytokines.csv` (ELISA OD or
 * bead-array MFI, with each plate's standard series) to concentrations in pg/mL per patient and day.
 * No I/O. Behaviour as docs/study-bundle.md "Cytokine plates: cytokines.csv".
 *
 * Per plate and analyte, a log-logistic standard curve of signal on nominal concentration is fitted
 * (`fitCurve`: 3PL/4PL/5PL, unweighted least squares, blank standards at 0 pg/mL included), and its
 * limits of quantification are the lowest and highest standards whose mean back-calculated recovery
 * is 80–120 % with replicate CV ≤ 20 % (`quantificationLimits`; FDA 2018 Bioanalytical Method
 * Validation guidance). Per plate, analyte, patient and day the replicate wells are averaged (mean
 * signal), back-calculated (`inversePredict`) and multiplied by the dilution. A result below the LLOQ
 * is replaced by LLOQ/2 × dilution (`half-lloq`), LLOQ × dilution (`lloq`) or left out (`omit`); one
 * above the ULOQ by ULOQ × dilution; both are flagged.
 */
import { CartoError, InputError } from '../errors.js';
import {
  fitCurve,
  inversePredict,
  quantificationLimits,
  type CurveFit,
  type CurveModel,
  type QuantificationLimits,
} from './curves.js';
import { compareStrings as cmpStr, wellField, wellGroupKey as key } from './wells.js';

/** One well of `cytokines.csv`. `row` is its 1-based data row. */
export interface CytokineWell {
  row: number;
  plate: string;
  role: 'standard' | 'sample';
  analyte: string;
  /** Nominal concentration of a standard well in pg/mL (0 = blank); null for samples. */
  concentrationPgMl: number | null;
  patientId: string | null;
  day: number | null;
  /** Sample dilution factor (≥ 1; 1 for standards). */
  dilution: number;
  /** OD or MFI of the well. */
  signal: number;
}

/** What to store for a sample below the LLOQ: LLOQ/2 × dilution, LLOQ × dilution, or nothing. */
export type BelowLloqRule = 'half-lloq' | 'lloq' | 'omit';

/** The standard curve of one analyte on one plate. */
export interface CytokineCurveRow {
  plate: string;
  analyte: string;
  model: CurveModel;
  /** Free parameters (drc letters b, c, d, e, f) in `estimates` order. */
  parameterNames: string[];
  estimates: number[];
  standardErrors: number[];
  /** Residual standard error of the fit (signal units). */
  residualStandardError: number;
  /** Standard wells fitted (blanks included). */
  nStandards: number;
  lloqPgMl: number;
  uloqPgMl: number;
  /** Per nominal concentration (> 0): mean back-calculated recovery in %, CV of the signals in %, within criteria. */
  recoveries: {
    concentrationPgMl: number;
    recoveryPercent: number | null;
    cvPercent: number | null;
    ok: boolean;
  }[];
}

/** One patient-day of one analyte on one plate. */
export interface CytokineSampleRow {
  plate: string;
  analyte: string;
  patientId: string;
  day: number;
  /** Replicate wells averaged. */
  nWells: number;
  meanSignal: number;
  /** CV of the replicate signals in % (null for a single well or a zero mean signal). */
  cvPercent: number | null;
  dilution: number;
  /** back-calculated × dilution; for a flagged sample the substituted value (null when omitted) */
  concentrationPgMl: number | null;
  /** Delta-method SE of the concentration × dilution (null for a flagged sample). */
  sePgMl: number | null;
  flag: 'ok' | '<LLOQ' | '>ULOQ';
}

export interface CytokineStudyResult {
  curves: CytokineCurveRow[];
  samples: CytokineSampleRow[];
  /** Lab values: analyte `cytokineAnalyteName(analyte)`, value in pg/mL (omitted <LLOQ samples absent). */
  labs: { patientId: string; day: number; analyte: string; value: number }[];
}

/**
 * Lab-name stem of a free-text name: lower case, every run of characters other than a–z and 0–9
 * replaced by `_`, leading/trailing `_` removed (`IL-6` → `il_6`, `IFN-γ` → `ifn`, `K562-CD19` → `k562_cd19`).
 * @param name analyte or target name as written in the table
 * @param field column holding the name, for the error
 * @throws InputError when nothing of a–z/0–9 remains
 */
export function labNameStem(name: string, field = 'analyte'): string {
  const stem = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (stem === '') {
    throw new InputError('name has no ASCII letter or digit to form a lab analyte name', {
      field,
      value: name,
    });
  }
  return stem;
}

/**
 * Lab analyte name of a cytokine: `<stem>_pg_ml` (docs/study-bundle.md): 'IL-6' → 'il_6_pg_ml', 'IFNg' → 'ifng_pg_ml'.
 * @param analyte cytokine as written in `cytokines.csv`
 * @throws InputError when the name has no ASCII letter or digit
 */
export function cytokineAnalyteName(analyte: string): string {
  return `${labNameStem(analyte, 'analyte')}_pg_ml`;
}

function validateWell(w: CytokineWell, file: string): void {
  const at = (field: string, value: unknown) => wellField(file, w.row, field, value);
  if (w.plate === '') throw new InputError('plate is empty', at('plate', w.plate));
  if (w.analyte === '') throw new InputError('analyte is empty', at('analyte', w.analyte));
  try {
    labNameStem(w.analyte);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(
      'analyte has no ASCII letter or digit to form a lab analyte name',
      at('analyte', w.analyte),
    );
  }
  if (!Number.isFinite(w.signal))
    throw new InputError('signal must be a finite number', at('signal', w.signal));
  if (!(w.dilution >= 1) || !Number.isFinite(w.dilution))
    throw new InputError('dilution must be a finite number ≥ 1', at('dilution', w.dilution));
  if (w.role === 'standard') {
    const c = w.concentrationPgMl;
    if (c === null || !Number.isFinite(c) || c < 0)
      throw new InputError('a standard needs a finite concentration ≥ 0 (pg/mL)', at('concentration', c));
  } else if (w.role === 'sample') {
    if (w.patientId === null || w.patientId === '')
      throw new InputError('a sample needs a patient_id', at('patient_id', w.patientId));
    if (w.day === null || !Number.isFinite(w.day))
      throw new InputError('a sample needs a day', at('day', w.day));
  } else {
    throw new InputError("role must be 'standard' or 'sample'", at('role', w.role));
  }
}

/** Whether the fitted signal rises with concentration: f = c + (d − c)/(1 + (x/e)^b)^f rises iff (d − c)·b < 0. */
function rising(fit: CurveFit): boolean {
  return (fit.params.d - fit.params.c) * fit.params.b < 0;
}

/**
 * Standard curves, limits of quantification and sample concentrations of a study's cytokine wells.
 * @param wells the wells of `cytokines.csv` (signals in OD or MFI, concentrations in pg/mL)
 * @param options `model`: standard-curve model (3pl/4pl/5pl); `belowLloq`: value stored below the LLOQ
 * @param file the table's path, for error messages
 * @returns curves sorted by plate and analyte; samples sorted by plate, analyte, patient, day; lab values
 *   (pg/mL, analyte `<analyte>_pg_ml`) sorted by patient, day, analyte. Signals outside the curve's
 *   asymptotes count as below the LLOQ / above the ULOQ according to the curve's direction.
 * @throws InputError naming file, row and field for a bad well (non-finite signal, dilution < 1, standard
 *   without concentration, sample without patient or day); for a plate-analyte with samples but no
 *   standards (field `analyte`); for differing dilutions in one patient-day group (field `dilution`); for one
 *   patient, day and lab analyte measured twice — on two plates (field `plate`) or under two analyte names
 *   with the same lab name (field `analyte`); and, wrapping the ComputationError, for a standard curve that
 *   cannot be fitted (field `signal`) or has no standard meeting the LOQ criteria (field `concentration`),
 *   naming plate and analyte.
 */
export function cytokineConcentrations(
  wells: CytokineWell[],
  options: { model: CurveModel; belowLloq: BelowLloqRule },
  file = 'cytokines.csv',
): CytokineStudyResult {
  if (!['3pl', '4pl', '5pl'].includes(options.model))
    throw new InputError('curve model must be 3pl, 4pl or 5pl', { field: 'model', value: options.model });
  if (!['half-lloq', 'lloq', 'omit'].includes(options.belowLloq))
    throw new InputError('below-LLOQ rule must be half-lloq, lloq or omit', {
      field: 'belowLloq',
      value: options.belowLloq,
    });
  const { standards, samples } = groupWells(wells, file);
  // Standard curves, per plate and analyte, in sorted order.
  const fits = new Map<string, { fit: CurveFit; limits: QuantificationLimits }>();
  const curves: CytokineCurveRow[] = [];
  for (const k of [...standards.keys()].sort(cmpStr)) {
    const { row, fit, limits } = standardCurve(standards.get(k)!, options.model, file);
    fits.set(k, { fit, limits });
    curves.push(row);
  }
  // Sample groups in sorted order (plate, analyte, patient, day).
  const groups = [...samples.values()].sort((a, b) => {
    const x = a[0]!;
    const y = b[0]!;
    return (
      cmpStr(x.plate, y.plate) ||
      cmpStr(x.analyte, y.analyte) ||
      cmpStr(x.patientId!, y.patientId!) ||
      x.day! - y.day!
    );
  });
  // One result per patient, day and lab analyte: remember where each came from.
  const seen = new Map<string, CytokineWell>();
  const sampleRows = groups.map((ws) => {
    checkSampleGroup(ws, seen, file);
    const w0 = ws[0]!;
    const curve = fits.get(key(w0.plate, w0.analyte));
    if (!curve) {
      const first = ws.reduce((a, b) => (b.row < a.row ? b : a));
      throw new InputError(`no standard wells for analyte ${w0.analyte} on plate ${w0.plate}`, {
        file,
        row: first.row,
        field: 'analyte',
        value: w0.analyte,
      });
    }
    return sampleConcentration(ws, curve, options.belowLloq);
  });
  const labs = sampleRows
    .filter((s) => s.concentrationPgMl !== null)
    .map((s) => ({
      patientId: s.patientId,
      day: s.day,
      analyte: cytokineAnalyteName(s.analyte),
      value: s.concentrationPgMl!,
    }))
    .sort((a, b) => cmpStr(a.patientId, b.patientId) || a.day - b.day || cmpStr(a.analyte, b.analyte));
  return { curves, samples: sampleRows, labs };
}

// step: the wells, checked, grouped into standards per plate-analyte and samples per plate-analyte-patient-day.
function groupWells(
  wells: CytokineWell[],
  file: string,
): { standards: Map<string, CytokineWell[]>; samples: Map<string, CytokineWell[]> } {
  const standards = new Map<string, CytokineWell[]>();
  const samples = new Map<string, CytokineWell[]>();
  for (const w of wells) {
    validateWell(w, file);
    if (w.role === 'standard') {
      const k = key(w.plate, w.analyte);
      const list = standards.get(k);
      if (list) list.push(w);
      else standards.set(k, [w]);
    } else {
      const k = key(w.plate, w.analyte, w.patientId!, w.day!);
      const list = samples.get(k);
      if (list) list.push(w);
      else samples.set(k, [w]);
    }
  }

  return { standards, samples };
}

// step: one plate-analyte's standard curve and its limits of quantification.
function standardCurve(
  ws: CytokineWell[],
  model: CurveModel,
  file: string,
): { row: CytokineCurveRow; fit: CurveFit; limits: QuantificationLimits } {
  const w0 = ws[0]!;
  const where = `standard curve of ${w0.analyte} on plate ${w0.plate}`;
  let fit: CurveFit;
  try {
    fit = fitCurve(
      ws.map((w) => w.concentrationPgMl!),
      ws.map((w) => w.signal),
      model,
    );
  } catch (e) {
    if (!(e instanceof CartoError)) throw e;
    throw new InputError(`${where}: ${e.message}`, {
      file,
      row: w0.row,
      field: 'signal',
      value: w0.analyte,
    });
  }
  let loq: ReturnType<typeof quantificationLimits>;
  try {
    loq = quantificationLimits(
      fit,
      ws.map((w) => ({ concentration: w.concentrationPgMl!, response: w.signal })),
    );
  } catch (e) {
    if (!(e instanceof CartoError)) throw e;
    throw new InputError(`${where}: ${e.message}`, {
      file,
      row: w0.row,
      field: 'concentration',
      value: w0.analyte,
    });
  }
  const row: CytokineCurveRow = {
    plate: w0.plate,
    analyte: w0.analyte,
    model: fit.model,
    parameterNames: fit.parameterNames,
    estimates: fit.estimates,
    standardErrors: fit.standardErrors,
    residualStandardError: fit.residualStandardError,
    nStandards: ws.length,
    lloqPgMl: loq.lloq,
    uloqPgMl: loq.uloq,
    recoveries: loq.recoveries.map((r) => ({
      concentrationPgMl: r.concentration,
      recoveryPercent: r.recoveryPercent,
      cvPercent: r.cvPercent,
      ok: r.ok,
    })),
  };
  return { row, fit, limits: { lloq: loq.lloq, uloq: loq.uloq } };
}

// step: replicate wells share one dilution; one result per patient, day and lab analyte.
function checkSampleGroup(ws: CytokineWell[], seen: Map<string, CytokineWell>, file: string): void {
  const w0 = ws[0]!;
  const labName = cytokineAnalyteName(w0.analyte);
  const odd = ws.find((w) => w.dilution !== w0.dilution);
  if (odd) {
    throw new InputError(
      `replicate wells of ${w0.analyte}, patient ${w0.patientId}, day ${w0.day} on plate ${w0.plate} ` +
        `have different dilutions (${w0.dilution} at row ${w0.row})`,
      { file, row: odd.row, field: 'dilution', value: odd.dilution },
    );
  }
  const lk = key(w0.patientId!, w0.day!, labName);
  const prev = seen.get(lk);
  if (prev) {
    const later = prev.row > w0.row ? prev : w0;
    const earlier = later === prev ? w0 : prev;
    if (prev.plate !== w0.plate) {
      throw new InputError(
        `${w0.analyte} of patient ${w0.patientId}, day ${w0.day} is measured on two plates ` +
          `(${earlier.plate} at row ${earlier.row} and ${later.plate})`,
        { file, row: later.row, field: 'plate', value: later.plate },
      );
    }
    throw new InputError(
      `analytes ${earlier.analyte} (row ${earlier.row}) and ${later.analyte} both give lab analyte ${labName} ` +
        `for patient ${w0.patientId}, day ${w0.day}`,
      { file, row: later.row, field: 'analyte', value: later.analyte },
    );
  }
  seen.set(lk, w0);
}

// step: a sample group's mean signal, CV and concentration (pg/mL, times its dilution), flagged
// below the LLOQ or above the ULOQ.
function sampleConcentration(
  ws: CytokineWell[],
  curve: { fit: CurveFit; limits: QuantificationLimits },
  belowLloq: BelowLloqRule,
): CytokineSampleRow {
  const w0 = ws[0]!;
  const signals = ws.map((w) => w.signal);
  const n = signals.length;
  const meanSignal = signals.reduce((s, v) => s + v, 0) / n;
  let cvPercent: number | null = null;
  if (n > 1 && meanSignal !== 0) {
    const sd = Math.sqrt(signals.reduce((s, v) => s + (v - meanSignal) ** 2, 0) / (n - 1));
    cvPercent = (100 * sd) / Math.abs(meanSignal);
  }
  const p = inversePredict(curve.fit, meanSignal, curve.limits);
  let flag: CytokineSampleRow['flag'];
  if (p.flag === 'ok' || p.flag === '<LLOQ' || p.flag === '>ULOQ') flag = p.flag;
  else {
    // A signal beyond the asymptote nearest to zero concentration is below any standard.
    const lowEnd = (p.flag === 'below-curve') === rising(curve.fit);
    flag = lowEnd ? '<LLOQ' : '>ULOQ';
  }
  const dil = w0.dilution;
  let concentrationPgMl: number | null;
  let sePgMl: number | null = null;
  if (flag === 'ok') {
    concentrationPgMl = p.concentration! * dil;
    sePgMl = p.se! * dil;
  } else if (flag === '>ULOQ') {
    concentrationPgMl = curve.limits.uloq * dil;
  } else {
    concentrationPgMl =
      belowLloq === 'half-lloq'
        ? (curve.limits.lloq / 2) * dil
        : belowLloq === 'lloq'
          ? curve.limits.lloq * dil
          : null;
  }
  return {
    plate: w0.plate,
    analyte: w0.analyte,
    patientId: w0.patientId!,
    day: w0.day!,
    nWells: n,
    meanSignal,
    cvPercent,
    dilution: dil,
    concentrationPgMl,
    sePgMl,
    flag,
  };
}

/**
 * SUV scale factors from PET DICOM headers: the factor per instance that multiplies the rescaled
 * stored value (m·P + b) to give SUV (g/mL for bw/lbm/ibw, cm²/mL for bsa). No I/O.
 *
 * Rules (docs/references/imaging.md §1–§6; IBSI SUV manual, oncoray/suv_computation;
 * QIBA vendor-neutral SUV pseudo-code 2018; DICOM PS3.3 C.8.9.1 and C.8.9.4):
 *  - Units BQML: activity concentration; SUVbw = A · W[g] / D(t_ref).
 *    CNTS (Philips): (7053,1000) SUV scale factor → SUVbw directly; else (7053,1009) activity
 *    concentration scale factor → Bq/mL, then as BQML. GML: already SUV of SUVType (default BW).
 *    CM2ML: SUVbsa. PROPCNTS/PROPCPS/CPS and anything else: refused.
 *  - CorrectedImage must list ATTN, and DECY unless DecayCorrection is NONE.
 *  - DecayCorrection ADMIN: D(t_ref) = D (values refer to the injection time).
 *    START: D(t_ref) = D·e^(−λ(t_ref − t_adm)) with t_ref = Decay Correction DateTime (0018,9701) or
 *    Siemens (0071,1022) if present; else SeriesDate/Time if not after the earliest acquisition
 *    date-time; else GE (0009,100D); else back-computed per instance from the frame timing
 *    (t_ref = t_acq + (1/λ)·ln(λT/(1−e^(−λT))) − FrameReferenceTime, PS3.3 C.8.9.4.1.5).
 *    NONE: per instance ·(λT/(1−e^(−λT)))·e^(λ(t_acq − t_adm)).
 *  - Injection time: RadiopharmaceuticalStartDateTime, else RadiopharmaceuticalStartTime on the
 *    scan date with the midnight rule — refused for long-lived nuclides (T½ ≥ 41 400 s, e.g. 89Zr)
 *    where the uptake may exceed 24 h. Uptake must be ≥ 0 and < 10 half-lives; when full dates
 *    disagree (anonymised date) a short-lived nuclide's uptake is taken from the times of day.
 *  - RadionuclideTotalDose < 1e5 is read as MBq; PatientWeight > 1000 as grams; PatientSize > 3 as
 *    cm (each reported in `warnings`). Missing or zero weight / dose / time / half-life: refused.
 *  - RescaleIntercept ≠ 0: refused (IBSI manual: never seen in 3433 series).
 * Overrides (weight, net injected dose, injection date-time) are explicit options, never defaults.
 * Inputs are typed headers (`PetSuvHeader`, suv-input.ts) built by src/io/dicom/pet-header.ts.
 */
import { ComputationError, InputError } from '../errors.js';
import { readField } from './suv-input.js';
import type { HeaderField, HeaderSource, PetSuvHeader } from './suv-input.js';
import { activityResult, sopOf } from './suv-activity.js';
import type { SeriesContext } from './suv-activity.js';

/** SUV normalisations a caller may ask for. 'lbm' = James (1976) with 128 for men. */
export type SuvType = 'bw' | 'lbm' | 'lbm-janma' | 'bsa' | 'ibw';
export const SUV_TYPES: readonly SuvType[] = ['bw', 'lbm', 'lbm-janma', 'bsa', 'ibw'];

/** Body-size normalisations, including the header-only 'lbm-james120' (DICOM SUVType "LBM"). */
type BodyKind = SuvType | 'lbm-james120';

/** Options of `computeSuvFactors`. Overrides replace the header value and are reported as such. */
export interface SuvOptions {
  /** SUV normalisation (default 'bw'). */
  suvType?: SuvType;
  /** Body weight in kg, replacing PatientWeight. */
  weightKg?: number;
  /** Net injected activity in Bq at the injection time, replacing RadionuclideTotalDose. */
  doseBq?: number;
  /**
   * Injection date-time on the scanner clock: local ISO "YYYY-MM-DDTHH:MM:SS" (no zone) or DICOM
   * DT, replacing RadiopharmaceuticalStartDateTime/Time.
   */
  injectionDateTime?: string;
  /** Body height in m, replacing PatientSize (lbm, bsa, ibw only). */
  heightM?: number;
}

/**
 * Options as the computation takes them: `SuvOptions` with the injection date-time override already
 * parsed (floating ms) by the caller (src/io/dicom/pet-header.ts `suvComputeOptions`), or its parse
 * error, thrown when the injection time is needed.
 */
export interface SuvComputeOptions extends Omit<SuvOptions, 'injectionDateTime'> {
  injectionDateTime?: HeaderField<number>;
}

/** The factor of one instance, as `carto dicom suv-factor` prints it. */
export interface InstanceSuvFactor {
  sopInstanceUid?: string;
  /** Multiplies the rescaled stored value (m·P + b) to give SUV of the requested type. */
  scaleFactor: number;
  /** Units (0054,1001) of the instance. */
  units: string;
  /** DecayCorrection (0054,1102) of the instance ('' when absent and not needed). */
  decayCorrection: string;
  /** The time the decayed dose refers to (scanner clock, ISO without zone), or null (GML/CM2ML, Philips SUV factor). */
  referenceTime: string | null;
}

/** How the START reference time was chosen. */
export type ReferenceTimeRule =
  | 'decay-correction-datetime'
  | 'siemens-private'
  | 'series-time'
  | 'ge-private'
  | 'back-computed'
  | 'injection'
  | 'acquisition'
  | 'none';

/**
 * How stored values become SUV: from activity concentration (BQML), through the Philips SUV or
 * activity-concentration scale factor (CNTS), or by body-size conversion of values already in SUV.
 */
export type SuvConversion = 'activity' | 'philips-suv-factor' | 'philips-activity-factor' | 'already-suv';

/** Series-level facts behind the factors. */
export interface SuvMeta {
  units: string;
  decayCorrection: string;
  suvType: SuvType;
  /** Reference time of the first instance (see InstanceSuvFactor.referenceTime). */
  referenceTime: string | null;
  referenceTimeRule: ReferenceTimeRule;
  halfLifeS: number | null;
  injectionTime: string | null;
  weightKg: number | null;
  /** Dose at the injection time, Bq. */
  doseBq: number | null;
  manufacturer: string | null;
  /** Which inputs came from options rather than the header. */
  overrides: ('weightKg' | 'doseBq' | 'injectionDateTime' | 'heightM')[];
  /** How stored values become SUV. */
  conversion: SuvConversion;
  /** Unit heuristics that were applied (dose in MBq, weight in g, height in cm, midnight rule). */
  warnings: string[];
}

/** Result of `computeSuvFactors`: one factor per header, in the input order. */
export interface SuvResult {
  factors: InstanceSuvFactor[];
  meta: SuvMeta;
}

/** Maps a header SUVType to a body-size kind. */
function storedKind(suvType: string | undefined, src: HeaderSource): BodyKind {
  switch ((suvType ?? 'BW').toUpperCase()) {
    case 'BW':
      return 'bw';
    case 'LBM':
      return 'lbm-james120';
    case 'LBMJAMES128':
      return 'lbm';
    case 'LBMJANMA':
      return 'lbm-janma';
    case 'IBW':
      return 'ibw';
    case 'BSA':
      return 'bsa';
    default:
      throw new InputError('unknown SUVType: cannot convert', {
        ...src,
        field: 'SUVType (0054,1006)',
        value: suvType,
      });
  }
}

/** Patient body measures, resolved lazily (only what a normalisation needs is required). */
export interface Body {
  weightKg(): number;
  heightCm(): number;
  sex(): 'M' | 'F' | 'O';
}

/**
 * Body-size normaliser X of an SUV type: weight or lean/ideal mass in g, or BSA in cm².
 * SUV_x = A·X/D, so SUV_a = SUV_b · X_a / X_b.
 * Sources: James 1976 (LBM; 120 or 128 for men, 148 for women), Janmahasatian et al. 2005,
 * Devine IBW, Du Bois & Du Bois 1916 BSA; PatientSex O = mean of the male and female values (IBSI).
 * @throws InputError naming PatientSex / PatientSize when missing; ComputationError when James LBM ≤ 0.
 */
export function bodySize(kind: BodyKind, body: Body): number {
  if (kind === 'bw') return body.weightKg() * 1000;
  const w = body.weightKg();
  const h = body.heightCm();
  const bsaCm2 = 0.007184 * Math.pow(h, 0.725) * Math.pow(w, 0.425) * 1e4;
  if (kind === 'bsa') return bsaCm2;
  const bySex = (m: number, f: number): number => {
    const s = body.sex();
    return s === 'M' ? m : s === 'F' ? f : (m + f) / 2;
  };
  let kg: number;
  switch (kind) {
    case 'lbm':
    case 'lbm-james120': {
      const km = kind === 'lbm' ? 128 : 120;
      kg = bySex(1.1 * w - km * (w / h) ** 2, 1.07 * w - 148 * (w / h) ** 2);
      if (!(kg > 0)) {
        throw new ComputationError(
          `James lean body mass is not positive (${kg.toFixed(1)} kg for ${w} kg, ${h} cm); use lbm-janma`,
          { field: 'PatientWeight' },
        );
      }
      break;
    }
    case 'lbm-janma': {
      const bmi = w / (h / 100) ** 2;
      kg = bySex((9270 * w) / (6680 + 216 * bmi), (9270 * w) / (8780 + 244 * bmi));
      break;
    }
    case 'ibw':
      kg = bySex(48.0 + 1.06 * (h - 152), 45.5 + 0.91 * (h - 152));
      if (!(kg > 0))
        throw new ComputationError(`ideal body weight not positive for height ${h} cm`, {
          field: 'PatientSize',
        });
      break;
  }
  return kg * 1000;
}

/** Series-level attributes that must agree between instances, compared as stored. */
const SERIES_FIELDS: readonly (readonly [string, (h: PetSuvHeader) => HeaderField<unknown>])[] = [
  ['Units', (h) => h.units],
  ['DecayCorrection', (h) => h.decayCorrection],
  ['SUVType', (h) => h.suvType],
  ['PatientWeight', (h) => h.patientWeight],
  ['PatientSize', (h) => h.patientSize],
  ['PatientSex', (h) => h.patientSex],
  ['SeriesDate', (h) => h.seriesDate],
  ['SeriesTime', (h) => h.seriesTime],
];

/**
 * Refuses a series whose series-level attributes (Units, DecayCorrection, SUVType, patient
 * measures, series date/time, radiopharmaceutical item) differ between instances.
 * @throws InputError naming the first differing instance and tag
 */
function checkSeriesAgreement(headers: readonly PetSuvHeader[]): void {
  const h0 = headers[0]!;
  for (const [key, of] of SERIES_FIELDS) {
    const v0 = JSON.stringify(of(h0).raw ?? null);
    for (let i = 1; i < headers.length; i++) {
      const vi = JSON.stringify(of(headers[i]!).raw ?? null);
      if (vi !== v0) {
        throw new InputError(`${key} differs between instances of one series (${v0} in the first)`, {
          ...headers[i]!.source,
          field: key,
          value: of(headers[i]!).raw,
        });
      }
    }
  }
  readField(h0.radiopharmaceutical);
  const rpKey = JSON.stringify(h0.radiopharmaceutical.raw ?? null);
  for (let i = 1; i < headers.length; i++) {
    readField(headers[i]!.radiopharmaceutical);
    if (JSON.stringify(headers[i]!.radiopharmaceutical.raw ?? null) !== rpKey) {
      throw new InputError('RadiopharmaceuticalInformationSequence differs between instances of one series', {
        ...headers[i]!.source,
        field: 'RadiopharmaceuticalInformationSequence',
      });
    }
  }
}

/**
 * Refuses a series that is not a quantitative PET image: Modality other than PT, a reprojection
 * (MIP), no attenuation correction, or decay correction contradicting DecayCorrection (0054,1102).
 * @throws InputError naming Modality, SeriesType, CorrectedImage or DecayCorrection
 */
function checkQuantitativePet(h0: PetSuvHeader, dcRaw: string | undefined): void {
  const s0 = h0.source;
  const modality = readField(h0.modality);
  if (modality !== undefined && modality.toUpperCase() !== 'PT') {
    throw new InputError('not a PET image: SUV needs Modality PT', {
      ...s0,
      field: 'Modality',
      value: modality,
    });
  }
  // Reprojections (MIPs) are pictures, not quantitative images (IBSI excluded them).
  const seriesType = readField(h0.seriesType);
  if (seriesType !== undefined && seriesType[1] === 'REPROJECTION') {
    throw new InputError('SeriesType REPROJECTION (a MIP or other reprojection) cannot be converted to SUV', {
      ...s0,
      field: 'SeriesType (0054,1000)',
      value: seriesType,
    });
  }
  // Attenuation and decay correction must be confirmed.
  const corrected = readField(h0.correctedImage);
  if (corrected === undefined) {
    throw new InputError('CorrectedImage (0028,0051) absent: cannot confirm attenuation/decay correction', {
      ...s0,
      field: 'CorrectedImage',
    });
  }
  if (!corrected.includes('ATTN')) {
    throw new InputError('image is not attenuation corrected (no ATTN in CorrectedImage): no SUV', {
      ...s0,
      field: 'CorrectedImage (0028,0051)',
      value: corrected,
    });
  }
  const hasDecy = corrected.includes('DECY') || corrected.includes('DECAY');
  if (dcRaw !== 'NONE' && !hasDecy) {
    throw new InputError(
      `image is not decay corrected (no DECY in CorrectedImage) but DecayCorrection is ${dcRaw ?? 'absent'}`,
      { ...s0, field: 'CorrectedImage (0028,0051)', value: corrected },
    );
  }
  if (dcRaw === 'NONE' && hasDecy) {
    throw new InputError('CorrectedImage lists DECY but DecayCorrection is NONE: contradictory header', {
      ...s0,
      field: 'DecayCorrection (0054,1102)',
      value: dcRaw,
    });
  }
}

/**
 * Refuses any instance whose RescaleIntercept (0028,1052) is not 0.
 * @throws InputError naming the instance and RescaleIntercept
 */
function checkZeroIntercepts(headers: readonly PetSuvHeader[]): void {
  headers.forEach((h) => {
    const b = readField(h.rescaleIntercept) ?? 0;
    if (b !== 0) {
      throw new InputError('RescaleIntercept ≠ 0 is not supported for SUV (never seen in valid PET series)', {
        ...h.source,
        field: 'RescaleIntercept (0028,1052)',
        value: b,
      });
    }
  });
}

/**
 * The patient's body measures, resolved lazily from the overrides or the first header: weight
 * (kg; > 1000 read as g), height (cm; PatientSize ≤ 3 read as m) and sex. Unit heuristics push to
 * `warnings`. `cachedWeightKg` tells whether the weight has been resolved yet.
 * @throws InputError (when a measure is asked for) naming the override or tag that is missing or implausible
 */
function lazyBody(
  h0: PetSuvHeader,
  s0: HeaderSource,
  opts: SuvComputeOptions,
  warnings: string[],
): { body: Body; cachedWeightKg: () => number | undefined } {
  let weightCache: number | undefined;
  const body: Body = {
    weightKg(): number {
      if (weightCache !== undefined) return weightCache;
      if (opts.weightKg !== undefined) {
        if (!(opts.weightKg > 0 && opts.weightKg < 1000)) {
          throw new InputError('weight override must be in kg (0 < w < 1000)', {
            field: 'weightKg',
            value: opts.weightKg,
          });
        }
        return (weightCache = opts.weightKg);
      }
      const w = readField(h0.patientWeight);
      if (w === undefined || !(w > 0)) {
        throw new InputError(
          'PatientWeight (0010,1030) missing or not positive: no SUV (give the weight explicitly)',
          {
            ...s0,
            field: 'PatientWeight',
            value: h0.patientWeight.raw ?? null,
          },
        );
      }
      if (w > 1000) {
        warnings.push(`PatientWeight ${w} > 1000 read as grams (${w / 1000} kg)`);
        return (weightCache = w / 1000);
      }
      return (weightCache = w);
    },
    heightCm(): number {
      if (opts.heightM !== undefined) {
        if (!(opts.heightM > 0.3 && opts.heightM < 3)) {
          throw new InputError('height override must be in m', { field: 'heightM', value: opts.heightM });
        }
        return opts.heightM * 100;
      }
      const hm = readField(h0.patientSize);
      if (hm === undefined || !(hm > 0)) {
        throw new InputError('PatientSize (0010,1020) missing or zero: needed for this SUV type', {
          ...s0,
          field: 'PatientSize',
          value: h0.patientSize.raw ?? null,
        });
      }
      if (hm > 3) {
        warnings.push(`PatientSize ${hm} > 3 read as cm`);
        return hm;
      }
      return hm * 100;
    },
    sex(): 'M' | 'F' | 'O' {
      const s = readField(h0.patientSex)?.toUpperCase();
      if (s === 'M' || s === 'F' || s === 'O') return s;
      throw new InputError('PatientSex (0010,0040) missing or not M/F/O: needed for this SUV type', {
        ...s0,
        field: 'PatientSex',
        value: s ?? null,
      });
    },
  };
  return { body, cachedWeightKg: () => weightCache };
}

/**
 * Result for a series whose values need no decay arithmetic: GML/CM2ML (already SUV) or Philips
 * CNTS with the SUV scale factor (7053,1000). `scaleOf(i)` is the per-instance factor.
 */
function noDecayResult(
  ctx: SeriesContext,
  conversion: 'already-suv' | 'philips-suv-factor',
  scaleOf: (i: number) => number,
): SuvResult {
  const { headers, units, dcRaw, rp0 } = ctx;
  const factors = headers.map((h, i) => ({
    ...sopOf(h),
    scaleFactor: scaleOf(i),
    units,
    decayCorrection: dcRaw ?? '',
    referenceTime: null,
  }));
  const halfLifeS = rp0 === undefined ? undefined : readField(rp0.halfLifeS);
  return {
    factors,
    meta: {
      ...ctx.metaBase,
      conversion,
      decayCorrection: dcRaw ?? '',
      referenceTime: null,
      referenceTimeRule: 'none',
      halfLifeS: halfLifeS ?? null,
      injectionTime: null,
      weightKg: ctx.cachedWeightKg() ?? null,
      doseBq: null,
    },
  };
}

/**
 * Already-normalised units: GML (SUVType, default BW) and CM2ML (SUVbsa), converted to the
 * requested SUV type by the body-size ratio.
 * @throws InputError when CM2ML comes with an SUVType other than BSA, or SUVType is unknown
 */
function alreadySuvResult(ctx: SeriesContext): SuvResult {
  const { h0, s0, units, body, suvType } = ctx;
  const suvTypeTag = readField(h0.suvType);
  const kind = units === 'CM2ML' ? storedKind(suvTypeTag ?? 'BSA', s0) : storedKind(suvTypeTag, s0);
  if (units === 'CM2ML' && kind !== 'bsa') {
    throw new InputError('Units CM2ML require SUVType BSA', {
      ...s0,
      field: 'SUVType (0054,1006)',
      value: suvTypeTag,
    });
  }
  const f = kind === suvType ? 1 : bodySize(suvType, body) / bodySize(kind, body);
  return noDecayResult(ctx, 'already-suv', () => f);
}

/**
 * Philips CNTS: either a finished result from the SUV scale factor (7053,1000) (when no explicit
 * weight/dose/time is given), or the per-instance activity concentration scale factors (7053,1009)
 * for the activity path.
 * @throws InputError when neither private factor is present and positive on every instance
 */
function philipsCounts(ctx: SeriesContext): { result: SuvResult } | { activityScale: number[] } {
  const { headers, opts, suvType, body, s0 } = ctx;
  const explicitInputs =
    opts.weightKg !== undefined || opts.doseBq !== undefined || opts.injectionDateTime !== undefined;
  const suvsf = headers.map((h) => readField(h.philipsSuvScaleFactor));
  const acsf = headers.map((h) => readField(h.philipsActivityScaleFactor));
  const allPos = (xs: (number | undefined)[]): xs is number[] => xs.every((x) => x !== undefined && x > 0);
  if (allPos(suvsf) && !explicitInputs) {
    const conv = suvType === 'bw' ? 1 : bodySize(suvType, body) / bodySize('bw', body);
    return { result: noDecayResult(ctx, 'philips-suv-factor', (i) => suvsf[i]! * conv) };
  }
  if (!allPos(acsf)) {
    throw new InputError(
      'Units CNTS need the Philips SUV scale factor (7053,1000) or activity concentration scale factor ' +
        '(7053,1009) on every instance' +
        (explicitInputs ? ' (with explicit weight/dose/time only (7053,1009) can be used)' : ''),
      { ...s0, field: '(7053,1009) Philips Activity Concentration Scale Factor' },
    );
  }
  return { activityScale: acsf };
}

/**
 * Computes the SUV scale factor of every instance of one series (see module doc for the rules).
 * @param headers the typed header of every instance (src/io/dicom/pet-header.ts `petSuvHeader`;
 *   each carries its file for error messages), in slice order
 * @param opts SUV type and explicit overrides of weight (kg), dose (Bq), injection date-time
 *   (floating ms, see `SuvComputeOptions`) and height (m)
 * @returns factors in input order, and the series-level facts used
 * @throws InputError naming the tag for every header that cannot give a right answer (PROPCNTS,
 *   missing ATTN/DECY, missing weight/dose/time/half-life, intercept ≠ 0, CNTS without Philips
 *   factors, > 24 h possible without a date, negative or implausible uptake, mixed series values).
 * Source: IBSI SUV manual; QIBA SUV vendor-neutral pseudo-code; DICOM PS3.3 C.8.9.
 */
export function computeSuvFactors(headers: readonly PetSuvHeader[], opts: SuvComputeOptions = {}): SuvResult {
  if (headers.length === 0) throw new InputError('no instances to compute SUV factors for');
  const h0 = headers[0]!;
  const s0 = h0.source;
  const suvType: SuvType = opts.suvType ?? 'bw';
  if (!SUV_TYPES.includes(suvType)) {
    throw new InputError(`unknown SUV type (expected one of ${SUV_TYPES.join(', ')})`, {
      field: 'suvType',
      value: suvType,
    });
  }
  const warnings: string[] = [];
  const overrides: SuvMeta['overrides'] = [];
  if (opts.weightKg !== undefined) overrides.push('weightKg');
  if (opts.doseBq !== undefined) overrides.push('doseBq');
  if (opts.injectionDateTime !== undefined) overrides.push('injectionDateTime');
  if (opts.heightM !== undefined) overrides.push('heightM');

  checkSeriesAgreement(headers);
  const rp0 = readField(h0.radiopharmaceutical);
  const units = readField(h0.units)?.toUpperCase();
  if (units === undefined)
    throw new InputError('Units (0054,1001) absent: cannot convert to SUV', { ...s0, field: 'Units' });
  const dcRaw = readField(h0.decayCorrection)?.toUpperCase();
  const manufacturer = readField(h0.manufacturer) ?? null;
  checkQuantitativePet(h0, dcRaw);
  checkZeroIntercepts(headers);

  const { body, cachedWeightKg } = lazyBody(h0, s0, opts, warnings);
  const ctx: SeriesContext = {
    headers,
    h0,
    s0,
    opts,
    suvType,
    units,
    dcRaw,
    warnings,
    metaBase: { units, suvType, manufacturer, overrides, warnings },
    body,
    targetX: () => bodySize(suvType, body),
    cachedWeightKg,
    rp0,
  };
  if (units === 'GML' || units === 'CM2ML') return alreadySuvResult(ctx);
  let activityScale: number[] | undefined;
  if (units === 'CNTS') {
    const philips = philipsCounts(ctx);
    if ('result' in philips) return philips.result;
    activityScale = philips.activityScale;
  } else if (units !== 'BQML') {
    throw new InputError(
      `Units ${units} cannot be converted to SUV (supported: BQML, CNTS with Philips factors, GML, CM2ML)`,
      { ...s0, field: 'Units (0054,1001)', value: units },
    );
  }
  return activityResult(ctx, activityScale);
}

/**
 * The DecayFactor (0054,1321) a START-corrected instance should carry: 2^(FrameReferenceTime/T½)
 * (decay from the series reference time to the frame reference time, PS3.3 C.8.9.4.1.5/6).
 * @param h the instance's typed header (src/io/dicom/pet-header.ts)
 * @returns null when FrameReferenceTime or the half-life is absent
 * @throws InputError (stored in `h`) when FrameReferenceTime or the sequence or half-life is malformed
 */
export function expectedDecayFactor(h: PetSuvHeader): number | null {
  const frt = readField(h.frameReferenceTimeMs);
  const rp = readField(h.radiopharmaceutical);
  const t12 = rp ? readField(rp.halfLifeS) : undefined;
  if (frt === undefined || t12 === undefined) return null;
  return Math.pow(2, frt / 1000 / t12);
}

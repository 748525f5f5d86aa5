/**
 * SUV factors of activity-concentration series (Units BQML, or Philips CNTS via the activity
 * concentration scale factor (7053,1009)): net dose, half-life, injection time, uptake time and the
 * DecayCorrection rules ADMIN, NONE and START (reference-time choice). The series-level checks, body
 * measures and the already-normalised branches live in `suv.ts` (see its module doc for the rules).
 * No I/O. Sources: IBSI SUV manual; QIBA vendor-neutral SUV pseudo-code 2018; DICOM PS3.3 C.8.9.
 */
import { InputError } from '../errors.js';
import { dayOf, formatFloating, readField } from './suv-input.js';
import type { HeaderSource, PetSuvHeader, RadiopharmaceuticalInfo } from './suv-input.js';
import type {
  Body,
  ReferenceTimeRule,
  SuvComputeOptions,
  SuvConversion,
  SuvMeta,
  SuvResult,
  SuvType,
} from './suv.js';

/** Reference half-lives (s) by radionuclide code value (SRT / SCT), for a sanity check. */
const KNOWN_NUCLIDES: Record<string, { name: string; halfLifeS: number }> = {
  'C-111A1': { name: '18F', halfLifeS: 6586.2 },
  '77004003': { name: '18F', halfLifeS: 6586.2 },
  'C-168A4': { name: '89Zr', halfLifeS: 282276 },
  '63360001': { name: '89Zr', halfLifeS: 282276 },
  'C-131A1': { name: '68Ga', halfLifeS: 4057.7 },
  '41968003': { name: '68Ga', halfLifeS: 4057.7 },
  'C-105A1': { name: '11C', halfLifeS: 1221.8 },
  'C-107A1': { name: '13N', halfLifeS: 597.9 },
  'C-B1031': { name: '15O', halfLifeS: 122.24 },
  'C-163A8': { name: '64Cu', halfLifeS: 45720 },
  'C-114A4': { name: '124I', halfLifeS: 360806 },
};

/** Half-life above which a time-only injection time cannot be placed on a date (Z-Rad PR #282). */
const LONG_HALF_LIFE_S = 41_400;
const MS_PER_DAY = 86_400_000;

/** λT / (1 − e^(−λT)): mean-activity correction over a frame of duration T (→ 1 as T → 0). */
function frameAverageFactor(lambdaPerS: number, durationS: number): number {
  const x = lambdaPerS * durationS;
  return x < 1e-9 ? 1 + x / 2 : x / -Math.expm1(-x);
}

/** Everything the per-branch factor builders share about one series. */
export interface SeriesContext {
  headers: readonly PetSuvHeader[];
  h0: PetSuvHeader;
  /** The first instance's source (its file), named in series-level errors. */
  s0: HeaderSource;
  opts: SuvComputeOptions;
  suvType: SuvType;
  units: string;
  dcRaw: string | undefined;
  warnings: string[];
  metaBase: Pick<SuvMeta, 'units' | 'suvType' | 'manufacturer' | 'overrides' | 'warnings'>;
  body: Body;
  /** Body-size normaliser X of the requested SUV type (g or cm²; see `bodySize`). */
  targetX: () => number;
  /** The weight (kg) if it has been resolved so far, else undefined. */
  cachedWeightKg: () => number | undefined;
  /** First item of RadiopharmaceuticalInformationSequence, if any. */
  rp0: RadiopharmaceuticalInfo | undefined;
}

/** SOPInstanceUID of an instance as a spreadable field ({} when absent). */
export function sopOf(h: PetSuvHeader): { sopInstanceUid?: string } {
  const uid = readField(h.sopInstanceUid);
  return uid !== undefined ? { sopInstanceUid: uid } : {};
}

/**
 * Net injected dose at the injection time, Bq: the override, else RadionuclideTotalDose
 * (< 1e5 read as MBq, with a warning).
 * @throws InputError naming doseBq or RadionuclideTotalDose when missing or implausible
 */
function resolveDoseBq(
  opts: SuvComputeOptions,
  rp0: RadiopharmaceuticalInfo,
  rpSrc: HeaderSource,
  warnings: string[],
): number {
  if (opts.doseBq !== undefined) {
    if (!(opts.doseBq >= 1e5)) {
      throw new InputError('dose override must be the net injected activity in Bq (≥ 1e5 Bq)', {
        field: 'doseBq',
        value: opts.doseBq,
      });
    }
    return opts.doseBq;
  }
  const d = readField(rp0.totalDose);
  if (d === undefined || !(d > 0)) {
    throw new InputError(
      'RadionuclideTotalDose (0018,1074) missing or not positive: no SUV (give the dose explicitly)',
      {
        ...rpSrc,
        field: 'RadionuclideTotalDose',
        value: rp0.totalDose.raw ?? null,
      },
    );
  }
  if (d < 1e5) {
    warnings.push(`RadionuclideTotalDose ${d} < 1e5 read as MBq (${d * 1e6} Bq)`);
    return d * 1e6;
  }
  return d;
}

/**
 * RadionuclideHalfLife (0018,1075) in s, or null when absent; checked against the radionuclide
 * code when it is a known nuclide (2 % tolerance).
 * @throws InputError when not positive or not matching the nuclide code
 */
function resolveHalfLifeS(rp0: RadiopharmaceuticalInfo, rpSrc: HeaderSource): number | null {
  const t = readField(rp0.halfLifeS);
  if (t === undefined) return null;
  if (!(t > 0))
    throw new InputError('RadionuclideHalfLife not positive', {
      ...rpSrc,
      field: 'RadionuclideHalfLife',
      value: t,
    });
  const cv = readField(rp0.nuclideCodeValue);
  const known = cv !== undefined ? KNOWN_NUCLIDES[cv] : undefined;
  if (known && Math.abs(t - known.halfLifeS) > 0.02 * known.halfLifeS) {
    throw new InputError(
      `RadionuclideHalfLife ${t} s does not match the radionuclide code ${cv} (${known.name}, ${known.halfLifeS} s)`,
      { ...rpSrc, field: 'RadionuclideHalfLife (0018,1075)', value: t },
    );
  }
  return t;
}

/** Injection instant (ms, floating clock) and the field it came from. */
interface Injection {
  ms: number;
  field: string;
}

/**
 * Injection time: the override, else RadiopharmaceuticalStartDateTime, else
 * RadiopharmaceuticalStartTime placed on the scan date (series or earliest acquisition) with the
 * midnight rule (a warning when moved to the previous day).
 * @throws InputError when absent, when only a time is given for a long-lived nuclide, or when there
 *   is no date to place the time on
 */
function resolveInjection(
  ctx: SeriesContext,
  rp0: RadiopharmaceuticalInfo,
  seriesDt: number | undefined,
  earliestAcq: number | undefined,
): Injection {
  const { opts, warnings, s0: rpSrc } = ctx;
  if (opts.injectionDateTime !== undefined) {
    return { ms: readField(opts.injectionDateTime)!, field: 'injectionDateTime' };
  }
  const dt = readField(rp0.startDateTime);
  if (dt !== undefined) {
    return { ms: readField(dt.ms)!, field: 'RadiopharmaceuticalStartDateTime (0018,1078)' };
  }
  const tm = readField(rp0.startTime);
  if (tm === undefined) {
    throw new InputError(
      'injection time absent: neither RadiopharmaceuticalStartDateTime (0018,1078) nor RadiopharmaceuticalStartTime (0018,1072)',
      { ...rpSrc, field: 'RadiopharmaceuticalStartDateTime' },
    );
  }
  const t12 = readField(rp0.halfLifeS);
  if (t12 !== undefined && t12 >= LONG_HALF_LIFE_S) {
    throw new InputError(
      `only RadiopharmaceuticalStartTime (no date) with a long-lived nuclide (T½ ${t12} s): the uptake may ` +
        'exceed 24 h, so the injection date cannot be inferred; RadiopharmaceuticalStartDateTime is required ' +
        '(or give the injection date-time explicitly)',
      { ...rpSrc, field: 'RadiopharmaceuticalStartDateTime (0018,1078)' },
    );
  }
  const scan =
    seriesDt !== undefined && (earliestAcq === undefined || seriesDt <= earliestAcq)
      ? seriesDt
      : (earliestAcq ?? seriesDt);
  if (scan === undefined) {
    throw new InputError(
      'RadiopharmaceuticalStartTime has no date and the series has no date to place it on',
      {
        ...rpSrc,
        field: 'SeriesDate',
      },
    );
  }
  let ms = dayOf(scan) + readField(tm.ms)!;
  if (ms > scan) {
    ms -= MS_PER_DAY; // injected before midnight, scanned after
    warnings.push(
      'RadiopharmaceuticalStartTime after the scan time of day: injection placed on the previous day',
    );
  }
  return { ms, field: 'RadiopharmaceuticalStartTime (0018,1072)' };
}

/**
 * Builds the uptake-time function: uptake (s) from injection to `tRef`. When the full date-times
 * disagree (negative or more than 10 half-lives: an anonymised or shifted scan or injection date)
 * and the nuclide is short-lived, the times of day are used instead (midnight rule), with one
 * warning per series; long-lived nuclides (uptake may exceed 24 h) are refused (IBSI v3 DRO_4_4 vs
 * DRO_error_4_2).
 * @throws InputError (from the returned function) naming the instance and injection field
 */
function uptakeTimer(ctx: SeriesContext): (tRef: number, inj: Injection, t12: number, i: number) => number {
  const { opts, warnings, headers } = ctx;
  let warnedDates = false;
  return (tRef, inj, t12, i) => {
    const s = (tRef - inj.ms) / 1000;
    if (s >= -60 && s <= 10 * t12) return s;
    const describe = `between injection ${formatFloating(inj.ms)} and ${formatFloating(tRef)}`;
    if (t12 < LONG_HALF_LIFE_S && opts.injectionDateTime === undefined) {
      let tod = (tRef - dayOf(tRef) - (inj.ms - dayOf(inj.ms))) / 1000;
      if (tod < 0) tod += 86_400;
      if (tod <= 10 * t12) {
        if (!warnedDates) {
          warnings.push(
            `dates disagree (${(s / 3600).toFixed(1)} h ${describe}; anonymised date?): uptake taken from the ` +
              `times of day (${(tod / 3600).toFixed(2)} h)`,
          );
          warnedDates = true;
        }
        return tod;
      }
    }
    if (s < -60) {
      throw new InputError(`injection after the decay reference time (${describe})`, {
        ...headers[i]!.source,
        field: inj.field,
      });
    }
    throw new InputError(
      `implausible uptake time ${(s / 3600).toFixed(1)} h (> 10 half-lives) ${describe}: anonymised or wrong date?`,
      { ...headers[i]!.source, field: inj.field },
    );
  };
}

/** Inputs of the activity-concentration path once dose, weight and timing are resolved. */
interface ActivityInputs {
  dc: 'START' | 'ADMIN' | 'NONE';
  conversion: SuvConversion;
  doseBq: number;
  weightG: number;
  xTarget: number;
  perInstanceScale: (i: number) => number;
  halfLife: number | null;
  acqMs: (number | undefined)[];
  earliestAcq: number | undefined;
  seriesDt: number | undefined;
  rp0: RadiopharmaceuticalInfo;
}

/** Meta of an activity-path result, with the reference-time facts of its DecayCorrection rule. */
function activityMeta(
  ctx: SeriesContext,
  a: ActivityInputs,
  ref: Pick<SuvMeta, 'referenceTime' | 'referenceTimeRule' | 'halfLifeS' | 'injectionTime'>,
): SuvMeta {
  return {
    ...ctx.metaBase,
    conversion: a.conversion,
    decayCorrection: a.dc,
    referenceTime: ref.referenceTime,
    referenceTimeRule: ref.referenceTimeRule,
    halfLifeS: ref.halfLifeS,
    injectionTime: ref.injectionTime,
    weightKg: a.weightG / 1000,
    doseBq: a.doseBq,
  };
}

/**
 * DecayCorrection ADMIN: values refer to the injection time, so SUV = A·X/D. The injection time is
 * not needed; it is reported when readable.
 */
function adminResult(ctx: SeriesContext, a: ActivityInputs): SuvResult {
  let injMs: number | null;
  try {
    injMs = resolveInjection(ctx, a.rp0, a.seriesDt, a.earliestAcq).ms;
  } catch {
    injMs = null;
  }
  const f = a.xTarget / a.doseBq;
  const ref = injMs === null ? null : formatFloating(injMs);
  return {
    factors: ctx.headers.map((h, i) => ({
      ...sopOf(h),
      scaleFactor: f * a.perInstanceScale(i),
      units: ctx.units,
      decayCorrection: a.dc,
      referenceTime: ref,
    })),
    meta: activityMeta(ctx, a, {
      referenceTime: ref,
      referenceTimeRule: 'injection',
      halfLifeS: a.halfLife,
      injectionTime: ref,
    }),
  };
}

/**
 * DecayCorrection NONE: per instance ·(λT/(1−e^(−λT)))·e^(λ(t_acq − t_adm)).
 * @throws InputError naming AcquisitionTime or ActualFrameDuration when missing on an instance
 */
function uncorrectedResult(
  ctx: SeriesContext,
  a: ActivityInputs,
  t12: number,
  inj: Injection,
  uptakeS: ReturnType<typeof uptakeTimer>,
): SuvResult {
  const lambda = Math.LN2 / t12;
  const factors = ctx.headers.map((h, i) => {
    const src = h.source;
    const tAcq = a.acqMs[i];
    if (tAcq === undefined) {
      throw new InputError('DecayCorrection NONE needs the acquisition time of every instance', {
        ...src,
        field: 'AcquisitionTime (0008,0032)',
      });
    }
    const afd = readField(h.actualFrameDurationMs);
    if (afd === undefined || !(afd > 0)) {
      throw new InputError('DecayCorrection NONE needs ActualFrameDuration', {
        ...src,
        field: 'ActualFrameDuration (0018,1242)',
      });
    }
    const up = uptakeS(tAcq, inj, t12, i);
    const f = (a.xTarget / a.doseBq) * frameAverageFactor(lambda, afd / 1000) * Math.exp(lambda * up);
    return {
      ...sopOf(h),
      scaleFactor: f * a.perInstanceScale(i),
      units: ctx.units,
      decayCorrection: a.dc,
      referenceTime: formatFloating(tAcq),
    };
  });
  return {
    factors,
    meta: activityMeta(ctx, a, {
      referenceTime: factors[0]!.referenceTime,
      referenceTimeRule: 'acquisition',
      halfLifeS: t12,
      injectionTime: formatFloating(inj.ms),
    }),
  };
}

/**
 * DecayCorrection START: the decay reference time per instance and the rule that chose it —
 * DecayCorrectionDateTime, Siemens private, SeriesDate/Time (if not after the earliest
 * acquisition), GE private, else back-computed from the frame timing (PS3.3 C.8.9.4.1.5).
 * @throws InputError naming AcquisitionTime, ActualFrameDuration or FrameReferenceTime when back-computing fails
 */
function startReferenceTimes(
  ctx: SeriesContext,
  a: ActivityInputs,
  lambda: number,
): { rule: ReferenceTimeRule; refMs: number[] } {
  const { headers, h0 } = ctx;
  const { seriesDt, earliestAcq } = a;
  const dcdt = readField(h0.decayCorrectionDateTime);
  const siemens = readField(h0.siemensDecayDateTime);
  if (dcdt !== undefined) {
    const t = readField(dcdt.ms)!;
    return { rule: 'decay-correction-datetime', refMs: headers.map(() => t) };
  }
  if (siemens !== undefined) return { rule: 'siemens-private', refMs: headers.map(() => siemens) };
  if (seriesDt !== undefined && (earliestAcq === undefined || seriesDt <= earliestAcq)) {
    return { rule: 'series-time', refMs: headers.map(() => seriesDt) };
  }
  // the GE private date-time is read (and a malformed one refused) only when the rule reaches it
  const ge = readField(h0.gePetScanDateTime);
  if (ge !== undefined) return { rule: 'ge-private', refMs: headers.map(() => ge) };
  const refMs = headers.map((h, i) => {
    const src = h.source;
    const tAcq = a.acqMs[i];
    if (tAcq === undefined) {
      throw new InputError(
        'SeriesDate/Time absent or after the acquisition, and no AcquisitionTime to back-compute the decay reference',
        { ...src, field: 'AcquisitionTime (0008,0032)' },
      );
    }
    const afd = readField(h.actualFrameDurationMs);
    if (afd === undefined || !(afd > 0)) {
      throw new InputError(
        'SeriesTime is after AcquisitionTime and there is no vendor decay-reference tag: ActualFrameDuration ' +
          'is needed to back-compute the reference time',
        { ...src, field: 'ActualFrameDuration (0018,1242)' },
      );
    }
    const frt = readField(h.frameReferenceTimeMs);
    if (frt === undefined) {
      throw new InputError('FrameReferenceTime needed to back-compute the decay reference time', {
        ...src,
        field: 'FrameReferenceTime (0054,1300)',
      });
    }
    const tAvgS = Math.log(frameAverageFactor(lambda, afd / 1000)) / lambda;
    return tAcq + tAvgS * 1000 - frt;
  });
  return { rule: 'back-computed', refMs };
}

/** DecayCorrection START: SUV = A·X / (D·e^(−λ(t_ref − t_adm))) per instance. */
function startResult(
  ctx: SeriesContext,
  a: ActivityInputs,
  t12: number,
  inj: Injection,
  uptakeS: ReturnType<typeof uptakeTimer>,
): SuvResult {
  const lambda = Math.LN2 / t12;
  const { rule, refMs } = startReferenceTimes(ctx, a, lambda);
  const factors = ctx.headers.map((h, i) => {
    const tRef = refMs[i]!;
    const decayed = a.doseBq * Math.exp(-lambda * uptakeS(tRef, inj, t12, i));
    return {
      ...sopOf(h),
      scaleFactor: (a.xTarget / decayed) * a.perInstanceScale(i),
      units: ctx.units,
      decayCorrection: a.dc,
      referenceTime: formatFloating(tRef),
    };
  });
  return {
    factors,
    meta: activityMeta(ctx, a, {
      referenceTime: factors[0]!.referenceTime,
      referenceTimeRule: rule,
      halfLifeS: t12,
      injectionTime: formatFloating(inj.ms),
    }),
  };
}

/**
 * Activity concentration path (BQML, or CNTS via the Philips activity factor): resolves dose,
 * weight, half-life and timing, then applies the DecayCorrection rule (ADMIN, NONE or START).
 * @throws InputError naming DecayCorrection, the radiopharmaceutical sequence, dose, half-life or times
 */
export function activityResult(ctx: SeriesContext, activityScale: number[] | undefined): SuvResult {
  const { headers, h0, s0, dcRaw: dc } = ctx;
  if (dc !== 'START' && dc !== 'ADMIN' && dc !== 'NONE') {
    throw new InputError('DecayCorrection (0054,1102) must be START, ADMIN or NONE', {
      ...s0,
      field: 'DecayCorrection',
      value: dc ?? null,
    });
  }
  const rp0 = ctx.rp0;
  if (rp0 === undefined) {
    throw new InputError(
      'RadiopharmaceuticalInformationSequence (0054,0016) absent: no dose or injection time',
      {
        ...s0,
        field: 'RadiopharmaceuticalInformationSequence',
      },
    );
  }
  const doseBq = resolveDoseBq(ctx.opts, rp0, s0, ctx.warnings);
  const weightG = ctx.body.weightKg() * 1000;
  const xTarget = ctx.targetX();
  const halfLife = resolveHalfLifeS(rp0, s0);
  // Scan reference point for the midnight rule: series or earliest acquisition date-time.
  const acqMs = headers.map((h) => readField(h.acquisitionDateTime));
  const definedAcq = acqMs.filter((x): x is number => x !== undefined);
  const a: ActivityInputs = {
    dc,
    conversion: activityScale ? 'philips-activity-factor' : 'activity',
    doseBq,
    weightG,
    xTarget,
    perInstanceScale: (i) => (activityScale ? activityScale[i]! : 1),
    halfLife,
    acqMs,
    earliestAcq: definedAcq.length > 0 ? Math.min(...definedAcq) : undefined,
    seriesDt: readField(h0.seriesDateTime),
    rp0,
  };
  const uptakeS = uptakeTimer(ctx);
  if (dc === 'ADMIN') return adminResult(ctx, a);
  if (halfLife === null) {
    throw new InputError('RadionuclideHalfLife (0018,1075) absent: cannot decay-correct the dose', {
      ...s0,
      field: 'RadionuclideHalfLife',
    });
  }
  const inj = resolveInjection(ctx, rp0, a.seriesDt, a.earliestAcq);
  if (dc === 'NONE') return uncorrectedResult(ctx, a, halfLife, inj, uptakeS);
  return startResult(ctx, a, halfLife, inj, uptakeS);
}

/**
 * ASTCT 2019 consensus grading of cytokine release syndrome (CRS) and immune effector cell-associated
 * neurotoxicity syndrome (ICANS) for one observation window (usually one day).
 *
 * Source: Lee DW, Santomasso BD, Locke FL, et al. ASTCT consensus grading for cytokine release syndrome
 * and neurologic toxicity associated with immune effector cells. Biol Blood Marrow Transplant
 * 2019;25:625–638 (Tables 3 and 5 with their footnotes). Pure functions: no I/O.
 *
 * The validators (`parseCrsWindow`, `parseIcansWindow`) turn untyped JSON into a window and throw an
 * `InputError` naming the offending field; a missing field is an error, never a default.
 */
import { z } from 'zod';
import { InputError, schemaIssueToInputError } from '../../errors.js';

export const OXYGEN_DEVICES = [
  'none',
  'low-flow-nasal-cannula',
  'blow-by',
  'high-flow-nasal-cannula',
  'facemask',
  'non-rebreather',
  'venturi',
  'cpap',
  'bipap',
  'mechanical-ventilation',
] as const;
export type OxygenDevice = (typeof OXYGEN_DEVICES)[number];

export const CONSCIOUSNESS_LEVELS = [
  'awake',
  'awakens-to-voice',
  'awakens-to-tactile',
  'unarousable',
  'stupor',
  'coma',
] as const;
export type Consciousness = (typeof CONSCIOUSNESS_LEVELS)[number];

export const SEIZURE_KINDS = [
  'none',
  'rapidly-resolving',
  'non-convulsive-eeg-resolving',
  'prolonged-or-repetitive',
] as const;
export const MOTOR_FINDINGS = ['none', 'deep-focal-weakness'] as const;
export const OEDEMA_KINDS = ['none', 'focal', 'diffuse'] as const;

/** CRS observation window (units in the names: °C, L/min). */
export const crsWindowSchema = z.strictObject({
  /** Highest body temperature in the window (°C). */
  maxTemperatureC: z.number().min(25).max(45),
  /** Fever suppressed by antipyretics or anti-cytokine therapy (tocilizumab, corticosteroids). */
  feverMaskedByTreatment: z.boolean(),
  /** Hypotension needing treatment (fluid bolus or vasopressor). */
  hypotension: z.boolean(),
  /** Hypotension treated with fluids only (no vasopressor). */
  fluidsOnly: z.boolean(),
  /** Names of the vasopressors running (e.g. "norepinephrine", "vasopressin"). */
  vasopressors: z.array(z.string().trim().min(1)),
  /** Oxygen delivery device needed to correct hypoxia ('none' when no oxygen or oxygen for comfort). */
  oxygenDevice: z.enum(OXYGEN_DEVICES),
  /** Oxygen flow (L/min); required for nasal cannulas, null otherwise allowed. */
  oxygenLPerMin: z.number().min(0).max(100).nullable(),
  /** Death due to CRS (another cause not the principal factor). */
  diedOfCrs: z.boolean(),
});
export type CrsWindow = z.infer<typeof crsWindowSchema>;

/** ICANS observation window (adults and children ≥ 12 years: ICE score). */
export const icansWindowSchema = z.strictObject({
  /** Immune effector cell-associated encephalopathy score 0–10; null when it could not be done. */
  iceScore: z.number().int().min(0).max(10).nullable(),
  /** True when the ICE assessment could not be done (unarousable, or awake with global aphasia). */
  iceNotPossible: z.boolean(),
  consciousness: z.enum(CONSCIOUSNESS_LEVELS),
  /** Awake but globally aphasic (scores ICE 0). */
  globalAphasia: z.boolean(),
  seizure: z.enum(SEIZURE_KINDS),
  motor: z.enum(MOTOR_FINDINGS),
  cerebralOedema: z.enum(OEDEMA_KINDS),
  /** Signs of raised intracranial pressure: decerebrate/decorticate posturing, cranial nerve VI palsy,
   * papilloedema or Cushing's triad. */
  raisedIcpSigns: z.boolean(),
});
export type IcansWindow = z.infer<typeof icansWindowSchema>;

export type CrsDomain = 'fever' | 'hypotension' | 'hypoxia' | 'death';
export type IcansDomain = 'ice' | 'consciousness' | 'seizure' | 'motor' | 'cerebral-oedema';

/** A grade with the domains that reach it (empty for grade 0). */
export interface GradeResult<D extends string> {
  grade: 0 | 1 | 2 | 3 | 4 | 5;
  drivenBy: D[];
}

/**
 * Validates one CRS observation window from untyped JSON.
 * @param input parsed JSON object (fields of `crsWindowSchema`)
 * @param file optional file name for the error message
 * @throws InputError naming the field when a field is missing, of the wrong type, out of range, or the
 *   window is inconsistent (e.g. vasopressors listed while `hypotension` is false).
 */
export function parseCrsWindow(input: unknown, file?: string): CrsWindow {
  const r = crsWindowSchema.safeParse(input);
  if (!r.success) throw schemaIssueToInputError(r.error.issues[0], input, file ? { file } : {});
  const w = r.data;
  const loc = file ? { file } : {};
  if (w.vasopressors.length > 0 && !w.hypotension) {
    throw new InputError('vasopressors are listed but hypotension is false', {
      ...loc,
      field: 'hypotension',
      value: w.hypotension,
    });
  }
  if (w.fluidsOnly && (!w.hypotension || w.vasopressors.length > 0)) {
    throw new InputError('fluidsOnly needs hypotension without vasopressors', {
      ...loc,
      field: 'fluidsOnly',
      value: w.fluidsOnly,
    });
  }
  if (w.hypotension && !w.fluidsOnly && w.vasopressors.length === 0) {
    throw new InputError('hypotension is true but neither fluidsOnly nor a vasopressor is given', {
      ...loc,
      field: 'fluidsOnly',
      value: w.fluidsOnly,
    });
  }
  const cannula = w.oxygenDevice === 'low-flow-nasal-cannula' || w.oxygenDevice === 'high-flow-nasal-cannula';
  if (cannula && w.oxygenLPerMin === null) {
    throw new InputError('oxygen flow (L/min) is required for a nasal cannula', {
      ...loc,
      field: 'oxygenLPerMin',
      value: null,
    });
  }
  return w;
}

/**
 * Validates one ICANS observation window from untyped JSON.
 * @throws InputError naming the field when a field is missing or invalid, when `iceScore` is null
 *   without `iceNotPossible`, or given while `iceNotPossible` is true.
 */
export function parseIcansWindow(input: unknown, file?: string): IcansWindow {
  const r = icansWindowSchema.safeParse(input);
  if (!r.success) throw schemaIssueToInputError(r.error.issues[0], input, file ? { file } : {});
  const w = r.data;
  const loc = file ? { file } : {};
  if (w.iceScore === null && !w.iceNotPossible) {
    throw new InputError('iceScore is required unless iceNotPossible is true', { ...loc, field: 'iceScore' });
  }
  if (w.iceScore !== null && w.iceNotPossible) {
    throw new InputError('iceScore must be null when iceNotPossible is true', {
      ...loc,
      field: 'iceScore',
      value: w.iceScore,
    });
  }
  if (w.iceNotPossible && !w.globalAphasia && !UNAROUSABLE.has(w.consciousness)) {
    throw new InputError(
      'ICE not possible needs an unarousable patient (consciousness) or global aphasia (globalAphasia)',
      { ...loc, field: 'iceNotPossible', value: true },
    );
  }
  return w;
}

const UNAROUSABLE = new Set<Consciousness>(['unarousable', 'stupor', 'coma']);

function combine<D extends string>(parts: [D, number][]): GradeResult<D> {
  const grade = Math.max(0, ...parts.map(([, g]) => g)) as GradeResult<D>['grade'];
  return { grade, drivenBy: grade === 0 ? [] : parts.filter(([, g]) => g === grade).map(([d]) => d) };
}

/** Number of vasopressors that count towards "multiple" (vasopressin never counts, ASTCT Table 3 note). */
export function countingVasopressors(names: readonly string[]): number {
  const distinct = new Set(names.map((n) => n.trim().toLowerCase()));
  distinct.delete('vasopressin');
  return distinct.size;
}

/**
 * ASTCT 2019 CRS grade of one observation window.
 *
 * Fever (≥ 38.0 °C) is required; once antipyretics or anti-cytokine therapy mask it
 * (`feverMaskedByTreatment`), it is no longer required. Grade = the more severe of the hypotension and
 * hypoxia criteria: fluids only → 2, one vasopressor (with or without vasopressin) → 3, two or more
 * vasopressors excluding vasopressin → 4; low-flow nasal cannula ≤ 6 L/min or blow-by → 2, nasal cannula
 * > 6 L/min (high flow), facemask, non-rebreather or Venturi → 3, CPAP, BiPAP or mechanical ventilation →
 * 4. Death due to CRS → 5. Without fever (and not masked) there is no CRS: grade 0.
 * @param w a validated window (see `parseCrsWindow`)
 * @returns grade 0–5 and the domains that set it
 */
export function gradeCrs(w: CrsWindow): GradeResult<CrsDomain> {
  if (w.diedOfCrs) return { grade: 5, drivenBy: ['death'] };
  const fever = w.maxTemperatureC >= 38.0 || w.feverMaskedByTreatment;
  if (!fever) return { grade: 0, drivenBy: [] };
  let hypotension = 0;
  if (w.hypotension) {
    const n = countingVasopressors(w.vasopressors);
    const anyVaso = w.vasopressors.length > 0;
    hypotension = n >= 2 ? 4 : anyVaso ? 3 : 2;
  }
  let hypoxia = 0;
  switch (w.oxygenDevice) {
    case 'none':
      hypoxia = 0;
      break;
    case 'blow-by':
      hypoxia = 2;
      break;
    case 'low-flow-nasal-cannula':
    case 'high-flow-nasal-cannula':
      // ASTCT: low-flow nasal cannula is oxygen at ≤ 6 L/min; high-flow is > 6 L/min (flow decides).
      hypoxia = (w.oxygenLPerMin ?? 0) > 6 ? 3 : 2;
      break;
    case 'facemask':
    case 'non-rebreather':
    case 'venturi':
      hypoxia = 3;
      break;
    case 'cpap':
    case 'bipap':
    case 'mechanical-ventilation':
      hypoxia = 4;
      break;
  }
  if (hypotension === 0 && hypoxia === 0) return { grade: 1, drivenBy: ['fever'] };
  return combine<CrsDomain>([
    ['hypotension', hypotension],
    ['hypoxia', hypoxia],
  ]);
}

/**
 * ASTCT 2019 ICANS grade (adults, ICE score) of one observation window: the most severe domain.
 *
 * ICE 7–9 → 1, 3–6 → 2, 0–2 → 3; ICE 0 because the patient is awake with global aphasia → 3, but an
 * unarousable patient (ICE cannot be done) → 4. Consciousness: awakens to voice → 2, only to tactile
 * stimulus → 3, unarousable/stupor/coma → 4. Seizure: rapidly resolving clinical, or non-convulsive on
 * EEG resolving with intervention → 3; prolonged (> 5 min) or repetitive without return to baseline →
 * 4. Deep focal motor weakness → 4. Focal/local oedema → 3; diffuse oedema or raised-ICP signs → 4.
 * @param w a validated window (see `parseIcansWindow`)
 * @returns grade 0–4 and the domains that set it
 */
export function gradeIcans(w: IcansWindow): GradeResult<IcansDomain> {
  let ice = 0;
  if (UNAROUSABLE.has(w.consciousness)) ice = 4;
  else if (w.iceNotPossible || w.iceScore === null)
    ice = 3; // awake, global aphasia: ICE 0 → grade 3
  else if (w.iceScore <= 2) ice = 3;
  else if (w.iceScore <= 6) ice = 2;
  else if (w.iceScore <= 9) ice = 1;
  const consciousness = {
    awake: 0,
    'awakens-to-voice': 2,
    'awakens-to-tactile': 3,
    unarousable: 4,
    stupor: 4,
    coma: 4,
  }[w.consciousness];
  const seizure = {
    none: 0,
    'rapidly-resolving': 3,
    'non-convulsive-eeg-resolving': 3,
    'prolonged-or-repetitive': 4,
  }[w.seizure];
  const motor = w.motor === 'deep-focal-weakness' ? 4 : 0;
  const oedema = w.raisedIcpSigns ? 4 : { none: 0, focal: 3, diffuse: 4 }[w.cerebralOedema];
  return combine<IcansDomain>([
    ['ice', ice],
    ['consciousness', consciousness],
    ['seizure', seizure],
    ['motor', motor],
    ['cerebral-oedema', oedema],
  ]);
}

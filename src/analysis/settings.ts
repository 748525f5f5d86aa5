/**
 * Settings of the complete analysis plan (study.json `analysis.*`), validated, with the defaults
 * filled in. Every default is stated in docs/analysis-plan.md. Unknown values throw InputError naming
 * the field (`analysis.pvc.method` …); a missing field takes its default.
 */
import { InputError } from '../errors.js';
import type { StudySettings } from '../study/model.js';

/** Partial-volume correction settings (`analysis.pvc`). */
export interface PvcSettings {
  /** Fit of log SUVpeak on the spline: 'ols' (default) or 'lmm' (random intercept per patient, REML). */
  method: 'ols' | 'lmm';
  /** Spline abscissa: 'volume' (mL, default: the seed's "volume–SUVpeak relation") or 'log-volume'. */
  scale: 'volume' | 'log-volume';
  /** Reference lesion volume in mL (default 5, docs/references/trial.md §4). */
  referenceMl: number;
  /** Number of spline knots (default 4, docs/references/trial.md §4). */
  knots: number;
  /** Apply the correction (default true). When false, tumour analyses use the measured SUVpeak. */
  enabled: boolean;
}

/** Normal-tissue time-course settings (`analysis.normalTissue`). */
export interface NormalTissueSettings {
  /** Organ VOI labels analysed, in report order. */
  organs: string[];
  /** Candidate time curves compared by AIC under ML. */
  curves: ('linear' | 'log-linear' | 'quadratic')[];
}

/** Random-effects structure of the pre → post model. */
export type PrePostRandom = 'patient' | 'patient/lesion' | 'patient/lesion+timepoint';

/** Everything the analyses of this plan read from the settings. */
export interface PlanSettings {
  suvPeak: 'global' | 'local';
  excludeEbvPositive: boolean;
  pvc: PvcSettings;
  normalTissue: NormalTissueSettings;
  /** Post-CART timepoint of the lesion-level association analysis (default 'd2'). */
  associationTimepoint: string;
  /** Post-CART timepoint of the tumour volume change (default 'd7'). */
  volumeChangeTimepoint: string;
  /** Lesion-level Cox hazard ratio per this many SUVpeak units (default 10). */
  lesionHrPerUnits: number;
  /** High-MATV cut-off in mL (default 480). */
  matvCutoffMl: number;
  /** Lab analyte of circulating CD8 (default 'cd8_copies_per_cell'). */
  cd8Analyte: string;
  /** Organ label of the blood pool (default 'aorta'). */
  bloodPoolLabel: string;
  /** Organ label of the brain (default 'brain'). */
  brainLabel: string;
  /**
   * Days between tracer injection and scan that a scan must have to enter the uptake analyses (default 2,
   * docs/references/trial.md §1: scans two days after an injection); null = every scan. Scans without a
   * tracer_injection event are kept.
   */
  uptakeDays: number | null;
  /**
   * Random effects of the pre → post model: 'patient' (1 | patient); 'patient/lesion' adds lesions
   * within patients; 'patient/lesion+timepoint' (default) also a patient × timepoint intercept, i.e. a
   * patient-specific change at each post-CART timepoint (the random slope of timepoint).
   */
  prePostRandom: PrePostRandom;
  /** Maximum |lab day − scan day| to pair a lab value with a scan (default 10 days: pairs the pre-CART scan with the day-0 sample). */
  labScanMaxGapDays: number;
}

export const DEFAULT_ORGANS = [
  'spleen',
  'liver',
  'small_bowel',
  'bone_marrow',
  'lymph_node',
  'brain',
  'aorta',
];

function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new InputError('must be an object', { field, value: v });
  return v as Record<string, unknown>;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], def: T, field: string): T {
  if (v === undefined) return def;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InputError(`must be one of ${allowed.join(', ')}`, { field, value: v });
  }
  return v as T;
}

function positive(v: unknown, def: number, field: string): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
    throw new InputError('must be a positive number', { field, value: v });
  return v;
}

function str(v: unknown, def: string, field: string): string {
  if (v === undefined) return def;
  if (typeof v !== 'string' || v.length === 0)
    throw new InputError('must be a non-empty string', { field, value: v });
  return v;
}

function bool(v: unknown, def: boolean, field: string): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new InputError('must be true or false', { field, value: v });
  return v;
}

/**
 * Reads the plan's settings from `study.settings` (study.json `analysis`).
 *
 * @throws InputError naming `analysis.<field>` for a value of the wrong type or outside its choices
 */
export function planSettings(settings: StudySettings): PlanSettings {
  const pvc = obj(settings['pvc'], 'analysis.pvc');
  const nt = obj(settings['normalTissue'], 'analysis.normalTissue');
  const knots = positive(pvc['knots'], 4, 'analysis.pvc.knots');
  if (!Number.isInteger(knots) || knots < 3)
    throw new InputError('must be an integer ≥ 3', { field: 'analysis.pvc.knots', value: knots });
  let organs = DEFAULT_ORGANS;
  if (nt['organs'] !== undefined) {
    const o = nt['organs'];
    if (!Array.isArray(o) || o.length === 0 || !o.every((s) => typeof s === 'string')) {
      throw new InputError('must be a non-empty list of organ labels', {
        field: 'analysis.normalTissue.organs',
        value: o,
      });
    }
    organs = o;
  }
  const allCurves = ['linear', 'log-linear', 'quadratic'] as const;
  let curves: NormalTissueSettings['curves'] = [...allCurves];
  if (nt['curves'] !== undefined) {
    const c = nt['curves'];
    if (
      !Array.isArray(c) ||
      c.length === 0 ||
      !c.every((s) => (allCurves as readonly unknown[]).includes(s))
    ) {
      throw new InputError('must be a non-empty list of linear, log-linear, quadratic', {
        field: 'analysis.normalTissue.curves',
        value: c,
      });
    }
    curves = c as NormalTissueSettings['curves'];
  }
  return {
    suvPeak: oneOf(settings.suvPeak, ['global', 'local'] as const, 'global', 'analysis.suvPeak'),
    excludeEbvPositive: bool(settings.excludeEbvPositive, true, 'analysis.excludeEbvPositive'),
    pvc: {
      method: oneOf(pvc['method'], ['ols', 'lmm'] as const, 'ols', 'analysis.pvc.method'),
      scale: oneOf(pvc['scale'], ['volume', 'log-volume'] as const, 'volume', 'analysis.pvc.scale'),
      referenceMl: positive(pvc['referenceMl'], 5, 'analysis.pvc.referenceMl'),
      knots,
      enabled: bool(pvc['enabled'], true, 'analysis.pvc.enabled'),
    },
    normalTissue: { organs, curves },
    associationTimepoint: str(settings['associationTimepoint'], 'd2', 'analysis.associationTimepoint'),
    volumeChangeTimepoint: str(settings['volumeChangeTimepoint'], 'd7', 'analysis.volumeChangeTimepoint'),
    lesionHrPerUnits: positive(settings['lesionHrPerUnits'], 10, 'analysis.lesionHrPerUnits'),
    matvCutoffMl: positive(settings['matvCutoffMl'], 480, 'analysis.matvCutoffMl'),
    cd8Analyte: str(settings['cd8Analyte'], 'cd8_copies_per_cell', 'analysis.cd8Analyte'),
    bloodPoolLabel: str(settings['bloodPoolLabel'], 'aorta', 'analysis.bloodPoolLabel'),
    brainLabel: str(settings['brainLabel'], 'brain', 'analysis.brainLabel'),
    uptakeDays:
      settings['uptakeDays'] === null ? null : positive(settings['uptakeDays'], 2, 'analysis.uptakeDays'),
    prePostRandom: oneOf(
      settings['prePostRandom'],
      ['patient', 'patient/lesion', 'patient/lesion+timepoint'] as const,
      'patient/lesion+timepoint',
      'analysis.prePostRandom',
    ),
    labScanMaxGapDays: positive(settings['labScanMaxGapDays'], 10, 'analysis.labScanMaxGapDays'),
  };
}

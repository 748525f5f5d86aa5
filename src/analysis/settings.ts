/**
 * Settings of the complete analysis plan (study.json `analysis.*`), validated, with the defaults
 * filled in. Every default is stated in docs/analysis-plan.md. Unknown values and unknown keys throw
 * InputError naming the field (`analysis.pvc.method` …); a missing field takes its default.
 */
import { z } from 'zod';
import type { StudySettings } from '../study/model.js';
import { parseStrict } from '../study/json-input.js';

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

const positive = z.number().positive();
const label = z.string().min(1);
const CURVES = ['linear', 'log-linear', 'quadratic'] as const;
const PRE_POST_RANDOM = ['patient', 'patient/lesion', 'patient/lesion+timepoint'] as const;

/**
 * Schema of study.json `analysis` (docs/study-bundle.md, docs/analysis-plan.md): every key optional, strict
 * at every level (an unknown key is an error, never ignored). The one list of analysis settings: the
 * plan's own (below) and those the import reads (`matvThresholdSuv`, `qpcrReferenceTarget`,
 * `cytokineCurveModel`, `cytokineBelowLloq`).
 */
export const analysisSettingsSchema = z.strictObject({
  suvPeak: z.enum(['global', 'local']).optional(),
  excludeEbvPositive: z.boolean().optional(),
  matvThresholdSuv: positive.optional(),
  qpcrReferenceTarget: label.optional(),
  cytokineCurveModel: z.enum(['3pl', '4pl', '5pl']).optional(),
  cytokineBelowLloq: z.enum(['half-lloq', 'lloq', 'omit']).optional(),
  pvc: z
    .strictObject({
      method: z.enum(['ols', 'lmm']).optional(),
      scale: z.enum(['volume', 'log-volume']).optional(),
      referenceMl: positive.optional(),
      knots: z.number().int().min(3).optional(),
      enabled: z.boolean().optional(),
    })
    .optional(),
  normalTissue: z
    .strictObject({
      organs: z.array(label).min(1).optional(),
      curves: z.array(z.enum(CURVES)).min(1).optional(),
    })
    .optional(),
  associationTimepoint: label.optional(),
  volumeChangeTimepoint: label.optional(),
  lesionHrPerUnits: positive.optional(),
  matvCutoffMl: positive.optional(),
  cd8Analyte: label.optional(),
  bloodPoolLabel: label.optional(),
  brainLabel: label.optional(),
  uptakeDays: positive.nullable().optional(),
  prePostRandom: z.enum(PRE_POST_RANDOM).optional(),
  labScanMaxGapDays: positive.optional(),
  /** Patients scanned, not treated with CAR T: no journey, outcomes or toxicity (docs/study-bundle.md). */
  imagingOnly: z.boolean().optional(),
});

/** study.json `analysis` as validated (every key optional). */
export type AnalysisSettingsInput = z.infer<typeof analysisSettingsSchema>;

/**
 * Reads the plan's settings from `study.settings` (study.json `analysis`).
 *
 * @throws InputError naming `analysis.<field>` for a value of the wrong type or outside its choices, or
 *   an unknown key (with the nearest known key)
 */
export function planSettings(settings: StudySettings): PlanSettings {
  const a = parseStrict(analysisSettingsSchema, settings, { field: 'analysis' });
  return {
    suvPeak: a.suvPeak ?? 'global',
    excludeEbvPositive: a.excludeEbvPositive ?? true,
    pvc: {
      method: a.pvc?.method ?? 'ols',
      scale: a.pvc?.scale ?? 'volume',
      referenceMl: a.pvc?.referenceMl ?? 5,
      knots: a.pvc?.knots ?? 4,
      enabled: a.pvc?.enabled ?? true,
    },
    normalTissue: {
      organs: a.normalTissue?.organs ?? DEFAULT_ORGANS,
      curves: a.normalTissue?.curves ?? [...CURVES],
    },
    associationTimepoint: a.associationTimepoint ?? 'd2',
    volumeChangeTimepoint: a.volumeChangeTimepoint ?? 'd7',
    lesionHrPerUnits: a.lesionHrPerUnits ?? 10,
    matvCutoffMl: a.matvCutoffMl ?? 480,
    cd8Analyte: a.cd8Analyte ?? 'cd8_copies_per_cell',
    bloodPoolLabel: a.bloodPoolLabel ?? 'aorta',
    brainLabel: a.brainLabel ?? 'brain',
    uptakeDays: a.uptakeDays === undefined ? 2 : a.uptakeDays,
    prePostRandom: a.prePostRandom ?? 'patient/lesion+timepoint',
    labScanMaxGapDays: a.labScanMaxGapDays ?? 10,
  };
}

/**
 * Quantification section: every VOI's metrics on every scan (SUV in g/mL, volumes in mL), as
 * measured — SUVmean, SUVmax, SUVpeak (IBSI 1 local and global intensity peak: mean SUV of all image
 * voxels whose centres lie within 6.2035 mm of the peak position, i.e. a 1 mL sphere), MATV.
 */
import type { StudyData } from '../study/model.js';
import type { AnalysisSection } from './types.js';
import { timepointOrder } from './normal-tissue-summary.js';

/** One VOI's metrics on one scan (SUV g/mL, volumes mL), as in results.json. */
export type QuantifiedVoi = Pick<
  StudyData['vois'][number],
  | 'voiId'
  | 'patientId'
  | 'scanId'
  | 'timepoint'
  | 'kind'
  | 'label'
  | 'lesionId'
  | 'site'
  | 'voxelCount'
  | 'volumeMl'
  | 'suvMin'
  | 'suvMax'
  | 'suvMean'
  | 'suvMedian'
  | 'suvSd'
  | 'suvPeakLocal'
  | 'suvPeakGlobal'
  | 'matvMl'
>;

/** Results of the quantification section: every VOI of every scan. */
export interface QuantificationResults {
  vois: QuantifiedVoi[];
}

/**
 * The per-VOI quantification table of the study. It is not a section of the analysis plan: the
 * pipeline (src/pipeline/run.ts) appends it after the plan's sections, with the scan pictures.
 */
export function quantificationSection(study: StudyData): AnalysisSection<QuantificationResults> {
  const vois = [...study.vois].sort(
    (a, b) =>
      a.patientId.localeCompare(b.patientId) ||
      timepointOrder(a.timepoint, b.timepoint) ||
      a.kind.localeCompare(b.kind) ||
      (a.lesionId ?? a.label).localeCompare(b.lesionId ?? b.label),
  );
  const columns = [
    'patient',
    'scan',
    'timepoint',
    'kind',
    'label',
    'lesion_id',
    'site',
    'voxel_count',
    'volume_ml',
    'suv_min',
    'suv_max',
    'suv_mean',
    'suv_median',
    'suv_sd',
    'suv_peak_local',
    'suv_peak_global',
    'matv_ml',
  ];
  return {
    id: 'quantification',
    title: 'Quantification per VOI',
    status: vois.length > 0 ? 'ok' : 'not-run',
    ...(vois.length === 0 ? { reason: 'the study has no VOIs' } : {}),
    description:
      'Per VOI: voxel count, volume (mL, voxel counting), SUVbw min, max, mean, median and SD (population), ' +
      'SUVpeak as the IBSI 1 local intensity peak (1 mL sphere, r = 6.2035 mm, centred on the maximum voxel) and ' +
      'global intensity peak (the highest such sphere mean over all VOI voxel centres; voxels outside the VOI ' +
      `included), and MATV (mL of VOI voxels with SUV ≥ ${study.settings.matvThresholdSuv}).`,
    n: {
      patients: new Set(vois.map((v) => v.patientId)).size,
      scans: new Set(vois.map((v) => v.scanId)).size,
      lesions: vois.filter((v) => v.kind === 'lesion').length,
    },
    results: {
      vois: vois.map((v): QuantifiedVoi => ({
        voiId: v.voiId,
        patientId: v.patientId,
        scanId: v.scanId,
        timepoint: v.timepoint,
        kind: v.kind,
        label: v.label,
        lesionId: v.lesionId,
        site: v.site,
        voxelCount: v.voxelCount,
        volumeMl: v.volumeMl,
        suvMin: v.suvMin,
        suvMax: v.suvMax,
        suvMean: v.suvMean,
        suvMedian: v.suvMedian,
        suvSd: v.suvSd,
        suvPeakLocal: v.suvPeakLocal,
        suvPeakGlobal: v.suvPeakGlobal,
        matvMl: v.matvMl,
      })),
    },
    tables: [
      {
        id: 'voi-metrics',
        title: 'VOI metrics (SUV g/mL, volumes mL)',
        columns,
        rows: vois.map((v) => ({
          patient: v.patientId,
          scan: v.scanId,
          timepoint: v.timepoint,
          kind: v.kind,
          label: v.label,
          lesion_id: v.lesionId,
          site: v.site,
          voxel_count: v.voxelCount,
          volume_ml: v.volumeMl,
          suv_min: v.suvMin,
          suv_max: v.suvMax,
          suv_mean: v.suvMean,
          suv_median: v.suvMedian,
          suv_sd: v.suvSd,
          suv_peak_local: v.suvPeakLocal,
          suv_peak_global: v.suvPeakGlobal,
          matv_ml: v.matvMl,
        })),
      },
    ],
    figures: [],
  };
}

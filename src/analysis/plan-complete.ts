/**
 * The complete analysis plan's sections in the paper's order (docs/references/trial.md §5), for
 * `src/analysis/plan.ts` to splice between its own sections: after Table 1 / CONSORT flow come normal
 * tissue, tumour pre-CART (partial-volume correction first: every tumour endpoint uses it), pre → post,
 * outcomes, toxicity, and the correlations with CD8 measured otherwise. Each entry is a pure function
 * of the study; it returns a 'not-run' section with a reason when the data cannot support it.
 */
import type { StudyData } from '../study/model.js';
import { carTExpansion, cytokinesUptake } from './car-t-expansion.js';
import { biopsyCd8Correlation, bloodCd8Correlation } from './correlations.js';
import { normalTissueModels } from './normal-tissue.js';
import { matvSection, outcomesHazardRatios } from './outcomes-hr.js';
import { partialVolumeSection } from './pvc.js';
import { anatomicalStations, suvPeakVsSuvMax } from './lesion-sites.js';
import { lesionProgressionSection } from './lesion-progression.js';
import { radiotherapyDoseSection } from './radiotherapy.js';
import { followUpSection, responseSection } from './response.js';
import { brainVsIcans } from './toxicity.js';
import {
  tumourByCrs,
  tumourByEbv,
  tumourByResponse,
  tumourBySite,
  tumourIrradiated,
  tumourNodalExtranodal,
} from './tumour-groups.js';
import { tumourAssociation, tumourPrePost } from './tumour-prepost.js';
import type { AnalysisSection } from './types.js';

/** One section of the complete plan and the report part it belongs to. */
export interface CompleteAnalysis {
  id: string;
  title: string;
  part: 'normal-tissue' | 'tumour-pre' | 'tumour-prepost' | 'outcomes' | 'toxicity' | 'correlations';
  run: (study: StudyData) => AnalysisSection;
}

/** The sections, in report order. */
export const COMPLETE_ANALYSES: CompleteAnalysis[] = [
  {
    id: 'normal-tissue-lmm',
    title: 'Normal-tissue uptake over time (mixed models)',
    part: 'normal-tissue',
    run: normalTissueModels,
  },
  {
    id: 'correlation-blood-cd8',
    title: 'Circulating CD8 vs blood-pool uptake',
    part: 'normal-tissue',
    run: bloodCd8Correlation,
  },
  {
    id: 'suvpeak-suvmax',
    title: 'SUVpeak vs SUVmax per lesion',
    part: 'tumour-pre',
    run: suvPeakVsSuvMax,
  },
  {
    id: 'tumour-pvc',
    title: 'Partial-volume correction of tumour SUVpeak',
    part: 'tumour-pre',
    run: partialVolumeSection,
  },
  {
    id: 'tumour-ebv',
    title: 'Pre-CART tumour uptake: EBV+ DLBCL vs other',
    part: 'tumour-pre',
    run: tumourByEbv,
  },
  {
    id: 'tumour-nodal',
    title: 'Pre-CART tumour uptake: nodal vs extranodal',
    part: 'tumour-pre',
    run: tumourNodalExtranodal,
  },
  { id: 'tumour-site', title: 'Pre-CART tumour uptake by site', part: 'tumour-pre', run: tumourBySite },
  {
    id: 'anatomical-stations',
    title: 'Lesions by anatomical station',
    part: 'tumour-pre',
    run: anatomicalStations,
  },
  {
    id: 'tumour-irradiated',
    title: 'Irradiated vs non-irradiated lesions (bridging radiotherapy)',
    part: 'tumour-pre',
    run: tumourIrradiated,
  },
  {
    id: 'radiotherapy-dose',
    title: 'Radiotherapy dose per lesion and pre-CART uptake',
    part: 'tumour-pre',
    run: radiotherapyDoseSection,
  },
  {
    id: 'tumour-prepost',
    title: 'Tumour uptake and volume from pre- to post-CART',
    part: 'tumour-prepost',
    run: tumourPrePost,
  },
  {
    id: 'tumour-association',
    title: 'Lesion-level association of pre- and post-CART uptake',
    part: 'tumour-prepost',
    run: tumourAssociation,
  },
  {
    id: 'correlation-biopsy-cd8',
    title: 'Biopsy CD8 density vs tumour uptake',
    part: 'tumour-prepost',
    run: biopsyCd8Correlation,
  },
  {
    id: 'car-t-expansion',
    title: 'CAR T expansion (copies/µg DNA, days 0–28) and tumour uptake',
    part: 'correlations',
    run: carTExpansion,
  },
  {
    id: 'cytokines-uptake',
    title: 'Cytokine courses and pre-CART tumour uptake',
    part: 'correlations',
    run: cytokinesUptake,
  },
  { id: 'response', title: 'Best overall response (Lugano 2014)', part: 'outcomes', run: responseSection },
  { id: 'follow-up', title: 'Follow-up and vein-to-vein time', part: 'outcomes', run: followUpSection },
  {
    id: 'outcomes-hr',
    title: 'Outcomes: hazard ratios by pre-CART tumour uptake',
    part: 'outcomes',
    run: outcomesHazardRatios,
  },
  {
    id: 'lesion-progression',
    title: 'Lesion-level progression and pre-CART uptake',
    part: 'outcomes',
    run: lesionProgressionSection,
  },
  {
    id: 'tumour-response',
    title: 'Pre-CART tumour uptake: complete response vs not',
    part: 'outcomes',
    run: tumourByResponse,
  },
  {
    id: 'outcomes-matv',
    title: 'Metabolic tumour volume (MATV) before lymphodepletion',
    part: 'outcomes',
    run: matvSection,
  },
  {
    id: 'tumour-crs',
    title: 'Pre-CART tumour uptake: CRS grade ≥ 2 vs < 2',
    part: 'toxicity',
    run: tumourByCrs,
  },
  { id: 'toxicity-brain-icans', title: 'Brain uptake and ICANS', part: 'toxicity', run: brainVsIcans },
];

/**
 * Runs every section of the complete plan; a section that throws becomes 'not-run' with the error
 * message as its reason, and the others still run.
 */
export function runCompleteAnalyses(
  study: StudyData,
  plan: CompleteAnalysis[] = COMPLETE_ANALYSES,
): AnalysisSection[] {
  return plan.map((a) => {
    try {
      return a.run(study);
    } catch (e) {
      return {
        id: a.id,
        title: a.title,
        status: 'not-run',
        reason: (e as Error).message,
        description: '',
        results: {},
        tables: [],
        figures: [],
      };
    }
  });
}

/**
 * The statistical analysis plan: ONE ordered list of report sections (docs/references/trial.md §5:
 * Table 1, patient flow, normal tissue, tumour pre-CART, pre → post, correlations, outcomes, toxicity,
 * laboratory). This list is the only place a section's id and title are written.
 *
 * A section is registered by one self-contained entry of `ANALYSIS_PLAN`:
 *
 *   { id: 'tumour-ebv', title: 'Pre-CART tumour uptake: EBV+ DLBCL vs other', part: 'tumour-pre',
 *     needs: ['journey'], run: tumourByEbv },
 *
 * - `id`: stable kebab-case id, the key of the section in results.json and its HTML anchor;
 * - `title`: the section heading in the report;
 * - `part`: the part of the report it belongs to (`ReportPart`); entries of one part stay together;
 * - `needs` (optional): what the study must hold for the section to run (`Need`); otherwise the
 *   section is 'not-run' with the reason (`IMAGING_ONLY_REASON`, `NO_IMAGING_REASON`);
 * - `run`: a pure function `(study: StudyData) => SectionBody<R>` of the section's module, where `R` is
 *   the section's exported results interface; it returns the section without id and title.
 *
 * The runner (`runSection`) adds id and title (a title that names a setting is a function of the
 * settings; when the settings are invalid the not-run section is headed by its id); a `run` that throws becomes a 'not-run' section
 * naming the error, and the other sections still run.
 */
import type { StudyData } from '../study/model.js';
import { carTExpansion, cytokinesUptake } from './car-t-expansion.js';
import { biopsyCd8Correlation, bloodCd8Correlation } from './correlations.js';
import { consortFlow, labSummary, qpcrSection, toxicitySummary } from './descriptive.js';
import { cytokineSection, cytotoxicitySection, flowSection } from './lab-assays.js';
import { anatomicalStations, suvPeakVsSuvMax } from './lesion-sites.js';
import { lesionProgressionSection } from './lesion-progression.js';
import { radiotherapyDoseSection } from './radiotherapy.js';
import { safetyAdverseEvents } from './safety.js';
import { normalTissueModels } from './normal-tissue.js';
import { normalTissueSummary } from './normal-tissue-summary.js';
import { matvSection, outcomesHazardRatios } from './outcomes-hr.js';
import { outcomesByUptake } from './outcomes-uptake.js';
import { partialVolumeSection } from './pvc.js';
import { followUpSection, responseSection } from './response.js';
import { table1 } from './table1.js';
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
import { planSettings, type PlanSettings } from './settings.js';
import type { AnalysisSection, SectionBody } from './types.js';

/** The parts of the report, in report order. */
export type ReportPart =
  | 'descriptive'
  | 'normal-tissue'
  | 'tumour-pre'
  | 'tumour-prepost'
  | 'correlations'
  | 'outcomes'
  | 'toxicity'
  | 'laboratory';

/**
 * What a section needs from the study:
 * - 'journey': the CAR T journey (infusion, post-CART scans, response, follow-up, toxicity or bridging),
 *   absent in an imaging-only study (study.json `analysis.imagingOnly`, docs/study-bundle.md);
 * - 'imaging': at least one PET scan.
 */
export type Need = 'journey' | 'imaging';

/** One section of the plan (see the file's head for the entry shape). */
export interface PlanEntry<R = unknown> {
  id: string;
  /** The heading; a function of the plan's settings when it names a setting (e.g. a timepoint). */
  title: string | ((settings: PlanSettings) => string);
  part: ReportPart;
  needs?: readonly Need[];
  run: (study: StudyData) => SectionBody<R>;
}

/** Why an analysis that needs the journey is not run in an imaging-only study. */
export const IMAGING_ONLY_REASON =
  'imaging-only study (study.json analysis.imagingOnly): the patients were scanned, not treated with CAR T, ' +
  'so there is no infusion, post-CART scan, response, follow-up or toxicity for this analysis';

/** Why an analysis that needs imaging is not run in a study without PET scans. */
export const NO_IMAGING_REASON = 'the study has no PET scans';

/** The sections, in report order (docs/references/trial.md §5). */
export const ANALYSIS_PLAN: readonly PlanEntry[] = [
  { id: 'table1', title: 'Baseline characteristics', part: 'descriptive', run: table1 },
  { id: 'consort-flow', title: 'Patient flow', part: 'descriptive', needs: ['journey'], run: consortFlow },
  {
    id: 'normal-tissue-summary',
    title: 'Normal-tissue uptake by organ and timepoint',
    part: 'normal-tissue',
    run: normalTissueSummary,
  },
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
  { id: 'suvpeak-suvmax', title: 'SUVpeak vs SUVmax per lesion', part: 'tumour-pre', run: suvPeakVsSuvMax },
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
    needs: ['journey'],
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
    needs: ['journey'],
    run: tumourPrePost,
  },
  {
    id: 'tumour-association',
    title: (settings) => `Lesion-level association of pre-CART and ${settings.associationTimepoint} uptake`,
    part: 'tumour-prepost',
    needs: ['journey'],
    run: tumourAssociation,
  },
  {
    id: 'correlation-biopsy-cd8',
    title: 'Biopsy CD8 density vs tumour uptake',
    part: 'tumour-prepost',
    needs: ['journey'],
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
  {
    id: 'outcomes-uptake',
    title: 'Outcomes by pre-CART tumour uptake',
    part: 'outcomes',
    needs: ['journey'],
    run: (study) => outcomesByUptake(study),
  },
  {
    id: 'response',
    title: 'Best overall response (Lugano 2014)',
    part: 'outcomes',
    needs: ['journey'],
    run: responseSection,
  },
  {
    id: 'follow-up',
    title: 'Follow-up and vein-to-vein time',
    part: 'outcomes',
    needs: ['journey'],
    run: followUpSection,
  },
  {
    id: 'outcomes-hr',
    title: 'Outcomes: hazard ratios by pre-CART tumour uptake',
    part: 'outcomes',
    needs: ['journey'],
    run: outcomesHazardRatios,
  },
  {
    id: 'lesion-progression',
    title: 'Lesion-level progression and pre-CART uptake',
    part: 'outcomes',
    needs: ['journey'],
    run: lesionProgressionSection,
  },
  {
    id: 'tumour-response',
    title: 'Pre-CART tumour uptake: complete response vs not',
    part: 'outcomes',
    needs: ['journey'],
    run: tumourByResponse,
  },
  {
    id: 'outcomes-matv',
    title: 'Metabolic tumour volume (MATV) before lymphodepletion',
    part: 'outcomes',
    needs: ['journey'],
    run: matvSection,
  },
  { id: 'toxicity', title: 'Toxicity', part: 'toxicity', needs: ['journey'], run: toxicitySummary },
  {
    id: 'tumour-crs',
    title: 'Pre-CART tumour uptake: CRS grade ≥ 2 vs < 2',
    part: 'toxicity',
    needs: ['journey'],
    run: tumourByCrs,
  },
  {
    id: 'toxicity-brain-icans',
    title: 'Brain uptake and ICANS',
    part: 'toxicity',
    needs: ['journey'],
    run: brainVsIcans,
  },
  {
    id: 'safety-adverse-events',
    title: 'Safety: adverse events',
    part: 'toxicity',
    needs: ['journey'],
    run: safetyAdverseEvents,
  },
  { id: 'labs', title: 'Laboratory measurements', part: 'laboratory', run: labSummary },
  { id: 'qpcr', title: 'qPCR: standard curves and samples', part: 'laboratory', run: qpcrSection },
  {
    id: 'cytokines',
    title: 'Cytokines: standard curves and concentrations',
    part: 'laboratory',
    run: cytokineSection,
  },
  { id: 'cytotoxicity', title: 'Cytotoxicity (⁵¹Cr release)', part: 'laboratory', run: cytotoxicitySection },
  { id: 'flow', title: 'Flow cytometry: gates and phenotypes', part: 'laboratory', run: flowSection },
];

/** The reason a study cannot support an entry's needs, or null when it can. */
function unmetNeed(entry: PlanEntry<unknown>, study: StudyData): string | null {
  const needs = entry.needs ?? [];
  if (needs.includes('journey') && study.settings.imagingOnly === true) return IMAGING_ONLY_REASON;
  if (needs.includes('imaging') && study.scans.length === 0) return NO_IMAGING_REASON;
  return null;
}

/**
 * Runs one entry of the plan: the section with the entry's id and title. An entry whose needs the
 * study does not meet, or whose `run` throws, gives a 'not-run' section with the reason and no results.
 */
export function runSection<R>(entry: PlanEntry<R>, study: StudyData): AnalysisSection<R> {
  let title = typeof entry.title === 'string' ? entry.title : entry.id;
  try {
    if (typeof entry.title !== 'string') title = entry.title(planSettings(study.settings));
    const unmet = unmetNeed(entry, study);
    if (unmet !== null) throw new Error(unmet);
    return { ...entry.run(study), id: entry.id, title };
  } catch (e) {
    return {
      id: entry.id,
      title,
      status: 'not-run',
      reason: (e as Error).message,
      description: '',
      results: {},
      tables: [],
      figures: [],
    };
  }
}

/**
 * Runs every entry of the plan (`runSection`), in order.
 * @param plan - the entries to run (default: the whole plan)
 * @param onProgress - called after each section with (done, total, id)
 */
export function runAnalysisPlan(
  study: StudyData,
  plan: readonly PlanEntry[] = ANALYSIS_PLAN,
  onProgress?: (done: number, total: number, id: string) => void,
): AnalysisSection[] {
  return plan.map((entry, i) => {
    const section = runSection(entry, study);
    onProgress?.(i + 1, plan.length, entry.id);
    return section;
  });
}

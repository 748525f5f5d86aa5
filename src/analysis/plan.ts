/**
 * The statistical analysis plan: the ordered list of report sections (docs/references/trial.md §5: Table 1,
 * normal tissue, tumour pre-CART, pre → post, outcomes, toxicity). Each analysis is a pure function
 * of the study data; one that throws becomes a 'not-run' section naming the error, and the others
 * still run.
 */
import type { StudyData } from '../study/model.js';
import { table1 } from './table1.js';
import type { AnalysisSection } from './types.js';
import { normalTissueSummary } from './v1-normal-tissue.js';
import { outcomesByUptake } from './v1-outcomes.js';
import { consortFlow, labSummary, qpcrSection, toxicitySummary } from './v1-descriptive.js';
import { cytokineSection, cytotoxicitySection, flowSection } from './lab-assays.js';
import { COMPLETE_ANALYSES, type CompleteAnalysis } from './plan-complete.js';
import { safetyAdverseEvents } from './safety.js';

/** One analysis of the plan. */
export interface PlannedAnalysis {
  id: string;
  title: string;
  run: (study: StudyData) => AnalysisSection;
  /**
   * Needs the CAR T journey (infusion, post-CART scans, response, follow-up, toxicity or bridging):
   * not run in an imaging-only study (study.json `analysis.imagingOnly`, docs/study-bundle.md).
   */
  needsJourney?: boolean;
}

/** Parts of the complete plan that need the CAR T journey (see `PlannedAnalysis.needsJourney`). */
const JOURNEY_PARTS: ReadonlySet<CompleteAnalysis['part']> = new Set([
  'tumour-prepost',
  'outcomes',
  'toxicity',
]);
/** Single analyses outside those parts that need it: the irradiated lesions (bridging radiotherapy). */
const JOURNEY_IDS: ReadonlySet<string> = new Set(['tumour-irradiated']);

const part = (p: CompleteAnalysis['part']): PlannedAnalysis[] =>
  COMPLETE_ANALYSES.filter((a) => a.part === p).map(({ id, title, run }) => ({
    id,
    title,
    run,
    needsJourney: JOURNEY_PARTS.has(p) || JOURNEY_IDS.has(id),
  }));

/** Why an analysis that needs the journey is not run in an imaging-only study. */
export const IMAGING_ONLY_REASON =
  'imaging-only study (study.json analysis.imagingOnly): the patients were scanned, not treated with CAR T, ' +
  'so there is no infusion, post-CART scan, response, follow-up or toxicity for this analysis';

/**
 * The analyses, in report order (docs/references/trial.md §5): Table 1, patient flow, normal tissue, tumour
 * pre-CART (partial-volume correction first), pre → post, outcomes, toxicity, laboratory measurements.
 */
export const ANALYSIS_PLAN: PlannedAnalysis[] = [
  { id: 'table1', title: 'Baseline characteristics', run: table1 },
  { id: 'consort-flow', title: 'Patient flow', run: consortFlow, needsJourney: true },
  {
    id: 'normal-tissue-summary',
    title: 'Normal-tissue uptake by organ and timepoint',
    run: normalTissueSummary,
  },
  ...part('normal-tissue'),
  ...part('tumour-pre'),
  ...part('tumour-prepost'),
  ...part('correlations'),
  {
    id: 'outcomes-uptake',
    title: 'Outcomes by pre-CART tumour uptake',
    run: (s) => outcomesByUptake(s),
    needsJourney: true,
  },
  ...part('outcomes'),
  { id: 'toxicity', title: 'Toxicity', run: toxicitySummary, needsJourney: true },
  ...part('toxicity'),
  {
    id: 'safety-adverse-events',
    title: 'Safety: adverse events',
    run: safetyAdverseEvents,
    needsJourney: true,
  },
  { id: 'labs', title: 'Laboratory measurements', run: labSummary },
  { id: 'qpcr', title: 'qPCR: standard curves and samples', run: qpcrSection },
  { id: 'cytokines', title: 'Cytokines: standard curves and concentrations', run: cytokineSection },
  { id: 'cytotoxicity', title: 'Cytotoxicity (⁵¹Cr release)', run: cytotoxicitySection },
  { id: 'flow', title: 'Flow cytometry: gates and phenotypes', run: flowSection },
];

/**
 * Runs every planned analysis on the study. An analysis that throws is reported as 'not-run' with
 * the error message as its reason; in an imaging-only study one that needs the CAR T journey is
 * 'not-run' with `IMAGING_ONLY_REASON`.
 * @param onProgress - called after each analysis with (done, total, id)
 */
export function runAnalysisPlan(
  study: StudyData,
  plan: PlannedAnalysis[] = ANALYSIS_PLAN,
  onProgress?: (done: number, total: number, id: string) => void,
): AnalysisSection[] {
  const out: AnalysisSection[] = [];
  plan.forEach((a, i) => {
    let section: AnalysisSection;
    const imagingOnly = study.settings.imagingOnly === true && a.needsJourney === true;
    try {
      if (imagingOnly) throw new Error(IMAGING_ONLY_REASON);
      section = a.run(study);
    } catch (e) {
      section = {
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
    out.push(section);
    onProgress?.(i + 1, plan.length, a.id);
  });
  return out;
}

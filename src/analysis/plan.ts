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

/** One analysis of the plan. */
export interface PlannedAnalysis {
  id: string;
  title: string;
  run: (study: StudyData) => AnalysisSection;
}

const part = (p: CompleteAnalysis['part']): PlannedAnalysis[] =>
  COMPLETE_ANALYSES.filter((a) => a.part === p).map(({ id, title, run }) => ({ id, title, run }));

/**
 * The analyses, in report order (docs/references/trial.md §5): Table 1, patient flow, normal tissue, tumour
 * pre-CART (partial-volume correction first), pre → post, outcomes, toxicity, laboratory measurements.
 */
export const ANALYSIS_PLAN: PlannedAnalysis[] = [
  { id: 'table1', title: 'Baseline characteristics', run: table1 },
  { id: 'consort-flow', title: 'Patient flow', run: consortFlow },
  {
    id: 'normal-tissue-summary',
    title: 'Normal-tissue uptake by organ and timepoint',
    run: normalTissueSummary,
  },
  ...part('normal-tissue'),
  ...part('tumour-pre'),
  ...part('tumour-prepost'),
  ...part('correlations'),
  { id: 'outcomes-uptake', title: 'Outcomes by pre-CART tumour uptake', run: (s) => outcomesByUptake(s) },
  ...part('outcomes'),
  { id: 'toxicity', title: 'Toxicity', run: toxicitySummary },
  ...part('toxicity'),
  { id: 'labs', title: 'Laboratory measurements', run: labSummary },
  { id: 'qpcr', title: 'qPCR: standard curves and samples', run: qpcrSection },
  { id: 'cytokines', title: 'Cytokines: standard curves and concentrations', run: cytokineSection },
  { id: 'cytotoxicity', title: 'Cytotoxicity (⁵¹Cr release)', run: cytotoxicitySection },
  { id: 'flow', title: 'Flow cytometry: gates and phenotypes', run: flowSection },
];

/**
 * Runs every planned analysis on the study. An analysis that throws is reported as 'not-run' with
 * the error message as its reason.
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
    try {
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

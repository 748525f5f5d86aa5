// The sections of the analysis plan that fit a model (the schema docs/results.schema.json describes
// their results): every section but the descriptive and laboratory summaries.
import { ANALYSIS_PLAN, runAnalysisPlan, type PlanEntry } from '../../src/analysis/plan.js';
import type { StudyData } from '../../src/study/model.js';
import type { AnalysisSection } from '../../src/analysis/types.js';

const SUMMARIES = new Set([
  'table1',
  'consort-flow',
  'normal-tissue-summary',
  'outcomes-uptake',
  'toxicity',
  'safety-adverse-events',
  'labs',
  'qpcr',
  'cytokines',
  'cytotoxicity',
  'flow',
]);

/** The model sections of the plan, in report order. */
export const MODEL_SECTIONS: readonly PlanEntry[] = ANALYSIS_PLAN.filter((a) => !SUMMARIES.has(a.id));

/** Runs the model sections (or the given entries) on a study. */
export function runModelSections(
  study: StudyData,
  plan: readonly PlanEntry[] = MODEL_SECTIONS,
): AnalysisSection[] {
  return runAnalysisPlan(study, plan);
}

/**
 * Linear mixed models matching lme4 (fitting) and lmerTest (Satterthwaite inference).
 * Public API used by the analysis plan and the CLI.
 */
export {
  fitLmm,
  profiledObjective,
  type LmmFit,
  type LmmOptions,
  type VarCorrSd,
  type VarCorrCorr,
} from './fit.js';
export {
  satterthwaite,
  contestMD,
  satterthwaiteState,
  type ContrastTest,
  type FTest,
} from './satterthwaite.js';
export {
  anovaTypeIII,
  typeIIIContrasts,
  emmeans,
  lrt,
  compareAic,
  refitMl,
  type AnovaRow,
  type EmmeanRow,
  type LrtResult,
} from './inference.js';

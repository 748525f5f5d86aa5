/**
 * Survival analysis validated against R's survival package (3.5) and coxphf: Kaplan–Meier, log-rank /
 * Gρ tests, Cox proportional hazards, Firth-penalised Cox and Harrell's concordance. No I/O.
 */
export { kaplanMeier, kaplanMeierByGroup, medianFollowUp, survivalAt, nRiskAt } from './km.js';
export type { KmConfType, KmOptions, KmResult, KmRow } from './km.js';
export { logRank } from './logrank.js';
export type { LogRankOptions, LogRankResult } from './logrank.js';
export type { SurvFieldNames } from './input.js';
export { coxph } from './cox.js';
export type { CoxCoefficient, CoxDesign, CoxOptions, CoxResult, ChisqTest } from './cox.js';
export { concordance } from './concordance.js';
export type { ConcordanceOptions, ConcordanceResult } from './concordance.js';
export { coxphFirth } from './firth.js';
export type { FirthCoefficient, FirthOptions, FirthResult } from './firth.js';
export { statusFromCodes, survStatus } from './input.js';
export { coxphFormula, coxphFormulaLoaded } from './cox-formula.js';
export type { CoxFormulaOptions, CoxFormulaResult } from './cox-formula.js';

/**
 * ASTCT 2019 consensus grading of CRS and ICANS for one observation window (Lee et al., Biol Blood
 * Marrow Transplant 2019;25:625). The code lives in src/registry/grading/astct.ts for now; this
 * re-export is the clinical module's entry (src/clinical/README.md). Daily and maximum grades:
 * src/clinical/outcomes.ts (`dailyGrades`, `maxGrade`).
 */
export { gradeCrs, gradeIcans, parseCrsWindow, parseIcansWindow } from '../registry/grading/astct.js';

/**
 * Small helpers shared by the plate-assay modules of a study (cytokine-study.ts, lysis-study.ts): grouping keys,
 * a plain string order, and the error location of a well's field. No I/O.
 */
import type { ErrorLocation } from '../errors.js';

/** Key of a group of wells: the fields joined by NUL (a character no CSV cell of a plate holds). */
export const wellGroupKey = (...fields: (string | number)[]): string => fields.join('\u0000');

/** Code-unit order of two strings (locale-independent, so output order is the same on every machine). */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Where a bad value of a well is: the table, the well's 1-based data row, the column and the value. */
export function wellField(file: string, row: number, field: string, value: unknown): Required<ErrorLocation> {
  return { file, row, field, value };
}

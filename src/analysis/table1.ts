/**
 * Table 1: baseline characteristics per cohort and overall (docs/references/trial.md §5; docs/references/clinical.md §2).
 * Continuous variables as median (range) — age — or median (IQR, R type-7 quantiles); categorical
 * variables as n (%) of the column's patients. No tests are done: it is a description.
 */
import type { Patient, StudyData } from '../study/model.js';
import type { ResultTable, SectionBody } from './types.js';
import { median, quantile7 } from './format.js';

/** The unrounded value of one characteristic in one column (cohort or 'All'). */
export type Table1Value =
  | number
  | { median: number; min: number; max: number }
  | { median: number; q1: number; q3: number; n: number }
  | { n: number; unknown: number; of: number };

/** Results of Table 1: per characteristic (row label), per column (`Cohort <c>`, `All`), the value. */
export type Table1Results = Record<string, Record<string, Table1Value>>;

interface Row {
  characteristic: string;
  values: (ps: Patient[]) => string;
  raw: (ps: Patient[]) => Table1Value;
}

function pct(n: number, d: number): string {
  return d === 0 ? '0' : `${n} (${((100 * n) / d).toFixed(0)} %)`;
}

function countRow(label: string, pred: (p: Patient) => boolean | null): Row {
  return {
    characteristic: label,
    values: (ps) => {
      const known = ps.filter((p) => pred(p) !== null);
      const n = known.filter((p) => pred(p) === true).length;
      const missing = ps.length - known.length;
      return pct(n, ps.length) + (missing > 0 ? ` [${missing} unknown]` : '');
    },
    raw: (ps) => ({
      n: ps.filter((p) => pred(p) === true).length,
      unknown: ps.filter((p) => pred(p) === null).length,
      of: ps.length,
    }),
  };
}

function categoryRows(label: string, key: (p: Patient) => string | null, levels: string[]): Row[] {
  return levels.map((level) =>
    countRow(`${label}: ${level}`, (p) => (key(p) === null ? null : key(p) === level)),
  );
}

/** Distinct values of `key` over patients in first-seen order, then sorted. */
function levelsOf(patients: Patient[], key: (p: Patient) => string | null): string[] {
  return [...new Set(patients.map(key).filter((v): v is string => v !== null))].sort();
}

/**
 * Builds Table 1 from the study's patients.
 * @returns a section with one table: rows = characteristics, columns = each cohort and 'All'
 */
export function table1(study: Pick<StudyData, 'patients'>): SectionBody<Table1Results> {
  const patients = study.patients;
  const cohorts = [...new Set(patients.map((p) => p.cohort))].sort();
  const groups: { name: string; patients: Patient[] }[] = [
    ...cohorts.map((c) => ({ name: `Cohort ${c}`, patients: patients.filter((p) => p.cohort === c) })),
    { name: 'All', patients },
  ];
  const rows: Row[] = [
    {
      characteristic: 'Patients, n',
      values: (ps) => String(ps.length),
      raw: (ps) => ps.length,
    },
    {
      characteristic: 'Age, median (range), years',
      values: (ps) => {
        const a = ps.map((p) => p.age);
        return a.length === 0 ? 'NA' : `${median(a)} (${Math.min(...a)}–${Math.max(...a)})`;
      },
      raw: (ps) => {
        const a = ps.map((p) => p.age);
        return { median: median(a), min: Math.min(...a), max: Math.max(...a) };
      },
    },
    countRow('Male sex', (p) => p.sex === 'M'),
    ...categoryRows(
      'Histology',
      (p) => p.histology,
      levelsOf(patients, (p) => p.histology),
    ),
    countRow('Stage III–IV', (p) => (p.stage === null ? null : p.stage === 'III' || p.stage === 'IV')),
    countRow('CNS involvement', (p) => p.cnsInvolvement),
    ...categoryRows(
      'ECOG',
      (p) => (p.ecog === null ? null : String(p.ecog)),
      levelsOf(patients, (p) => (p.ecog === null ? null : String(p.ecog))),
    ),
    {
      characteristic: 'Previous lines, median (IQR)',
      values: (ps) => {
        const v = ps.map((p) => p.previousLines).filter((x): x is number => x !== null);
        return v.length === 0 ? 'NA' : `${median(v)} (${quantile7(v, 0.25)}–${quantile7(v, 0.75)})`;
      },
      raw: (ps) => {
        const v = ps.map((p) => p.previousLines).filter((x): x is number => x !== null);
        return { median: median(v), q1: quantile7(v, 0.25), q3: quantile7(v, 0.75), n: v.length };
      },
    },
    countRow('Primary refractory', (p) => p.primaryRefractory),
    countRow('Prior autologous SCT', (p) => p.priorAsct),
    ...categoryRows('Bridging', (p) => p.bridging, ['none', 'radiotherapy', 'systemic', 'combination']),
  ];
  const table: ResultTable = {
    id: 'table1',
    title: 'Table 1. Baseline characteristics',
    columns: ['Characteristic', ...groups.map((g) => g.name)],
    rows: rows.map((r) => {
      const out: Record<string, string> = { Characteristic: r.characteristic };
      for (const g of groups) out[g.name] = r.values(g.patients);
      return out;
    }),
  };
  const results: Table1Results = {};
  for (const r of rows) {
    const o: Record<string, Table1Value> = {};
    for (const g of groups) o[g.name] = r.raw(g.patients);
    results[r.characteristic] = o;
  }
  return {
    status: patients.length > 0 ? 'ok' : 'not-run',
    ...(patients.length === 0 ? { reason: 'the study has no patients' } : {}),
    description:
      'Baseline characteristics per cohort and overall: age as median (range), previous lines as median ' +
      '(IQR, R type-7 quantiles), categorical characteristics as n (% of the cohort).',
    n: { patients: patients.length },
    results,
    tables: [table],
    figures: [],
  };
}

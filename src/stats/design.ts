/**
 * Model frames and design matrices as R builds them (`model.frame` with `na.omit`, `model.matrix`
 * with treatment contrasts, rank-deficient columns dropped by a pivoted QR as `lm`/`lme4` do).
 * Variables are evaluated by src/stats/formula-eval.ts (factor level order, R functions and
 * comparisons are documented there).
 */
import type { ColumnType, DataFrame } from './data-frame.js';

import { InputError } from '../errors.js';
import { columnOf, evalExpr, factorLevels, isMissing, numToFactor, type Raw } from './formula-eval.js';
import {
  deparse,
  exprColumns,
  parseFormula,
  type FormulaExpr,
  type FormulaTerm,
  type ParsedFormula,
} from './formula.js';
import { aliasedColumns } from './linalg.js';

export { compareLevels, evaluateCells } from './formula-eval.js';

/** A variable evaluated on the used rows: numeric values, or factor codes (0-based) with levels. */
export type EvaluatedVariable =
  | { kind: 'numeric'; label: string; values: Float64Array }
  | { kind: 'factor'; label: string; codes: Int32Array; levels: string[] };

/** Options shared by the model-frame builders. */
export interface DesignOptions {
  /** Reference (first) level per factor variable label, e.g. `{ timepoint: 'pre' }`. */
  ref?: Record<string, string>;
  /** Column type overrides: 'factor' makes a numeric column categorical, 'numeric' the reverse. */
  types?: Record<string, ColumnType>;
}

/** Design matrix and bookkeeping, as R's model.matrix plus lm's aliasing. */
export interface Design {
  /** Response on the used rows (null when the formula has none or it is a multi-column call like Surv). */
  y: Float64Array | null;
  /** For a call response such as `Surv(time, status)`: each argument evaluated on the used rows. */
  responseParts: Float64Array[] | null;
  /** Fixed-effects matrix, row-major n×p (aliased columns removed). */
  X: Float64Array;
  n: number;
  p: number;
  /** R's column names: '(Intercept)', 'timepointd2', 'timepointd2:cohortB', 'I(day^2)'. */
  columnNames: string[];
  /** Term index per column as R's attr(X, 'assign'): 0 = intercept, k = k-th term (1-based). */
  assign: number[];
  /** Terms in R's order with the names of their (kept) columns. */
  terms: { label: string; variables: string[]; columns: string[] }[];
  /** Factor variables with their levels (reference level first). */
  factors: { name: string; levels: string[] }[];
  /** 0-based indices (into the data frame) of the rows used, in data order. */
  rowsUsed: number[];
  /** Rows dropped because a used variable was missing (R's na.omit). */
  nDropped: number;
  /** Names of columns dropped as linearly dependent on earlier columns (pivoted QR, tol 1e-7). */
  aliased: string[];
  /** strata(...) and cluster(...) variables evaluated as factors on the used rows. */
  strata: EvaluatedVariable[];
  cluster: EvaluatedVariable[];
  formula: ParsedFormula;
}

// ---------------------------------------------------------------------------------------------
// Model frame.

/** Variables evaluated on the complete-case rows (R's model.frame with na.omit). */
export interface ModelFrame {
  formula: ParsedFormula;
  rowsUsed: number[];
  nDropped: number;
  n: number;
  /** Response (null if none or a multi-argument call). */
  y: Float64Array | null;
  responseParts: Float64Array[] | null;
  /** Evaluated variables by label. */
  vars: Map<string, EvaluatedVariable>;
  /** Grouping factors of the random terms by label (`patient`, `lesion:patient`). */
  groups: Map<string, EvaluatedVariable & { kind: 'factor' }>;
  strata: EvaluatedVariable[];
  cluster: EvaluatedVariable[];
}

function toEvaluated(label: string, raw: Raw, rows: number[], ref: string | undefined): EvaluatedVariable {
  // A logical variable enters a model as a factor with levels FALSE, TRUE (R's model.matrix).
  const r: Raw =
    raw.kind === 'num' && raw.logical
      ? { kind: 'chr', v: Array.from(raw.v, (x) => (Number.isNaN(x) ? null : x === 1 ? 'TRUE' : 'FALSE')) }
      : raw;
  if (r.kind === 'num') {
    if (ref !== undefined) {
      throw new InputError('reference level given for a numeric variable', { field: label, value: ref });
    }
    const values = new Float64Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const v = r.v[rows[k]!]!;
      if (!Number.isFinite(v)) {
        throw new InputError('variable has an infinite value (e.g. log of 0)', {
          row: rows[k]! + 1,
          field: label,
          value: v,
        });
      }
      values[k] = v;
    }
    return { kind: 'numeric', label, values };
  }
  const vals = rows.map((i) => r.v[i]!);
  const uniq = factorLevels(r, vals);
  if (ref !== undefined) {
    const at = uniq.indexOf(ref);
    if (at < 0) {
      throw new InputError(`reference level is not a level of the factor (levels: ${uniq.join(', ')})`, {
        field: label,
        value: ref,
      });
    }
    uniq.splice(at, 1);
    uniq.unshift(ref);
  }
  const index = new Map(uniq.map((l, i) => [l, i]));
  const codes = Int32Array.from(vals, (v) => index.get(v)!);
  return { kind: 'factor', label, codes, levels: uniq };
}

/**
 * Evaluates every variable of a formula on the data and keeps the complete cases.
 * @throws InputError for a missing column, a non-numeric response, a bad reference level, infinite values,
 *   or when no complete rows remain
 */
export function buildModelFrame(
  formula: string | ParsedFormula,
  df: DataFrame,
  opts: DesignOptions = {},
): ModelFrame {
  const f = typeof formula === 'string' ? parseFormula(formula) : formula;
  const types = opts.types ?? {};
  const ref = opts.ref ?? {};
  for (const name of Object.keys(ref)) {
    if (!f.variables.some((v) => v.label === name)) {
      throw new InputError('reference level given for a variable that is not in the formula', {
        field: name,
        value: ref[name],
      });
    }
  }
  const raws = new Map<string, Raw>();
  for (const v of f.variables) raws.set(v.label, evalExpr(v.expr, df, types));
  let yRaw: Raw | null = null;
  let partRaws: Raw[] | null = null;
  if (f.response) {
    const resp = f.response;
    if (resp.type === 'call' && (resp.fn === 'Surv' || resp.fn === 'cbind')) {
      if (resp.argNames?.some((a) => a !== null)) {
        throw new InputError(
          `${resp.fn}() takes its arguments by position ('=' names an argument; '==' compares)`,
          { field: 'formula', value: f.text },
        );
      }
      partRaws = resp.args.map((a) => evalExpr(a, df, types));
      partRaws.forEach((r, k) => {
        if (r.kind !== 'num') {
          throw new InputError(`argument ${k + 1} of the response ${f.responseLabel} is not numeric`, {
            field: deparse(resp.args[k]!),
          });
        }
      });
    } else {
      yRaw = evalExpr(resp, df, types);
      if (yRaw.kind !== 'num') {
        const bad = yRaw.v.find((s) => s !== null);
        throw new InputError('the response is not numeric', { field: f.responseLabel ?? '', value: bad });
      }
    }
  }
  const groupRaws = new Map<string, Raw[]>();
  for (const r of f.random) {
    if (!groupRaws.has(r.groupLabel)) {
      groupRaws.set(
        r.groupLabel,
        r.group.map((g) => {
          const raw = columnOf(df, g, types);
          return raw.kind === 'num' ? numToFactor(raw.v) : raw;
        }),
      );
    }
  }
  const stratRaws = f.strata.map((e) => evalExpr(e, df, types));
  const clusterRaws = f.cluster.map((e) => evalExpr(e, df, types));
  const all: Raw[] = [
    ...raws.values(),
    ...(yRaw ? [yRaw] : []),
    ...(partRaws ?? []),
    ...stratRaws,
    ...clusterRaws,
  ];
  for (const g of groupRaws.values()) all.push(...g);
  const rows: number[] = [];
  for (let i = 0; i < df.nrow; i++) if (!all.some((r) => isMissing(r, i))) rows.push(i);
  if (rows.length === 0) {
    const used = [...new Set(f.variables.flatMap((v) => exprColumns(v.expr)))];
    throw new InputError(`no complete rows: every row has a missing value in one of ${used.join(', ')}`, {
      field: 'formula',
      value: f.text,
    });
  }
  const vars = new Map<string, EvaluatedVariable>();
  for (const [label, raw] of raws) vars.set(label, toEvaluated(label, raw, rows, ref[label]));
  const groups = new Map<string, EvaluatedVariable & { kind: 'factor' }>();
  for (const [label, parts] of groupRaws) {
    const ev = parts.map((p, k) => toEvaluated(label.split(':')[k]!, p, rows, undefined));
    groups.set(label, interactionFactor(label, ev as (EvaluatedVariable & { kind: 'factor' })[]));
  }
  const toNum = (r: Raw, label: string): Float64Array => {
    const ev = toEvaluated(label, r, rows, undefined);
    if (ev.kind !== 'numeric') throw new InputError('expected a numeric variable', { field: label });
    return ev.values;
  };
  const y = yRaw ? toNum(yRaw, f.responseLabel ?? 'response') : null;
  const responseParts = partRaws ? partRaws.map((r, k) => toNum(r, `response part ${k + 1}`)) : null;
  const asFactor = (r: Raw, e: FormulaExpr): EvaluatedVariable =>
    toEvaluated(deparse(e), r.kind === 'num' ? numToFactor(r.v) : r, rows, undefined);
  return {
    formula: f,
    rowsUsed: rows,
    nDropped: df.nrow - rows.length,
    n: rows.length,
    y,
    responseParts,
    vars,
    groups,
    strata: stratRaws.map((r, k) => asFactor(r, f.strata[k]!)),
    cluster: clusterRaws.map((r, k) => asFactor(r, f.cluster[k]!)),
  };
}

/** Interaction of factors (R's `a:b` on factors, lex order, unused combinations dropped). */
function interactionFactor(
  label: string,
  parts: (EvaluatedVariable & { kind: 'factor' })[],
): EvaluatedVariable & { kind: 'factor' } {
  if (parts.length === 1) return { ...parts[0]!, label };
  const n = parts[0]!.codes.length;
  const keyOf = (i: number): number[] => parts.map((p) => p.codes[i]!);
  const seen = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const k = keyOf(i);
    const s = k.join(',');
    if (!seen.has(s)) seen.set(s, k);
  }
  const combos = [...seen.values()].sort((a, b) => {
    for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return a[j]! - b[j]!;
    return 0;
  });
  const index = new Map(combos.map((c, i) => [c.join(','), i]));
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) codes[i] = index.get(keyOf(i).join(','))!;
  const levels = combos.map((c) => c.map((code, j) => parts[j]!.levels[code]).join(':'));
  return { kind: 'factor', label, codes, levels };
}

// ---------------------------------------------------------------------------------------------
// Model matrices.

/** Column block of one term: names and a column-major buffer (n per column). */
export interface TermBlock {
  label: string;
  names: string[];
  cols: Float64Array[];
}

/**
 * Codes of each variable in each term as R's terms.formula/model.matrix choose them: 1 = contrasts
 * (treatment, first level dropped), 2 = indicator for every level (R's TermCode heuristic, Statistical
 * Models in S p. 38, plus model.matrix's rule for a formula without an intercept).
 */
export function termCodes(
  terms: FormulaTerm[],
  intercept: boolean,
  isFactor: (v: string) => boolean,
): number[][] {
  const codes = terms.map((t, j) =>
    t.variables.map((v) => {
      const rest = t.variables.filter((w) => w !== v);
      if (rest.length === 0) return 1;
      for (let k = 0; k < j; k++) if (rest.every((w) => terms[k]!.variables.includes(w))) return 1;
      return 2;
    }),
  );
  if (!intercept) {
    outer: for (let j = 0; j < terms.length; j++) {
      for (let a = 0; a < terms[j]!.variables.length; a++) {
        if (isFactor(terms[j]!.variables[a]!)) {
          // R walks variables in formula order; a term's variables are already in that order.
          codes[j]![a] = 2;
          break outer;
        }
      }
    }
  }
  return codes;
}

/**
 * Builds the columns of a list of terms (R's model.matrix without dropping aliased columns).
 * @param full when true every factor is coded by indicators for all levels (lmerTest's rank-deficient rdX)
 */
export function termBlocks(
  terms: FormulaTerm[],
  intercept: boolean,
  vars: Map<string, EvaluatedVariable>,
  n: number,
  full = false,
): TermBlock[] {
  const isFactor = (v: string): boolean => vars.get(v)?.kind === 'factor';
  const codes = termCodes(terms, intercept, isFactor);
  const blocks: TermBlock[] = [];
  if (intercept)
    blocks.push({ label: '(Intercept)', names: ['(Intercept)'], cols: [new Float64Array(n).fill(1)] });
  terms.forEach((t, j) => {
    let names: string[] = [''];
    let cols: Float64Array[] = [new Float64Array(n).fill(1)];
    t.variables.forEach((vl, a) => {
      const v = vars.get(vl);
      if (!v) throw new Error(`internal: variable ${vl} not evaluated`);
      const nextNames: string[] = [];
      const nextCols: Float64Array[] = [];
      const sep = (s: string): string => (s === '' ? '' : `${s}:`);
      if (v.kind === 'numeric') {
        // Each column of this term is used once here: multiplied in place (no copy per variable).
        for (let c = 0; c < cols.length; c++) {
          nextNames.push(sep(names[c]!) + vl);
          const col = cols[c]!;
          for (let i = 0; i < n; i++) col[i] = col[i]! * v.values[i]!;
          nextCols.push(col);
        }
      } else {
        const start = full || codes[j]![a] === 2 ? 0 : 1;
        // later variables vary slowest: loop levels outside, existing columns inside
        for (let l = start; l < v.levels.length; l++) {
          for (let c = 0; c < cols.length; c++) {
            nextNames.push(sep(names[c]!) + vl + v.levels[l]!);
            nextCols.push(cols[c]!.map((x, i) => (v.codes[i] === l ? x : 0)));
          }
        }
      }
      names = nextNames;
      cols = nextCols;
    });
    blocks.push({ label: t.label, names, cols });
  });
  return blocks;
}

/** Packs column vectors into a row-major n×p Float64Array. */
export function toRowMajor(cols: Float64Array[], n: number): Float64Array {
  const p = cols.length;
  const X = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    const c = cols[j]!;
    for (let i = 0; i < n; i++) X[i * p + j] = c[i]!;
  }
  return X;
}

/**
 * Builds the fixed-effects design of a formula on a data frame, as R's model.frame + model.matrix
 * (treatment contrasts) + lm's removal of aliased columns.
 * @param formula R formula text or a parsed formula (random terms and specials are ignored here)
 * @param df data frame (src/stats/data-frame.ts)
 * @param opts.ref reference level per factor; opts.types column type overrides
 * @returns Design (X row-major n×p; see the interface for names/assign/rows)
 * @throws InputError for a missing column, non-numeric response, bad reference level, or no complete rows
 * Source: R stats `model.frame.default`, `model.matrix.default`, `lm.fit` (dqrdc2, tol 1e-7).
 */
export function buildDesign(
  formula: string | ParsedFormula,
  df: DataFrame,
  opts: DesignOptions = {},
): Design {
  const mf = buildModelFrame(formula, df, opts);
  return designFromFrame(mf);
}

/** The fixed-effects design of an already evaluated model frame (see buildDesign). */
export function designFromFrame(mf: ModelFrame): Design {
  const { columns, ...design } = designColumnsFromFrame(mf);
  return { ...design, X: toRowMajor(columns, mf.n) };
}

/** A design with its kept columns column-major (`columns[j]`, n each) instead of the row-major X. */
export type DesignColumns = Omit<Design, 'X'> & { columns: Float64Array[] };

/**
 * The fixed-effects design of a model frame as `designFromFrame` builds it, the kept columns left
 * column-major (no n×p copy): for fits that read the design by column (Cox) on large tables.
 */
export function designColumnsFromFrame(mf: ModelFrame): DesignColumns {
  const f = mf.formula;
  const blocks = termBlocks(f.terms, f.intercept, mf.vars, mf.n);
  const allCols: Float64Array[] = [];
  const allNames: string[] = [];
  const allAssign: number[] = [];
  blocks.forEach((b, k) => {
    const termIndex = f.intercept ? k : k + 1;
    b.cols.forEach((c, j) => {
      allCols.push(c);
      allNames.push(b.names[j]!);
      allAssign.push(termIndex);
    });
  });
  const al = allCols.length > 0 ? new Set(aliasedColumns(allCols)) : new Set<number>();
  const keep = allCols.map((_, j) => j).filter((j) => !al.has(j));
  const columnNames = keep.map((j) => allNames[j]!);
  const factors: { name: string; levels: string[] }[] = [];
  for (const v of mf.vars.values())
    if (v.kind === 'factor') factors.push({ name: v.label, levels: v.levels });
  return {
    y: mf.y,
    responseParts: mf.responseParts,
    columns: keep.map((j) => allCols[j]!),
    n: mf.n,
    p: keep.length,
    columnNames,
    assign: keep.map((j) => allAssign[j]!),
    terms: f.terms.map((t, k) => ({
      label: t.label,
      variables: t.variables,
      columns: keep.filter((j) => allAssign[j] === k + 1).map((j) => allNames[j]!),
    })),
    factors,
    rowsUsed: mf.rowsUsed,
    nDropped: mf.nDropped,
    aliased: [...al].map((j) => allNames[j]!),
    strata: mf.strata,
    cluster: mf.cluster,
    formula: f,
  };
}

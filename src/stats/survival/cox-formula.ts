/**
 * Cox and Firth-Cox models from an R formula on a DataFrame (no I/O): the formula path used by
 * `carto stats cox` and available to analysis code. Model frame and design come from
 * src/stats/formula.ts + src/stats/design.ts (R's model.frame/model.matrix, treatment contrasts).
 */
import { InputError } from '../../errors.js';
import type { Cell, ColumnType, DataFrame } from '../data-frame.js';
import { buildModelFrame, designColumnsFromFrame, evaluateCells } from '../design.js';
import type { EvaluatedVariable } from '../design.js';
import { deparse, parseFormula } from '../formula.js';
import { concordance } from './concordance.js';
import { coxph } from './cox.js';
import type { CoxResult } from './cox.js';
import { coxphFirth } from './firth.js';
import type { FirthResult } from './firth.js';
import { survStatus } from './input.js';

/** Options of `coxphFormula`. */
export interface CoxFormulaOptions {
  /** 'efron' (default) or 'breslow'; Firth always uses Breslow. */
  ties?: 'efron' | 'breslow';
  /** Firth-penalised fit (coxphf) instead of coxph. */
  firth?: boolean;
  /** Name of a case-weight column (> 0). */
  weights?: string;
  /** Column type overrides, e.g. { ecog: 'factor' }. */
  types?: Record<string, ColumnType>;
  /** Reference level per factor variable. */
  ref?: Record<string, string>;
  /** Confidence level of the HR intervals (default 0.95). */
  confLevel?: number;
  /** File name for error messages. */
  file?: string;
}

/** Result of `coxphFormula`: the fit plus model-frame bookkeeping. */
export type CoxFormulaResult = {
  /** Design column names (R's coefficient names, e.g. `ph.ecog1`). */
  terms: string[];
  /** Rows dropped for missing covariates/strata/cluster (R na.omit). */
  nDropped: number;
  /** 0-based data rows used. */
  rowsUsed: number[];
} & (
  | { method: 'cox'; fit: CoxResult }
  | { method: 'firth'; fit: FirthResult; concordance: number; concordanceSe: number }
);

function labelsOf(vars: EvaluatedVariable[]): string[] | undefined {
  if (vars.length === 0) return undefined;
  const n = vars[0]!.kind === 'factor' ? vars[0]!.codes.length : vars[0]!.values.length;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      vars.map((v) => (v.kind === 'factor' ? v.levels[v.codes[i]!]! : String(v.values[i]))).join(', '),
    );
  }
  return out;
}

/**
 * Fits `Surv(time, status) ~ terms [+ strata(s)] [+ cluster(id)]` on a data frame, as R's
 * `coxph(formula, data)` (or coxphf with `firth`). The status column may be coded 0/1, 1/2 or
 * TRUE/FALSE (R's Surv rule). Missing times or status are errors; rows with a missing covariate,
 * stratum or cluster are dropped (R's na.omit) and counted in `nDropped`.
 *
 * @throws InputError for a response that is not Surv(column, column), a column not in the data,
 *   negative/missing times, a status outside the coding, a constant or collinear covariate (named),
 *   bad weights; ComputationError from the fit.
 * Source: R survival `coxph` (model.frame + model.matrix without the intercept column).
 */
export function coxphFormula(formula: string, df: DataFrame, opts: CoxFormulaOptions = {}): CoxFormulaResult {
  return fitCoxInputs(formula, coxModelInputs(formula, df, opts), opts);
}

/**
 * As `coxphFormula` on the data frame `load()` returns; the frame (and whatever `load` read it from)
 * is unreachable before the fit starts, so the fit's memory can reuse it (10⁶-row tables).
 */
export function coxphFormulaLoaded(
  formula: string,
  load: () => DataFrame,
  opts: CoxFormulaOptions = {},
): CoxFormulaResult {
  // The frame lives only in this inner call: once it returns nothing refers to the frame.
  const inputs = ((): CoxInputs => coxModelInputs(formula, load(), opts))();
  return fitCoxInputs(formula, inputs, opts);
}

/** What a fit needs of the model frame (no reference to the data frame it came from). */
interface CoxInputs {
  names: string[];
  columns: Float64Array[];
  time: Float64Array;
  status: Float64Array;
  n: number;
  weights: number[] | undefined;
  strata: string[] | undefined;
  cluster: string[] | undefined;
  nDropped: number;
  rowsUsed: number[];
}

/** Model frame and design of `coxphFormula` (response checks, status coding, na.omit, aliasing). */
function coxModelInputs(formula: string, df: DataFrame, opts: CoxFormulaOptions): CoxInputs {
  const at = opts.file !== undefined ? { file: opts.file } : {};
  const f = parseFormula(formula);
  const resp = f.response;
  if (!resp || resp.type !== 'call' || resp.fn !== 'Surv' || resp.args.length !== 2) {
    throw new InputError('the response must be Surv(time, status)', { field: 'formula', value: formula });
  }
  if (resp.argNames?.some((a) => a !== null)) {
    throw new InputError(
      `Surv() takes its arguments by position: write Surv(time, ${resp.argNames.find((a) => a !== null)} == …) to compare ('=' names an argument)`,
      { field: 'formula', value: formula },
    );
  }
  const tArg = resp.args[0]!;
  const sArg = resp.args[1]!;
  if (tArg.type !== 'name') {
    throw new InputError('the time argument of Surv() must be a column name', {
      field: 'formula',
      value: deparse(resp),
    });
  }
  const column = (name: string): Cell[] => {
    const c = df.data[name];
    if (c === undefined) {
      throw new InputError(`formula names a column not in the data (columns: ${df.columns.join(', ')})`, {
        ...at,
        field: name,
      });
    }
    return c;
  };
  // Every row's time and status must be present and valid (they are not dropped as missing).
  column(tArg.name).forEach((v, i) => {
    if (v === null) throw new InputError('missing time', { ...at, row: i + 1, field: tArg.name });
    const num = typeof v === 'number' ? v : Number(v.trim() === '' ? NaN : v);
    if (!Number.isFinite(num)) {
      throw new InputError('time is not a number', { ...at, row: i + 1, field: tArg.name, value: v });
    }
    if (num < 0) throw new InputError('time must be ≥ 0', { ...at, row: i + 1, field: tArg.name, value: v });
  });
  const types = opts.types ?? {};
  // The status may be an expression such as `status == 2` (TRUE = event, as R's Surv): it is
  // evaluated here, coded by R's Surv rule and put in a column of its own for the model frame.
  const statusCells = sArg.type === 'name' ? column(sArg.name) : evaluateCells(sArg, df, types);
  const statusCol = sArg.type === 'name' ? sArg.name : '.Surv.status';
  const status01 = Array.from(survStatus(statusCells, deparse(sArg), opts.file));
  const frame: DataFrame = { ...df, data: { ...df.data, [statusCol]: status01 } };
  if (sArg.type !== 'name') {
    const statusName = { type: 'name', name: statusCol } as const;
    f.response = { ...resp, args: [tArg, statusName] };
  }
  // Column-major design (no row-major copy): the fit reads it by column.
  const design = designColumnsFromFrame(buildModelFrame(f, frame, { types, ref: opts.ref ?? {} }));
  if (design.aliased.length > 0) {
    throw new InputError(
      `covariate is constant or collinear with other covariates: ${design.aliased.join(', ')}`,
      {
        ...at,
        field: design.aliased[0]!,
      },
    );
  }
  const keep = design.columnNames.map((_, j) => j).filter((j) => design.columnNames[j] !== '(Intercept)');
  const names = keep.map((j) => design.columnNames[j]!);
  const columns = keep.map((j) => design.columns[j]!);
  const [time, status] = design.responseParts as [Float64Array, Float64Array];
  let weights: number[] | undefined;
  if (opts.weights !== undefined) {
    const wName = opts.weights;
    const wc = column(wName);
    weights = design.rowsUsed.map((i) => {
      const v = wc[i];
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
        throw new InputError('weight must be a number > 0', {
          ...at,
          row: i + 1,
          field: wName,
          value: v ?? null,
        });
      }
      return v;
    });
  }
  return {
    names,
    columns,
    time,
    status,
    n: design.n,
    weights,
    strata: labelsOf(design.strata),
    cluster: labelsOf(design.cluster),
    nDropped: design.nDropped,
    rowsUsed: design.rowsUsed,
  };
}

/** The Cox or Firth fit of `coxphFormula` on its model inputs. */
function fitCoxInputs(formula: string, inputs: CoxInputs, opts: CoxFormulaOptions): CoxFormulaResult {
  const { names, columns, time, status, weights, strata, cluster } = inputs;
  const confLevel = opts.confLevel ?? 0.95;
  const x = { names, columns };
  const base = { terms: names, nDropped: inputs.nDropped, rowsUsed: inputs.rowsUsed };
  if (opts.firth) {
    if (strata || cluster || weights) {
      throw new InputError('Firth Cox supports neither strata(), cluster() nor weights (as coxphf)', {
        field: 'formula',
        value: formula,
      });
    }
    if (opts.ties !== undefined && opts.ties !== 'breslow') {
      throw new InputError('Firth Cox uses Breslow ties (as coxphf)', { field: 'ties', value: opts.ties });
    }
    const fit = coxphFirth(time, status, x, { confLevel });
    const lp = new Float64Array(inputs.n);
    for (let i = 0; i < inputs.n; i++) {
      let s = 0;
      fit.coefficients.forEach((c, j) => (s += c.estimate * columns[j]![i]!));
      lp[i] = s;
    }
    const c = concordance(time, status, lp, { reverse: true });
    return { ...base, method: 'firth', fit, concordance: c.concordance, concordanceSe: c.se };
  }
  const fit = coxph(time, status, x, {
    ties: opts.ties ?? 'efron',
    confLevel,
    ...(strata ? { strata } : {}),
    ...(cluster ? { cluster } : {}),
    ...(weights ? { weights } : {}),
  });
  return { ...base, method: 'cox', fit };
}

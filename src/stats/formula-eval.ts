/**
 * Evaluation of formula expressions on a data frame, as R evaluates them inside `model.frame`:
 * columns, arithmetic, comparisons and `&`/`|` (logicals), `I()`, `factor()`, `relevel()`,
 * `as.numeric()` and math functions. Used by src/stats/design.ts (model frames) and by the Cox
 * formula path (the status of `Surv(time, status == 2)`).
 *
 * Text columns are factors (R's `stringsAsFactors = TRUE`). Factor levels are sorted as R's `sort()`
 * sorts strings on this machine: R 4.2 here runs in the C.UTF-8 locale with ICU collation
 * (capabilities('ICU') is TRUE), which is ICU's root collation (e.g. "_x" < "a" < "A" < "b" < "d10" <
 * "d2" < "Z10" < "z2"); `Intl.Collator('und')` of Node's ICU gives the same order (checked on those
 * strings). Factors built from numeric columns sort numerically.
 */
import type { Cell, ColumnType, DataFrame } from './data-frame.js';
import { InputError } from '../errors.js';
import { COMPARISON_OPS, deparse, type FormulaExpr } from './formula.js';

const collator = new Intl.Collator('und');

/** Compares level strings as R's sort() does on this machine (ICU root collation, see module doc). */
export function compareLevels(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
// ---------------------------------------------------------------------------------------------
// Expression evaluation.

/**
 * A variable evaluated on every data row. `num` with `logical` holds R's TRUE/FALSE as 1/0 (NaN = NA);
 * `chr` is a factor: `numericSource` when built from numbers (levels sort numerically), `ref` when
 * `relevel()` chose the first level.
 */
export type Raw =
  | { kind: 'num'; v: Float64Array; logical?: boolean }
  | { kind: 'chr'; v: (string | null)[]; numericSource?: Float64Array; ref?: string };

const UNARY_FNS: Record<string, (x: number) => number> = {
  log: Math.log,
  exp: Math.exp,
  sqrt: Math.sqrt,
  abs: Math.abs,
  log2: Math.log2,
  log10: Math.log10,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sin: Math.sin,
  cos: Math.cos,
};

/**
 * Column `name` of `df` as a variable: numbers (or a type override `numeric`) give `num`, text (or
 * `factor`) a factor.
 * @throws InputError for a column not in the data, or a non-number in a column declared numeric
 */
export function columnOf(df: DataFrame, name: string, types: Record<string, ColumnType>): Raw {
  const col: Cell[] | undefined = df.data[name];
  if (col === undefined) {
    throw new InputError(
      `formula names a column that is not in the data (columns: ${df.columns.join(', ')})`,
      {
        field: name,
      },
    );
  }
  const forced = types[name];
  const allNum = col.every((v) => v === null || typeof v === 'number');
  if (forced === 'numeric' || (forced === undefined && allNum)) {
    const out = new Float64Array(col.length);
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (v === null || v === undefined) out[i] = NaN;
      else if (typeof v === 'number') out[i] = v;
      else {
        const num = Number(v);
        if (v.trim() === '' || !Number.isFinite(num)) {
          throw new InputError('column declared numeric holds a non-number', {
            row: i + 1,
            field: name,
            value: v,
          });
        }
        out[i] = num;
      }
    }
    return { kind: 'num', v: out };
  }
  if (allNum) {
    const nums = Float64Array.from(col, (v) => (v === null ? NaN : v));
    return numToFactor(nums);
  }
  return { kind: 'chr', v: col.map((v) => (v === null ? null : String(v))) };
}

/** A numeric vector as a factor whose levels sort numerically (R's `factor(x)` of numbers). */
export function numToFactor(v: Float64Array): Raw {
  return { kind: 'chr', v: Array.from(v, (x) => (Number.isNaN(x) ? null : String(x))), numericSource: v };
}

/**
 * Evaluates expression `e` on every row of `df` (see the module doc for what is supported).
 * @throws InputError naming the expression for an unknown column or function, arithmetic on a factor,
 *   an ordering comparison of a factor, or log()/sqrt() of values outside their domain
 */
export function evalExpr(e: FormulaExpr, df: DataFrame, types: Record<string, ColumnType>): Raw {
  const n = df.nrow;
  switch (e.type) {
    case 'name':
      return columnOf(df, e.name, types);
    case 'num':
      return { kind: 'num', v: new Float64Array(n).fill(e.value) };
    case 'str':
      throw new InputError('a string constant cannot be a model variable', {
        field: 'formula',
        value: e.value,
      });
    case 'paren':
      return evalExpr(e.expr, df, types);
    case 'unary': {
      const a = asNum(evalExpr(e.arg, df, types), deparse(e.arg));
      return { kind: 'num', v: e.op === '-' ? a.map((x) => -x) : a };
    }
    case 'binary':
      if (COMPARISON_OPS.has(e.op)) return compare(e, df, types);
      if (e.op === '&' || e.op === '|') return logicalOp(e, df, types);
      return arithmetic(e, df, types);
    case 'call':
      return evalCall(e, df, types);
  }
}

/** `a + b`, `a - b`, `a * b`, `a / b`, `a ^ b` on numbers (logicals count as 1/0, as in R). */
function arithmetic(
  e: Extract<FormulaExpr, { type: 'binary' }>,
  df: DataFrame,
  types: Record<string, ColumnType>,
): Raw {
  const op = e.op;
  if (!['+', '-', '*', '/', '^'].includes(op)) {
    throw new InputError(`operator '${op}' is not supported inside an expression`, {
      field: 'formula',
      value: deparse(e),
    });
  }
  const a = asNum(evalExpr(e.left, df, types), deparse(e.left));
  const b = asNum(evalExpr(e.right, df, types), deparse(e.right));
  const out = new Float64Array(df.nrow);
  for (let i = 0; i < out.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    out[i] =
      op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : Math.pow(x, y);
  }
  return { kind: 'num', v: out };
}

/** An operand of a comparison: a string constant is allowed there (`status == "dead"`). */
function operand(e: FormulaExpr, df: DataFrame, types: Record<string, ColumnType>): Raw {
  if (e.type === 'str') return { kind: 'chr', v: new Array<string>(df.nrow).fill(e.value) };
  return evalExpr(e, df, types);
}

/** R's as.character of a number (15 significant digits), for comparing a number with a string. */
function numberText(x: number): string {
  return String(Number(x.toPrecision(15)));
}

/**
 * `==`, `!=`, `<`, `>`, `<=`, `>=` as R evaluates them: numbers compare as numbers (a logical as
 * 1/0); a number against a string compares as text (`2 == "2"`); factors compare by their labels
 * with `==`/`!=` only (R: "not meaningful for factors" for ordering). NA on either side gives NA.
 * The result is logical (1/0, NaN for NA).
 */
function compare(
  e: Extract<FormulaExpr, { type: 'binary' }>,
  df: DataFrame,
  types: Record<string, ColumnType>,
): Raw {
  const a = operand(e.left, df, types);
  const b = operand(e.right, df, types);
  const n = df.nrow;
  const out = new Float64Array(n);
  const op = e.op;
  const test = (c: number): boolean =>
    op === '=='
      ? c === 0
      : op === '!='
        ? c !== 0
        : op === '<'
          ? c < 0
          : op === '>'
            ? c > 0
            : op === '<='
              ? c <= 0
              : c >= 0;
  if (a.kind === 'num' && b.kind === 'num') {
    for (let i = 0; i < n; i++) {
      const x = a.v[i]!;
      const y = b.v[i]!;
      out[i] = Number.isNaN(x) || Number.isNaN(y) ? NaN : test(x < y ? -1 : x > y ? 1 : 0) ? 1 : 0;
    }
    return { kind: 'num', v: out, logical: true };
  }
  if (op !== '==' && op !== '!=') {
    throw new InputError(`'${op}' is not meaningful for a categorical variable (R: factors); use == or !=`, {
      field: 'formula',
      value: deparse(e),
    });
  }
  const text = (r: Raw, i: number): string | null => {
    if (r.kind === 'chr') return r.v[i] ?? null;
    const x = r.v[i]!;
    if (Number.isNaN(x)) return null;
    return r.logical ? (x === 1 ? 'TRUE' : 'FALSE') : numberText(x);
  };
  for (let i = 0; i < n; i++) {
    const x = text(a, i);
    const y = text(b, i);
    out[i] = x === null || y === null ? NaN : (x === y) === (op === '==') ? 1 : 0;
  }
  return { kind: 'num', v: out, logical: true };
}

/** `a & b`, `a | b` on logicals with R's NA rules (FALSE & NA = FALSE, TRUE | NA = TRUE). */
function logicalOp(
  e: Extract<FormulaExpr, { type: 'binary' }>,
  df: DataFrame,
  types: Record<string, ColumnType>,
): Raw {
  const a = asNum(evalExpr(e.left, df, types), deparse(e.left));
  const b = asNum(evalExpr(e.right, df, types), deparse(e.right));
  const out = new Float64Array(df.nrow);
  for (let i = 0; i < out.length; i++) {
    const x = Number.isNaN(a[i]!) ? null : a[i] !== 0;
    const y = Number.isNaN(b[i]!) ? null : b[i] !== 0;
    if (e.op === '&') out[i] = x === false || y === false ? 0 : x === null || y === null ? NaN : 1;
    else out[i] = x === true || y === true ? 1 : x === null || y === null ? NaN : 0;
  }
  return { kind: 'num', v: out, logical: true };
}

/** Domain of the one-argument functions that give NaN or -Inf outside it (for a clear error). */
const DOMAIN: Record<string, { ok: (x: number) => boolean; rule: string }> = {
  log: { ok: (x) => x > 0, rule: '≤ 0' },
  log2: { ok: (x) => x > 0, rule: '≤ 0' },
  log10: { ok: (x) => x > 0, rule: '≤ 0' },
  log1p: { ok: (x) => x > -1, rule: '≤ -1' },
  sqrt: { ok: (x) => x >= 0, rule: '< 0' },
};

/**
 * Refuses `log(x)` (and log2, log10, log1p, sqrt) of values outside the function's domain: R would
 * give NaN/-Inf and drop or choke on those rows; we name the term, the count and the first row.
 */
function checkDomain(fn: string, x: Float64Array, e: FormulaExpr): void {
  const d = DOMAIN[fn];
  if (!d) return;
  let count = 0;
  let first = -1;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isNaN(v) && !d.ok(v)) {
      count++;
      if (first < 0) first = i;
    }
  }
  if (count > 0) {
    const arg = deparse((e as Extract<FormulaExpr, { type: 'call' }>).args[0]!);
    throw new InputError(
      `${count} value(s) of ${arg} are ${d.rule}, outside the domain of ${fn}() (first at row ${first + 1}); ` +
        'filter or shift them first',
      { field: deparse(e), value: x[first] },
    );
  }
}

/** The argument of `call` named `name` or at position `pos` (0-based), if given. */
function argument(
  call: Extract<FormulaExpr, { type: 'call' }>,
  name: string,
  pos: number,
): FormulaExpr | undefined {
  const named = call.argNames?.indexOf(name) ?? -1;
  if (named >= 0) return call.args[named];
  const positional = call.args.filter((_, k) => !call.argNames?.[k]);
  return positional[pos];
}

/** Levels of a factor over all its non-missing values, in R's order (relevel'd first level first). */
export function factorLevels(
  r: Extract<Raw, { kind: 'chr' }>,
  values: readonly (string | null)[] = r.v,
): string[] {
  const uniq = [...new Set(values.filter((v): v is string => v !== null))];
  if (r.numericSource) uniq.sort((a, b) => Number(a) - Number(b));
  else uniq.sort(compareLevels);
  if (r.ref !== undefined && uniq.includes(r.ref)) {
    uniq.splice(uniq.indexOf(r.ref), 1);
    uniq.unshift(r.ref);
  }
  return uniq;
}

/** Names of the calls allowed named arguments, and the names. */
const NAMED_ARGS: Record<string, string[]> = { relevel: ['ref'], log: ['base'] };

/**
 * Functions in formulas: I(), factor()/as.factor(), relevel(x, ref), as.numeric(), log(x[, base]) and
 * the one-argument math functions of UNARY_FNS. `as.numeric` of a factor gives its level codes
 * 1..k in level order, as R does (not the labels: `as.numeric(factor(c(10, 5)))` is 2, 1).
 */
function evalCall(
  e: Extract<FormulaExpr, { type: 'call' }>,
  df: DataFrame,
  types: Record<string, ColumnType>,
): Raw {
  const allowed = NAMED_ARGS[e.fn] ?? [];
  const badName = e.argNames?.find((a) => a !== null && !allowed.includes(a));
  if (badName) {
    throw new InputError(`argument '${badName}' of ${e.fn}() is not supported in formulas`, {
      field: 'formula',
      value: deparse(e),
    });
  }
  const arg0 = (): Raw => evalExpr(e.args[0]!, df, types);
  if (e.fn === 'I' && e.args.length === 1) return arg0();
  if ((e.fn === 'factor' || e.fn === 'as.factor') && e.args.length === 1) {
    const r = arg0();
    if (r.kind === 'chr') return r;
    if (r.logical)
      return {
        kind: 'chr',
        v: Array.from(r.v, (x) => (Number.isNaN(x) ? null : x === 1 ? 'TRUE' : 'FALSE')),
      };
    return numToFactor(r.v);
  }
  if (e.fn === 'relevel' && e.args.length === 2) {
    const r = arg0();
    const refExpr = argument(e, 'ref', 1);
    if (r.kind !== 'chr') {
      throw new InputError(
        'relevel() only for factors: wrap a numeric column in factor(), e.g. relevel(factor(dose), ref = "10")',
        {
          field: 'formula',
          value: deparse(e),
        },
      );
    }
    const ref = refExpr?.type === 'str' ? refExpr.value : refExpr?.type === 'num' ? refExpr.text : undefined;
    if (ref === undefined) {
      throw new InputError('relevel() needs ref = "level" (a quoted level)', {
        field: 'formula',
        value: deparse(e),
      });
    }
    const levels = factorLevels(r);
    if (!levels.includes(ref)) {
      throw new InputError(`'ref' must be an existing level (levels: ${levels.join(', ')})`, {
        field: deparse(e),
        value: ref,
      });
    }
    return { ...r, ref };
  }
  if (e.fn === 'as.numeric' && e.args.length === 1) {
    const r = arg0();
    if (r.kind === 'num') return { kind: 'num', v: r.v };
    const index = new Map(factorLevels(r).map((l, k) => [l, k + 1]));
    return { kind: 'num', v: Float64Array.from(r.v, (x) => (x === null ? NaN : index.get(x)!)) };
  }
  const f = UNARY_FNS[e.fn];
  if (f && e.args.length === 1) {
    const a = asNum(arg0(), deparse(e.args[0]!));
    checkDomain(e.fn, a, e);
    return { kind: 'num', v: a.map(f) };
  }
  if (e.fn === 'log' && e.args.length === 2) {
    const a = asNum(arg0(), deparse(e.args[0]!));
    checkDomain('log', a, e);
    const baseExpr = argument(e, 'base', 1)!;
    const b = asNum(evalExpr(baseExpr, df, types), deparse(baseExpr));
    return { kind: 'num', v: a.map((x, i) => Math.log(x) / Math.log(b[i]!)) };
  }
  throw new InputError(`function ${e.fn}() with ${e.args.length} argument(s) is not supported in formulas`, {
    field: 'formula',
    value: deparse(e),
  });
}

function asNum(r: Raw, label: string): Float64Array {
  if (r.kind === 'num') return r.v;
  throw new InputError('arithmetic on a categorical (non-numeric) variable', { field: label });
}

/** Whether row `i` of a variable is NA. */
export function isMissing(r: Raw, i: number): boolean {
  if (r.kind === 'num') return Number.isNaN(r.v[i]!);
  return r.v[i] === null;
}

/**
 * Evaluates one formula expression (e.g. the status argument `status == 2` of `Surv()`) on every row
 * of `df`, as cells: numbers, 'TRUE'/'FALSE' for a logical result (R's TRUE/FALSE), factor labels,
 * null for NA.
 * @throws InputError as the model frame does (unknown column, unsupported function or operator)
 */
export function evaluateCells(
  e: FormulaExpr,
  df: DataFrame,
  types: Record<string, ColumnType> = {},
): (number | string | null)[] {
  const r = evalExpr(e, df, types);
  if (r.kind === 'chr') return [...r.v];
  return Array.from(r.v, (x) => (Number.isNaN(x) ? null : r.logical ? (x === 1 ? 'TRUE' : 'FALSE') : x));
}

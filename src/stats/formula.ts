/**
 * Model formulas in R's syntax (Wilkinson–Rogers notation as R's `terms.formula` and lme4's
 * `findbars`/`expandSlash` implement it).
 *
 * Supported: a response expression (`y`, `log(y)`, `Surv(time, status)` kept as a call node),
 * `+`, `-` (term removal, `-1`), `0`/`1` intercept switches, `*`, `:`, `/`, `(a + b)^k`, function
 * calls such as `log()`, `exp()`, `sqrt()` and `I(expr)` (arithmetic incl. `^` inside), random-effect
 * terms `(lhs | g)`, `(lhs || g)` (uncorrelated: split into one term per column, as lme4 does),
 * nested grouping `(1 | a/b)` → `(1 | a) + (1 | b:a)` (lme4's naming), and the survival specials
 * `strata(x)` and `cluster(x)`, which are returned separately. Comparisons (`==`, `!=`, `<`, `>`,
 * `<=`, `>=`) and `&`, `|` inside calls (`Surv(time, status == 2)`), and named call arguments
 * (`relevel(dose, ref = "10")`) parse with R's precedence; a comparison used as a term is a variable,
 * as in R (`y ~ x > 2`).
 */
import { InputError } from '../errors.js';

/** Expression node of a formula (R's call tree). */
export type FormulaExpr =
  | { type: 'name'; name: string }
  | { type: 'num'; value: number; text: string }
  | { type: 'str'; value: string }
  | {
      type: 'call';
      fn: string;
      args: FormulaExpr[];
      /** Argument names (`ref` in `relevel(x, ref = "a")`), null for positional ones; absent if none. */
      argNames?: (string | null)[];
    }
  | { type: 'binary'; op: string; left: FormulaExpr; right: FormulaExpr }
  | { type: 'unary'; op: '-' | '+'; arg: FormulaExpr }
  | { type: 'paren'; expr: FormulaExpr };

/** A model variable: an expression evaluated on the data (a column, `log(x)`, `I(day^2)`). */
export interface FormulaVariable {
  /** R's deparsed label, e.g. `I(day^2)`. */
  label: string;
  expr: FormulaExpr;
}

/** A fixed-effects term: an interaction of one or more variables (labels in variable order). */
export interface FormulaTerm {
  /** R's term label, e.g. `timepoint:cohort`. */
  label: string;
  /** Variable labels in the order of their first appearance in the formula. */
  variables: string[];
}

/** A random-effects term `(lhs | group)` after expansion of `/` and `||`. */
export interface RandomTerm {
  /** Whether the lhs model matrix has an intercept column. */
  intercept: boolean;
  /** lhs terms (fixed-effects style) in R order. */
  terms: FormulaTerm[];
  /** Grouping variable names (more than one for an interaction grouping such as `b:a`). */
  group: string[];
  /** Grouping factor label as lme4 prints it (`Subject`, `lesion:patient`). */
  groupLabel: string;
  /** Deparsed lhs, e.g. `1 + Days`. */
  lhsText: string;
}

/** A parsed and expanded formula. */
export interface ParsedFormula {
  text: string;
  response: FormulaExpr | null;
  /** Deparsed response (`log(suvpeak)`), null without one. */
  responseLabel: string | null;
  intercept: boolean;
  /** Fixed-effects terms, ordered as R orders them (by interaction order, then appearance). */
  terms: FormulaTerm[];
  /** Every fixed-effects and random-lhs variable, in order of first appearance. */
  variables: FormulaVariable[];
  random: RandomTerm[];
  /** Arguments of `strata(...)` calls (survival). */
  strata: FormulaExpr[];
  /** Arguments of `cluster(...)` calls (survival). */
  cluster: FormulaExpr[];
}

// ---------------------------------------------------------------------------------------------
// Tokenizer and parser (R operator precedence).

interface Token {
  kind: 'name' | 'num' | 'str' | 'op' | 'end';
  text: string;
  pos: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[A-Za-z.]/.test(c) && !(c === '.' && /\d/.test(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9._]/.test(text[j]!)) j++;
      out.push({ kind: 'name', text: text.slice(i, j), pos: i });
      i = j;
      continue;
    }
    if (c === '`') {
      const j = text.indexOf('`', i + 1);
      if (j < 0) throw syntaxError(text, i, 'unterminated backquoted name');
      out.push({ kind: 'name', text: text.slice(i + 1, j), pos: i });
      i = j + 1;
      continue;
    }
    if (c === '"' || c === "'") {
      const j = text.indexOf(c, i + 1);
      if (j < 0) throw syntaxError(text, i, 'unterminated string');
      out.push({ kind: 'str', text: text.slice(i + 1, j), pos: i });
      i = j + 1;
      continue;
    }
    if (/[\d.]/.test(c)) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?L?/.exec(text.slice(i));
      if (!m) throw syntaxError(text, i, 'bad number');
      out.push({ kind: 'num', text: m[0].replace(/L$/, ''), pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '|' && text[i + 1] === '|') {
      out.push({ kind: 'op', text: '||', pos: i });
      i += 2;
      continue;
    }
    if (c === '%') {
      const j = text.indexOf('%', i + 1);
      if (j < 0) throw syntaxError(text, i, 'unterminated %op%');
      out.push({ kind: 'op', text: text.slice(i, j + 1), pos: i });
      i = j + 1;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=' || two === '&&') {
      out.push({ kind: 'op', text: two === '&&' ? '&' : two, pos: i });
      i += 2;
      continue;
    }
    if (c === '*' && text[i + 1] === '*') {
      out.push({ kind: 'op', text: '^', pos: i });
      i += 2;
      continue;
    }
    if ('~+-*/:^|(),<>&='.includes(c)) {
      out.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    throw syntaxError(text, i, `unexpected character '${c}'`);
  }
  out.push({ kind: 'end', text: '', pos: text.length });
  return out;
}

function syntaxError(text: string, pos: number, what: string): InputError {
  return new InputError(`formula syntax error at position ${pos + 1}: ${what} in "${text}"`, {
    field: 'formula',
    value: text,
  });
}

// Binary precedence (higher binds tighter) and associativity, after R's ?Syntax.
const BINARY: Record<string, { prec: number; right: boolean }> = {
  '~': { prec: 1, right: false },
  '|': { prec: 2, right: false },
  '||': { prec: 2, right: false },
  '&': { prec: 3, right: false },
  '==': { prec: 4, right: false },
  '!=': { prec: 4, right: false },
  '<': { prec: 4, right: false },
  '>': { prec: 4, right: false },
  '<=': { prec: 4, right: false },
  '>=': { prec: 4, right: false },
  '+': { prec: 5, right: false },
  '-': { prec: 5, right: false },
  '*': { prec: 6, right: false },
  '/': { prec: 6, right: false },
  '%': { prec: 7, right: false },
  ':': { prec: 8, right: false },
  '^': { prec: 10, right: true },
};
const UNARY_PREC = 9;

/** Comparison and logical operators: evaluated inside expressions, a variable when used as a term. */
export const COMPARISON_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '>', '<=', '>=']);

class Parser {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly toks: Token[],
  ) {}

  peek(): Token {
    return this.toks[this.i]!;
  }
  next(): Token {
    return this.toks[this.i++]!;
  }
  expect(op: string): void {
    const t = this.next();
    if (t.kind !== 'op' || t.text !== op) {
      throw syntaxError(
        this.text,
        t.pos,
        t.kind === 'end' ? `missing '${op}'` : `expected '${op}', found '${t.text}'`,
      );
    }
  }

  parseExpr(minPrec: number): FormulaExpr {
    let left = this.parsePrefix();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op') break;
      const key = t.text.startsWith('%') ? '%' : t.text;
      const info = BINARY[key];
      if (!info || info.prec < minPrec) break;
      this.next();
      const right = this.parseExpr(info.right ? info.prec : info.prec + 1);
      left = { type: 'binary', op: t.text, left, right };
    }
    return left;
  }

  parsePrefix(): FormulaExpr {
    const t = this.next();
    if (t.kind === 'num') return { type: 'num', value: Number(t.text), text: t.text };
    if (t.kind === 'str') return { type: 'str', value: t.text };
    if (t.kind === 'name') {
      if (this.peek().kind === 'op' && this.peek().text === '(') {
        this.next();
        const args: FormulaExpr[] = [];
        const argNames: (string | null)[] = [];
        if (!(this.peek().kind === 'op' && this.peek().text === ')')) {
          for (;;) {
            const after = this.toks[this.i + 1];
            if (this.peek().kind === 'name' && after?.kind === 'op' && after.text === '=') {
              argNames.push(this.next().text);
              this.next();
            } else argNames.push(null);
            args.push(this.parseExpr(1));
            if (this.peek().kind === 'op' && this.peek().text === ',') {
              this.next();
              continue;
            }
            break;
          }
        }
        this.expect(')');
        return argNames.some((a) => a !== null)
          ? { type: 'call', fn: t.text, args, argNames }
          : { type: 'call', fn: t.text, args };
      }
      return { type: 'name', name: t.text };
    }
    if (t.kind === 'op' && t.text === '(') {
      const inner = this.parseExpr(1);
      this.expect(')');
      return { type: 'paren', expr: inner };
    }
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
      const arg = this.parseExpr(UNARY_PREC);
      return { type: 'unary', op: t.text, arg };
    }
    if (t.kind === 'op' && t.text === '~') {
      const rhs = this.parseExpr(2);
      return { type: 'call', fn: '~', args: [rhs] };
    }
    throw syntaxError(
      this.text,
      t.pos,
      t.kind === 'end' ? 'unexpected end of formula' : `unexpected '${t.text}'`,
    );
  }
}

/** Parses formula text into its expression tree (no expansion). Throws InputError naming the position. */
export function parseFormulaExpr(text: string): FormulaExpr {
  const p = new Parser(text, tokenize(text));
  const e = p.parseExpr(1);
  const t = p.peek();
  if (t.kind !== 'end') throw syntaxError(text, t.pos, `unexpected '${t.text}'`);
  return e;
}

/** Deparses an expression as R's deparse() prints it (spaces around + - * | ~, none around / ^ :). */
export function deparse(e: FormulaExpr): string {
  switch (e.type) {
    case 'name':
      return /^[A-Za-z.][A-Za-z0-9._]*$/.test(e.name) ? e.name : `\`${e.name}\``;
    case 'num':
      return String(e.value);
    case 'str':
      return JSON.stringify(e.value);
    case 'call':
      if (e.fn === '~') return `~${deparse(e.args[0]!)}`;
      return `${e.fn}(${e.args.map((a, k) => (e.argNames?.[k] ? `${e.argNames[k]} = ` : '') + deparse(a)).join(', ')})`;
    case 'paren':
      return `(${deparse(e.expr)})`;
    case 'unary':
      return `${e.op}${deparse(e.arg)}`;
    case 'binary': {
      const tight = e.op === '/' || e.op === '^' || e.op === ':';
      return tight
        ? `${deparse(e.left)}${e.op}${deparse(e.right)}`
        : `${deparse(e.left)} ${e.op} ${deparse(e.right)}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Term expansion (R's terms.formula algebra).

/** A term as a set of variable labels (kept as a sorted key list for comparisons). */
type TermSet = string[];

interface Expansion {
  terms: TermSet[];
  /** true: `1` or `+1` seen; false: `0` or `-1`; undefined: not mentioned. */
  intercept: boolean | undefined;
}

class Expander {
  readonly vars: FormulaVariable[] = [];
  readonly random: { lhs: FormulaExpr; group: FormulaExpr; double: boolean }[] = [];
  readonly strata: FormulaExpr[] = [];
  readonly cluster: FormulaExpr[] = [];
  constructor(private readonly text: string) {}

  variable(e: FormulaExpr): string {
    const label = deparse(e);
    if (!this.vars.some((v) => v.label === label)) this.vars.push({ label, expr: e });
    return label;
  }

  fail(msg: string): never {
    throw new InputError(`formula error: ${msg} in "${this.text}"`, { field: 'formula', value: this.text });
  }

  expand(e: FormulaExpr, top: boolean): Expansion {
    switch (e.type) {
      case 'num':
        if (e.value === 1) return { terms: [], intercept: true };
        if (e.value === 0) return { terms: [], intercept: false };
        return this.fail(`a number (${e.text}) is not a term; use I(${e.text}) for a constant`);
      case 'str':
        return this.fail('a string is not a term');
      case 'name':
        return { terms: [[this.variable(e)]], intercept: undefined };
      case 'call':
        if (top && (e.fn === 'strata' || e.fn === 'cluster')) {
          if (e.args.length === 0) this.fail(`${e.fn}() needs an argument`);
          (e.fn === 'strata' ? this.strata : this.cluster).push(...e.args);
          return { terms: [], intercept: undefined };
        }
        return { terms: [[this.variable(e)]], intercept: undefined };
      case 'paren': {
        const inner = e.expr;
        if (inner.type === 'binary' && (inner.op === '|' || inner.op === '||')) {
          if (!top) this.fail('a random-effects term (… | g) must be added at the top level of the formula');
          this.random.push({ lhs: inner.left, group: inner.right, double: inner.op === '||' });
          return { terms: [], intercept: undefined };
        }
        return this.expand(inner, top);
      }
      case 'unary':
        if (e.op === '+') return this.expand(e.arg, top);
        {
          const r = this.expand(e.arg, false);
          if (r.terms.length > 0)
            this.fail(`cannot remove terms without a left operand ('-${deparse(e.arg)}')`);
          return { terms: [], intercept: r.intercept === true ? false : r.intercept };
        }
      case 'binary':
        return this.expandBinary(e, top);
    }
  }

  expandBinary(e: Extract<FormulaExpr, { type: 'binary' }>, top: boolean): Expansion {
    switch (e.op) {
      case '+': {
        const a = this.expand(e.left, top);
        const b = this.expand(e.right, top);
        return { terms: union(a.terms, b.terms), intercept: b.intercept ?? a.intercept };
      }
      case '-': {
        const a = this.expand(e.left, top);
        const b = this.expand(e.right, false);
        const keys = new Set(b.terms.map(key));
        const intercept = b.intercept === true ? false : b.intercept === false ? true : a.intercept;
        return { terms: a.terms.filter((t) => !keys.has(key(t))), intercept };
      }
      case ':': {
        const a = this.expand(e.left, false);
        const b = this.expand(e.right, false);
        return { terms: product(a.terms, b.terms), intercept: undefined };
      }
      case '*': {
        const a = this.expand(e.left, false);
        const b = this.expand(e.right, false);
        return { terms: union(union(a.terms, b.terms), product(a.terms, b.terms)), intercept: undefined };
      }
      case '/': {
        const a = this.expand(e.left, false);
        const b = this.expand(e.right, false);
        const all = [...new Set(a.terms.flat())];
        return { terms: union(a.terms, product([all], b.terms)), intercept: undefined };
      }
      case '^': {
        const a = this.expand(e.left, false);
        if (e.right.type !== 'num' || !Number.isInteger(e.right.value) || e.right.value < 1) {
          this.fail(`the power in (…)^k must be a positive integer; use I(${deparse(e)}) for arithmetic`);
        }
        let acc = a.terms;
        for (let k = 1; k < e.right.value; k++) acc = union(acc, product(acc, a.terms));
        return { terms: acc, intercept: undefined };
      }
      case '|':
      case '||':
        return this.fail('a random-effects term must be written in parentheses: (lhs | group)');
      case '&':
        return { terms: [[this.variable(e)]], intercept: undefined };
      default:
        if (COMPARISON_OPS.has(e.op)) return { terms: [[this.variable(e)]], intercept: undefined };
        return this.fail(`operator '${e.op}' is not allowed outside I()`);
    }
  }
}

function key(t: TermSet): string {
  return [...t].sort().join('\u0000');
}
function union(a: TermSet[], b: TermSet[]): TermSet[] {
  const out = [...a];
  const keys = new Set(a.map(key));
  for (const t of b) {
    if (!keys.has(key(t))) {
      keys.add(key(t));
      out.push(t);
    }
  }
  return out;
}
function product(a: TermSet[], b: TermSet[]): TermSet[] {
  const out: TermSet[] = [];
  for (const x of a) for (const y of b) out.push([...new Set([...x, ...y])]);
  return union([], out);
}

/** Orders terms as R does (by order, stable) and labels them with variables in formula order. */
function finishTerms(terms: TermSet[], varOrder: string[]): FormulaTerm[] {
  const idx = (v: string): number => varOrder.indexOf(v);
  const labelled = terms.map((t) => {
    const variables = [...t].sort((p, q) => idx(p) - idx(q));
    return { label: variables.join(':'), variables };
  });
  return labelled
    .map((t, i) => ({ t, i }))
    .sort((p, q) => p.t.variables.length - q.t.variables.length || p.i - q.i)
    .map((x) => x.t);
}

function groupNames(e: FormulaExpr, ex: Expander): string[][] {
  // Returns one or more grouping factors, each as a list of variable names (interaction).
  if (e.type === 'paren') return groupNames(e.expr, ex);
  if (e.type === 'name') return [[e.name]];
  if (e.type === 'binary' && e.op === ':') {
    const a = groupNames(e.left, ex);
    const b = groupNames(e.right, ex);
    if (a.length !== 1 || b.length !== 1) ex.fail('nested grouping inside an interaction is not supported');
    return [[...a[0]!, ...b[0]!]];
  }
  if (e.type === 'binary' && e.op === '/') {
    // lme4 expandSlash: a/b -> a, b:a
    const a = groupNames(e.left, ex);
    const b = groupNames(e.right, ex);
    const outer = a[a.length - 1]!;
    return [...a, ...b.map((g) => [...g, ...outer])];
  }
  return ex.fail(`grouping factor '${deparse(e)}' must be a column name, a:b or a/b`);
}

/**
 * Parses and expands an R model formula.
 * @param text formula such as `log(suvpeak) ~ timepoint * cohort + (1 | patient)`
 * @returns response, fixed terms (R's order and labels), variables, random terms and survival specials
 * @throws InputError on a syntax error (1-based position named) or an unsupported construct
 * Source: R `terms.formula` (stats), lme4 `findbars`/`expandSlash`/`expandDoubleVerts`.
 */
export function parseFormula(text: string): ParsedFormula {
  const root = parseFormulaExpr(text);
  let response: FormulaExpr | null = null;
  let rhs: FormulaExpr;
  if (root.type === 'binary' && root.op === '~') {
    response = root.left;
    rhs = root.right;
  } else if (root.type === 'call' && root.fn === '~') {
    rhs = root.args[0]!;
  } else {
    throw new InputError(`formula has no '~' in "${text}"`, { field: 'formula', value: text });
  }
  const ex = new Expander(text);
  const main = ex.expand(rhs, true);
  const random: RandomTerm[] = [];
  for (const r of ex.random) {
    const lhs = ex.expand(r.lhs, false);
    const lhsIntercept = lhs.intercept !== false;
    const groups = groupNames(r.group, ex);
    const lhsTerms = finishTerms(
      lhs.terms,
      ex.vars.map((v) => v.label),
    );
    for (const g of groups) {
      const groupLabel = g.join(':');
      if (r.double) {
        // lme4 expandDoubleVerts: (1 + x || g) -> (1 | g) + (0 + x | g)
        if (lhsIntercept) random.push({ intercept: true, terms: [], group: g, groupLabel, lhsText: '1' });
        for (const t of lhsTerms) {
          random.push({ intercept: false, terms: [t], group: g, groupLabel, lhsText: `0 + ${t.label}` });
        }
      } else {
        random.push({
          intercept: lhsIntercept,
          terms: lhsTerms,
          group: g,
          groupLabel,
          lhsText: deparse(r.lhs),
        });
      }
    }
  }
  const order = ex.vars.map((v) => v.label);
  return {
    text,
    response,
    responseLabel: response ? deparse(response) : null,
    intercept: main.intercept !== false,
    terms: finishTerms(main.terms, order),
    variables: ex.vars,
    random,
    strata: ex.strata,
    cluster: ex.cluster,
  };
}

/** Names of the data columns an expression reads (e.g. `log(y + 1)` → ['y']). */
export function exprColumns(e: FormulaExpr): string[] {
  switch (e.type) {
    case 'name':
      return [e.name];
    case 'num':
    case 'str':
      return [];
    case 'call':
      return [...new Set(e.args.flatMap(exprColumns))];
    case 'paren':
      return exprColumns(e.expr);
    case 'unary':
      return exprColumns(e.arg);
    case 'binary':
      return [...new Set([...exprColumns(e.left), ...exprColumns(e.right)])];
  }
}

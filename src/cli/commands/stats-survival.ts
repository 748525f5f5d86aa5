/**
 * `carto stats km|logrank|cox|concordance` — survival analysis on a CSV file, validated against R's
 * survival package (survfit, survdiff, coxph, concordance) and coxphf (Firth).
 *
 * Status columns may be coded as R's `Surv()` accepts: 0/1, 1/2 (2 = event) or TRUE/FALSE.
 * The `run*` functions return the JSON objects the commands print (used by the tests).
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { CsvTable } from '../../io/csv.js';
import {
  columnText,
  csvColumnsFromTable,
  readCsvColumns,
  type CsvColumn,
  type CsvColumns,
} from '../../io/csv-columns.js';
import { dataFrameFromCsv, type ColumnType } from '../../stats/data-frame.js';
import {
  concordance,
  coxphFormulaLoaded,
  kaplanMeier,
  kaplanMeierByGroup,
  logRank,
  nRiskAt,
  statusFromCodes,
  survivalAt,
  survStatus,
} from '../../stats/survival/index.js';
import type { CoxFormulaOptions, KmConfType, KmResult } from '../../stats/survival/index.js';
import { commandGroup, formatTable, printJson, warn } from '../shared.js';
import { parseNumberOption, SEP_HELP, separatorOption, type NumberRange } from '../options.js';

/** A table as the commands read it: typed columns (`readCsvColumns`), or a string table (tests, callers). */
export type SurvTable = CsvTable | CsvColumns;

/** Typed columns of `table`; `text` names the columns that are labels (kept as written). */
function typed(table: SurvTable, text: readonly (string | undefined)[] = []): CsvColumns {
  return 'strings' in table
    ? table
    : csvColumnsFromTable(table, { text: text.filter((c): c is string => c !== undefined) });
}

function requireColumn(table: SurvTable, col: string, option: string): CsvColumn {
  const c = table.columns.indexOf(col);
  if (c < 0) {
    throw new InputError(`no such column in the data (columns: ${table.columns.join(', ')})`, {
      file: table.file,
      field: option,
      value: col,
    });
  }
  return typed(table).data[c]!;
}

/** The numbers of a numeric column when none is missing and `ok` holds for each; else null. */
function checkedNumbers(column: CsvColumn, ok: (v: number) => boolean): Float64Array | null {
  if (column.kind !== 'number' || column.missing !== null) return null;
  const v = column.values;
  for (let i = 0; i < v.length; i++) if (!ok(v[i]!)) return null;
  return v;
}

/**
 * Follow-up times of column `col`: finite numbers ≥ 0; InputError naming file/row/column otherwise
 * (the value quoted as written). A numeric column is returned as read (do not modify it).
 */
export function timeColumn(table: SurvTable, col: string, option = '--time'): Float64Array {
  const t = typed(table);
  const fast = checkedNumbers(requireColumn(t, col, option), (v) => v >= 0 && v < Infinity);
  if (fast !== null) return fast;
  const cells = columnText(t, col);
  return Float64Array.from(cells, (s, i) => {
    if (s === '' || s === 'NA')
      throw new InputError('missing time', { file: t.file, row: i + 1, field: col });
    const v = Number(s);
    if (!Number.isFinite(v))
      throw new InputError('time is not a number', { file: t.file, row: i + 1, field: col, value: s });
    if (v < 0) throw new InputError('time must be ≥ 0', { file: t.file, row: i + 1, field: col, value: s });
    return v;
  });
}

/** Status column converted to 0/1 (see survStatus); errors name the file and quote the cell as written. */
export function statusColumn(table: SurvTable, col: string, option = '--status'): Uint8Array {
  const t = typed(table);
  const column = requireColumn(t, col, option);
  const coded = column.kind === 'number' && column.missing === null ? statusFromCodes(column.values) : null;
  return coded ?? survStatus(columnText(t, col), col, t.file);
}

function labelColumn(table: SurvTable, col: string, option: string): string[] {
  const t = typed(table, [col]);
  requireColumn(t, col, option);
  const cells = columnText(t, col);
  cells.forEach((s, i) => {
    if (s === '' || s === 'NA')
      throw new InputError('missing value', { file: t.file, row: i + 1, field: col });
  });
  return cells;
}

function numberOption(
  value: string | undefined,
  option: string,
  fallback: number,
  range: NumberRange = {},
): number {
  return value === undefined ? fallback : parseNumberOption(value, option, range);
}

/** A confidence level strictly between 0 and 1. */
const LEVEL: NumberRange = { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true };

function timesOption(value: string | undefined): number[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => {
    const v = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(v) || v < 0)
      throw new InputError('times must be numbers ≥ 0', { field: '--at', value: s });
    return v;
  });
}

function confTypeOption(v: string | undefined): KmConfType {
  const t = v ?? 'log';
  if (t !== 'log' && t !== 'log-log' && t !== 'plain') {
    throw new InputError('must be log, log-log or plain', { field: '--conf-type', value: t });
  }
  return t;
}

export interface KmCliOptions {
  time: string;
  status: string;
  group?: string;
  confType?: string;
  confLevel?: string;
  at?: string;
  reverse?: boolean;
}

/** `carto stats km` result: { strata: [{ group, n, events, median, medianLower, medianUpper, table, at? }] }. */
export function runKm(input: SurvTable, o: KmCliOptions): { strata: Record<string, unknown>[] } {
  const table = typed(input, [o.group]);
  const time = timeColumn(table, o.time);
  const status = statusColumn(table, o.status);
  const opts = {
    confType: confTypeOption(o.confType),
    confLevel: numberOption(o.confLevel, '--conf-level', 0.95, LEVEL),
    reverse: o.reverse === true,
    names: { time: o.time, status: o.status, group: o.group ?? 'group' },
  };
  const at = timesOption(o.at);
  const shape = (km: KmResult, group: string | null): Record<string, unknown> => ({
    group,
    n: km.n,
    events: km.events,
    median: km.median,
    medianLower: km.medianLower,
    medianUpper: km.medianUpper,
    table: km.table,
    ...(at.length > 0
      ? {
          at: (() => {
            const s = survivalAt(km, at);
            const r = nRiskAt(km, at);
            return at.map((t, i) => ({ time: t, surv: s[i], nRisk: r[i] }));
          })(),
        }
      : {}),
  });
  if (o.group === undefined) return { strata: [shape(kaplanMeier(time, status, opts), null)] };
  const group = labelColumn(table, o.group, '--group');
  return { strata: kaplanMeierByGroup(time, status, group, opts).strata.map((s) => shape(s, s.group)) };
}

export interface LogRankCliOptions {
  time: string;
  status: string;
  group: string;
  strata?: string;
  rho?: string;
}

/** `carto stats logrank` result (survdiff): chisq, df, p, observed, expected, variance, groups, n. */
export function runLogRank(input: SurvTable, o: LogRankCliOptions): Record<string, unknown> {
  const table = typed(input, [o.group, o.strata]);
  const time = timeColumn(table, o.time);
  const status = statusColumn(table, o.status);
  const group = labelColumn(table, o.group, '--group');
  const r = logRank(time, status, group, {
    rho: numberOption(o.rho, '--rho', 0, { min: 0 }),
    ...(o.strata !== undefined ? { strata: labelColumn(table, o.strata, '--strata') } : {}),
    names: { time: o.time, status: o.status, group: o.group, ...(o.strata ? { strata: o.strata } : {}) },
  });
  return {
    chisq: r.chisq,
    df: r.df,
    p: r.p,
    observed: r.observed,
    expected: r.expected,
    variance: r.variance,
    groups: r.groups,
    n: r.n,
  };
}

export interface ConcordanceCliOptions {
  time: string;
  status: string;
  predictor: string;
  reverse?: boolean;
}

/** `carto stats concordance` result: Harrell's C with its SE and pair counts. */
export function runConcordance(input: SurvTable, o: ConcordanceCliOptions): Record<string, unknown> {
  const table = typed(input);
  const time = timeColumn(table, o.time);
  const status = statusColumn(table, o.status);
  const predictor = requireColumn(table, o.predictor, '--predictor');
  const x =
    checkedNumbers(predictor, Number.isFinite) ??
    Float64Array.from(columnText(table, o.predictor), (s, i) => {
      const v = Number(s);
      if (s === '' || s === 'NA' || !Number.isFinite(v)) {
        throw new InputError('predictor value missing or not a number', {
          file: table.file,
          row: i + 1,
          field: o.predictor,
          value: s,
        });
      }
      return v;
    });
  const r = concordance(time, status, x, { reverse: o.reverse === true });
  return { ...r };
}

export interface CoxCliOptions {
  formula: string;
  ties?: string;
  firth?: boolean;
  weights?: string;
  factor?: string;
  ref?: string[];
  confLevel?: string;
}

/** The columns of `--factor` (comma-separated). */
function coxFactors(o: { factor?: string }): string[] {
  return (o.factor ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function parseRefs(refs: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of refs ?? []) {
    const m = /^([^=]+)=(.*)$/.exec(r);
    if (!m) throw new InputError('expected VAR=LEVEL', { field: '--ref', value: r });
    out[m[1]!.trim()] = m[2]!.trim();
  }
  return out;
}

/**
 * `carto stats cox` result: coefficients (term, estimate, se, robustSe, z, p, hr, hrLower, hrUpper),
 * logLik [null model, fitted], lrt/wald/score {stat, df, p}, n, events, concordance(+Se).
 * Rows with a missing covariate, stratum or cluster are dropped (R's na.omit); missing times/status
 * are errors. See `coxphFormula` (src/stats/survival/cox-formula.ts).
 * `input` is a table or a function that reads it: then the table and its data frame are garbage
 * before the fit starts (what the command does; 10⁶-row tables).
 */
export function runCox(input: SurvTable | (() => SurvTable), o: CoxCliOptions): Record<string, unknown> {
  const factors = coxFactors(o);
  const fitOpts: CoxFormulaOptions = {};
  // The table is read (when `input` reads it) and turned into a data frame inside the loader, and the
  // fit's options are set there too, after the table's checks (the order errors are reported in).
  const res = coxphFormulaLoaded(
    o.formula,
    () => {
      const table = typed(typeof input === 'function' ? input() : input, factors);
      const types: Record<string, ColumnType> = {};
      for (const c of factors) {
        requireColumn(table, c, '--factor');
        types[c] = 'factor';
      }
      if (o.ties !== undefined && o.ties !== 'efron' && o.ties !== 'breslow') {
        throw new InputError('must be efron or breslow', { field: '--ties', value: o.ties });
      }
      const df = dataFrameFromCsv(table, { types });
      Object.assign(fitOpts, {
        ...(o.ties !== undefined ? { ties: o.ties } : {}),
        firth: o.firth === true,
        ...(o.weights !== undefined ? { weights: o.weights } : {}),
        types,
        ref: parseRefs(o.ref),
        confLevel: numberOption(o.confLevel, '--conf-level', 0.95, LEVEL),
        file: table.file,
      });
      return df;
    },
    fitOpts,
  );
  if (res.nDropped > 0) warn(`${res.nDropped} row(s) with missing values dropped (as R's na.omit)`);
  if (res.method === 'firth') {
    const fit = res.fit;
    return {
      method: 'firth',
      ties: 'breslow',
      formula: o.formula,
      coefficients: fit.coefficients.map((k) => ({
        term: k.term,
        estimate: k.estimate,
        se: k.se,
        robustSe: null,
        z: k.estimate / k.se,
        p: k.p,
        chisq: k.chisq,
        hr: k.hr,
        hrLower: k.hrLower,
        hrUpper: k.hrUpper,
      })),
      logLik: fit.logLik,
      logLikCoxphf: fit.logLikCoxphf,
      lrt: fit.lrt,
      wald: null,
      score: null,
      n: fit.n,
      nDropped: res.nDropped,
      events: fit.events,
      concordance: res.concordance,
      concordanceSe: res.concordanceSe,
      converged: fit.converged,
    };
  }
  const fit = res.fit;
  for (const w of fit.warnings) warn(w);
  return {
    method: 'cox',
    ties: fit.ties,
    formula: o.formula,
    coefficients: fit.coefficients.map((k) => ({ ...k, robustSe: fit.robust ? k.robustSe : null })),
    logLik: fit.logLik,
    lrt: fit.lrt,
    wald: fit.wald,
    score: fit.score,
    robustScore: fit.robustScore,
    n: fit.n,
    nDropped: res.nDropped,
    events: fit.events,
    concordance: fit.concordance,
    concordanceSe: fit.concordanceSe,
    robust: fit.robust,
    iterations: fit.iterations,
    converged: fit.converged,
    warnings: fit.warnings,
  };
}

const fmt = (v: unknown): string | number | null =>
  typeof v === 'number' ? (Number.isFinite(v) ? v : null) : typeof v === 'string' ? v : null;

export function register(program: Command): void {
  const stats = commandGroup(program, 'stats', 'Statistics: models and building blocks of the analysis plan');
  registerKm(stats);
  registerLogRank(stats);
  registerCox(stats);
  registerConcordance(stats);
}

/** `carto stats km`: Kaplan–Meier estimate (R survfit). */
function registerKm(stats: Command): void {
  stats
    .command('km')
    .description('Kaplan–Meier estimate with Greenwood SE, pointwise CIs and the median (R survfit)')
    .requiredOption('--data <file>', 'CSV file with a header row, one subject per row')
    .option('--sep <char>', SEP_HELP, separatorOption(), ',')
    .requiredOption('--time <col>', 'follow-up time column (any unit, e.g. days; ≥ 0)')
    .requiredOption('--status <col>', 'event column: 0/1, 1/2 (2 = event) or TRUE/FALSE')
    .option('--group <col>', 'one curve per group (R factor order)')
    .option('--conf-type <t>', 'CI transformation: log | log-log | plain', 'log')
    .option('--conf-level <p>', 'confidence level', '0.95')
    .option('--at <times>', 'comma-separated times for survival and numbers at risk, e.g. 180,365')
    .option('--reverse', 'reverse Kaplan–Meier (censoring as the event): median follow-up')
    .option('--json', 'print { strata: [ { group, n, events, median, medianLower, medianUpper, table } ] }')
    .addHelpText(
      'after',
      '\nstdErr is the standard error of S(t) (R summary(survfit)$std.err); the median and its CI follow\n' +
        "R's print(survfit) rule. Example:\n" +
        '  carto stats km --data pfs.csv --time pfs_days --status progressed --group cohort --at 180,365 --json',
    )
    .action((opts: KmCliOptions & { data: string; sep: string; json?: boolean }) => {
      const res = runKm(readCsvColumns(opts.data, opts.sep, '--sep', { text: [opts.group ?? ''] }), opts);
      if (opts.json) return printJson(res);
      for (const s of res.strata) {
        const km = s as unknown as KmResult & { group: string | null };
        process.stdout.write(
          `${km.group === null ? 'all' : `${opts.group}=${km.group}`}: n=${km.n} events=${km.events} median=${fmt(km.median) ?? 'NA'} (${fmt(km.medianLower) ?? 'NA'}, ${fmt(km.medianUpper) ?? 'NA'})\n`,
        );
        process.stdout.write(
          `${formatTable(
            ['time', 'n.risk', 'n.event', 'n.censor', 'survival', 'std.err', 'lower', 'upper'],
            km.table.map((r) =>
              [r.time, r.nRisk, r.nEvent, r.nCensor, r.surv, r.stdErr, r.lower, r.upper].map(fmt),
            ),
          )}\n\n`,
        );
        const at = (s as { at?: { time: number; surv: number; nRisk: number }[] }).at;
        if (at) {
          process.stdout.write(
            `${formatTable(
              ['at time', 'survival', 'n.risk'],
              at.map((a) => [a.time, a.surv, a.nRisk]),
            )}\n\n`,
          );
        }
      }
    });
}

/** `carto stats logrank`: log-rank / G-rho test (R survdiff). */
function registerLogRank(stats: Command): void {
  stats
    .command('logrank')
    .description('Log-rank / Harrington–Fleming G-rho test between groups (R survdiff)')
    .requiredOption('--data <file>', 'CSV file with a header row')
    .option('--sep <char>', SEP_HELP, separatorOption(), ',')
    .requiredOption('--time <col>', 'follow-up time column (≥ 0)')
    .requiredOption('--status <col>', 'event column: 0/1, 1/2 or TRUE/FALSE')
    .requiredOption('--group <col>', 'group column (2 or more groups)')
    .option('--strata <col>', 'stratify the test by this column')
    .option('--rho <r>', 'G-rho weight S(t-)^rho: 0 = log-rank, 1 = Peto–Peto', '0')
    .option('--json', 'print { chisq, df, p, observed, expected, variance, groups, n }')
    .addHelpText(
      'after',
      '\nExample:\n  carto stats logrank --data os.csv --time os_days --status died --group cohort --json',
    )
    .action((opts: LogRankCliOptions & { data: string; sep: string; json?: boolean }) => {
      const text = [opts.group, opts.strata ?? ''];
      const r = runLogRank(readCsvColumns(opts.data, opts.sep, '--sep', { text }), opts) as {
        chisq: number;
        df: number;
        p: number;
        observed: number[];
        expected: number[];
        groups: string[];
        n: number[];
      };
      if (opts.json) return printJson(r);
      process.stdout.write(
        `${formatTable(
          ['group', 'N', 'observed', 'expected', '(O-E)^2/E'],
          r.groups.map((g, j) =>
            [
              g,
              r.n[j]!,
              r.observed[j]!,
              r.expected[j]!,
              (r.observed[j]! - r.expected[j]!) ** 2 / r.expected[j]!,
            ].map(fmt),
          ),
        )}\n\nChisq = ${r.chisq.toPrecision(6)} on ${r.df} df, p = ${r.p.toPrecision(4)}\n`,
      );
    });
}

/** `carto stats cox`: Cox model from a formula (R coxph, coxphf). */
function registerCox(stats: Command): void {
  stats
    .command('cox')
    .description('Cox proportional-hazards model from a formula (R coxph; --firth: coxphf)')
    .requiredOption('--data <file>', 'CSV file with a header row')
    .option('--sep <char>', SEP_HELP, separatorOption(), ',')
    .requiredOption(
      '--formula <f>',
      'e.g. "Surv(time, status) ~ age + sex + strata(site) + cluster(patient)"; factors as in R',
    )
    .option('--ties <t>', 'efron | breslow (default efron; --firth always uses breslow)')
    .option(
      '--firth',
      'Firth-penalised Cox (Breslow ties, profile penalised-likelihood CIs, penalised LRT p)',
    )
    .option('--weights <col>', 'case-weight column (> 0); non-integer weights imply robust SEs as in R')
    .option('--factor <cols>', 'comma-separated numeric columns to treat as factors')
    .option(
      '--ref <var=level>',
      'reference level of a factor (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--conf-level <p>', 'confidence level of the HR intervals', '0.95')
    .option(
      '--json',
      'print { coefficients, logLik, lrt, wald, score, n, events, concordance, concordanceSe }',
    )
    .addHelpText(
      'after',
      '\nThe status may be a comparison as in R: Surv(time, status == 2), Surv(time, outcome != "alive")\n' +
        '(TRUE = event). Terms may use factor(x), relevel(x, ref = "a"), as.numeric(x), log(x), I(…).\n' +
        'Rows with missing covariates are dropped (R na.omit); missing times or status are errors.\n' +
        'cluster(id) gives robust (sandwich) SEs, used for z, p and the CI as in summary.coxph.\n' +
        'Example:\n  carto stats cox --data lesions.csv --formula "Surv(pfs_days, progressed) ~ suvmax + cluster(patient)" --json\n' +
        '  carto stats cox --data os.csv --formula "Surv(os_days, died) ~ cohort" --firth --json',
    )
    .action((opts: CoxCliOptions & { data: string; sep: string; json?: boolean }) => {
      const text = coxFactors(opts);
      const r = runCox(() => readCsvColumns(opts.data, opts.sep, '--sep', { text }), opts) as {
        coefficients: Record<string, number | string | null>[];
        logLik: number[];
        lrt: { stat: number; df: number; p: number };
        n: number;
        events: number;
        concordance: number;
        concordanceSe: number;
        method: string;
      };
      if (opts.json) return printJson(r);
      process.stdout.write(
        `${formatTable(
          r.method === 'firth'
            ? ['term', 'coef', 'HR', 'se', 'robust se', 'z', 'p (pen. LRT)', 'PL lower', 'PL upper']
            : ['term', 'coef', 'HR', 'se', 'robust se', 'z', 'p', 'HR lower', 'HR upper'],
          r.coefficients.map((k) =>
            [
              k['term'],
              k['estimate'],
              k['hr'],
              k['se'],
              k['robustSe'],
              k['z'],
              k['p'],
              k['hrLower'],
              k['hrUpper'],
            ].map(fmt),
          ),
        )}\n\nn = ${r.n}, events = ${r.events}; log-likelihood ${r.logLik.map((v) => v.toFixed(4)).join(' → ')}\n` +
          `${r.method === 'firth' ? 'Penalised likelihood ratio' : 'Likelihood ratio'} test = ${r.lrt.stat.toPrecision(6)} on ${r.lrt.df} df, p = ${r.lrt.p.toPrecision(4)}\n` +
          `Concordance = ${r.concordance.toFixed(4)} (se = ${r.concordanceSe.toFixed(4)})\n`,
      );
    });
}

/** `carto stats concordance`: Harrell's C (R concordance). */
function registerConcordance(stats: Command): void {
  stats
    .command('concordance')
    .description("Harrell's C of a predictor against survival, with its standard error (R concordance)")
    .requiredOption('--data <file>', 'CSV file with a header row')
    .option('--sep <char>', SEP_HELP, separatorOption(), ',')
    .requiredOption('--time <col>', 'follow-up time column (≥ 0)')
    .requiredOption('--status <col>', 'event column: 0/1, 1/2 or TRUE/FALSE')
    .requiredOption('--predictor <col>', 'numeric predictor column')
    .option('--reverse', 'a larger predictor means shorter survival (risk score, Cox linear predictor)')
    .option('--json', 'print { concordance, se, concordant, discordant, tiedX, tiedY, tiedXY, n }')
    .addHelpText(
      'after',
      '\nExample:\n  carto stats concordance --data os.csv --time os_days --status died --predictor mtv_ml --reverse --json',
    )
    .action((opts: ConcordanceCliOptions & { data: string; sep: string; json?: boolean }) => {
      const r = runConcordance(readCsvColumns(opts.data, opts.sep, '--sep'), opts);
      if (opts.json) return printJson(r);
      process.stdout.write(`${formatTable(Object.keys(r), [Object.values(r).map(fmt)])}\n`);
    });
}

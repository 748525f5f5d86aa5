/**
 * `carto stats lmm | lrt | anova | emmeans` — linear mixed models as lme4/lmerTest fit and test them
 * (src/stats/lmm). `stats anova` with a formula without random-effects terms dispatches to the
 * fixed-effects ANOVA of src/stats/anova.ts (R `anova(lm())`; post-hoc Bonferroni, Tukey HSD, Dunnett).
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { readCsv } from '../../io/csv.js';
import { dataFrameFromCsv, type ColumnType, type DataFrame } from '../../stats/data-frame.js';
import { parseFormula } from '../../stats/formula.js';
import { fixedEffectsAnova, type PosthocMethod } from '../../stats/anova.js';
import {
  anovaTypeIII,
  emmeans,
  fitLmm,
  lrt,
  satterthwaite,
  satterthwaiteState,
  type LmmFit,
} from '../../stats/lmm/index.js';
import { commandGroup, formatTable, printJson, warn } from '../shared.js';
import { parseNumberOption, SEP_HELP, separatorOption } from '../options.js';

interface CommonOpts {
  data: string;
  sep: string;
  ref?: string[];
  type?: string[];
  json?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parsePairs(items: string[] | undefined, option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const it of items ?? []) {
    const at = it.indexOf('=');
    if (at <= 0 || at === it.length - 1) {
      throw new InputError('expected NAME=VALUE', { field: option, value: it });
    }
    out[it.slice(0, at).trim()] = it.slice(at + 1).trim();
  }
  return out;
}

function loadData(o: CommonOpts): {
  df: DataFrame;
  ref: Record<string, string>;
  types: Record<string, ColumnType>;
} {
  const types = parsePairs(o.type, '--type');
  for (const [k, v] of Object.entries(types)) {
    if (v !== 'numeric' && v !== 'factor') {
      throw new InputError('column type must be numeric or factor', { field: '--type', value: `${k}=${v}` });
    }
  }
  const table = readCsv(o.data, o.sep, '--sep');
  const df = dataFrameFromCsv(table, { types: types as Record<string, ColumnType> });
  return { df, ref: parsePairs(o.ref, '--ref'), types: types as Record<string, ColumnType> };
}

function addCommon(cmd: Command): Command {
  return cmd
    .requiredOption(
      '--data <file.csv>',
      'CSV table, one row per observation (header row; missing = empty or NA)',
    )
    .option('--sep <char>', SEP_HELP, separatorOption(), ',')
    .option(
      '--ref <factor=level>',
      'reference level of a factor (repeatable); default: first level as R sorts',
      collect,
    )
    .option('--type <column=numeric|factor>', 'override the detected column type (repeatable)', collect)
    .option('--json', 'print JSON instead of a table');
}

function reportWarnings(fit: LmmFit): void {
  for (const w of fit.warnings) warn(w);
  if (fit.nDropped > 0) warn(`${fit.nDropped} row(s) with missing values dropped`);
}

/** The JSON document of `carto stats lmm` (issue 3 shape plus diagnostics). */
export function lmmJson(fit: LmmFit): Record<string, unknown> {
  const fixef = fit.coefNames.map((term, i) => {
    const s = satterthwaite(
      fit,
      fit.coefNames.map((_, j) => (i === j ? 1 : 0)),
    );
    return {
      term,
      estimate: s.estimate,
      se: s.se,
      df: s.df,
      t: s.t,
      p: s.p,
      ciLower: s.ciLower,
      ciUpper: s.ciUpper,
    };
  });
  for (const w of satterthwaiteState(fit).warnings) warn(`Satterthwaite: ${w}`);
  return {
    formula: fit.formula,
    reml: fit.reml,
    nobs: fit.nobs,
    nDropped: fit.nDropped,
    ngroups: fit.ngroups,
    theta: fit.theta,
    sigma: fit.sigma,
    fixef,
    varcorr: [...fit.varcorr.sd, ...fit.varcorr.corr],
    logLik: fit.logLik,
    aic: fit.aic,
    bic: fit.bic,
    criterion: fit.criterion,
    singular: fit.singular,
    aliased: fit.aliased,
    warnings: fit.warnings,
    optimizer: fit.optimizer,
  };
}

function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return 'NA';
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e6)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}

function fmtP(p: number): string {
  if (!Number.isFinite(p)) return 'NA';
  return p < 1e-4 ? p.toExponential(2) : p.toPrecision(3);
}

function printLmmTable(fit: LmmFit, json: Record<string, unknown>): void {
  const lines: string[] = [];
  lines.push(
    `Linear mixed model fit by ${fit.reml ? 'REML' : 'maximum likelihood'}. t-tests use Satterthwaite's method`,
  );
  lines.push(`Formula: ${fit.formula}`);
  lines.push('');
  lines.push(
    fit.reml
      ? `REML criterion at convergence: ${fit.criterion.toFixed(4)}`
      : `     AIC      BIC   logLik deviance\n${[fit.aic, fit.bic, fit.logLik, fit.criterion].map((v) => v.toFixed(1)).join('  ')}`,
  );
  lines.push('');
  lines.push('Random effects:');
  const rows = fit.varcorr.sd.map((s) => {
    const corrs = fit.varcorr.corr
      .filter((c) => c.group === s.group && c.term2 === s.term)
      .map((c) => c.corr.toFixed(2))
      .join(' ');
    return [s.group, s.term, (s.sd * s.sd).toPrecision(6), s.sd.toPrecision(6), corrs];
  });
  lines.push(formatTable(['Groups', 'Name', 'Variance', 'Std.Dev.', 'Corr'], rows));
  lines.push(
    `Number of obs: ${fit.nobs}, groups: ${Object.entries(fit.ngroups)
      .map(([g, n]) => `${g}, ${n}`)
      .join('; ')}${fit.nDropped > 0 ? ` (${fit.nDropped} rows with missing values dropped)` : ''}`,
  );
  lines.push('');
  lines.push('Fixed effects:');
  const fixef = json['fixef'] as {
    term: string;
    estimate: number;
    se: number;
    df: number;
    t: number;
    p: number;
    ciLower: number;
    ciUpper: number;
  }[];
  lines.push(
    formatTable(
      ['', 'Estimate', 'Std. Error', 'df', 't value', 'Pr(>|t|)', '2.5 %', '97.5 %'],
      fixef.map((r) => [
        r.term,
        fmt(r.estimate),
        fmt(r.se),
        fmt(r.df, 2),
        fmt(r.t, 3),
        fmtP(r.p),
        fmt(r.ciLower),
        fmt(r.ciUpper),
      ]),
    ),
  );
  if (fit.singular) lines.push('\nboundary (singular) fit: see help("isSingular")');
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function register(program: Command): void {
  const stats = commandGroup(program, 'stats', 'Statistics matching R (mixed models, survival, ANOVA, …)');
  registerLmm(stats);
  registerLrt(stats);
  registerAnova(stats);
  registerEmmeans(stats);
}

/** `carto stats lmm`: a linear mixed model (lme4::lmer with lmerTest t-tests). */
function registerLmm(stats: Command): void {
  addCommon(
    stats
      .command('lmm')
      .description(
        'Fit a linear mixed model by REML (default) or ML, as lme4::lmer, with lmerTest Satterthwaite t-tests',
      )
      .requiredOption(
        '--formula <formula>',
        'R formula with random terms, e.g. "log(suvpeak) ~ timepoint * cohort + (1 | patient)"',
      )
      .option('--ml', 'fit by maximum likelihood instead of REML'),
  )
    .addHelpText(
      'after',
      '\nFormula syntax as R/lme4: + - * : I() log() exp() sqrt(), (1 | g), (1 + x | g), (0 + x | g), (x || g),\n' +
        '(1 | a/b) nested, crossed (1 | a) + (1 | b); factor(x), relevel(x, ref = "a"), as.numeric(x) (of a\n' +
        'factor: its level codes 1..k, as R), comparisons (dose > 5) as R logicals. Text columns are factors.\n' +
        'Rows with missing values in used columns are dropped; log() of values ≤ 0 is an error.\n' +
        'JSON: {formula, reml, nobs, ngroups, theta, sigma, fixef[{term, estimate, se, df, t, p, ciLower, ciUpper}],\n' +
        '       varcorr[{group, term, sd} | {group, term1, term2, corr}], logLik, aic, bic, criterion, …}\n' +
        'Example:\n' +
        '  carto stats lmm --data lesions.csv --formula "log(suvpeak) ~ timepoint * cohort + (1 | patient)" \\\n' +
        '      --ref timepoint=pre --json',
    )
    .action((o: CommonOpts & { formula: string; ml?: boolean }) => {
      const { df, ref, types } = loadData(o);
      const fit = fitLmm(o.formula, df, { reml: !o.ml, ref, types });
      reportWarnings(fit);
      const json = lmmJson(fit);
      if (o.json) printJson(json);
      else printLmmTable(fit, json);
    });
}

/** `carto stats lrt`: likelihood-ratio test of two nested mixed models. */
function registerLrt(stats: Command): void {
  addCommon(
    stats
      .command('lrt')
      .description(
        'Likelihood-ratio test of two nested mixed models (REML fits refitted by ML, as lme4 anova())',
      )
      .requiredOption(
        '--formula <formula>',
        'model formula (give exactly two: --formula A --formula B)',
        collect,
      ),
  )
    .addHelpText(
      'after',
      '\nJSON: {chisq, df, p, aic: [A, B], logLik: [A, B], npar: [A, B]} (ML values).\n' +
        'Example:\n' +
        '  carto stats lrt --data lesions.csv --formula "log(suvpeak) ~ day + (1 | patient)" \\\n' +
        '      --formula "log(suvpeak) ~ day + (1 + day | patient)" --json',
    )
    .action((o: CommonOpts & { formula: string[] }) => {
      if (o.formula.length !== 2) {
        throw new InputError(`give exactly two --formula options (got ${o.formula.length})`, {
          field: '--formula',
        });
      }
      const { df, ref, types } = loadData(o);
      const refFor = (f: string): Record<string, string> => {
        const vars = new Set(parseFormula(f).variables.map((v) => v.label));
        return Object.fromEntries(Object.entries(ref).filter(([k]) => vars.has(k)));
      };
      const a = fitLmm(o.formula[0]!, df, { ref: refFor(o.formula[0]!), types, reml: false });
      const b = fitLmm(o.formula[1]!, df, { ref: refFor(o.formula[1]!), types, reml: false });
      const r = lrt(a, b);
      if (o.json) printJson(r);
      else
        process.stdout.write(
          `Models fitted by ML (likelihood-ratio test)\n${formatTable(
            ['model', 'npar', 'AIC', 'logLik', 'Chisq', 'Df', 'Pr(>Chisq)'],
            [
              [o.formula[0]!, r.npar[0], fmt(r.aic[0], 2), fmt(r.logLik[0], 2), '', '', ''],
              [
                o.formula[1]!,
                r.npar[1],
                fmt(r.aic[1], 2),
                fmt(r.logLik[1], 2),
                fmt(r.chisq),
                r.df,
                fmtP(r.p),
              ],
            ],
          )}\n`,
        );
    });
}

/** `carto stats anova`: type III tests of a mixed model, or the fixed-effects ANOVA with post-hoc comparisons. */
function registerAnova(stats: Command): void {
  addCommon(
    stats
      .command('anova')
      .description(
        'Type III F tests with Satterthwaite denominator df (lmerTest) for a mixed model; a formula without\n' +
          'random terms gives the fixed-effects ANOVA (R anova(lm()), type I) with optional post-hoc comparisons',
      )
      .requiredOption(
        '--formula <formula>',
        'R formula, e.g. "log(suvpeak) ~ timepoint * cohort + (1 | patient)"',
      )
      .option('--ml', 'mixed model: fit by ML instead of REML')
      .option(
        '--posthoc <method>',
        'fixed-effects ANOVA only: bonferroni (all pairs, or against --control), tukey (all pairs, Tukey HSD)\n' +
          'or dunnett (against --control)',
      )
      .option(
        '--posthoc-by <factor>',
        'fixed-effects ANOVA only: grouping for the post-hoc (factor term or a:b)',
      )
      .option(
        '--control <level>',
        'control level for dunnett (default: the first level) or bonferroni (then only comparisons with it)',
      ),
  )
    .addHelpText(
      'after',
      '\nJSON (mixed model): [{term, numDf, denDf, F, p}] — hypothesis matrices as lmerTest::anova(type = 3).\n' +
        'JSON (fixed effects): {rows[{term, df, sumSq, meanSq, F, pValue}], residual, balanced, posthoc{method,\n' +
        '  family, control, familySize, pooledSd, df, criticalValue, levels[{level, n, mean, sd, sem}],\n' +
        '  comparisons[{a, b, diff, se, t, df, pValue, pAdjusted, lwr, upr, stars}]}} — post-hoc tests use the\n' +
        "  model's residual MSE and df (R TukeyHSD(aov())); stars as GraphPad Prism (ns > 0.05, * ≤ 0.05, ** ≤ 0.01,\n" +
        '  *** ≤ 0.001, **** ≤ 0.0001 on the adjusted p).\n' +
        'Examples:\n' +
        '  carto stats anova --data lesions.csv --formula "log(suvpeak) ~ timepoint * cohort + (1 | patient)" --json\n' +
        '  carto stats anova --data expansion.csv --formula "expansion ~ donor + condition" \\\n' +
        '      --posthoc dunnett --posthoc-by condition --control ctrl --json',
    )
    .action(
      (
        o: CommonOpts & {
          formula: string;
          ml?: boolean;
          posthoc?: string;
          posthocBy?: string;
          control?: string;
        },
      ) => {
        const { df, ref, types } = loadData(o);
        const f = parseFormula(o.formula);
        if (f.random.length === 0) {
          fixedEffectsAnovaCommand(o, df, ref, types);
          return;
        }
        if (o.posthoc !== undefined || o.posthocBy !== undefined || o.control !== undefined) {
          throw new InputError(
            '--posthoc applies to fixed-effects ANOVA only; use carto stats emmeans for mixed models',
            {
              field: '--posthoc',
            },
          );
        }
        const fit = fitLmm(o.formula, df, { reml: !o.ml, ref, types });
        reportWarnings(fit);
        const rows = anovaTypeIII(fit).map((r) => ({
          term: r.term,
          numDf: r.numDf,
          denDf: r.denDf,
          F: r.F,
          p: r.p,
        }));
        if (o.json) printJson(rows);
        else
          process.stdout.write(
            `Type III Analysis of Variance Table with Satterthwaite's method\n${formatTable(
              ['', 'NumDF', 'DenDF', 'F value', 'Pr(>F)'],
              rows.map((r) => [r.term, r.numDf, fmt(r.denDf, 3), fmt(r.F), fmtP(r.p)]),
            )}\n`,
          );
      },
    );
}

/** `carto stats emmeans`: least-squares means of a factor with Satterthwaite CIs. */
function registerEmmeans(stats: Command): void {
  addCommon(
    stats
      .command('emmeans')
      .description(
        'Least-squares (estimated marginal) means of a factor with Satterthwaite CIs, as lmerTest::ls_means',
      )
      .requiredOption('--formula <formula>', 'mixed-model formula')
      .requiredOption('--by <factor>', 'factor term of the model (e.g. timepoint, or timepoint:cohort)')
      .option('--exp', 'back-transform: geometric means and ratios (for a log-scale response)')
      .option('--level <p>', 'confidence level', '0.95'),
  )
    .addHelpText(
      'after',
      '\nOther factors are averaged with equal weights, numeric covariates are set to their mean.\n' +
        'JSON: {by, exp, means[{level, estimate, se, df, ciLower, ciUpper[, geomMean, geomLower, geomUpper]}],\n' +
        '       pairs[{contrast, estimate, se, df, t, p, ciLower, ciUpper[, ratio, ratioLower, ratioUpper]}]}\n' +
        'Example:\n' +
        '  carto stats emmeans --data lesions.csv --formula "log(suvpeak) ~ timepoint * cohort + (1 | patient)" \\\n' +
        '      --by timepoint --ref timepoint=pre --exp --json',
    )
    .action((o: CommonOpts & { formula: string; by: string; exp?: boolean; level: string }) => {
      const level = parseNumberOption(o.level, '--level', {
        min: 0,
        max: 1,
        exclusiveMin: true,
        exclusiveMax: true,
      });
      const { df, ref, types } = loadData(o);
      const fit = fitLmm(o.formula, df, { ref, types });
      reportWarnings(fit);
      const e = emmeans(fit, o.by, { exp: Boolean(o.exp), level });
      const means = e.means.map((r) => ({
        level: r.name,
        estimate: r.estimate,
        se: r.se,
        df: r.df,
        t: r.t,
        p: r.p,
        ciLower: r.ciLower,
        ciUpper: r.ciUpper,
        ...(o.exp ? { geomMean: r.expEstimate, geomLower: r.expLower, geomUpper: r.expUpper } : {}),
      }));
      const pairs = e.pairs.map((r) => ({
        contrast: r.name,
        estimate: r.estimate,
        se: r.se,
        df: r.df,
        t: r.t,
        p: r.p,
        ciLower: r.ciLower,
        ciUpper: r.ciUpper,
        ...(o.exp ? { ratio: r.expEstimate, ratioLower: r.expLower, ratioUpper: r.expUpper } : {}),
      }));
      if (o.json) {
        printJson({ formula: fit.formula, by: o.by, exp: Boolean(o.exp), level, means, pairs });
        return;
      }
      const pct = `${(level * 100).toFixed(0)}%`;
      process.stdout.write(`Least Squares Means of ${o.by} (Satterthwaite df, ${pct} CI)\n`);
      process.stdout.write(
        `${formatTable(
          [
            '',
            'Estimate',
            'Std. Error',
            'df',
            'lower',
            'upper',
            ...(o.exp ? ['geom. mean', 'lower', 'upper'] : []),
          ],
          means.map((r) => [
            r.level,
            fmt(r.estimate),
            fmt(r.se),
            fmt(r.df, 2),
            fmt(r.ciLower),
            fmt(r.ciUpper),
            ...(o.exp ? [fmt(r.geomMean!), fmt(r.geomLower!), fmt(r.geomUpper!)] : []),
          ]),
        )}\n\nPairwise differences\n`,
      );
      process.stdout.write(
        `${formatTable(
          [
            '',
            'Estimate',
            'Std. Error',
            'df',
            't value',
            'Pr(>|t|)',
            ...(o.exp ? ['ratio', 'lower', 'upper'] : []),
          ],
          pairs.map((r) => [
            r.contrast,
            fmt(r.estimate),
            fmt(r.se),
            fmt(r.df, 2),
            fmt(r.t, 3),
            fmtP(r.p),
            ...(o.exp ? [fmt(r.ratio!), fmt(r.ratioLower!), fmt(r.ratioUpper!)] : []),
          ]),
        )}\n`,
      );
    });
}

const POSTHOC_METHODS: PosthocMethod[] = ['bonferroni', 'tukey', 'dunnett'];
const POSTHOC_OPTION: Record<string, string> = {
  posthoc: '--posthoc',
  posthocBy: '--posthoc-by',
  control: '--control',
};

/** `stats anova` with a fixed-effects formula: ANOVA table, then the post-hoc table (or JSON). */
function fixedEffectsAnovaCommand(
  o: CommonOpts & { formula: string; posthoc?: string; posthocBy?: string; control?: string },
  df: DataFrame,
  ref: Record<string, string>,
  types: Record<string, ColumnType>,
): void {
  const method = o.posthoc as PosthocMethod | undefined;
  if (method !== undefined && !POSTHOC_METHODS.includes(method)) {
    throw new InputError(`unknown post-hoc method (expected ${POSTHOC_METHODS.join(', ')})`, {
      field: '--posthoc',
      value: o.posthoc,
    });
  }
  if (method === undefined && (o.posthocBy !== undefined || o.control !== undefined)) {
    throw new InputError('--posthoc-by and --control need --posthoc', {
      field: o.control !== undefined ? '--control' : '--posthoc-by',
    });
  }
  let r: ReturnType<typeof fixedEffectsAnova>;
  try {
    r = fixedEffectsAnova(o.formula, df, {
      ref,
      types,
      posthoc: method ?? null,
      ...(o.posthocBy !== undefined ? { posthocBy: o.posthocBy } : {}),
      ...(o.control !== undefined ? { control: o.control } : {}),
    });
  } catch (e) {
    // name the CLI option and the data file in errors about the post-hoc options
    const field = e instanceof InputError ? e.location.field : undefined;
    if (e instanceof InputError && field !== undefined && POSTHOC_OPTION[field] !== undefined) {
      const message = e.message.replace(/^field \S+: /, '').replace(/ \(value: .*\)$/, '');
      throw new InputError(message, { file: o.data, field: POSTHOC_OPTION[field], value: e.location.value });
    }
    throw e;
  }
  if (o.json) {
    printJson(r);
    return;
  }
  const rows: (string | number)[][] = r.rows.map((x) => [
    x.term,
    x.df,
    fmt(x.sumSq),
    fmt(x.meanSq),
    fmt(x.F),
    fmtP(x.pValue),
  ]);
  rows.push(['Residuals', r.residual.df, fmt(r.residual.sumSq), fmt(r.residual.meanSq), '', '']);
  process.stdout.write(`Analysis of Variance Table (${r.sumsOfSquares})\nResponse: ${r.response}\n`);
  process.stdout.write(`${formatTable(['', 'Df', 'Sum Sq', 'Mean Sq', 'F value', 'Pr(>F)'], rows)}\n`);
  const ph = r.posthoc;
  if (!ph) return;
  const title = {
    bonferroni: 'Bonferroni t-tests',
    tukey: 'Tukey HSD',
    dunnett: 'Dunnett',
  }[ph.method];
  const against = ph.control === null ? 'all pairs' : `against control ${ph.control}`;
  process.stdout.write(
    `\nGroups of ${ph.grouping}: n, mean, SD, SEM\n${formatTable(
      ['level', 'n', 'mean', 'SD', 'SEM'],
      ph.levels.map((l) => [l.level, l.n, fmt(l.mean), fmt(l.sd), fmt(l.sem)]),
    )}\n`,
  );
  process.stdout.write(
    `\n${title}, ${against} (m = ${ph.familySize}; residual SD ${fmt(ph.pooledSd)} on ${ph.df} df; ` +
      `${Math.round(ph.level * 100)}% simultaneous CI)\n`,
  );
  process.stdout.write(
    `${formatTable(
      ['a', 'b', 'diff', 'se', 't', 'p adj', '', 'lower', 'upper'],
      ph.comparisons.map((c) => [
        c.a,
        c.b,
        fmt(c.diff),
        fmt(c.se),
        fmt(c.t, 3),
        fmtP(c.pAdjusted),
        c.stars,
        fmt(c.lwr),
        fmt(c.upr),
      ]),
    )}\n`,
  );
}

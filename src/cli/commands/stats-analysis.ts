/**
 * `carto stats rcs|pvc|corr` — the building blocks of the analysis plan, one step at a time on a CSV
 * file: restricted cubic spline knots and basis (rms::rcs), partial-volume correction of SUVpeak, and
 * Pearson correlation (plain as cor.test, clustered as Lorenz, Datta & Harkema 2011).
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { readCsv, type CsvTable } from '../../io/csv.js';
import { clusteredPearson, pearson } from '../../stats/correlation.js';
import { pvcFit } from '../../stats/pvc.js';
import { rcsBasis, rcsKnots } from '../../stats/rcs.js';
import { pvcLmmFitter } from '../../analysis/pvc-lmm.js';
import { commandGroup, formatTable, printJson, warn } from '../shared.js';
import { parseIntOption, parseNumberOption, SEP_HELP, separatorOption } from '../options.js';

type Comparator = '==' | '!=' | '<=' | '>=' | '<' | '>';

/**
 * Parses a row filter such as `timepoint==pre`, `irradiated==FALSE && timepoint==pre` or
 * `volume>=1`: clauses `COL OP VALUE` joined by `&&` (or `&`); OP one of == != < <= > >=;
 * VALUE optionally quoted. `<`/`>` compare numerically, `==`/`!=` compare text (numerically when both
 * sides are numbers).
 *
 * @throws InputError naming the option and the clause when it cannot be parsed or names an unknown column
 */
export function parseSubset(
  expr: string,
  table: CsvTable,
  option: string,
): (row: Record<string, string>) => boolean {
  const clauses = expr
    .split(/&&|&/)
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  if (clauses.length === 0) throw new InputError('empty subset expression', { field: option, value: expr });
  const tests = clauses.map((clause) => {
    const m = /^([^=!<>]+?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(clause);
    if (!m)
      throw new InputError('cannot parse subset clause (expected COL==VALUE)', {
        field: option,
        value: clause,
      });
    const col = m[1]!.trim();
    const op = m[2] as Comparator;
    const value = m[3]!.trim().replace(/^(["'])(.*)\1$/, '$2');
    if (!table.columns.includes(col)) {
      throw new InputError('subset names a column not in the data', {
        file: table.file,
        field: option,
        value: col,
      });
    }
    const num = Number(value);
    return (row: Record<string, string>): boolean => {
      const cell = (row[col] ?? '').trim();
      const cellNum = Number(cell);
      const bothNum = cell !== '' && value !== '' && Number.isFinite(cellNum) && Number.isFinite(num);
      switch (op) {
        case '==':
          return bothNum ? cellNum === num : cell === value;
        case '!=':
          return bothNum ? cellNum !== num : cell !== value;
        case '<':
          return bothNum && cellNum < num;
        case '<=':
          return bothNum && cellNum <= num;
        case '>':
          return bothNum && cellNum > num;
        case '>=':
          return bothNum && cellNum >= num;
      }
    };
  });
  return (row) => tests.every((t) => t(row));
}

/** The numeric values of column `col` (every row), InputError naming file/row/column on a bad cell. */
function numericColumn(table: CsvTable, col: string, option: string): number[] {
  if (!table.columns.includes(col)) {
    throw new InputError('no such column in the data', { file: table.file, field: option, value: col });
  }
  return table.rows.map((r, i) => {
    const s = (r[col] ?? '').trim();
    const v = Number(s);
    if (s === '' || !Number.isFinite(v)) {
      throw new InputError('not a finite number', { file: table.file, row: i + 1, field: col, value: s });
    }
    return v;
  });
}

function textColumn(table: CsvTable, col: string, option: string): string[] {
  if (!table.columns.includes(col)) {
    throw new InputError('no such column in the data', { file: table.file, field: option, value: col });
  }
  return table.rows.map((r, i) => {
    const s = (r[col] ?? '').trim();
    if (s === '' || s === 'NA')
      throw new InputError('missing value', { file: table.file, row: i + 1, field: col });
    return s;
  });
}

interface RcsOpts {
  data: string;
  sep: string;
  x: string;
  knots: string;
  subset?: string;
  json?: boolean;
}
interface PvcOpts {
  data: string;
  sep: string;
  suv: string;
  volume: string;
  group?: string;
  method: string;
  referenceMl: string;
  knotsFrom?: string;
  scale: string;
  json?: boolean;
}
interface CorrOpts {
  data: string;
  sep: string;
  x: string;
  y: string;
  cluster?: string;
  log?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const stats = commandGroup(program, 'stats', 'Statistics: models and building blocks of the analysis plan');
  registerRcs(stats);
  registerPvc(stats);
  registerCorr(stats);
}

/** `carto stats rcs`: restricted cubic spline knots and basis as R rms::rcs. */
function registerRcs(stats: Command): void {
  stats
    .command('rcs')
    .description(
      'Restricted cubic spline knots and basis exactly as R rms::rcs (Harrell: quantiles .05/.35/.65/.95 for ' +
        '4 knots, 5th smallest/largest value when n < 100, tied extremes moved inward)',
    )
    .requiredOption('--data <file>', 'CSV file with a header row')
    .option('--sep <char>', SEP_HELP, separatorOption(), ',')
    .requiredOption('--x <col>', 'numeric column to expand')
    .option('--knots <n>', 'number of knots (≥ 3)', '4')
    .option('--subset <expr>', 'rows to use, e.g. "timepoint==pre" or "site!=spleen && volume>0.5"')
    .option('--json', 'print {"knots": [...], "basis": [[x, x\', x\'\', ...], ...]} as JSON')
    .addHelpText(
      'after',
      '\nThe basis has k − 1 columns (x itself, then the k − 2 non-linear terms, normalised by\n' +
        '(t_k − t_1)^2 as rms does), one row per data row of the subset, in file order.\n' +
        'Example:\n  carto stats rcs --data lesions.csv --x volume_ml --knots 4 --subset "timepoint==pre" --json',
    )
    .action((opts: RcsOpts) => {
      const table = readCsv(opts.data, opts.sep, '--sep');
      const keep = opts.subset ? parseSubset(opts.subset, table, '--subset') : () => true;
      const sub: CsvTable = { ...table, rows: table.rows.filter(keep) };
      const x = numericColumn(sub, opts.x, '--x');
      const { knots, warnings } = rcsKnots(x, parseIntOption(opts.knots, '--knots', { min: 3 }));
      for (const w of warnings) warn(w);
      const basis = rcsBasis(x, knots);
      if (opts.json) {
        printJson({ knots, basis });
        return;
      }
      process.stdout.write(`knots: ${knots.map((k) => k.toPrecision(6)).join(', ')}\n`);
      const header = [
        opts.x,
        ...Array.from({ length: knots.length - 2 }, (_, j) => `${opts.x}${"'".repeat(j + 1)}`),
      ];
      process.stdout.write(`${formatTable(header, basis)}\n`);
    });
}

/** `carto stats pvc`: partial-volume correction of SUVpeak by lesion volume. */
function registerPvc(stats: Command): void {
  stats
    .command('pvc')
    .description(
      'Partial-volume correction of SUVpeak: log SUVpeak ~ rcs(volume, 4) fitted on a subset (OLS or a mixed ' +
        'model with a random intercept per group); corrected log SUVpeak = log SUVpeak − f(volume) + f(reference)',
    )
    .requiredOption('--data <file>', 'CSV file, one lesion measurement per row')
    .option('--sep <char>', SEP_HELP, separatorOption(), ',')
    .requiredOption('--suv <col>', 'SUVpeak column (g/mL, > 0)')
    .requiredOption('--volume <col>', 'lesion volume column (mL, > 0)')
    .option('--group <col>', 'cluster column (patient); required with --method lmm')
    .option('--method <m>', 'ols | lmm (lme4-style REML fit with (1 | group))', 'ols')
    .option('--reference-ml <ml>', 'reference volume in mL', '5')
    .option(
      '--knots-from <expr>',
      'rows that define the knots and the fit, e.g. "timepoint==pre && irradiated==FALSE" (default: all rows)',
    )
    .option('--scale <s>', 'spline abscissa: volume | log-volume', 'volume')
    .option(
      '--json',
      'print {knots, coefficients:[{term, estimate, se}], splineAtReference, corrected:[...]} as JSON',
    )
    .addHelpText(
      'after',
      '\nsplineAtReference is the fitted log SUVpeak at the reference volume (intercept + spline); corrected\n' +
        'has one corrected SUVpeak per data row, in row order (rows outside --knots-from are corrected too).\n' +
        'Example:\n  carto stats pvc --data lesions.csv --suv suvpeak --volume volume_ml --group patient \\\n' +
        '    --method lmm --knots-from "timepoint==pre && irradiated==FALSE" --json',
    )
    .action((opts: PvcOpts) => {
      const table = readCsv(opts.data, opts.sep, '--sep');
      if (opts.method !== 'ols' && opts.method !== 'lmm') {
        throw new InputError('method must be ols or lmm', { field: '--method', value: opts.method });
      }
      if (opts.scale !== 'volume' && opts.scale !== 'log-volume') {
        throw new InputError('scale must be volume or log-volume', { field: '--scale', value: opts.scale });
      }
      if (opts.method === 'lmm' && !opts.group) {
        throw new InputError('--method lmm needs --group (the patient column)', { field: '--group' });
      }
      const suv = numericColumn(table, opts.suv, '--suv');
      const volume = numericColumn(table, opts.volume, '--volume');
      const group = opts.group ? textColumn(table, opts.group, '--group') : undefined;
      const keep = opts.knotsFrom ? parseSubset(opts.knotsFrom, table, '--knots-from') : undefined;
      const fit = pvcFit(suv, volume, {
        method: opts.method,
        scale: opts.scale,
        referenceMl: parseNumberOption(opts.referenceMl, '--reference-ml', { min: 0, exclusiveMin: true }),
        knotsFrom: keep ? table.rows.map(keep) : undefined,
        group,
        lmmFitter: pvcLmmFitter,
      });
      for (const w of fit.warnings) warn(w);
      if (opts.json) {
        printJson({
          knots: fit.knots,
          coefficients: fit.coefficients,
          splineAtReference: fit.splineAtReference,
          geometricMeanAtReference: fit.geometricMeanAtReference,
          method: fit.method,
          scale: fit.scale,
          referenceMl: fit.referenceMl,
          nFit: fit.nFit,
          corrected: fit.corrected,
        });
        return;
      }
      process.stdout.write(
        `${fit.method.toUpperCase()} fit on ${fit.nFit} rows; knots (${fit.scale}): ${fit.knots.map((k) => k.toPrecision(6)).join(', ')}\n`,
      );
      process.stdout.write(
        `${formatTable(
          ['term', 'estimate', 'se'],
          fit.coefficients.map((c) => [c.term, c.estimate, c.se]),
        )}\n`,
      );
      process.stdout.write(
        `log SUVpeak at ${fit.referenceMl} mL: ${fit.splineAtReference.toPrecision(6)} (geometric mean ${fit.geometricMeanAtReference.toPrecision(4)})\n`,
      );
      process.stdout.write(
        `${formatTable(
          ['row', opts.suv, opts.volume, 'corrected'],
          fit.corrected.map((c, i) => [i + 1, suv[i]!, volume[i]!, c]),
        )}\n`,
      );
    });
}

/** `carto stats corr`: (clustered) correlation of two columns. */
function registerCorr(stats: Command): void {
  stats
    .command('corr')
    .description(
      'Pearson correlation: plain (t-test on n − 2 df, Fisher-z CI, as R cor.test) or, with --cluster, ' +
        'for repeated measures within clusters (Lorenz, Datta & Harkema 2011: equal cluster weights, ' +
        'delta-method SE, normal test and CI)',
    )
    .requiredOption('--data <file>', 'CSV file')
    .option('--sep <char>', SEP_HELP, separatorOption(), ',')
    .requiredOption('--x <col>', 'numeric column')
    .requiredOption('--y <col>', 'numeric column')
    .option('--cluster <col>', 'cluster column (e.g. patient) → clustered Pearson')
    .option('--log', 'natural-log transform x and y first (values must be > 0)')
    .option('--json', 'print {r, se, statistic, p, ciLower, ciUpper, n, clusters} as JSON')
    .addHelpText(
      'after',
      '\nPlain: statistic = t, se = √((1 − r²)/(n − 2)). Clustered: statistic = z = r/se; the CI is r ± 1.96·se\n' +
        '(not truncated to [−1, 1]); fewer than 30 clusters make the normal approximation rough.\n' +
        'Example:\n  carto stats corr --data blood.csv --x cd8_copies --y suvmean_bloodpool --cluster patient --log --json',
    )
    .action((opts: CorrOpts) => {
      const table = readCsv(opts.data, opts.sep, '--sep');
      let x = numericColumn(table, opts.x, '--x');
      let y = numericColumn(table, opts.y, '--y');
      if (opts.log) {
        const lg = (v: number[], col: string): number[] =>
          v.map((a, i) => {
            if (!(a > 0))
              throw new InputError('--log needs values > 0', {
                file: table.file,
                row: i + 1,
                field: col,
                value: a,
              });
            return Math.log(a);
          });
        x = lg(x, opts.x);
        y = lg(y, opts.y);
      }
      const res = opts.cluster
        ? clusteredPearson(x, y, textColumn(table, opts.cluster, '--cluster'))
        : pearson(x, y);
      if (opts.json) {
        printJson({
          r: res.r,
          se: res.se,
          statistic: res.statistic,
          p: res.p,
          ciLower: res.ciLower,
          ciUpper: res.ciUpper,
          n: res.n,
          clusters: res.clusters,
          df: res.df,
          method: res.method,
        });
        return;
      }
      process.stdout.write(
        `${formatTable(
          ['method', 'r', 'se', opts.cluster ? 'z' : 't', 'p', '95% CI', 'n', 'clusters'],
          [
            [
              res.method,
              res.r,
              res.se,
              res.statistic,
              res.p,
              `${res.ciLower.toPrecision(4)} – ${res.ciUpper.toPrecision(4)}`,
              res.n,
              res.clusters,
            ],
          ],
        )}\n`,
      );
    });
}

/**
 * `carto assay curve|qpcr|lysis` — standard/dose–response curves (3PL/4PL/5PL), qPCR (standard curve, ΔΔCt,
 * copies per cell) and ⁵¹Cr % specific lysis from CSV files.
 */
import type { Command } from 'commander';
import {
  effectiveDose,
  fitCurve,
  inversePredict,
  quantificationLimits,
  type CurveModel,
} from '../../assays/curves.js';
import { analyseChromiumRelease, lyticUnits } from '../../assays/lysis.js';
import {
  copiesPerCell,
  deltaDeltaCt,
  quantityFromCt,
  standardCurve,
  summariseReplicates,
} from '../../assays/qpcr.js';
import { InputError } from '../../errors.js';
import { readCsv, type CsvTable } from '../../io/csv.js';
import { commandGroup, formatTable, printJson } from '../shared.js';

function column(t: CsvTable, name: string, option: string): string[] {
  if (!t.columns.includes(name)) {
    throw new InputError(`column not in the file (columns: ${t.columns.join(', ')})`, {
      file: t.file,
      field: option,
      value: name,
    });
  }
  return t.rows.map((r) => r[name] ?? '');
}

function numbers(t: CsvTable, name: string, option: string, allowMissing = false): number[] {
  return column(t, name, option).map((s, i) => {
    const v = s.trim();
    if (allowMissing && (v === '' || v === 'NA' || /^undetermined$/i.test(v))) return NaN;
    const x = Number(v);
    if (v === '' || !Number.isFinite(x))
      throw new InputError('not a number', { file: t.file, row: i + 1, field: name, value: s });
    return x;
  });
}

export function register(program: Command): void {
  const assay = commandGroup(program, 'assay', 'Lab assays: standard curves, qPCR, 51Cr cytotoxicity');

  assay
    .command('curve')
    .description('Fit a 3PL/4PL/5PL log-logistic curve (drc LL.3/LL.4/LL.5) and back-calculate unknowns')
    .requiredOption('--data <file>', 'CSV with standards (one well per row)')
    .requiredOption('--x <column>', 'concentration/dose column (linear units, ≥ 0)')
    .requiredOption('--y <column>', 'response column (e.g. MFI, OD)')
    .option('--model <model>', '4pl | 5pl | 3pl (3pl fixes the lower asymptote c = 0)', '4pl')
    .option('--predict <responses>', 'comma-separated responses to back-calculate into concentrations')
    .option(
      '--weights <w>',
      'none | 1/y^2 (least-squares weights; 1/y^2 for relative error, e.g. MFI)',
      'none',
    )
    .option(
      '--loq',
      'derive LLOQ/ULOQ from the standards (80–120 % recovery, CV ≤ 20 %) and flag predictions outside',
    )
    .option('--json', 'print the fit as JSON')
    .addHelpText(
      'after',
      '\nModel: f(x) = c + (d − c) / (1 + exp(b (ln x − ln e)))^f  (f = 1 for 4PL; c = 0 for 3PL).\n' +
        'SEs are σ²(JᵀJ)⁻¹ as R nls; CIs are Wald t intervals.\n' +
        'Example:\n  carto assay curve --data il6_standards.csv --x conc_pg_ml --y mfi --model 5pl --predict 1200,5400 --json',
    )
    .action(
      (opts: {
        data: string;
        x: string;
        y: string;
        model: string;
        weights: string;
        predict?: string;
        loq?: boolean;
        json?: boolean;
      }) => {
        if (!['3pl', '4pl', '5pl'].includes(opts.model)) {
          throw new InputError('model must be 3pl, 4pl or 5pl', { field: '--model', value: opts.model });
        }
        if (opts.weights !== 'none' && opts.weights !== '1/y^2') {
          throw new InputError('weights must be none or 1/y^2', { field: '--weights', value: opts.weights });
        }
        const t = readCsv(opts.data);
        const x = numbers(t, opts.x, '--x');
        const y = numbers(t, opts.y, '--y');
        const fit = fitCurve(x, y, opts.model as CurveModel, { weights: opts.weights });
        const limits = opts.loq
          ? quantificationLimits(
              fit,
              x.map((c, i) => ({ concentration: c, response: y[i]! })),
            )
          : undefined;
        const predictions = (opts.predict ?? '')
          .split(',')
          .filter((s) => s.trim() !== '')
          .map((s) => {
            const v = Number(s);
            if (!Number.isFinite(v))
              throw new InputError('--predict value is not a number', { field: '--predict', value: s });
            return inversePredict(fit, v, limits);
          });
        const out = {
          model: fit.model,
          n: fit.n,
          parameters: fit.parameterNames.map((nm, i) => ({
            name: nm,
            estimate: fit.estimates[i]!,
            se: fit.standardErrors[i]!,
            ci95: fit.ci95[i]!,
          })),
          residualStandardError: fit.residualStandardError,
          df: fit.df,
          logLik: fit.logLik,
          ed50: effectiveDose(fit, 50),
          starts: fit.starts,
          limits: limits ? { lloq: limits.lloq, uloq: limits.uloq, recoveries: limits.recoveries } : null,
          predictions,
        };
        if (opts.json) {
          printJson(out);
          return;
        }
        process.stdout.write(
          `${formatTable(
            ['parameter', 'estimate', 'SE', '95% CI low', '95% CI high'],
            out.parameters.map((p) => [p.name, p.estimate, p.se, p.ci95[0], p.ci95[1]]),
          )}\nRSE ${fit.residualStandardError.toPrecision(6)} on ${fit.df} df; ED50 ${out.ed50.estimate.toPrecision(6)}\n`,
        );
        if (predictions.length > 0) {
          process.stdout.write(
            `${formatTable(
              ['response', 'concentration', 'SE', 'flag'],
              predictions.map((p) => [p.response, p.concentration, p.se, p.flag]),
            )}\n`,
          );
        }
      },
    );

  assay
    .command('qpcr')
    .description('qPCR: standard curve (efficiency), ΔΔCt fold change, or copies per cell')
    .requiredOption('--data <file>', 'CSV, one well per row')
    .option('--mode <mode>', 'standard | ddct | vcn', 'ddct')
    .option('--quantity <column>', 'standard: known quantity column (copies or dilution)')
    .option('--ct <column>', 'standard: Ct column')
    .option('--group <column>', 'ddct: sample/group column')
    .option('--target <column>', 'ddct: target-gene Ct column; vcn: transgene copies column')
    .option('--reference <column>', 'ddct: reference-gene Ct column; vcn: reference-gene copies column')
    .option('--calibrator <level>', 'ddct: calibrator group (ΔΔCt = 0)')
    .option('--same-tube', 'ddct: target and reference measured in the same well (SD of per-well ΔCt)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nstandard: Ct = slope·log10(quantity) + intercept, efficiency = 10^(−1/slope) − 1, replicate outliers flagged\n' +
        '  (> 0.5 cycles from the median of a quantity level).\n' +
        'ddct: 2^−ΔΔCt with fold interval 2^−(ΔΔCt ± sd) (Livak & Schmittgen 2001).\n' +
        'vcn: copies per cell = transgene copies ÷ reference copies × 2 (single-copy diploid reference gene).\n' +
        'Example:\n  carto assay qpcr --data ct.csv --mode ddct --group tissue --target c_myc --reference GAPDH --calibrator brain --json',
    )
    .action(
      (opts: {
        data: string;
        mode: string;
        quantity?: string;
        ct?: string;
        group?: string;
        target?: string;
        reference?: string;
        calibrator?: string;
        sameTube?: boolean;
        json?: boolean;
      }) => {
        const t = readCsv(opts.data);
        const need = (v: string | undefined, name: string): string => {
          if (v === undefined) throw new InputError(`--mode ${opts.mode} needs ${name}`, { field: name });
          return v;
        };
        let out: unknown;
        let table: string;
        if (opts.mode === 'standard') {
          const q = numbers(t, need(opts.quantity, '--quantity'), '--quantity');
          const ct = numbers(t, need(opts.ct, '--ct'), '--ct', true);
          const curve = standardCurve(q, ct);
          const levels = [...new Set(q)].map((lv) => {
            const s = summariseReplicates(ct.filter((_, i) => q[i] === lv));
            return { quantity: lv, ...s, back: quantityFromCt(curve, s.mean) };
          });
          out = { curve, levels };
          table = `${formatTable(
            ['slope', 'intercept', 'R²', 'efficiency %', 'acceptable'],
            [
              [
                curve.slope,
                curve.intercept,
                curve.rSquared,
                curve.efficiencyPercent,
                String(curve.acceptable),
              ],
            ],
          )}\n${formatTable(
            ['quantity', 'mean Ct', 'SD', 'n', 'outliers'],
            levels.map((l) => [l.quantity, l.mean, l.sd, l.n, l.flagged.filter(Boolean).length]),
          )}`;
        } else if (opts.mode === 'ddct') {
          const g = column(t, need(opts.group, '--group'), '--group');
          const tg = numbers(t, need(opts.target, '--target'), '--target', true);
          const rf = numbers(t, need(opts.reference, '--reference'), '--reference', true);
          const rows = deltaDeltaCt(
            g.map((group, i) => ({ group, target: tg[i]!, reference: rf[i]! })),
            need(opts.calibrator, '--calibrator'),
            opts.sameTube ? 'same-tube' : 'separate-tube',
          );
          out = {
            mode: opts.sameTube ? 'same-tube' : 'separate-tube',
            calibrator: opts.calibrator,
            groups: rows,
          };
          table = formatTable(
            ['group', 'ΔCt', 'SD', 'ΔΔCt', 'fold', 'fold low', 'fold high'],
            rows.map((r) => [r.group, r.dCt, r.sdDCt, r.ddCt, r.fold, r.foldLower, r.foldUpper]),
          );
        } else if (opts.mode === 'vcn') {
          const tg = numbers(t, need(opts.target, '--target'), '--target');
          const rf = numbers(t, need(opts.reference, '--reference'), '--reference');
          const rows = tg.map((c, i) => ({
            row: i + 1,
            targetCopies: c,
            referenceCopies: rf[i]!,
            copiesPerCell: copiesPerCell(c, rf[i]!),
          }));
          out = { rows };
          table = formatTable(
            ['row', 'target copies', 'reference copies', 'copies/cell'],
            rows.map((r) => [r.row, r.targetCopies, r.referenceCopies, r.copiesPerCell]),
          );
        } else
          throw new InputError('mode must be standard, ddct or vcn', { field: '--mode', value: opts.mode });
        if (opts.json) printJson(out);
        else process.stdout.write(`${table}\n`);
      },
    );

  assay
    .command('lysis')
    .description('51Cr release: % specific lysis per E:T ratio, spontaneous-release QC, lytic units')
    .requiredOption(
      '--data <file>',
      'CSV with columns well_type (experimental|spontaneous|maximum), et (E:T), cpm',
    )
    .option('--lu <percent>', 'report lytic units at this % lysis (needs --targets)')
    .option('--targets <n>', 'target cells per well (for lytic units)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\n% specific lysis = 100 × (experimental − spontaneous) / (maximum − spontaneous); QC fails when\n' +
        'spontaneous > 30 % of maximum.\nExample:\n  carto assay lysis --data cr51.csv --lu 20 --targets 5000 --json',
    )
    .action((opts: { data: string; lu?: string; targets?: string; json?: boolean }) => {
      const t = readCsv(opts.data);
      const type = column(t, 'well_type', '--data');
      const cpm = numbers(t, 'cpm', '--data');
      const etRaw = column(t, 'et', '--data');
      const wells: { effectorToTarget: number; cpm: number }[] = [];
      const spont: number[] = [];
      const max: number[] = [];
      type.forEach((ty, i) => {
        const k = ty.trim().toLowerCase();
        if (k === 'spontaneous') spont.push(cpm[i]!);
        else if (k === 'maximum') max.push(cpm[i]!);
        else if (k === 'experimental') {
          const et = Number(etRaw[i]);
          if (!(et > 0))
            throw new InputError('E:T must be a number > 0', {
              file: t.file,
              row: i + 1,
              field: 'et',
              value: etRaw[i],
            });
          wells.push({ effectorToTarget: et, cpm: cpm[i]! });
        } else
          throw new InputError('well_type must be experimental, spontaneous or maximum', {
            file: t.file,
            row: i + 1,
            field: 'well_type',
            value: ty,
          });
      });
      const res = analyseChromiumRelease(wells, spont, max);
      let lu: number | null = null;
      if (opts.lu !== undefined) {
        const targets = Number(opts.targets);
        if (!(targets > 0))
          throw new InputError('--lu needs --targets > 0', { field: '--targets', value: opts.targets });
        lu = lyticUnits(res.points, Number(opts.lu), targets);
      }
      const out = {
        ...res,
        lyticUnitsPer1e6Effectors: lu,
        luPercent: opts.lu === undefined ? null : Number(opts.lu),
      };
      if (opts.json) printJson(out);
      else
        process.stdout.write(
          `${formatTable(
            ['E:T', 'mean % lysis', 'SD', 'n'],
            res.points.map((p) => [p.effectorToTarget, p.meanPercent, p.sdPercent, p.replicates.length]),
          )}\nspontaneous/maximum ${res.spontaneousPercentOfMaximum.toFixed(1)} % (QC ${res.qcPassed ? 'passed' : 'FAILED'})` +
            `${lu !== null ? `; LU${opts.lu} per 10^6 effectors ${lu.toPrecision(4)}` : ''}\n`,
        );
    });
}

/**
 * `carto assay curve|qpcr|lysis|cytokines|cytotoxicity` — standard/dose–response curves (3PL/4PL/5PL), qPCR
 * (standard curve, ΔΔCt, copies per cell), ⁵¹Cr % specific lysis, and whole plates in the study-bundle formats
 * (cytokine plates → pg/mL with limits of quantification; ⁵¹Cr plates → % lysis per sample and E:T).
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
import { cytokineConcentrations, type BelowLloqRule } from '../../assays/cytokine-study.js';
import { lysisOfStudy } from '../../assays/lysis-study.js';
import { InputError } from '../../errors.js';
import { readCytokineTable, readCytotoxicityTable } from '../../study/bundle.js';
import { readCsv, type CsvTable } from '../../io/csv.js';
import { commandGroup, formatTable, printJson } from '../shared.js';
import { parseNumberOption } from '../options.js';

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

/** `carto assay curve`: fit a 3PL/4PL/5PL log-logistic standard curve and back-calculate unknowns. */
function registerCurve(assay: Command): void {
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
            return inversePredict(fit, parseNumberOption(s, '--predict'), limits);
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
}

/** `carto assay qpcr`: standard curve (efficiency), ΔΔCt fold change, or copies per cell. */
function registerQpcr(assay: Command): void {
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
}

/** `carto assay lysis`: 51Cr release of one assay: % specific lysis per E:T, QC, lytic units. */
function registerLysis(assay: Command): void {
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
      let luPercent: number | null = null;
      if (opts.lu !== undefined) {
        if (opts.targets === undefined)
          throw new InputError('--lu needs --targets (target cells per well)', { field: '--targets' });
        const targets = parseNumberOption(opts.targets, '--targets', { min: 0, exclusiveMin: true });
        luPercent = parseNumberOption(opts.lu, '--lu', {
          min: 0,
          max: 100,
          exclusiveMin: true,
          exclusiveMax: true,
        });
        lu = lyticUnits(res.points, luPercent, targets);
      }
      const out = {
        ...res,
        lyticUnitsPer1e6Effectors: lu,
        luPercent,
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

/** `carto assay cytokines`: cytokine plates: standard curves per plate and analyte, samples back-calculated. */
function registerCytokines(assay: Command): void {
  assay
    .command('cytokines')
    .description(
      'Cytokine plates (ELISA OD / bead MFI): per plate and analyte a standard curve with limits of ' +
        'quantification, and every sample back-calculated to pg/mL × dilution',
    )
    .requiredOption(
      '--data <file>',
      'CSV as cytokines.csv of a study bundle: plate, role (standard|sample), analyte, concentration ' +
        '(standards, pg/mL), patient_id, day, dilution, signal',
    )
    .option('--model <m>', 'standard-curve model: 4pl, 5pl or 3pl', '4pl')
    .option('--below-lloq <rule>', 'value given below the LLOQ: half-lloq, lloq or omit', 'half-lloq')
    .option('--json', 'print {"curves": [...], "samples": [...]} as JSON')
    .addHelpText(
      'after',
      '\nLLOQ/ULOQ: the lowest/highest standard whose back-calculated recovery is 80–120 % with CV ≤ 20 %\n' +
        '(FDA 2018). Samples below the LLOQ are flagged <LLOQ and given the --below-lloq value; above the ULOQ\n' +
        '>ULOQ and ULOQ × dilution (a lower bound). Format: docs/study-bundle.md "Cytokine plates".\n' +
        'Example:\n  carto assay cytokines --data plates.csv --model 5pl --json',
    )
    .action((opts: { data: string; model: string; belowLloq: string; json?: boolean }) => {
      const model = opts.model.toLowerCase();
      if (!['3pl', '4pl', '5pl'].includes(model))
        throw new InputError('--model must be 3pl, 4pl or 5pl', { field: '--model', value: opts.model });
      if (!['half-lloq', 'lloq', 'omit'].includes(opts.belowLloq))
        throw new InputError('--below-lloq must be half-lloq, lloq or omit', {
          field: '--below-lloq',
          value: opts.belowLloq,
        });
      const r = cytokineConcentrations(
        readCytokineTable(opts.data),
        { model: model as CurveModel, belowLloq: opts.belowLloq as BelowLloqRule },
        opts.data,
      );
      if (opts.json) printJson({ curves: r.curves, samples: r.samples });
      else {
        const f = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'NA' : x.toPrecision(4));
        process.stdout.write(
          `${formatTable(
            ['plate', 'analyte', 'model', 'LLOQ pg/mL', 'ULOQ pg/mL', 'RSE'],
            r.curves.map((c) => [
              c.plate,
              c.analyte,
              c.model,
              f(c.lloqPgMl),
              f(c.uloqPgMl),
              f(c.residualStandardError),
            ]),
          )}\n\n${formatTable(
            ['plate', 'analyte', 'patient', 'day', 'dilution', 'pg/mL', 'SE', 'flag'],
            r.samples.map((x) => [
              x.plate,
              x.analyte,
              x.patientId,
              x.day,
              x.dilution,
              f(x.concentrationPgMl),
              f(x.sePgMl),
              x.flag,
            ]),
          )}\n`,
        );
      }
    });
}

/** `carto assay cytotoxicity`: 51Cr-release plates: controls QC per plate and target, % lysis per sample. */
function registerCytotoxicity(assay: Command): void {
  assay
    .command('cytotoxicity')
    .description('⁵¹Cr-release plates: controls QC per plate and target, % specific lysis per sample and E:T')
    .requiredOption(
      '--data <file>',
      'CSV as cytotoxicity.csv of a study bundle: plate, target, role (spontaneous|maximum|experimental), ' +
        'patient_id, day, effector_target_ratio, cpm',
    )
    .option('--json', 'print {"plates": [...], "samples": [...]} as JSON')
    .addHelpText(
      'after',
      '\nControls (spontaneous, maximum) are per plate and target; a plate fails QC when spontaneous release\n' +
        '> 30 % of maximum. Format: docs/study-bundle.md "Cytotoxicity". For a single assay without plates\n' +
        'see `carto assay lysis`.\nExample:\n  carto assay cytotoxicity --data cr51-plates.csv --json',
    )
    .action((opts: { data: string; json?: boolean }) => {
      const r = lysisOfStudy(readCytotoxicityTable(opts.data), opts.data);
      if (opts.json) printJson({ plates: r.plates, samples: r.samples });
      else
        process.stdout.write(
          `${formatTable(
            ['plate', 'target', 'spontaneous % of max', 'QC'],
            r.plates.map((p) => [
              p.plate,
              p.target,
              p.spontaneousPercentOfMaximum.toFixed(1),
              p.qcPassed ? 'passed' : 'FAILED',
            ]),
          )}\n\n${formatTable(
            ['plate', 'target', 'patient', 'day', 'E:T', 'mean % lysis', 'SD', 'n'],
            r.samples.map((x) => [
              x.plate,
              x.target,
              x.patientId,
              x.day,
              x.effectorToTarget,
              x.meanPercent.toFixed(2),
              Number.isFinite(x.sdPercent) ? x.sdPercent.toFixed(2) : 'NA',
              x.nWells,
            ]),
          )}\n`,
        );
    });
}

/** Registers `carto assay` and its sub-commands (curve, qpcr, lysis, cytokines, cytotoxicity). */
export function register(program: Command): void {
  const assay = commandGroup(program, 'assay', 'Lab assays: standard curves, qPCR, 51Cr cytotoxicity');

  registerCurve(assay);
  registerQpcr(assay);
  registerLysis(assay);
  registerCytokines(assay);
  registerCytotoxicity(assay);
}

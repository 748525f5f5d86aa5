/**
 * `carto lab <experiment> --out DIR` — the lab report of an experiment bundle (docs/experiment-bundle.md);
 * `carto simulate-lab --out DIR [--seed N]` — a virtual experiment of the design of Towers et al. 2024 with known effects.
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { runLab, runLabDemo } from '../../lab/write-report.js';
import { writeSimulatedLab } from '../../lab/write-simulated.js';
import { intOption } from '../options.js';
import { formatTable, printJson, progressEnabled } from '../shared.js';

const OUT_RULE =
  'a new or empty folder, or an earlier output of the same command (replaced once the new one is\n' +
  'complete); any other folder is refused (exit 2) and left untouched';

/** FCS progress on stderr: a live line on a terminal, else every 25 files. */
export function fcsProgress(done: number, total: number): void {
  if (progressEnabled())
    process.stderr.write(`\rlab: FCS file ${done}/${total}${done === total ? '\n' : ''}`);
  else if (done % 25 === 0 || done === total) process.stderr.write(`lab: FCS file ${done}/${total}\n`);
}

/** Prints the summary of a lab run (a table, or JSON). */
export function printLabSummary(
  r: Awaited<ReturnType<typeof runLab>>,
  out: string,
  json: boolean,
  extra: Record<string, unknown> = {},
): void {
  const rows = r.sections.map(({ section: s, stats }) => {
    const top = stats?.rows.find((x) => x.term === stats.posthoc?.grouping) ?? stats?.rows[0];
    const sig = (stats?.posthoc?.comparisons ?? []).filter((c) => c.pAdjusted <= 0.05).length;
    return {
      readout: s.id,
      status: s.status,
      formula: stats?.formula ?? '',
      term: top?.term ?? '',
      F: top?.F ?? null,
      pValue: top?.pValue ?? null,
      comparisons: stats?.posthoc?.comparisons.length ?? 0,
      significant: sig,
      reason: s.reason ?? '',
    };
  });
  if (json) {
    printJson({
      ...extra,
      out,
      samples: r.exp.samples.length,
      fcsFiles: r.exp.fcsFiles,
      warnings: r.exp.warnings,
      readouts: rows,
    });
    return;
  }
  for (const w of r.exp.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(
    `${formatTable(
      ['readout', 'status', 'formula', 'term', 'F', 'p', 'comparisons', 'p_adj ≤ 0.05'],
      rows.map((x) => [
        x.readout,
        x.status,
        x.formula,
        x.term,
        x.F === null ? '' : x.F.toPrecision(4),
        x.pValue === null ? '' : x.pValue.toExponential(2),
        x.comparisons,
        x.significant,
      ]),
    )}\nreport: ${out}/index.html\n`,
  );
}

/** Registers `carto lab` and `carto simulate-lab`. */
export function register(program: Command): void {
  program
    .command('lab')
    .description(
      'The lab report of an experiment bundle (docs/experiment-bundle.md): per assay readout a figure (bars or\n' +
        'points, mean ± SD, replicates, comparison brackets with stars), the ANOVA and post-hoc tables, CSV and\n' +
        'SVG beside them, and results.json',
    )
    .argument('<experiment>', 'experiment bundle folder (experiment.json, samples.csv, assay files)')
    .requiredOption('--out <dir>', 'report folder')
    .option('--json', 'print a JSON summary instead of a table')
    .addHelpText(
      'after',
      `\n--out DIR: ${OUT_RULE}.\n\nExamples:\n  carto simulate-lab --out lab-exp\n  carto lab lab-exp --out lab-report`,
    )
    .action(async (experiment: string, opts: { out: string; json?: boolean }) => {
      const r = await runLab(experiment, opts.out, fcsProgress);
      printLabSummary(r, opts.out, Boolean(opts.json));
    });

  program
    .command('simulate-lab')
    .description(
      'Write a virtual lab experiment of the design of Towers et al. 2024 (4 conditions × 3 donors × triplicates; CAR T\n' +
        'and target counts on days 1, 2, 5, 7 with expansion folds and killing kinetics; 51Cr release, IFN-γ ELISA,\n' +
        'IDO1 qPCR, PD-1 and CD57 within memory subsets by flow with FCS files on day 7) with known planted effects\n' +
        'and nulls (truth.json)',
    )
    .requiredOption('--out <dir>', 'bundle folder')
    .option('--seed <n>', 'PRNG seed (integer); the same seed gives identical files', intOption('--seed'), 1)
    .option('--json', 'print a JSON summary instead of a table')
    .addHelpText(
      'after',
      `\n--out DIR: ${OUT_RULE}.\n\nExample:\n  carto simulate-lab --out lab-exp --seed 7`,
    )
    .action(async (opts: { out: string; seed: number; json?: boolean }) => {
      const { sim, files } = await writeSimulatedLab(opts.out, opts.seed);
      const summary = {
        out: opts.out,
        seed: opts.seed,
        samples: sim.samples.length,
        fcsFiles: sim.fcs.size,
        files: files.length,
        plantedEffects: sim.truth.comparisons.filter((c) => c.planted).length,
        nulls: sim.truth.comparisons.filter((c) => !c.planted).length,
      };
      if (opts.json) printJson(summary);
      else
        process.stdout.write(
          `${formatTable(Object.keys(summary), [Object.values<string | number>(summary)])}\n`,
        );
    });
}

/**
 * `carto demo --lab`: simulate-lab and lab into one demo folder (called by the demo command in run.ts).
 * @throws InputError when trial options (--patients, --voxel-mm) are given with --lab
 */
export async function labDemo(opts: {
  out: string;
  seed: number;
  patients?: number;
  voxelMm?: number;
  json?: boolean;
}): Promise<void> {
  for (const [key, flag] of [
    ['patients', '--patients'],
    ['voxelMm', '--voxel-mm'],
  ] as const)
    if (opts[key] !== undefined)
      throw new InputError('applies to the virtual trial, not to --lab', { field: flag, value: opts[key] });
  const t0 = performance.now();
  const r = await runLabDemo(opts.out, opts.seed, fcsProgress);
  const seconds = (performance.now() - t0) / 1000;
  printLabSummary(r, r.reportDir, Boolean(opts.json), { seed: opts.seed, bundle: r.bundleDir, seconds });
  if (!opts.json) process.stdout.write(`bundle: ${r.bundleDir}\n`);
}

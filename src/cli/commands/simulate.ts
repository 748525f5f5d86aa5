/**
 * `carto simulate --out DIR [--seed N] [--patients N] [--voxel-mm X] [--psf-mm X] [--json]` — writes a
 * virtual trial as a study bundle (DICOM PET series, NIfTI masks, clinical tables, truth.json).
 */
import type { Command } from 'commander';
import { writeSimulatedBundle } from '../simulated-bundle.js';
import { formatTable, printJson, progressEnabled } from '../shared.js';
import { intOption, numberOption } from '../options.js';

export function register(program: Command): void {
  program
    .command('simulate')
    .description(
      'Write a virtual CD8-PET CAR T trial as a study bundle: three cohorts (post-CART scans at day +7, ' +
        '+5, and +2/+4/+7), 89Zr DICOM PET series of a whole-body phantom (organs, spherical lesions, ' +
        'Gaussian PSF, noise), NIfTI organ and lesion label maps, clinical tables, raw lab assays (qPCR wells, ' +
        'cytokine ELISA plates, 51Cr release plates, flow cytometry FCS files with Gating-ML) and truth.json.',
    )
    .requiredOption(
      '--out <dir>',
      'output folder: new, empty or an earlier Cartography bundle (replaced once the new one is complete);\n' +
        'any other folder is refused (exit 2) and left untouched',
    )
    .option('--seed <n>', 'PRNG seed (integer); the same seed gives identical files', intOption('--seed'), 1)
    .option(
      '--patients <n>',
      'number of patients (3–200; the trial had 23)',
      intOption('--patients', { min: 3, max: 200 }),
      6,
    )
    .option(
      '--voxel-mm <x>',
      'isotropic voxel size in mm (2–12)',
      numberOption('--voxel-mm', { min: 2, max: 12 }),
      6,
    )
    .option(
      '--psf-mm <x>',
      'scanner PSF (Gaussian) FWHM in mm (0–30)',
      numberOption('--psf-mm', { min: 0, max: 30 }),
      6.5,
    )
    .option('--fdg', 'add one FDG PET per patient before lymphodepletion (NIfTI SUV + lesion mask) for MATV')
    .option('--json', 'print a JSON summary instead of a table')
    .addHelpText(
      'after',
      '\nThe bundle follows docs/study-bundle.md; truth.json holds the generative model and its draws\n' +
        '(organ SUVs per scan, lesion true SUVpeak and volume, pre → post geometric-mean ratios, the true\n' +
        'log hazard ratio of pre-CART uptake on TTP, and the true values behind every lab assay).\n' +
        'Examples:\n' +
        '  carto simulate --out vt/                       6 patients, 6 mm voxels (a few seconds)\n' +
        '  carto simulate --out vt23/ --patients 23 --seed 7 --voxel-mm 5   the trial’s size',
    )
    .action(
      async (opts: {
        out: string;
        seed: number;
        patients: number;
        voxelMm: number;
        psfMm: number;
        fdg?: boolean;
        json?: boolean;
      }) => {
        const { seed, patients, voxelMm, psfMm: psfFwhmMm } = opts;
        const started = Date.now();
        const { truth, files, trial } = await writeSimulatedBundle(opts.out, {
          seed,
          patients,
          voxelMm,
          psfFwhmMm,
          fdg: Boolean(opts.fdg),
          onProgress: (done, total, scanId) => {
            // A live line on a terminal; otherwise one line per 10 scans (logs stay readable).
            if (progressEnabled())
              process.stderr.write(
                `\rsimulate: scan ${done}/${total} (${scanId})${done === total ? '\n' : ''}`,
              );
            else if (done % 10 === 0 || done === total)
              process.stderr.write(`simulate: scan ${done}/${total}\n`);
          },
        });
        const summary = {
          out: opts.out,
          seed,
          patients: trial.patients.length,
          scans: trial.scans.length,
          lesions: truth.lesions.length,
          vois: trial.vois.length,
          grid: { size: trial.grid.size, spacingMm: trial.grid.spacingMm },
          files: files.length,
          seconds: (Date.now() - started) / 1000,
          truth: {
            preToPostGmRatio: truth.preToPostGmRatio,
            logHrTtpPerLogGmSuvPeak: truth.logHrTtpPerLogGmSuvPeak,
          },
        };
        if (opts.json) printJson(summary);
        else
          process.stdout.write(
            `${formatTable(
              ['output', 'seed', 'patients', 'scans', 'lesions', 'VOIs', 'grid', 'files', 'seconds'],
              [
                [
                  opts.out,
                  seed,
                  summary.patients,
                  summary.scans,
                  summary.lesions,
                  summary.vois,
                  `${trial.grid.size.join('×')} @ ${voxelMm} mm`,
                  summary.files,
                  summary.seconds,
                ],
              ],
            )}\n`,
          );
      },
    );
}

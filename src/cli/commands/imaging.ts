/**
 * Imaging commands: `carto mip` (MIP / slice pictures as PNG) and `carto matv` (MATV per lesion VOI
 * and per patient).
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { View } from '../../imaging/mip.js';
import { renderMip, renderSlice } from '../../report/images.js';
import { checkThresholdRule, matvForLabels } from '../../imaging/segmentation.js';
import type { ThresholdRule } from '../../imaging/segmentation.js';
import { gaussianFilter } from '../../imaging/filter.js';
import { labelHistogram, presentLabels, quantifyLabelMap } from '../../imaging/voi-stats.js';
import { labelMapOnGridAsync, loadSuvImage } from '../../io/imaging-inputs.js';
import { writePng } from '../../io/png.js';
import { checkOutputFile } from '../../io/output-folder.js';
import { formatTable, printJson, warn } from '../shared.js';

function num(s: string, field: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n)) throw new InputError('not a number', { field, value: s });
  return n;
}

/** A label value or index option: a whole number ≥ `min`. */
function whole(s: string, field: string, min: number): number {
  const n = num(s, field);
  if (!Number.isInteger(n) || n < min)
    throw new InputError(`must be a whole number ≥ ${min}`, { field, value: s });
  return n;
}

interface MipOptions {
  out: string;
  axis: View;
  window?: string;
  mask?: string;
  resample?: boolean;
  slice?: string;
  pixelMm?: string;
  json?: boolean;
}

interface MatvOptions {
  mask: string;
  label?: string[];
  threshold?: string;
  percentMax?: string;
  percistLiverLabel?: string;
  filterFwhmMm?: string;
  resample?: boolean;
  json?: boolean;
}

/**
 * `carto mip`: renders and writes the PNG; returns what it wrote.
 * @throws InputError for bad input (image, window, mask, slice; --out a folder or in a missing one).
 */
export async function mipCommand(
  input: string,
  o: Omit<MipOptions, 'json'>,
): Promise<{ file: string; widthPx: number; heightPx: number; windowSuv: [number, number] }> {
  checkOutputFile(o.out, '--out');
  const img = await loadSuvImage(input);
  let windowSuv: [number, number] | undefined;
  if (o.window !== undefined) {
    const parts = o.window.split(',');
    if (parts.length !== 2)
      throw new InputError('window must be lo,hi', { field: '--window', value: o.window });
    windowSuv = [num(parts[0]!, '--window'), num(parts[1]!, '--window')];
    if (!(windowSuv[1] > windowSuv[0]))
      throw new InputError('window hi must exceed lo', { field: '--window', value: o.window });
  }
  let labelOutlines;
  if (o.mask) {
    // One outline per label, drawn from the label map itself (no full-size mask per label).
    const { volume } = await labelMapOnGridAsync(o.mask, img.volume, { resample: o.resample ?? false });
    labelOutlines = { labelMap: volume.data, labels: presentLabels(labelHistogram(volume)) };
  }
  const opts = {
    axis: o.axis,
    ...(labelOutlines ? { labelOutlines } : {}),
    ...(windowSuv ? { windowSuv } : {}),
    ...(o.pixelMm !== undefined ? { pixelMm: num(o.pixelMm, '--pixel-mm') } : {}),
    fields: { pixelMm: '--pixel-mm', windowSuv: '--window', slice: '--slice' },
  };
  let pic;
  if (o.slice !== undefined) {
    pic = renderSlice(img.volume, whole(o.slice, '--slice', 0), opts);
  } else {
    pic = renderMip(img.volume, opts);
  }
  writePng(pic, o.out);
  return { file: o.out, widthPx: pic.widthPx, heightPx: pic.heightPx, windowSuv: pic.windowSuv };
}

/**
 * `carto matv`: MATV per lesion label and per patient.
 * @throws InputError for bad input (image, mask, labels, rule options).
 */
export async function matvCommand(input: string, o: Omit<MatvOptions, 'json'>) {
  const rules = [o.threshold, o.percentMax, o.percistLiverLabel].filter((x) => x !== undefined);
  if (rules.length > 1)
    throw new InputError('give only one of --threshold, --percent-max, --percist-liver-label', {
      field: '--threshold',
    });
  const img = await loadSuvImage(input);
  let suv = img.volume;
  if (o.filterFwhmMm !== undefined)
    // In place: the unfiltered image is not used again (saves a volume of memory and its allocation).
    suv = gaussianFilter(suv, num(o.filterFwhmMm, '--filter-fwhm-mm'), undefined, {
      field: '--filter-fwhm-mm',
      inPlace: true,
    });
  const { volume: labels, resampled } = await labelMapOnGridAsync(o.mask, suv, {
    resample: o.resample ?? false,
  });
  if (resampled) warn(`${o.mask}: resampled onto the image grid (nearest neighbour)`);
  let rule: ThresholdRule = { kind: 'fixed', suv: 2.5 };
  let liverLabel: number | undefined;
  if (o.threshold !== undefined) {
    rule = { kind: 'fixed', suv: num(o.threshold, '--threshold') };
    checkThresholdRule(rule, '--threshold');
  }
  if (o.percentMax !== undefined) {
    rule = { kind: 'percentMax', percent: num(o.percentMax, '--percent-max') };
    checkThresholdRule(rule, '--percent-max');
  }
  if (o.percistLiverLabel !== undefined) {
    liverLabel = whole(o.percistLiverLabel, '--percist-liver-label', 1);
    const [liver] = quantifyLabelMap(suv, labels, [liverLabel], { globalPeak: false });
    if (!liver || liver.voxelCount === 0)
      throw new InputError('liver label not in the mask', {
        file: o.mask,
        field: '--percist-liver-label',
        value: liverLabel,
      });
    rule = { kind: 'percist', liverMeanSuv: liver.suvMean, liverSdSuv: liver.suvSd };
  }
  let list: number[];
  if (o.label && o.label.length > 0)
    list = o.label.flatMap((s) => s.split(',')).map((s) => whole(s, '--label', 1));
  else list = presentLabels(labelHistogram(labels)).filter((x) => x !== liverLabel);
  if (list.length === 0) throw new InputError('no lesion label in the mask', { file: o.mask });
  const { lesions, patient: total } = matvForLabels(suv, labels, list, rule);
  for (const l of lesions) {
    if (l.voxelCount === 0 && Number.isNaN(l.suvMax)) {
      throw new InputError('label not present in the mask', {
        file: o.mask,
        field: '--label',
        value: l.label,
      });
    }
  }
  return { rule, lesions, patient: total };
}

export function register(program: Command): void {
  program
    .command('mip')
    .description(
      'Picture of an SUV image as PNG: maximum-intensity projection (default) or one slice, radiological\n' +
        "convention (patient's right on the image left, head up), inverted grey over a fixed SUV window.",
    )
    .argument('<image>', 'PET DICOM series folder (SUVbw) or .nii/.nii.gz/.nrrd SUV image')
    .requiredOption('--out <file.png>', 'PNG file to write (overwritten if it exists; its folder must exist)')
    .addOption(
      new Option('--axis <view>', 'view').choices(['coronal', 'sagittal', 'axial']).default('coronal'),
    )
    .option('--window <lo,hi>', 'SUV window in g/mL (default 0 to the picture maximum)')
    .option('--mask <labels>', 'label map whose VOI outlines are drawn (one colour per label)')
    .option('--resample', 'resample --mask onto the image grid when it is on another grid')
    .option('--slice <k>', 'render slice k (0-based, along the viewing axis of the grid) instead of a MIP')
    .option('--pixel-mm <mm>', 'output pixel size in mm (default the finer in-plane spacing)')
    .option('--json', 'print JSON {file, widthPx, heightPx, windowSuv}')
    .addHelpText('after', '\nExample:\n  carto mip PET/ --out mip.png --window 0,8 --mask lesions.nii.gz\n')
    .action(async (input: string, o: MipOptions) => {
      const res = await mipCommand(input, o);
      const pic = res;
      if (o.json) printJson(res);
      else
        process.stdout.write(
          `wrote ${o.out} (${pic.widthPx}×${pic.heightPx} px, SUV window ${pic.windowSuv.join('–')})\n`,
        );
    });

  program
    .command('matv')
    .description(
      'MATV (metabolically active tumour volume) per lesion VOI and per patient: voxels with SUV ≥ threshold\n' +
        'inside each lesion VOI (fixed SUV 2.5 by default, or % of the lesion SUVmax, or the PERCIST liver\n' +
        'threshold 1.5 × liver SUVmean + 2 × SD); the patient total counts a voxel once.',
    )
    .argument('<image>', 'PET DICOM series folder (SUVbw) or .nii/.nii.gz/.nrrd SUV image')
    .requiredOption('--mask <labels>', 'lesion label map (one label per lesion)')
    .option('--label <n...>', 'lesion labels to use (default all nonzero labels except the liver label)')
    .option('--threshold <suv>', 'fixed SUV threshold in g/mL (default 2.5)')
    .option('--percent-max <p>', 'threshold as percent of each lesion SUVmax (e.g. 41)')
    .option(
      '--percist-liver-label <n>',
      'label of a liver VOI in --mask: threshold = 1.5 × its SUVmean + 2 × its SD',
    )
    .option('--filter-fwhm-mm <mm>', 'Gaussian post-filter before segmentation (e.g. 7 for EARL2 → EARL1)')
    .option('--resample', 'resample --mask onto the image grid when it is on another grid')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  carto matv PET/ --mask lesions.nii.gz\n  carto matv suv.nii.gz --mask l.nii.gz --percent-max 41 --json\n',
    )
    .action(async (input: string, o: MatvOptions) => {
      const res = await matvCommand(input, o);
      const total = res.patient;
      if (o.json) {
        printJson(res);
        return;
      }
      process.stdout.write(
        formatTable(
          ['lesion', 'threshold SUV', 'SUVmax', 'voxels', 'MATV mL', 'components'],
          res.lesions.map((l) => [
            l.label,
            l.thresholdSuv,
            l.suvMax,
            l.voxelCount,
            l.matvMl,
            l.componentCount,
          ]),
        ) +
          `\npatient: ${total.lesionCount} lesions, total MATV ${total.totalMl.toFixed(3)} mL (${total.componentCount} connected components)\n`,
      );
    });
}

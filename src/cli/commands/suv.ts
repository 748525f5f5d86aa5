/**
 * `carto suv <series-dir | image.nii.gz> [--mask labels.nii.gz [--label N]] [--rtstruct rs.dcm --roi NAME]`
 * — SUV statistics per VOI (issue 2 item 5 JSON shape).
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { quantifyLabelMap, voiStatistics } from '../../imaging/voi-stats.js';
import { erodeLabels, MAX_ERODE_MM } from '../../imaging/morphology.js';
import type { VoiStatistics } from '../../imaging/voi-stats.js';
import { SUV_TYPES } from '../../imaging/suv.js';
import type { SuvType } from '../../imaging/suv.js';
import { labelMapOnGridAsync, loadSuvImage, rtstructMaskOnGrid } from '../../io/imaging-inputs.js';
import type { SuvImage } from '../../io/imaging-inputs.js';
import { formatTable, printJson, warn } from '../shared.js';

interface SuvCliOptions {
  mask?: string;
  label?: string[];
  rtstruct?: string;
  roi?: string;
  suvType: SuvType;
  resample?: boolean;
  frame?: string;
  dicomFrame?: string;
  erodeMm?: string;
  json?: boolean;
}

/** One VOI row of the `carto suv` JSON. */
export interface SuvVoiJson {
  label: number | string;
  voxelCount: number;
  volumeMl: number;
  suvMin: number;
  suvMax: number;
  suvMean: number;
  suvMedian: number;
  suvSd: number;
  suvPeakLocal: number;
  suvPeakGlobal: number;
}

/** The `carto suv --json` document. */
export interface SuvJson {
  suvType: SuvType;
  units: string;
  grid: { size: [number, number, number]; spacingMm: [number, number, number] };
  vois: SuvVoiJson[];
}

function row(label: number | string, s: VoiStatistics): SuvVoiJson {
  return {
    label,
    voxelCount: s.voxelCount,
    volumeMl: s.volumeMl,
    suvMin: s.suvMin,
    suvMax: s.suvMax,
    suvMean: s.suvMean,
    suvMedian: s.suvMedian,
    suvSd: s.suvSd,
    suvPeakLocal: s.suvPeakLocal,
    suvPeakGlobal: s.suvPeakGlobal,
  };
}

/**
 * Runs `carto suv` and returns its JSON document (exported for tests and other commands).
 * @throws InputError for bad input (image, mask, ROI, label, grid).
 */
export async function suvCommand(input: string, o: Omit<SuvCliOptions, 'json'>): Promise<SuvJson> {
  return suvCommandOn(input, o);
}

/**
 * `suvCommand` on an image that is already loaded (`preloaded`, e.g. to quantify several masks of one
 * scan); loads `input` when `preloaded` is not given.
 */
export async function suvCommandOn(
  input: string,
  o: Omit<SuvCliOptions, 'json'>,
  preloaded?: SuvImage,
): Promise<SuvJson> {
  if (!o.mask && !o.rtstruct) {
    throw new InputError('give a VOI: --mask <label map> or --rtstruct <file> [--roi NAME]', {
      field: '--mask',
    });
  }
  if (o.mask && o.rtstruct)
    throw new InputError('give either --mask or --rtstruct, not both', { field: '--rtstruct' });
  if (o.roi && !o.rtstruct) throw new InputError('--roi needs --rtstruct', { field: '--roi' });
  if (o.label && !o.mask) throw new InputError('--label needs --mask', { field: '--label' });
  let frame: number | undefined;
  if (o.frame !== undefined) {
    frame = Number(o.frame);
    if (o.frame.trim() === '' || !Number.isInteger(frame) || frame < 0)
      throw new InputError('frame must be a whole number ≥ 0', { field: '--frame', value: o.frame });
  }
  let dicomFrame: number | 'average' | undefined;
  if (o.dicomFrame !== undefined) {
    dicomFrame = o.dicomFrame === 'average' ? 'average' : Number(o.dicomFrame);
    if (dicomFrame !== 'average' && (!Number.isInteger(dicomFrame) || dicomFrame < 1))
      throw new InputError("DICOM time frame must be a whole number ≥ 1 or 'average'", {
        field: '--dicom-frame',
        value: o.dicomFrame,
      });
  }
  let erodeMm = 0;
  if (o.erodeMm !== undefined) {
    erodeMm = Number(o.erodeMm);
    if (o.erodeMm.trim() === '' || !Number.isFinite(erodeMm) || erodeMm < 0 || erodeMm > MAX_ERODE_MM)
      throw new InputError(`erosion must be a distance of 0…${MAX_ERODE_MM} mm`, {
        field: '--erode-mm',
        value: o.erodeMm,
      });
  }
  const img =
    preloaded ??
    (await loadSuvImage(input, {
      suvType: o.suvType,
      ...(frame !== undefined ? { frame } : {}),
      ...(dicomFrame !== undefined ? { dicomFrame } : {}),
    }));
  if (!preloaded) for (const w of img.warnings) warn(w);
  const v = img.volume;
  const vois: SuvVoiJson[] = [];
  if (o.mask) {
    const placed = await labelMapOnGridAsync(o.mask, v, {
      resample: o.resample ?? false,
    });
    const resampled = placed.resampled;
    const labels = erodeMm > 0 ? erodeLabels(placed.volume, erodeMm, { field: '--erode-mm' }) : placed.volume;
    if (resampled) warn(`${o.mask}: mask resampled onto the image grid (nearest neighbour)`);
    let list: number[] | undefined;
    if (o.label && o.label.length > 0) {
      list = o.label
        .flatMap((s) => s.split(','))
        .map((s) => {
          const n = Number(s);
          if (s.trim() === '' || !Number.isInteger(n) || n < 1)
            throw new InputError('label must be a whole number ≥ 1', { field: '--label', value: s });
          return n;
        });
    }
    const stats = quantifyLabelMap(v, labels, list);
    for (const s of stats) {
      if (s.voxelCount === 0) {
        throw new InputError(
          `label not present in the mask (on the image grid${erodeMm > 0 ? ', after erosion' : ''})`,
          {
            file: o.mask,
            field: '--label',
            value: s.label,
          },
        );
      }
    }
    if (stats.length === 0)
      throw new InputError('the mask holds no labelled voxel on the image grid', { file: o.mask });
    for (const s of stats) vois.push(row(s.label, s));
  } else if (o.rtstruct) {
    const r = await rtstructMaskOnGrid(o.rtstruct, o.roi, v);
    if (r.contoursOutside > 0)
      warn(`${o.rtstruct}: ${r.contoursOutside} contour(s) of ${r.name} lie outside the image slices`);
    const mask =
      erodeMm > 0
        ? erodeLabels({ ...v, data: r.mask, unit: 'mask' }, erodeMm, { field: '--erode-mm' }).data
        : r.mask;
    vois.push(row(r.name, voiStatistics(v, mask)));
  }
  for (const r of vois) {
    if (r.voxelCount > 0 && !Number.isFinite(r.suvMean)) {
      throw new InputError('the image holds non-finite values (NaN/Inf) inside this VOI', {
        file: input,
        field: 'VOI',
        value: r.label,
      });
    }
  }
  return {
    suvType: img.suvType,
    units: img.units,
    grid: { size: [...v.size], spacingMm: [...v.spacingMm] },
    vois,
  };
}

export function register(program: Command): void {
  program
    .command('suv')
    .description(
      'SUV statistics per VOI: voxel count, volume (mL), SUVmin/max/mean/median/sd (population SD), SUVpeak ' +
        'local and global (IBSI 1: mean of the voxels whose centres lie within 6.2035 mm — a 1 cm³ sphere — of ' +
        'the hottest VOI voxel, or of the VOI voxel that maximises it; voxels outside the VOI included).',
    )
    .argument(
      '<image>',
      'PET DICOM series folder (converted to SUV), or .nii/.nii.gz/.nrrd image already in SUV',
    )
    .option(
      '--mask <file|dir>',
      'label map (.nii, .nii.gz, .nrrd, DICOM SEG .dcm, or a folder of per-organ masks such as TotalSegmentator\n' +
        'segmentations/, numbered as TotalSegmentator v2): one VOI per nonzero label',
    )
    .option('--label <n...>', 'only these label values of --mask (repeat or comma-separate)')
    .option('--rtstruct <file>', 'DICOM RT Structure Set holding the VOI contours')
    .option('--roi <name>', 'ROIName in --rtstruct (needed when it holds more than one ROI)')
    .addOption(
      new Option(
        '--suv-type <type>',
        'SUV normalisation for DICOM input (NIfTI/NRRD values are taken as this type)',
      )
        .choices([...SUV_TYPES])
        .default('bw'),
    )
    .option(
      '--resample',
      'resample a mask on another grid onto the image grid (nearest neighbour, after an overlap check); without it, a mask on another grid is an error',
    )
    .option('--frame <n>', '0-based frame of a 4D NIfTI image')
    .option(
      '--dicom-frame <n|average>',
      "time frame of a dynamic DICOM series: 1-based frame number, or 'average' (frame-duration-weighted mean SUV)",
    )
    .option(
      '--erode-mm <mm>',
      `erode every VOI by this distance in mm before the statistics (against spill-in; 0…${MAX_ERODE_MM})`,
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  carto suv PET/ --rtstruct RS.dcm --roi GTV_Mass_PET --json\n' +
        '  carto suv suv.nii.gz --mask organs.nii.gz --label 5 --label 6\n' +
        '  carto suv PET/ --mask lesions_ct_grid.nii.gz --resample\n' +
        '\nUnits: SUV in g/mL (cm²/mL for --suv-type bsa), volumes in mL.',
    )
    .action(async (input: string, o: SuvCliOptions) => {
      const res = await suvCommand(input, o);
      if (o.json) {
        printJson(res);
        return;
      }
      process.stdout.write(
        `SUV${res.suvType} (${res.units}); grid ${res.grid.size.join('×')} voxels of ${res.grid.spacingMm.map((s) => s.toFixed(3)).join('×')} mm\n`,
      );
      process.stdout.write(
        formatTable(
          [
            'VOI',
            'voxels',
            'volume mL',
            'SUVmin',
            'SUVmax',
            'SUVmean',
            'SUVmedian',
            'SUVsd',
            'SUVpeak local',
            'SUVpeak global',
          ],
          res.vois.map((r) => [
            String(r.label),
            r.voxelCount,
            r.volumeMl,
            r.suvMin,
            r.suvMax,
            r.suvMean,
            r.suvMedian,
            r.suvSd,
            r.suvPeakLocal,
            r.suvPeakGlobal,
          ]),
        ) + '\n',
      );
    });
}

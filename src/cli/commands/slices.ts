/**
 * `carto slices <pet-series> [--ct <ct-series>] (--rtstruct rs.dcm [--roi NAME] | --point-lps x,y,z)
 * --out FILE.png [--window lo,hi]` — a fused transversal PET/CT slice through a lesion's centre (or a
 * given patient coordinate), PET in a fixed SUV window over the CT: the plane's data from
 * src/imaging/fusion.ts, drawn by src/report/images.ts as the report's fused panels are.
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { fusedSliceData, maskCentreLps } from '../../imaging/fusion.js';
import type { FusedSliceData } from '../../imaging/fusion.js';
import type { Vec3 } from '../../imaging/volume.js';
import { checkSameFrameOfReference, loadPetSuv, readCtSeries } from '../../io/dicom/index.js';
import { rtstructMaskOnGrid } from '../../io/imaging-inputs.js';
import { checkOutputFile } from '../../io/output-folder.js';
import { writePng } from '../../io/png.js';
import { renderFusedSlice } from '../../report/images.js';
import { printJson } from '../shared.js';

/** Options of `carto slices`. */
export interface SlicesOptions {
  ct?: string;
  rtstruct?: string;
  roi?: string;
  pointLps?: string;
  out: string;
  window: string;
  pixelMm?: string;
  json?: boolean;
}

function numbers(s: string, n: number, field: string): number[] {
  const parts = s.split(',').map((x) => x.trim());
  const v = parts.map(Number);
  if (parts.length !== n || parts.some((x) => x === '') || !v.every(Number.isFinite))
    throw new InputError(`must be ${n} comma-separated numbers`, { field, value: s });
  return v;
}

/**
 * `carto slices`: renders and writes the fused slice.
 * @returns the file written, the point the slice passes through (LPS mm), the picture size, the window
 *   and the plane's data (`slice`: grid, PET and CT values)
 * @throws InputError for a missing or doubled point option, a bad window, pixel size or point, a CT in
 *   another frame of reference, unreadable series or RTSTRUCT, or an output in a missing folder
 */
export async function slicesCommand(
  petDir: string,
  o: Omit<SlicesOptions, 'json'>,
): Promise<{
  file: string;
  pointLps: Vec3;
  widthPx: number;
  heightPx: number;
  windowSuv: [number, number];
  slice: FusedSliceData;
}> {
  checkOutputFile(o.out, '--out');
  if ((o.rtstruct === undefined) === (o.pointLps === undefined))
    throw new InputError('give the slice point: either --rtstruct (lesion centre) or --point-lps x,y,z', {
      field: '--rtstruct',
    });
  if (o.roi !== undefined && o.rtstruct === undefined)
    throw new InputError('--roi needs --rtstruct', { field: '--roi', value: o.roi });
  const windowSuv = numbers(o.window, 2, '--window') as [number, number];
  if (!(windowSuv[1] > windowSuv[0]))
    throw new InputError('window hi must exceed lo', { field: '--window', value: o.window });
  const pet = await loadPetSuv(petDir);
  const ct = o.ct !== undefined ? await readCtSeries(o.ct) : null;
  if (ct && o.ct !== undefined) checkSameFrameOfReference(ct, pet.meta.frameOfReferenceUid, o.ct);
  let point: Vec3;
  let outline;
  if (o.rtstruct !== undefined) {
    const r = await rtstructMaskOnGrid(o.rtstruct, o.roi, pet.volume);
    outline = { ...pet.volume, data: r.mask, unit: 'mask' };
    point = maskCentreLps(outline)!; // rtstructMaskOnGrid refuses an ROI enclosing no voxel
  } else point = numbers(o.pointLps!, 3, '--point-lps') as Vec3;
  const pixelMm = o.pixelMm !== undefined ? numbers(o.pixelMm, 1, '--pixel-mm')[0]! : undefined;
  const slice = fusedSliceData(pet.volume, ct?.volume ?? null, point, {
    ...(pixelMm !== undefined ? { pixelMm } : {}),
    ...(outline ? { outline } : {}),
    fields: { point: '--point-lps', pixelMm: '--pixel-mm' },
  });
  const picture = renderFusedSlice(slice, { windowSuv, windowField: '--window' });
  writePng(picture, o.out);
  return {
    file: o.out,
    pointLps: point,
    widthPx: picture.widthPx,
    heightPx: picture.heightPx,
    windowSuv,
    slice,
  };
}

export function register(program: Command): void {
  program
    .command('slices')
    .description(
      'Fused transversal PET/CT slice as PNG through a lesion centre (RTSTRUCT ROI) or a patient coordinate:\n' +
        'CT in grey (soft-tissue window −160…240 HU), PET over it in a hot scale with a fixed SUV window;\n' +
        "the CT must share the PET's frame of reference (no registration). Without --ct, the PET alone.",
    )
    .argument('<pet-series>', 'PET DICOM series folder (converted to SUVbw)')
    .option('--ct <ct-series>', 'CT DICOM series folder of the same PET/CT study')
    .option('--rtstruct <file>', 'RT Structure Set: the slice passes through the centre of --roi, outlined')
    .option('--roi <name>', 'ROIName in --rtstruct (needed when it holds more than one ROI)')
    .option('--point-lps <x,y,z>', 'patient coordinate (LPS mm) the slice passes through')
    .requiredOption('--out <file.png>', 'PNG file to write (overwritten if it exists; its folder must exist)')
    .option('--window <lo,hi>', 'SUV window in g/mL', '0,10')
    .option('--pixel-mm <mm>', 'pixel size of the slice in mm (default 1)')
    .option('--json', 'print JSON {file, pointLps, widthPx, heightPx, windowSuv}')
    .addHelpText(
      'after',
      '\nExample:\n  carto slices STS_001/PET/image --ct STS_001/CT/image --rtstruct RS.dcm --roi GTV_Mass_PET --out fused.png\n',
    )
    .action(async (pet: string, o: SlicesOptions) => {
      const { slice: _s, ...res } = await slicesCommand(pet, o);
      if (o.json) printJson(res);
      else
        process.stdout.write(
          `wrote ${res.file} (${res.widthPx}×${res.heightPx} px, through LPS ${res.pointLps.map((x) => x.toFixed(1)).join(', ')} mm, SUV window ${res.windowSuv.join('–')})\n`,
        );
    });
}

/**
 * Imaging inputs for quantification: the SUV image (a PET DICOM series folder, or a NIfTI/NRRD file
 * that already holds SUV) and VOI masks (NIfTI/NRRD label maps, DICOM SEG, RTSTRUCT ROIs), all put on
 * the image grid. Used by `carto suv`, the study import/quantify step and the web app.
 *
 * Grid policy: a label map on another grid is an error unless `resample: true` is given, in which
 * case it is resampled with nearest neighbour after checking that the frames overlap (no overlap →
 * InputError). RTSTRUCT contours are always rasterised onto the image grid (they carry no grid).
 *
 * Files: an image or mask path must be a folder or a regular file (symbolic links followed; devices
 * such as /dev/zero and FIFOs are refused before anything is read, src/io/files.ts); a NRRD detached
 * `data file:` must lie under the header's folder or one of the `dataRoots` the caller passes (a
 * study bundle's folder and its declared data roots). Label maps must hold whole numbers.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { lpsToIjk, sameGrid } from '../imaging/volume.js';
import type { Grid, Volume } from '../imaging/volume.js';
import type { LabelData } from '../imaging/voi-stats.js';
import { maskOntoGrid } from '../imaging/resample.js';
import { rasterizeContours } from '../imaging/rasterize.js';
import type { SuvType } from '../imaging/suv.js';
import { TOTALSEGMENTATOR_TOTAL_V2, totalSegmentatorLabel } from '../imaging/totalsegmentator.js';
import { loadPetSuv, type PetSuv } from './dicom/load-pet-suv.js';
import { checkRegularFile } from './files.js';
import { readRtstruct } from './dicom/rtstruct.js';
import { readNifti, readNiftiAsync } from './nifti.js';
import { readNrrd } from './nrrd.js';
import { readDicomSeg } from './seg.js';

/** An SUV image ready for quantification. */
export interface SuvImage {
  volume: Volume<Float32Array>;
  suvType: SuvType;
  /** 'g/mL' (bw, lbm, ibw) or 'cm2/mL' (bsa). */
  units: string;
  source: 'dicom' | 'nifti' | 'nrrd';
  warnings: string[];
  /** For a DICOM series: the facts of its SUV conversion (units, decay correction, frame of reference …). */
  dicom?: PetSuv['meta'];
}

/** True for names the NIfTI reader takes. */
export function isNiftiPath(p: string): boolean {
  return /\.nii(\.gz)?$/i.test(p);
}
/** True for names the NRRD reader takes. */
export function isNrrdPath(p: string): boolean {
  return /\.(nrrd|nhdr)$/i.test(p);
}

/**
 * Loads an SUV image: a DICOM series folder (converted to SUV by `loadPetSuv`), or a NIfTI/NRRD file
 * whose values are taken to be SUV of the given type already (they are not converted).
 *
 * @param path series folder or image file.
 * The one dispatch from an image path to an SUV volume: `carto suv`, the study pipeline (scans.csv
 * paths; a PACS series goes through src/io/dicomweb.ts) and the web app's scan routes all load here,
 * and the result says where the volume came from (`source`, and `dicom` for a series).
 * @param opts suvType (default 'bw'); frame (0-based) of a 4D NIfTI; dicomFrame (1-based time frame, or
 *   'average' — the frame-duration-weighted mean SUV) of a dynamic DICOM series; doseBq, the net
 *   injected activity (Bq) overriding the series' own (a study's prepared dose); format 'dicom' to read
 *   `path` as a DICOM series whatever it is (a folder, or one enhanced multi-frame file).
 * @throws InputError for unreadable input or a failed SUV conversion (naming file and tag).
 */
export async function loadSuvImage(
  path: string,
  opts: {
    suvType?: SuvType;
    frame?: number;
    dicomFrame?: number | 'average';
    /** Folders a NRRD detached `data file:` may lie in (default the header's own folder). */
    dataRoots?: readonly string[];
    doseBq?: number;
    format?: 'dicom';
  } = {},
): Promise<SuvImage> {
  const suvType = opts.suvType ?? 'bw';
  const units = suvType === 'bsa' ? 'cm2/mL' : 'g/mL';
  if (opts.format === 'dicom') return loadDicomSuv(path, suvType, units, opts);
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new InputError('image not found (expected a DICOM series folder or a .nii/.nii.gz/.nrrd file)', {
      file: path,
    });
  }
  if (!isDir) checkRegularFile(path);
  if (isDir) return loadDicomSuv(path, suvType, units, opts);
  const unit = `SUV${suvType} ${units}`;
  if (isNiftiPath(path)) {
    const frame = opts.frame !== undefined ? { frame: opts.frame } : {};
    const img = (await readNiftiAsync(path, { unit, ...frame })).volume;
    return { volume: toFloat32(img), suvType, units, source: 'nifti', warnings: [] };
  }
  if (isNrrdPath(path)) {
    const nrrd = readNrrd(path, unit, opts.dataRoots ? { roots: opts.dataRoots } : {});
    return { volume: toFloat32(nrrd.volume), suvType, units, source: 'nrrd', warnings: [] };
  }
  throw new InputError(
    'unknown image format (expected a DICOM series folder, .nii, .nii.gz, .nrrd or .nhdr)',
    {
      file: path,
    },
  );
}

/** A DICOM series (folder or multi-frame file) converted to SUV by `loadPetSuv`. */
async function loadDicomSuv(
  path: string,
  suvType: SuvType,
  units: string,
  opts: { dicomFrame?: number | 'average'; doseBq?: number },
): Promise<SuvImage> {
  const pet = await loadPetSuv(path, {
    suvType,
    ...(opts.dicomFrame !== undefined ? { frame: opts.dicomFrame } : {}),
    ...(opts.doseBq !== undefined ? { doseBq: opts.doseBq } : {}),
  });
  return {
    volume: pet.volume,
    suvType: pet.meta.suvType,
    units,
    source: 'dicom',
    warnings: pet.meta.warnings,
    dicom: pet.meta,
  };
}

function toFloat32(v: Volume<LabelData>): Volume<Float32Array> {
  return { ...v, data: v.data instanceof Float32Array ? v.data : Float32Array.from(v.data) };
}

/** Options of the label-map readers. */
export interface LabelMapOptions {
  /** Folders a NRRD detached `data file:` may lie in (default the header's own folder). */
  dataRoots?: readonly string[];
}

/**
 * Reads a label map (NIfTI or NRRD) on its own grid (DICOM SEG: `loadLabelMap`). Every value, after
 * the file's scaling (NIfTI scl_slope/scl_inter), must be a whole number: a label map with fractional
 * values (e.g. a tiny scl_inter that turns background 0 into 1e-30) is refused, not rounded.
 * @throws InputError naming the file, the scaling field and a sample value; errors of the readers.
 */
export function readLabelMap(file: string, opts: LabelMapOptions = {}): Volume<LabelData> {
  if (isNiftiPath(file)) {
    return checkWholeLabels(readNifti(file, { unit: 'label' }).volume, file, 'scl_slope/scl_inter');
  }
  if (isNrrdPath(file)) {
    const roots = opts.dataRoots ? { roots: opts.dataRoots } : {};
    return checkWholeLabels(readNrrd(file, 'label', roots).volume, file, 'type');
  }
  throw new InputError('unknown mask format (expected .nii, .nii.gz, .nrrd, .nhdr, or a DICOM SEG .dcm)', {
    file,
  });
}

/** Refuses a label map holding a value that is not a whole number (see `readLabelMap`). */
function checkWholeLabels(v: Volume<LabelData>, file: string, field: string): Volume<LabelData> {
  const d = v.data;
  if (!(d instanceof Float32Array || d instanceof Float64Array)) return v;
  for (let q = 0; q < d.length; q++) {
    const x = d[q]!;
    if (!Number.isInteger(x)) {
      const [nx, ny] = v.size;
      const ijk = [q % nx, Math.floor(q / nx) % ny, Math.floor(q / (nx * ny))];
      throw new InputError(
        `label map values must be whole numbers after scaling; voxel (${ijk.join(', ')}) is ${x}`,
        { file, field, value: x },
      );
    }
  }
  return v;
}

/** True for names taken as DICOM SEG label maps. */
export function isDicomPath(p: string): boolean {
  return /\.dcm$/i.test(p);
}

/**
 * Reads a label map of any supported format: NIfTI, NRRD, DICOM SEG (segment numbers as labels), or a
 * folder of per-organ masks (see `readPerOrganMasks`).
 */
export async function loadLabelMap(file: string, opts: LabelMapOptions = {}): Promise<Volume<LabelData>> {
  let dir: boolean;
  try {
    dir = statSync(file).isDirectory();
  } catch {
    throw new InputError('mask not found', { file });
  }
  if (!dir) checkRegularFile(file);
  if (dir) return readPerOrganMasks(file, opts).volume;
  if (isDicomPath(file)) {
    const seg = await readDicomSeg(file);
    return seg.volume;
  }
  return readLabelMap(file, opts);
}

/**
 * A label map on the image grid (see module doc for the grid policy).
 *
 * @param file NIfTI/NRRD label map.
 * @param grid image grid.
 * @param opts resample: allow nearest-neighbour resampling when the grids differ.
 * @returns the label map on `grid` and whether it was resampled.
 * @throws InputError when the grids differ and resampling was not asked for, or do not overlap.
 */
export function labelMapOnGrid(
  file: string,
  grid: Grid,
  opts: { resample?: boolean } & LabelMapOptions = {},
): { volume: Volume<LabelData>; resampled: boolean } {
  return placeLabelMap(readLabelMap(file, opts), file, grid, opts);
}

/**
 * `labelMapOnGrid` for every format, DICOM SEG included (a SEG on the image's lattice is placed
 * exactly without `resample`, since SEG objects hold only the frames that contain segments).
 */
export async function labelMapOnGridAsync(
  file: string,
  grid: Grid,
  opts: { resample?: boolean } & LabelMapOptions = {},
): Promise<{ volume: Volume<LabelData>; resampled: boolean }> {
  const labels = await loadLabelMap(file, opts);
  // A SEG stores only the frames that hold segment voxels: a SEG on the image's lattice (same spacing
  // and axes, origin a whole number of voxels away) is placed exactly, without --resample.
  if (isDicomPath(file) && !opts.resample && onSameLattice(labels, grid)) {
    return { volume: maskOntoGrid(labels, grid, { file }).volume, resampled: false };
  }
  return placeLabelMap(labels, file, grid, opts);
}

/** True when `a`'s voxel centres are a subset of `b`'s lattice (same spacing and axes, whole-voxel offset). */
function onSameLattice(a: Grid, b: Grid): boolean {
  for (let n = 0; n < 3; n++) if (Math.abs(a.spacingMm[n]! - b.spacingMm[n]!) > 1e-3) return false;
  for (let n = 0; n < 9; n++) if (Math.abs(a.direction[n]! - b.direction[n]!) > 1e-4) return false;
  const o = lpsToIjk(b, a.originLps);
  return o.every((x) => Math.abs(x - Math.round(x)) < 1e-3);
}

/** Puts an already read label map onto `grid` (see `labelMapOnGrid`). */
export function placeLabelMap(
  labels: Volume<LabelData>,
  file: string,
  grid: Grid,
  opts: { resample?: boolean } = {},
): { volume: Volume<LabelData>; resampled: boolean } {
  if (!opts.resample) {
    if (!sameGrid(grid, labels)) {
      const g = (v: Grid) =>
        `size ${v.size.join('×')}, spacing ${v.spacingMm.map((s) => s.toFixed(3)).join('×')} mm, origin ${v.originLps.map((s) => s.toFixed(2)).join(',')}`;
      throw new InputError(
        `mask is on another grid (${g(labels)}) than the image (${g(grid)}); pass --resample to resample it onto the image grid (nearest neighbour)`,
        { file, field: 'grid' },
      );
    }
    return { volume: labels, resampled: false };
  }
  return maskOntoGrid(labels, grid, { file });
}

/**
 * Rasterises one ROI of an RTSTRUCT onto the image grid.
 *
 * @param file RTSTRUCT file; @param roiName ROIName (exact, or case-insensitive when unique); when
 *   omitted the structure set must hold exactly one ROI.
 * @throws InputError naming the file and the available ROI names when the ROI is missing/ambiguous,
 *   when its contours all lie outside the image, or when it encloses no voxel centre.
 */
export async function rtstructMaskOnGrid(
  file: string,
  roiName: string | undefined,
  grid: Grid,
): Promise<{ name: string; mask: Uint8Array; contoursOutside: number }> {
  const rs = await readRtstruct(file);
  const names = rs.rois.map((r) => r.name);
  let roi = roiName === undefined ? undefined : rs.rois.find((r) => r.name === roiName);
  if (roiName !== undefined && !roi) {
    const ci = rs.rois.filter((r) => r.name.toLowerCase() === roiName.toLowerCase());
    if (ci.length === 1) roi = ci[0];
  }
  if (roiName === undefined) {
    if (rs.rois.length !== 1) {
      throw new InputError(`choose an ROI with --roi; the structure set holds: ${names.join(', ')}`, {
        file,
        field: 'ROIName',
      });
    }
    roi = rs.rois[0];
  }
  if (!roi) {
    throw new InputError(`ROI not found; the structure set holds: ${names.join(', ')}`, {
      file,
      field: 'ROIName',
      value: roiName,
    });
  }
  const r = rasterizeContours(grid, roi.contours, { file, roi: roi.name });
  if (r.contoursUsed === 0) {
    throw new InputError(
      `ROI ${roi.name}: none of its ${roi.contours.length} contours lies on the image slices`,
      {
        file,
        field: 'ContourData',
      },
    );
  }
  let any = false;
  for (let q = 0; q < r.mask.length && !any; q++) any = r.mask[q] !== 0;
  if (!any)
    throw new InputError(`ROI ${roi.name} encloses no voxel centre of the image`, {
      file,
      field: 'ContourData',
    });
  return { name: roi.name, mask: r.mask, contoursOutside: r.contoursOutside };
}

/** Per-organ mask files combined into one label map. */
export interface PerOrganLabelMap {
  volume: Volume<Uint16Array>;
  /** Label number → class name (TotalSegmentator v2 numbering when the name is one of its classes). */
  classes: Map<number, string>;
  /** Voxels claimed by two files (the later file, in name order, wins). */
  overlappingVoxels: number;
}

/**
 * Combines a folder of per-organ binary masks (TotalSegmentator `segmentations/<class>.nii.gz`, or any
 * `<name>.nii[.gz]`/`.nrrd`) into one label map. TotalSegmentator v2 class names keep their published
 * label numbers; other names get numbers from 1000 upward in name order.
 *
 * @param dir folder of mask files (all on one grid).
 * @throws InputError when the folder holds no mask file or the files are on different grids.
 */
export function readPerOrganMasks(dir: string, opts: LabelMapOptions = {}): PerOrganLabelMap {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => isNiftiPath(f) || isNrrdPath(f))
      .sort();
  } catch (e) {
    throw new InputError(`cannot list mask folder: ${(e as Error).message}`, { file: dir });
  }
  if (names.length === 0)
    throw new InputError('no .nii/.nii.gz/.nrrd mask files in the folder', { file: dir });
  let out: Volume<Uint16Array> | undefined;
  const classes = new Map<number, string>();
  let nextOther = 1000;
  let overlapping = 0;
  for (const f of names) {
    const file = join(dir, f);
    const m = readLabelMap(file, opts);
    const cls = f.replace(/\.(nii(\.gz)?|nrrd|nhdr)$/i, '');
    const label = totalSegmentatorLabel(cls) ?? nextOther++;
    classes.set(label, totalSegmentatorLabel(cls) !== undefined ? TOTALSEGMENTATOR_TOTAL_V2[label]! : cls);
    if (!out) out = { ...m, size: [...m.size], data: new Uint16Array(m.data.length), unit: 'label' };
    else if (!sameGrid(out, m))
      throw new InputError('mask file is on another grid than the first file of the folder', {
        file,
        field: 'grid',
      });
    const d = out.data;
    for (let q = 0; q < d.length; q++) {
      if (m.data[q] === 0) continue;
      if (d[q] !== 0) overlapping++;
      d[q] = label;
    }
  }
  return { volume: out!, classes, overlappingVoxels: overlapping };
}

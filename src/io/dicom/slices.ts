/**
 * Slices of a PET series: per-slice header checks against the series geometry (matrix, orientation,
 * pixel spacing, Units, rescale), grouping by position and time, and the slice-spacing checks
 * (declared slice count, even gaps, no tilt). `series.ts` reads the files and builds the volumes.
 * Source: DICOM PS3.3 C.7.6.2 (Image Plane), C.8.9.4 (PET Image); slice sorting as in dcm2niix/ITK.
 */
import { InputError } from '../../errors.js';
import type { Vec3 } from '../../imaging/volume.js';
import type { DicomHeaderRecord } from './values.js';
import {
  numValue,
  numValues,
  parseDicomDate,
  parseDicomDateTime,
  parseDicomTime,
  textValue,
} from './values.js';
import type { ParsedDicom } from './parse.js';
import type { PetInstanceHeader } from './series.js';

/** One image to place: a single-frame file, or one frame of a multi-frame file. */
export interface SliceSource {
  file: string;
  header: DicomHeaderRecord;
  frameIndex?: number;
  parsed: ParsedDicom;
}

/** A checked slice: its instance header, parsed file and time key. */
export type Slice = PetInstanceHeader & { parsed: ParsedDicom; timeKey: number };

/** Cross product a × b. */
function cross(a: Vec3, b: Vec3): Vec3 {
  // `+ 0` turns −0 into 0 so that directions compare equal to plain literals.
  return [a[1] * b[2] - a[2] * b[1] + 0, a[2] * b[0] - a[0] * b[2] + 0, a[0] * b[1] - a[1] * b[0] + 0];
}

/** Tags of the geometry and rescale attributes, for error messages ("PixelSpacing (0028,0030)"). */
const TAGS: Readonly<Record<string, string>> = {
  ImagePositionPatient: '(0020,0032)',
  ImageOrientationPatient: '(0020,0037)',
  PixelSpacing: '(0028,0030)',
  RescaleSlope: '(0028,1053)',
  RescaleIntercept: '(0028,1052)',
  NumberOfSlices: '(0054,0081)',
};

/** "Keyword (gggg,eeee)" of an attribute. */
function tagField(key: string): string {
  return TAGS[key] ? `${key} ${TAGS[key]}` : key;
}

/** Runs a header getter, re-throwing its InputError with the tag number in the field. */
function withTag<T>(key: string, file: string, get: () => T): T {
  try {
    return get();
  } catch (e) {
    if (e instanceof InputError) {
      throw new InputError('not a finite number', { file, field: tagField(key), value: e.location.value });
    }
    throw e;
  }
}

/** The n numbers of a multi-valued attribute; InputError naming file and tag when missing or a different count. */
function requireNums(h: DicomHeaderRecord, key: string, n: number, file: string): number[] {
  const v = withTag(key, file, () => numValues(h, key, { file }));
  if (v === undefined || v.length !== n) {
    throw new InputError(`${key} missing or not ${n} numbers`, { file, field: tagField(key), value: v });
  }
  return v;
}

/** PixelSpacing: two numbers > 0 (mm). */
function requireSpacing(h: DicomHeaderRecord, file: string): number[] {
  const ps = requireNums(h, 'PixelSpacing', 2, file);
  if (!ps.every((x) => x > 0)) {
    throw new InputError('pixel spacing must be > 0 mm', {
      file,
      field: tagField('PixelSpacing'),
      value: ps,
    });
  }
  return ps;
}

/** Orders images of one slice position in time (dynamic series). */
function timeKey(h: DicomHeaderRecord, file: string): number {
  const tpi = numValue(h, 'TemporalPositionIndex', { file });
  if (tpi !== undefined) return tpi;
  const idx = numValue(h, 'ImageIndex', { file });
  const nSlices = numValue(h, 'NumberOfSlices', { file });
  if (idx !== undefined && nSlices !== undefined && nSlices > 0) return Math.floor((idx - 1) / nSlices);
  const dt = textValue(h, 'AcquisitionDateTime', { file });
  const da = textValue(h, 'AcquisitionDate', { file });
  const tm = textValue(h, 'AcquisitionTime', { file });
  const frt = numValue(h, 'FrameReferenceTime', { file }) ?? 0;
  if (dt !== undefined) return parseDicomDateTime(dt, 'AcquisitionDateTime', { file }) + frt;
  if (da !== undefined && tm !== undefined) {
    return (
      parseDicomDate(da, 'AcquisitionDate', { file }) + parseDicomTime(tm, 'AcquisitionTime', { file }) + frt
    );
  }
  return frt;
}

/** Geometry every slice of the series must share, taken from the first slice. */
export interface SeriesGeometry {
  rows: number;
  cols: number;
  /** ImageOrientationPatient of the first slice. */
  iop0: number[];
  /** PixelSpacing of the first slice (mm; row spacing, column spacing). */
  ps0: number[];
  rowDir: Vec3;
  colDir: Vec3;
  normal: Vec3;
  /** Units (0054,1001) of the first slice. */
  units0: string | undefined;
}

/**
 * Matrix, orientation, pixel spacing and Units of the first slice.
 * @throws InputError naming the file and tag when ImageOrientationPatient is not orthonormal or
 *   PixelSpacing / orientation are missing or invalid
 */
export function seriesGeometry(first: SliceSource): SeriesGeometry {
  const h0 = first.header;
  const rows = numValue(h0, 'Rows', { file: first.file }) ?? 0;
  const cols = numValue(h0, 'Columns', { file: first.file }) ?? 0;
  const iop0 = requireNums(h0, 'ImageOrientationPatient', 6, first.file);
  const ps0 = requireSpacing(h0, first.file);
  const rowDir: Vec3 = [iop0[0]! + 0, iop0[1]! + 0, iop0[2]! + 0];
  const colDir: Vec3 = [iop0[3]! + 0, iop0[4]! + 0, iop0[5]! + 0];
  const normal = cross(rowDir, colDir);
  if (
    Math.abs(Math.hypot(...rowDir) - 1) > 1e-3 ||
    Math.abs(Math.hypot(...colDir) - 1) > 1e-3 ||
    Math.abs(Math.hypot(...normal) - 1) > 1e-3
  ) {
    throw new InputError('ImageOrientationPatient is not two orthonormal unit vectors', {
      file: first.file,
      field: tagField('ImageOrientationPatient'),
      value: iop0,
    });
  }
  const units0 = textValue(h0, 'Units', { file: first.file });
  return { rows, cols, iop0, ps0, rowDir, colDir, normal, units0 };
}

/**
 * One slice source checked against the series geometry (matrix, orientation, pixel spacing,
 * Units) with its position, rescale and time key.
 * @throws InputError naming the file (and frame) and tag of the first mismatch or invalid value
 */
export function toSlice(s: SliceSource, g: SeriesGeometry, firstFile: string): Slice {
  const { file, header: h } = s;
  const { rows, cols, iop0, ps0, normal, units0 } = g;
  const where = s.frameIndex !== undefined ? `${file} frame ${s.frameIndex + 1}` : file;
  if ((numValue(h, 'Rows', { file }) ?? 0) !== rows || (numValue(h, 'Columns', { file }) ?? 0) !== cols) {
    throw new InputError(`image matrix differs from ${firstFile} (${cols}×${rows})`, {
      file: where,
      field: 'Rows/Columns',
      value: [numValue(h, 'Columns', { file }), numValue(h, 'Rows', { file })],
    });
  }
  const iop = requireNums(h, 'ImageOrientationPatient', 6, where);
  for (let n = 0; n < 6; n++) {
    if (Math.abs(iop[n]! - iop0[n]!) > 1e-4) {
      throw new InputError(`orientation differs from ${firstFile}`, {
        file: where,
        field: tagField('ImageOrientationPatient'),
        value: iop,
      });
    }
  }
  const ps = requireSpacing(h, where);
  if (Math.abs(ps[0]! - ps0[0]!) > 1e-4 || Math.abs(ps[1]! - ps0[1]!) > 1e-4) {
    throw new InputError(`pixel spacing differs from ${firstFile}`, {
      file: where,
      field: tagField('PixelSpacing'),
      value: ps,
    });
  }
  const units = textValue(h, 'Units', { file });
  if (units !== units0) {
    throw new InputError(`Units differ within the series (${String(units0)} in ${firstFile})`, {
      file: where,
      field: 'Units',
      value: units,
    });
  }
  const ipp = requireNums(h, 'ImagePositionPatient', 3, where);
  const positionLps: Vec3 = [ipp[0]!, ipp[1]!, ipp[2]!];
  const slope = withTag('RescaleSlope', where, () => numValue(h, 'RescaleSlope', { file }));
  if (slope === undefined)
    throw new InputError('RescaleSlope missing', { file: where, field: tagField('RescaleSlope') });
  if (!(slope > 0)) {
    throw new InputError('RescaleSlope must be > 0 (activity = slope × stored value + intercept)', {
      file: where,
      field: tagField('RescaleSlope'),
      value: slope,
    });
  }
  const intercept = withTag('RescaleIntercept', where, () => numValue(h, 'RescaleIntercept', { file })) ?? 0;
  const inst = numValue(h, 'InstanceNumber', { file });
  return {
    file,
    sopInstanceUid: textValue(h, 'SOPInstanceUID', { file }) ?? '',
    ...(inst !== undefined ? { instanceNumber: inst } : {}),
    ...(s.frameIndex !== undefined ? { frameIndex: s.frameIndex } : {}),
    positionLps,
    normalPositionMm: positionLps[0] * normal[0] + positionLps[1] * normal[1] + positionLps[2] * normal[2],
    rescaleSlope: slope,
    rescaleIntercept: intercept,
    header: h,
    parsed: s.parsed,
    timeKey: timeKey(h, file),
  };
}

/**
 * Sorts the slices (in place) by position along the normal, then time, and groups them by slice
 * position; a dynamic series has the same number of frames at every position.
 * @returns groups in position order (each in time order) and the number of time frames
 * @throws InputError when a position has a different number of images or two images share position and time
 */
export function groupByPosition(slices: Slice[]): { groups: Slice[][]; nFrames: number } {
  slices.sort((a, b) => a.normalPositionMm - b.normalPositionMm || a.timeKey - b.timeKey);
  const groups: Slice[][] = [];
  for (const sl of slices) {
    const last = groups[groups.length - 1];
    if (last && Math.abs(sl.normalPositionMm - last[0]!.normalPositionMm) < 1e-3) last.push(sl);
    else groups.push([sl]);
  }
  const nFrames = groups[0]!.length;
  for (const g of groups) {
    if (g.length !== nFrames) {
      throw new InputError(
        `slice position ${g[0]!.normalPositionMm.toFixed(3)} mm has ${g.length} image(s) where ` +
          `${groups[0]![0]!.normalPositionMm.toFixed(3)} mm has ${nFrames}: missing or duplicate files in a dynamic series`,
        { file: g[0]!.file, field: 'ImagePositionPatient' },
      );
    }
    for (let f = 1; f < g.length; f++) {
      if (g[f]!.timeKey === g[f - 1]!.timeKey) {
        throw new InputError(
          `two images at the same slice position ${g[f]!.normalPositionMm.toFixed(3)} mm and the same time ` +
            `(${g[f - 1]!.file} and ${g[f]!.file}): duplicate files`,
          { file: g[f]!.file, field: 'ImagePositionPatient' },
        );
      }
    }
  }
  return { groups, nFrames };
}

/**
 * The slice count the scanner declares (NumberOfSlices) must match the positions found (a slice
 * missing at either end of the stack leaves the spacing even). A folder of one slice is a
 * deliberate single-slice read (e.g. a sample slice for its header) and is not checked; nor are
 * multi-frame files.
 * @throws InputError naming the folder and NumberOfSlices
 */
export function checkDeclaredSliceCount(first: SliceSource, pos: Slice[], dir: string): void {
  const nz = pos.length;
  if (first.frameIndex === undefined && nz > 1) {
    const declared = withTag('NumberOfSlices', first.file, () =>
      numValue(first.header, 'NumberOfSlices', { file: first.file }),
    );
    if (declared !== undefined && declared !== nz) {
      throw new InputError(
        `series folder ${dir} holds ${nz} slice positions (${pos[0]!.normalPositionMm.toFixed(3)} to ` +
          `${pos[nz - 1]!.normalPositionMm.toFixed(3)} mm along the normal) but the header declares ` +
          `${declared} slices: missing or unreadable slice files`,
        { file: dir, field: tagField('NumberOfSlices'), value: declared },
      );
    }
  }
}

/**
 * Slice spacing (mm) from the positions `pos` (one slice per position, sorted); every gap must
 * match the median within `spacingRelTol`, and every slice must lie on the normal through the
 * first (no gantry tilt / shear). One slice: its SliceThickness.
 * @throws InputError naming the files around an uneven gap, a tilted slice, or a bad SliceThickness
 */
export function sliceSpacingMm(
  first: SliceSource,
  pos: Slice[],
  slices: Slice[],
  normal: Vec3,
  dir: string,
  spacingRelTol: number | undefined,
): number {
  const nz = pos.length;
  let dz = Number(numValue(first.header, 'SliceThickness') ?? 1);
  if (nz === 1 && !(dz > 0)) {
    // One slice: its thickness is the only slice spacing there is.
    throw new InputError('SliceThickness of a single-slice series must be > 0 mm', {
      file: first.file,
      field: 'SliceThickness (0018,0050)',
      value: dz,
    });
  }
  if (nz > 1) {
    const gaps: number[] = [];
    for (let k = 1; k < nz; k++) gaps.push(pos[k]!.normalPositionMm - pos[k - 1]!.normalPositionMm);
    const sorted = [...gaps].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const tol = Math.max(1e-3, (spacingRelTol ?? 0.01) * median);
    for (let k = 0; k < gaps.length; k++) {
      if (Math.abs(gaps[k]! - median) > tol) {
        const missing = Math.round(gaps[k]! / median) - 1;
        throw new InputError(
          `uneven slice spacing: ${gaps[k]!.toFixed(3)} mm between ${pos[k]!.file} and ` +
            `${pos[k + 1]!.file} (slice positions ${pos[k]!.normalPositionMm.toFixed(3)} and ` +
            `${pos[k + 1]!.normalPositionMm.toFixed(3)} mm along the normal), ${median.toFixed(3)} mm elsewhere ` +
            `in series folder ${dir}` +
            (missing >= 1 ? ` (${missing} slice(s) missing?)` : ' (inconsistent spacing)'),
          { file: pos[k + 1]!.file, field: tagField('ImagePositionPatient'), value: pos[k + 1]!.positionLps },
        );
      }
    }
    dz = (pos[nz - 1]!.normalPositionMm - pos[0]!.normalPositionMm) / (nz - 1);
    // In-plane position must move along the normal only (no gantry tilt / shear).
    const o = pos[0]!.positionLps;
    for (const inst of slices) {
      const d = inst.normalPositionMm - pos[0]!.normalPositionMm;
      for (let a = 0; a < 3; a++) {
        if (Math.abs(inst.positionLps[a]! - (o[a]! + d * normal[a]!)) > Math.max(1e-2, 0.01 * dz)) {
          throw new InputError(
            'slice positions do not lie along the slice normal (tilted or sheared stack)',
            {
              file: inst.file,
              field: 'ImagePositionPatient',
              value: inst.positionLps,
            },
          );
        }
      }
    }
  }
  return dz;
}

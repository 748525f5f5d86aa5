/**
 * A folder of single-frame PET DICOM files → one `Volume` with its geometry, the rescaled pixel
 * values (m·P + b of each slice, in the header Units) and a privacy-safe header per instance.
 *
 * Geometry (DICOM PS3.3 C.7.6.2.1.1): i runs along the row direction (ImageOrientationPatient[0..2],
 * spacing PixelSpacing[1]), j along the column direction (IOP[3..5], spacing PixelSpacing[0]),
 * k along the slice normal n = row × column; slices are sorted by ImagePositionPatient · n and the
 * slice spacing is taken from those positions (never from SliceThickness). Uneven spacing (a
 * missing slice), mixed SeriesInstanceUIDs, mixed orientations, non-DICOM and non-image files are
 * refused with an `InputError` naming the file and the tag.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import type { Direction3, Vec3, Volume } from '../../imaging/volume.js';
import type { DicomHeaderRecord } from '../../imaging/suv-header.js';
import { numValue, numValues, textValue } from '../../imaging/suv-header.js';
import { pickPetHeader } from './header.js';
import { parsePetImageBytes, storedPixels } from './parse.js';
import type { ParsedDicom } from './parse.js';

/** One PET instance (slice) of a series, with only the header attributes SUV and geometry need. */
export interface PetInstanceHeader {
  /** Path of the file. */
  file: string;
  sopInstanceUid: string;
  instanceNumber?: number;
  /** ImagePositionPatient: LPS position (mm) of the centre of the slice's first voxel. */
  positionLps: Vec3;
  /** Position along the slice normal (mm), the sort key. */
  normalPositionMm: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** Allow-listed header record (keywords and selected private tags; no identifiers). */
  header: DicomHeaderRecord;
}

/** A PET series read into memory. */
export interface PetSeries {
  /** Rescaled values (m·P + b per slice) in `units`; `volume.unit` = the header Units. */
  volume: Volume<Float32Array>;
  /** Instances sorted by position along the slice normal (k = 0 first). */
  instances: PetInstanceHeader[];
  seriesInstanceUid: string;
  frameOfReferenceUid?: string;
  /** Units (0054,1001) of the series, e.g. BQML, CNTS, GML. */
  units: string;
  manufacturer?: string;
}

/** Options of `readDicomSeries`. */
export interface ReadSeriesOptions {
  /** Keep only this series when the folder holds several (otherwise mixed series are an error). */
  seriesInstanceUid?: string;
  /** Relative tolerance on slice spacing before a gap counts as uneven (default 0.01 = 1 %). */
  spacingRelTol?: number;
}

const SKIP_NAMES = /^(\.|DICOMDIR$|Thumbs\.db$|desktop\.ini$)/i;

/** Lists the regular files of a folder (sorted, hidden files and DICOMDIR skipped). */
async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new InputError(`cannot read series folder: ${(err as Error).message}`, { file: dir });
  }
  const files = entries
    .filter((e) => e.isFile() && !SKIP_NAMES.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
  if (files.length === 0) throw new InputError('no files in series folder', { file: dir });
  return files;
}

/** Reads and parses files with bounded concurrency. */
async function parseAll(files: string[]): Promise<ParsedDicom[]> {
  const out: ParsedDicom[] = new Array<ParsedDicom>(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const idx = next++;
      const file = files[idx]!;
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw new InputError(`cannot read file: ${(err as Error).message}`, { file });
      }
      out[idx] = parsePetImageBytes(bytes, file);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, files.length) }, () => worker()));
  return out;
}

function cross(a: Vec3, b: Vec3): Vec3 {
  // `+ 0` turns −0 into 0 so that directions compare equal to plain literals.
  return [a[1] * b[2] - a[2] * b[1] + 0, a[2] * b[0] - a[0] * b[2] + 0, a[0] * b[1] - a[1] * b[0] + 0];
}

function requireNums(h: DicomHeaderRecord, key: string, n: number, file: string): number[] {
  const v = numValues(h, key, { file });
  if (v === undefined || v.length !== n) {
    throw new InputError(`${key} missing or not ${n} numbers`, { file, field: key, value: v });
  }
  return v;
}

/**
 * Reads a folder holding one single-frame PET DICOM series.
 * @param dir folder with the series' files (not searched recursively)
 * @param opts `seriesInstanceUid` to pick one series from a mixed folder; `spacingRelTol`
 * @returns the volume (rescaled values, float32, i fastest) and the sorted instance headers
 * @throws InputError naming file and tag for: non-DICOM / truncated files, non-image objects,
 *   non-PT modality, mixed SeriesInstanceUIDs, mixed orientation / matrix / pixel spacing,
 *   duplicate slice positions, uneven slice spacing (missing slices), multi-frame files.
 * Source: DICOM PS3.3 C.7.6.2 (Image Plane), C.8.9.4 (PET Image); slice sorting as in dcm2niix/ITK.
 */
export async function readDicomSeries(dir: string, opts: ReadSeriesOptions = {}): Promise<PetSeries> {
  const s = await stat(dir).catch((err: Error) => {
    throw new InputError(`cannot open series folder: ${err.message}`, { file: dir });
  });
  if (!s.isDirectory()) throw new InputError('expected a folder holding one DICOM series', { file: dir });
  const parsed = await parseAll(await listFiles(dir));
  return assembleSeries(parsed, dir, opts);
}

/**
 * Builds the series volume from already parsed files (see `readDicomSeries`).
 * @throws InputError as `readDicomSeries`.
 */
export function assembleSeries(
  parsedIn: ParsedDicom[],
  dir: string,
  opts: ReadSeriesOptions = {},
): PetSeries {
  // Series membership.
  const bySeries = new Map<string, ParsedDicom[]>();
  for (const p of parsedIn) {
    if (p.pixelData === undefined) {
      throw new InputError(
        `not an image (SOPClassUID ${textValue(p.dataset, 'SOPClassUID') ?? '?'}, Modality ${textValue(p.dataset, 'Modality') ?? '?'}); ` +
          'a series folder must hold only the PET image files',
        { file: p.file, field: 'PixelData (7FE0,0010)' },
      );
    }
    const uid = typeof p.dataset['SeriesInstanceUID'] === 'string' ? p.dataset['SeriesInstanceUID'] : '';
    if (uid === '')
      throw new InputError('SeriesInstanceUID missing', { file: p.file, field: 'SeriesInstanceUID' });
    const list = bySeries.get(uid) ?? [];
    list.push(p);
    bySeries.set(uid, list);
  }
  let parsed: ParsedDicom[];
  if (opts.seriesInstanceUid !== undefined) {
    parsed = bySeries.get(opts.seriesInstanceUid) ?? [];
    if (parsed.length === 0) {
      throw new InputError('requested series not found in folder', {
        file: dir,
        field: 'SeriesInstanceUID',
        value: opts.seriesInstanceUid,
      });
    }
  } else if (bySeries.size > 1) {
    const [a, b] = [...bySeries.values()];
    throw new InputError(
      `folder mixes ${bySeries.size} series (SeriesInstanceUID ${[...bySeries.keys()].join(', ')}), e.g. ` +
        `${a![0]!.file} and ${b![0]!.file}; put one series per folder or choose one`,
      { file: dir, field: 'SeriesInstanceUID' },
    );
  } else {
    parsed = parsedIn;
  }

  const firstDs = parsed[0]!;
  const seriesInstanceUid = String(firstDs.dataset['SeriesInstanceUID']);
  const h0 = pickPetHeader(firstDs.dataset);
  const rows = numValue(h0, 'Rows', { file: firstDs.file }) ?? 0;
  const cols = numValue(h0, 'Columns', { file: firstDs.file }) ?? 0;
  const iop0 = requireNums(h0, 'ImageOrientationPatient', 6, firstDs.file);
  const ps0 = requireNums(h0, 'PixelSpacing', 2, firstDs.file);
  const rowDir: Vec3 = [iop0[0]! + 0, iop0[1]! + 0, iop0[2]! + 0];
  const colDir: Vec3 = [iop0[3]! + 0, iop0[4]! + 0, iop0[5]! + 0];
  const normal = cross(rowDir, colDir);
  const nlen = Math.hypot(...normal);
  if (
    Math.abs(Math.hypot(...rowDir) - 1) > 1e-3 ||
    Math.abs(Math.hypot(...colDir) - 1) > 1e-3 ||
    Math.abs(nlen - 1) > 1e-3
  ) {
    throw new InputError('ImageOrientationPatient is not two orthonormal unit vectors', {
      file: firstDs.file,
      field: 'ImageOrientationPatient',
      value: iop0,
    });
  }
  const units0 = textValue(h0, 'Units', { file: firstDs.file });
  const manufacturer = textValue(h0, 'Manufacturer');
  const frameOfReferenceUid = textValue(h0, 'FrameOfReferenceUID');

  const instances: (PetInstanceHeader & { parsed: ParsedDicom })[] = parsed.map((p) => {
    const file = p.file;
    const h = pickPetHeader(p.dataset);
    const modality = textValue(h, 'Modality', { file });
    if (modality !== 'PT') {
      throw new InputError('not a PET image (Modality must be PT)', {
        file,
        field: 'Modality',
        value: modality,
      });
    }
    const frames = numValue(h, 'NumberOfFrames', { file }) ?? 1;
    if (frames !== 1) {
      throw new InputError(
        'multi-frame (Enhanced PET) files are not read by the single-frame series reader',
        {
          file,
          field: 'NumberOfFrames',
          value: frames,
        },
      );
    }
    if ((numValue(h, 'Rows', { file }) ?? 0) !== rows || (numValue(h, 'Columns', { file }) ?? 0) !== cols) {
      throw new InputError(`image matrix differs from ${firstDs.file} (${cols}×${rows})`, {
        file,
        field: 'Rows/Columns',
        value: [numValue(h, 'Columns', { file }), numValue(h, 'Rows', { file })],
      });
    }
    const iop = requireNums(h, 'ImageOrientationPatient', 6, file);
    for (let n = 0; n < 6; n++) {
      if (Math.abs(iop[n]! - iop0[n]!) > 1e-4) {
        throw new InputError(`orientation differs from ${firstDs.file}`, {
          file,
          field: 'ImageOrientationPatient',
          value: iop,
        });
      }
    }
    const ps = requireNums(h, 'PixelSpacing', 2, file);
    if (Math.abs(ps[0]! - ps0[0]!) > 1e-4 || Math.abs(ps[1]! - ps0[1]!) > 1e-4) {
      throw new InputError(`pixel spacing differs from ${firstDs.file}`, {
        file,
        field: 'PixelSpacing',
        value: ps,
      });
    }
    const units = textValue(h, 'Units', { file });
    if (units !== units0) {
      throw new InputError(`Units differ within the series (${String(units0)} in ${firstDs.file})`, {
        file,
        field: 'Units',
        value: units,
      });
    }
    const ipp = requireNums(h, 'ImagePositionPatient', 3, file);
    const positionLps: Vec3 = [ipp[0]!, ipp[1]!, ipp[2]!];
    const slope = numValue(h, 'RescaleSlope', { file });
    if (slope === undefined) throw new InputError('RescaleSlope missing', { file, field: 'RescaleSlope' });
    const intercept = numValue(h, 'RescaleIntercept', { file }) ?? 0;
    const inst = numValue(h, 'InstanceNumber', { file });
    return {
      file,
      sopInstanceUid: textValue(h, 'SOPInstanceUID', { file }) ?? '',
      ...(inst !== undefined ? { instanceNumber: inst } : {}),
      positionLps,
      normalPositionMm: positionLps[0] * normal[0] + positionLps[1] * normal[1] + positionLps[2] * normal[2],
      rescaleSlope: slope,
      rescaleIntercept: intercept,
      header: h,
      parsed: p,
    };
  });
  instances.sort((a, b) => a.normalPositionMm - b.normalPositionMm);

  // Slice spacing from positions; every gap must match.
  const nz = instances.length;
  let dz = Number(numValue(h0, 'SliceThickness') ?? 1);
  if (nz > 1) {
    const gaps: number[] = [];
    for (let k = 1; k < nz; k++) {
      const gap = instances[k]!.normalPositionMm - instances[k - 1]!.normalPositionMm;
      if (gap < 1e-4) {
        throw new InputError(
          `two images at the same slice position ${instances[k]!.normalPositionMm.toFixed(3)} mm ` +
            `(${instances[k - 1]!.file} and ${instances[k]!.file}): a dynamic/multi-frame series or duplicate files`,
          { file: instances[k]!.file, field: 'ImagePositionPatient' },
        );
      }
      gaps.push(gap);
    }
    const sorted = [...gaps].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const tol = Math.max(1e-3, (opts.spacingRelTol ?? 0.01) * median);
    for (let k = 0; k < gaps.length; k++) {
      if (Math.abs(gaps[k]! - median) > tol) {
        throw new InputError(
          `uneven slice spacing: ${gaps[k]!.toFixed(3)} mm between ${instances[k]!.file} and ` +
            `${instances[k + 1]!.file}, ${median.toFixed(3)} mm elsewhere (missing slice?)`,
          { file: instances[k + 1]!.file, field: 'ImagePositionPatient' },
        );
      }
    }
    dz = (instances[nz - 1]!.normalPositionMm - instances[0]!.normalPositionMm) / (nz - 1);
    // In-plane position must move along the normal only (no gantry tilt / shear).
    const o = instances[0]!.positionLps;
    for (const inst of instances) {
      const d = inst.normalPositionMm - instances[0]!.normalPositionMm;
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

  const sliceLen = rows * cols;
  const data = new Float32Array(sliceLen * nz);
  for (let k = 0; k < nz; k++) {
    const inst = instances[k]!;
    const px = storedPixels(inst.parsed);
    const m = inst.rescaleSlope;
    const b = inst.rescaleIntercept;
    const off = k * sliceLen;
    if (b === 0) for (let n = 0; n < sliceLen; n++) data[off + n] = px[n]! * m;
    else for (let n = 0; n < sliceLen; n++) data[off + n] = px[n]! * m + b;
  }

  const direction: Direction3 = [...rowDir, ...colDir, ...normal] as Direction3;
  const volume: Volume<Float32Array> = {
    size: [cols, rows, nz],
    // PixelSpacing = [row spacing (between rows, along j), column spacing (along i)].
    spacingMm: [ps0[1]!, ps0[0]!, dz],
    originLps: instances[0]!.positionLps,
    direction,
    data,
    unit: units0 ?? '',
  };
  return {
    volume,
    instances: instances.map(({ parsed: _p, ...rest }) => rest),
    seriesInstanceUid,
    ...(frameOfReferenceUid !== undefined ? { frameOfReferenceUid } : {}),
    units: units0 ?? '',
    ...(manufacturer !== undefined ? { manufacturer } : {}),
  };
}

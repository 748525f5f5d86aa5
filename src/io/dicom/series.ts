/**
 * A folder of PET DICOM files (single-frame slices, or one Enhanced PET multi-frame file) → one
 * `Volume` with its geometry, the rescaled pixel values (m·P + b of each slice, in the header
 * Units) and a privacy-safe header per instance. Dynamic series (several images per slice
 * position) are split into time frames (ordered by TemporalPositionIndex, ImageIndex or acquisition
 * time); one frame is picked by option.
 *
 * Geometry (DICOM PS3.3 C.7.6.2.1.1): i runs along the row direction (ImageOrientationPatient[0..2],
 * spacing PixelSpacing[1]), j along the column direction (IOP[3..5], spacing PixelSpacing[0]),
 * k along the slice normal n = row × column; slices are sorted by ImagePositionPatient · n and the
 * slice spacing is taken from those positions (never from SliceThickness). Uneven spacing (a
 * missing slice), a slice count other than NumberOfSlices (a slice missing at an end), duplicate
 * positions, mixed SeriesInstanceUIDs, mixed orientations, RescaleSlope ≤ 0, PixelSpacing ≤ 0, NaN
 * geometry, non-DICOM and non-image files are refused with an `InputError` naming the file (or the
 * folder) and the tag (keyword and number).
 *
 * Files: symbolic links to regular files are slices like any other (they were once skipped
 * silently); devices, FIFOs, sockets and dangling links are refused; sub-folders are ignored. Every
 * file is read through src/io/files.ts (regular files within the byte budget).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { readRegularFile } from '../files.js';
import type { Direction3, Vec3, Volume } from '../../imaging/volume.js';
import type { DicomHeaderRecord } from '../../imaging/suv-header.js';
import {
  numValue,
  numValues,
  parseDicomDate,
  parseDicomDateTime,
  parseDicomTime,
  textValue,
} from '../../imaging/suv-header.js';
import { expandFrames, isMultiFrame } from './enhanced.js';
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
  /** 0-based frame within a multi-frame (Enhanced PET) file. */
  frameIndex?: number;
  /** 1-based time frame of a dynamic series. */
  timeFrame?: number;
}

/** One slice source before geometry checks. */
interface SliceSource {
  file: string;
  header: DicomHeaderRecord;
  frameIndex?: number;
  parsed: ParsedDicom;
}

type Slice = PetInstanceHeader & { parsed: ParsedDicom; timeKey: number };

/** One time frame of a series: its volume and instances (sorted along the slice normal). */
export interface PetFrame {
  volume: Volume<Float32Array>;
  instances: PetInstanceHeader[];
}

/** Every time frame of a series (one frame for a static series). */
export interface PetSeriesFrames {
  frames: PetFrame[];
  seriesInstanceUid: string;
  frameOfReferenceUid?: string;
  units: string;
  manufacturer?: string;
}

/** A PET series read into memory. */
export interface PetSeries {
  /** Number of time frames in the series (1 for a static series). */
  frameCount: number;
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
  /** 1-based time frame to read from a dynamic series (required when the series has several). */
  frame?: number;
}

const SKIP_NAMES = /^(\.|DICOMDIR$|Thumbs\.db$|desktop\.ini$)/i;

/**
 * Lists the files of a folder (sorted, hidden files and DICOMDIR skipped, sub-folders ignored).
 * Symbolic links are followed: a link to a regular file is a slice like any other; a link to a folder
 * is ignored like a folder; anything else (device, FIFO, socket, dangling link) is refused naming it.
 */
async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new InputError(`cannot read series folder: ${(err as Error).message}`, { file: dir });
  }
  const files: string[] = [];
  for (const e of entries) {
    if (SKIP_NAMES.test(e.name) || e.isDirectory()) continue;
    const p = join(dir, e.name);
    if (e.isFile()) {
      files.push(p);
      continue;
    }
    if (e.isSymbolicLink()) {
      const target = await stat(p).catch((err: Error) => {
        throw new InputError(`broken symbolic link in series folder: ${err.message}`, { file: p });
      });
      if (target.isDirectory()) continue;
      if (target.isFile()) {
        files.push(p);
        continue;
      }
    }
    throw new InputError('not a regular file (device, FIFO or socket) in the series folder: refused', {
      file: p,
    });
  }
  files.sort();
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
      out[idx] = parsePetImageBytes(await readRegularFile(file), file);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, files.length) }, () => worker()));
  return out;
}

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
 * Reads every time frame of a series folder (a dynamic series, or one frame for a static one).
 * @throws InputError as `readDicomSeries`
 */
export async function readDicomSeriesFrames(
  dir: string,
  opts: ReadSeriesOptions = {},
): Promise<PetSeriesFrames> {
  const s = await stat(dir).catch((err: Error) => {
    throw new InputError(`cannot open series folder: ${err.message}`, { file: dir });
  });
  if (!s.isDirectory()) throw new InputError('expected a folder holding one DICOM series', { file: dir });
  return assembleFrames(await parseAll(await listFiles(dir)), dir, opts);
}

/**
 * The sorted instance headers of every time frame of a series folder, with the same checks as
 * `readDicomSeries` (pixel data present and complete) but without building the volumes.
 * @throws InputError as `readDicomSeries`
 */
export async function readSeriesHeaders(
  dir: string,
  opts: ReadSeriesOptions = {},
): Promise<Omit<PetSeriesFrames, 'frames'> & { frames: PetInstanceHeader[][] }> {
  const s = await stat(dir).catch((err: Error) => {
    throw new InputError(`cannot open series folder: ${err.message}`, { file: dir });
  });
  if (!s.isDirectory()) throw new InputError('expected a folder holding one DICOM series', { file: dir });
  const all = assembleFrames(await parseAll(await listFiles(dir)), dir, opts, false);
  return { ...all, frames: all.frames.map((f) => f.instances) };
}

/**
 * Builds every time frame of a series from already parsed files (see `readDicomSeriesFrames`).
 * @throws InputError as `readDicomSeries`.
 */
export function assembleFrames(
  parsedIn: ParsedDicom[],
  dir: string,
  opts: ReadSeriesOptions = {},
  withPixels = true,
): PetSeriesFrames {
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

  // Slice sources: single-frame files, or the frames of Enhanced (multi-frame) files.
  const sources: SliceSource[] = [];
  for (const p of parsed) {
    const h = pickPetHeader(p.dataset);
    const modality = textValue(h, 'Modality', { file: p.file });
    if (modality !== 'PT') {
      throw new InputError('not a PET image (Modality must be PT)', {
        file: p.file,
        field: 'Modality',
        value: modality,
      });
    }
    if (isMultiFrame(h)) {
      if (parsed.length > 1) {
        throw new InputError('a multi-frame (Enhanced PET) file must be alone in its series folder', {
          file: p.file,
          field: 'NumberOfFrames',
          value: numValue(h, 'NumberOfFrames'),
        });
      }
      expandFrames(h, p.file).forEach((fh, f) =>
        sources.push({ file: p.file, header: fh, frameIndex: f, parsed: p }),
      );
    } else sources.push({ file: p.file, header: h, parsed: p });
  }

  const first = sources[0]!;
  const h0 = first.header;
  const seriesInstanceUid = textValue(h0, 'SeriesInstanceUID') ?? '';
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
  const manufacturer = textValue(h0, 'Manufacturer');
  const frameOfReferenceUid = textValue(h0, 'FrameOfReferenceUID');

  const slices: Slice[] = sources.map((s) => {
    const { file, header: h } = s;
    const where = s.frameIndex !== undefined ? `${file} frame ${s.frameIndex + 1}` : file;
    if ((numValue(h, 'Rows', { file }) ?? 0) !== rows || (numValue(h, 'Columns', { file }) ?? 0) !== cols) {
      throw new InputError(`image matrix differs from ${first.file} (${cols}×${rows})`, {
        file: where,
        field: 'Rows/Columns',
        value: [numValue(h, 'Columns', { file }), numValue(h, 'Rows', { file })],
      });
    }
    const iop = requireNums(h, 'ImageOrientationPatient', 6, where);
    for (let n = 0; n < 6; n++) {
      if (Math.abs(iop[n]! - iop0[n]!) > 1e-4) {
        throw new InputError(`orientation differs from ${first.file}`, {
          file: where,
          field: tagField('ImageOrientationPatient'),
          value: iop,
        });
      }
    }
    const ps = requireSpacing(h, where);
    if (Math.abs(ps[0]! - ps0[0]!) > 1e-4 || Math.abs(ps[1]! - ps0[1]!) > 1e-4) {
      throw new InputError(`pixel spacing differs from ${first.file}`, {
        file: where,
        field: tagField('PixelSpacing'),
        value: ps,
      });
    }
    const units = textValue(h, 'Units', { file });
    if (units !== units0) {
      throw new InputError(`Units differ within the series (${String(units0)} in ${first.file})`, {
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
    const intercept =
      withTag('RescaleIntercept', where, () => numValue(h, 'RescaleIntercept', { file })) ?? 0;
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
  });

  // Group by slice position; a dynamic series has the same number of frames at every position.
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

  // Slice spacing from positions; every gap must match.
  const nz = groups.length;
  const pos = groups.map((g) => g[0]!);
  // The slice count the scanner declares must match the positions found (a slice missing at either
  // end of the stack leaves the spacing even). A folder of one slice is a deliberate single-slice
  // read (e.g. a sample slice for its header) and is not checked.
  if (first.frameIndex === undefined && nz > 1) {
    const declared = withTag('NumberOfSlices', first.file, () =>
      numValue(h0, 'NumberOfSlices', { file: first.file }),
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
  let dz = Number(numValue(h0, 'SliceThickness') ?? 1);
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
    const tol = Math.max(1e-3, (opts.spacingRelTol ?? 0.01) * median);
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

  const sliceLen = rows * cols;
  const direction: Direction3 = [...rowDir, ...colDir, ...normal] as Direction3;
  const frames: PetFrame[] = [];
  // Every file's PixelData is checked against its Rows × Columns (views, no copies) before the
  // volume is allocated, so a header claiming a huge matrix cannot allocate what the files do not hold.
  const pixelCache = new Map<ParsedDicom, ReturnType<typeof storedPixels>>();
  for (const sl of slices) if (!pixelCache.has(sl.parsed)) pixelCache.set(sl.parsed, storedPixels(sl.parsed));
  for (let f = 0; f < nFrames; f++) {
    const data = new Float32Array(withPixels ? sliceLen * nz : 0);
    const instances: PetInstanceHeader[] = [];
    for (let k = 0; k < nz; k++) {
      const sl = groups[k]![f]!;
      const all = pixelCache.get(sl.parsed)!;
      const px =
        sl.frameIndex !== undefined
          ? all.subarray(sl.frameIndex * sliceLen, (sl.frameIndex + 1) * sliceLen)
          : all;
      if (withPixels) rescaleInto(data, k * sliceLen, px, sliceLen, sl.rescaleSlope, sl.rescaleIntercept);
      const { parsed: _p, timeKey: _t, ...rest } = sl;
      instances.push(nFrames > 1 ? { ...rest, timeFrame: f + 1 } : rest);
    }
    frames.push({
      volume: {
        size: [cols, rows, nz],
        // PixelSpacing = [row spacing (between rows, along j), column spacing (along i)].
        spacingMm: [ps0[1]!, ps0[0]!, dz],
        originLps: pos[0]!.positionLps,
        direction,
        data,
        unit: units0 ?? '',
      },
      instances,
    });
  }
  return {
    frames,
    seriesInstanceUid,
    ...(frameOfReferenceUid !== undefined ? { frameOfReferenceUid } : {}),
    units: units0 ?? '',
    ...(manufacturer !== undefined ? { manufacturer } : {}),
  };
}

/** Writes m·P + b of one slice into `data` at `off`. */
function rescaleInto(
  data: Float32Array,
  off: number,
  px: ArrayLike<number>,
  n: number,
  m: number,
  b: number,
): void {
  if (b === 0) for (let i = 0; i < n; i++) data[off + i] = px[i]! * m;
  else for (let i = 0; i < n; i++) data[off + i] = px[i]! * m + b;
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

/**
 * Builds the series volume from already parsed files (see `readDicomSeries`).
 * @throws InputError as `readDicomSeries`.
 */
export function assembleSeries(
  parsedIn: ParsedDicom[],
  dir: string,
  opts: ReadSeriesOptions = {},
): PetSeries {
  const all = assembleFrames(parsedIn, dir, opts);
  const n = all.frames.length;
  const { frames: _f, ...rest } = all;
  if (n === 1) {
    if (opts.frame !== undefined && opts.frame !== 1) {
      throw new InputError(`frame ${opts.frame} requested but the series is static (1 frame)`, {
        field: 'frame',
      });
    }
    return { ...all.frames[0]!, ...rest, frameCount: 1 };
  }
  if (opts.frame === undefined) {
    throw new InputError(
      `dynamic series with ${n} time frames: choose one frame (1…${n}), or average the frames when converting to SUV`,
      { file: dir, field: 'frame' },
    );
  }
  if (!Number.isInteger(opts.frame) || opts.frame < 1 || opts.frame > n) {
    throw new InputError(`frame must be an integer from 1 to ${n}`, { field: 'frame', value: opts.frame });
  }
  return { ...all.frames[opts.frame - 1]!, ...rest, frameCount: n };
}

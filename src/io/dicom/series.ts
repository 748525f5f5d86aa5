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
import type { DicomHeaderRecord } from './values.js';
import { numValue, textValue } from './values.js';
import { expandFrames, isMultiFrame } from './enhanced.js';
import { pickPetHeader } from './header.js';
import { parsePetImageBytes, storedPixels } from './parse.js';
import {
  checkDeclaredSliceCount,
  groupByPosition,
  seriesGeometry,
  sliceSpacingMm,
  toSlice,
} from './slices.js';
import type { SeriesGeometry, Slice, SliceSource } from './slices.js';
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
  /** Modality every instance must have (default `PT`; `CT` for the CT of a PET/CT, see ct.ts). */
  modality?: 'PT' | 'CT';
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
 * The files of the one series to assemble: all of them, or those of `opts.seriesInstanceUid`.
 * @throws InputError for a non-image file, a missing SeriesInstanceUID, a requested series not in
 *   the folder, or a folder mixing series
 */
function selectSeries(parsedIn: ParsedDicom[], dir: string, opts: ReadSeriesOptions): ParsedDicom[] {
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
  if (opts.seriesInstanceUid !== undefined) {
    const parsed = bySeries.get(opts.seriesInstanceUid) ?? [];
    if (parsed.length === 0) {
      throw new InputError('requested series not found in folder', {
        file: dir,
        field: 'SeriesInstanceUID',
        value: opts.seriesInstanceUid,
      });
    }
    return parsed;
  }
  if (bySeries.size > 1) {
    const [a, b] = [...bySeries.values()];
    throw new InputError(
      `folder mixes ${bySeries.size} series (SeriesInstanceUID ${[...bySeries.keys()].join(', ')}), e.g. ` +
        `${a![0]!.file} and ${b![0]!.file}; put one series per folder or choose one`,
      { file: dir, field: 'SeriesInstanceUID' },
    );
  }
  return parsedIn;
}

/**
 * Slice sources: single-frame files, or the frames of an Enhanced (multi-frame) file.
 * @throws InputError for a Modality other than `modality` (PT by default), or a multi-frame file that is
 *   not alone in its folder
 */
function sliceSources(parsed: ParsedDicom[], expected: 'PT' | 'CT'): SliceSource[] {
  const sources: SliceSource[] = [];
  for (const p of parsed) {
    const h = pickPetHeader(p.dataset);
    const modality = textValue(h, 'Modality', { file: p.file });
    if (modality !== expected) {
      throw new InputError(`not a ${expected === 'PT' ? 'PET' : 'CT'} image (Modality must be ${expected})`, {
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
  return sources;
}

/**
 * One volume per time frame from the grouped slices (`groups[k][f]`: position k, frame f), the
 * values rescaled m·P + b (an empty data array when `withPixels` is false). Every file's PixelData is
 * checked against its Rows × Columns (views, no copies) before a volume is allocated, so a header
 * claiming a huge matrix cannot allocate what the files do not hold.
 * @throws InputError (from `storedPixels`) naming a file whose PixelData is short
 */
function buildFrames(
  slices: Slice[],
  groups: Slice[][],
  nFrames: number,
  g: SeriesGeometry,
  dz: number,
  withPixels: boolean,
): PetFrame[] {
  const { rows, cols, rowDir, colDir, normal, ps0, units0 } = g;
  const nz = groups.length;
  const sliceLen = rows * cols;
  const direction: Direction3 = [...rowDir, ...colDir, ...normal] as Direction3;
  const frames: PetFrame[] = [];
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
        originLps: groups[0]![0]!.positionLps,
        direction,
        data,
        unit: units0 ?? '',
      },
      instances,
    });
  }
  return frames;
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
  const parsed = selectSeries(parsedIn, dir, opts);
  // Slice sources: single-frame files, or the frames of Enhanced (multi-frame) files.
  const sources = sliceSources(parsed, opts.modality ?? 'PT');
  const first = sources[0]!;
  const h0 = first.header;
  const seriesInstanceUid = textValue(h0, 'SeriesInstanceUID') ?? '';
  const geometry = seriesGeometry(first);
  const manufacturer = textValue(h0, 'Manufacturer');
  const frameOfReferenceUid = textValue(h0, 'FrameOfReferenceUID');
  const slices = sources.map((s) => toSlice(s, geometry, first.file));
  // Group by slice position; a dynamic series has the same number of frames at every position.
  const { groups, nFrames } = groupByPosition(slices);
  // Slice spacing from positions; every gap must match.
  const pos = groups.map((g) => g[0]!);
  checkDeclaredSliceCount(first, pos, dir);
  const dz = sliceSpacingMm(first, pos, slices, geometry.normal, dir, opts.spacingRelTol);
  const frames = buildFrames(slices, groups, nFrames, geometry, dz, withPixels);
  return {
    frames,
    seriesInstanceUid,
    ...(frameOfReferenceUid !== undefined ? { frameOfReferenceUid } : {}),
    units: geometry.units0 ?? '',
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

/**
 * FCS 2.0 / 3.0 / 3.1 file reader: HEADER, TEXT (+ supplemental TEXT), DATA, ANALYSIS, `$NEXTDATA` data sets.
 *
 * DATA is read into one typed column per parameter (data.ts: in chunks, on several threads for big files;
 * `$DATATYPE` F into float32 columns where the values stay as stored). Integer data honour per-parameter `$PnB`
 * widths (8/16/24/32/64 bits, mixed) and `$PnR` bit masks; float and double data in either byte order.
 * By default values are pre-processed the way FlowIO / FlowKit do it: `$PnE` log decoding
 * 10^(f1·x/$PnR)·f2 (f2 = 0 read as 1), linear channels ÷ `$PnG`, the time channel × `$TIMESTEP`.
 * Sources: FCS 3.1 (Spidlen et al. 2010), FCS 2.0; FlowIO `FlowData` behaviour (shared/data/flow/flowio-truth).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { FlowEvents, SpilloverMatrix } from '../../flow/types.js';
import { isScaled, readDataColumns, scaleColumns } from './data.js';
import { parseHeader, parseText, type DoubledDelimiter, type FcsHeader } from './segments.js';
import { parseSpillover, spilloverNamesOnly } from './spillover.js';

export {
  fileSpilloverForCompensation,
  parseSpillover,
  sampleSpillover,
  spilloverNamesOnly,
} from './spillover.js';
export { timeParameterIndex } from './data.js';

/** One parameter ($Pn…) of an FCS data set. */
export interface FcsParameter {
  /** 1-based parameter number n. */
  index: number;
  /** `$PnN` short name. */
  name: string;
  /** `$PnS` stain / marker name, or null. */
  stain: string | null;
  /** `$PnB` bits per value. */
  bits: number;
  /** `$PnR` range (channel count). */
  range: number;
  /** `$PnE` f1: decades of a log amplifier (0 = linear). */
  logDecades: number;
  /** `$PnE` f2: value at channel 0 (0 in legacy files means 1). */
  logOffset: number;
  /** `$PnG` amplifier gain (1 when absent). */
  gain: number;
}

/** One data set of an FCS file. */
export interface FcsDataSet {
  /** Path of the file read. */
  file: string;
  /** 0-based position of this data set in the `$NEXTDATA` chain. */
  dataSetIndex: number;
  /** Absolute byte offset of this data set in the file. */
  offsetBytes: number;
  version: string;
  header: FcsHeader;
  /** TEXT (and supplemental TEXT) keywords; `$` keywords upper-cased, others as written. */
  keywords: Record<string, string>;
  parameters: FcsParameter[];
  /** `$TOT`: events in the file's data set. */
  totalEvents: number;
  /** `$DATATYPE`: I (unsigned integer), F (float32), D (float64). */
  dataType: 'I' | 'F' | 'D';
  littleEndian: boolean;
  /** Absolute inclusive byte range of DATA used. */
  dataBeginBytes: number;
  dataEndBytes: number;
  /** Events read (all `$TOT`, or fewer with `maxEvents`); null when only TEXT was read. */
  events: FlowEvents | null;
  /** `raw`: stored values after `$PnR` bit masks; `scaled`: after `$PnE`/`$PnG`/`$TIMESTEP`. */
  scaling: 'raw' | 'scaled';
  /** `$SPILLOVER` / `SPILL` / `$SPILL` matrix, or null. */
  spillover: SpilloverMatrix | null;
  /**
   * A spillover keyword that holds only channel names and no values (Miltenyi MACSQuant writes
   * `$SPILLOVER` so): it is ignored (`spillover` is null, a warning says so) and compensating this file with
   * its own matrix is refused (`fileSpilloverForCompensation`). Null otherwise.
   */
  spilloverIgnored: { keyword: string; value: string } | null;
  /** `$TIMESTEP` in seconds per time unit, or null. */
  timestepS: number | null;
  /** ANALYSIS segment keywords (empty when absent). */
  analysis: Record<string, string>;
  /** `$NEXTDATA` offset relative to this data set (0 = last). */
  nextDataOffset: number;
  /** Non-fatal irregularities met while reading (e.g. legacy empty values, unreadable `$TIMESTEP`). */
  warnings: string[];
}

/** Options of `readFcs`. */
export interface FcsReadOptions {
  /** 0-based data set in the `$NEXTDATA` chain (default 0). */
  dataSet?: number;
  /** Return stored values (after bit masks) instead of scaled values (default false). */
  raw?: boolean;
  /**
   * Column precision: 64 or 32 for every column. Default: the file's own — float32 columns for `$DATATYPE` F
   * parameters whose values pre-processing leaves as stored (no `$PnE`, `$PnG` 1, not a time channel scaled
   * by `$TIMESTEP`), which hold the stored float32 values exactly; float64 for all other columns.
   */
  precision?: 32 | 64;
  /** Read only the first N events (default: all `$TOT`). */
  maxEvents?: number;
  /** Read only HEADER and TEXT, no events (default false). */
  textOnly?: boolean;
  /**
   * Largest disagreement (bytes) between HEADER and TEXT DATA offsets that is accepted (default 0: refuse).
   * 1 accepts the common off-by-one (FlowKit `ignore_offset_error`). When accepted, the HEADER offsets are
   * used, unless only the TEXT pair spans exactly `$TOT` × event size.
   */
  offsetTolerance?: number;
  /**
   * How doubled delimiters in TEXT are read: `escape` (the standard), `empty-value` (legacy CellQuest files,
   * flowCore `emptyValue`), or `auto` (default): `escape`, and `empty-value` only when `escape` leaves the
   * keyword/value pairs unbalanced — recorded in `warnings`.
   */
  doubledDelimiter?: DoubledDelimiter | 'auto';
}

/**
 * Reads one data set of an FCS file.
 * @param file path of the .fcs / .lmd file
 * @returns the data set with columns (one per parameter, event order as stored)
 * @throws InputError for a non-FCS file, an unsupported `$DATATYPE`/`$BYTEORD`/`$PnB`, HEADER/TEXT DATA offsets
 *   that disagree, or a DATA segment that the file (or `$TOT`) does not cover (truncated file)
 */
export function readFcs(file: string, options: FcsReadOptions = {}): FcsDataSet {
  const fd = openFcsFile(file);
  try {
    const fileSize = fstatSync(fd).size;
    const want = options.dataSet ?? 0;
    let offset = 0;
    for (let k = 0; ; k++) {
      const ds = readDataSet(
        fd,
        fileSize,
        file,
        offset,
        k,
        k === want ? options : { ...options, textOnly: true },
      );
      if (k === want) return ds;
      if (ds.nextDataOffset === 0) {
        throw new InputError(`file has ${k + 1} data set(s); data set ${want} requested`, {
          file,
          field: '$NEXTDATA',
          value: want,
        });
      }
      offset += ds.nextDataOffset;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the HEADER and TEXT of every data set in the `$NEXTDATA` chain (no events).
 * @throws InputError as `readFcs`
 */
export function readFcsDataSetInfos(file: string, options: FcsReadOptions = {}): FcsDataSet[] {
  const fd = openFcsFile(file);
  try {
    const fileSize = fstatSync(fd).size;
    const out: FcsDataSet[] = [];
    let offset = 0;
    for (let k = 0; ; k++) {
      const ds = readDataSet(fd, fileSize, file, offset, k, { ...options, textOnly: true });
      out.push(ds);
      if (ds.nextDataOffset === 0 || out.length > 1000) return out;
      offset += ds.nextDataOffset;
    }
  } finally {
    closeSync(fd);
  }
}

/** Opens an FCS file for reading. @throws InputError naming the file when it cannot be opened */
export function openFcsFile(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (err) {
    throw new InputError(`cannot open FCS file: ${(err as Error).message}`, { file });
  }
}

function readBytes(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

function readDataSet(
  fd: number,
  fileSize: number,
  file: string,
  base: number,
  dataSetIndex: number,
  options: FcsReadOptions,
): FcsDataSet {
  const warnings: string[] = [];
  const { header, keywords } = readKeywords(fd, fileSize, file, base, options, warnings);
  const kw = (name: string): number | null => intKeyword(keywords, file, name);
  const { dataType, littleEndian, nPar, tot } = dataLayoutKeywords(keywords, file);
  const parameters = parseParameters(keywords, file, nPar, dataType);
  const bytesPerEvent = parameters.reduce((s, p) => s + p.bits / 8, 0);
  const { dBegin, dEnd } = dataOffsets(header, kw, file, tot * bytesPerEvent, options, warnings);
  if (tot > 0 && dEnd - dBegin + 1 < tot * bytesPerEvent) {
    throw new InputError(
      `DATA segment ${dBegin}-${dEnd} holds ${dEnd - dBegin + 1} bytes but $TOT ${tot} × ${bytesPerEvent} bytes/event needs ${tot * bytesPerEvent}`,
      { file, field: '$TOT', value: tot },
    );
  }
  // checked even when only TEXT is read: a cut-short file must not report its full $TOT as if readable
  if (base + dBegin + tot * bytesPerEvent > fileSize) {
    throw new InputError(
      `DATA segment is cut short (truncated file): DATA offsets $BEGINDATA ${dBegin} / $ENDDATA ${dEnd}` +
        `${base > 0 ? ` (data set at byte ${base})` : ''} need bytes up to ${base + dBegin + tot * bytesPerEvent} ` +
        `for $TOT ${tot} events, but the file has ${fileSize} bytes`,
      { file, field: 'DATA', value: `${dBegin}-${dEnd}` },
    );
  }
  const namesOnly = spilloverNamesOnly(keywords);
  const spillover = namesOnly ? null : parseSpillover(keywords, file);
  if (namesOnly) {
    warnings.push(
      `${namesOnly.keyword} holds only channel names and no spillover values (as Miltenyi MACSQuant writes it): ` +
        'ignored; this file cannot be compensated with its own matrix',
    );
  }
  const ds: FcsDataSet = {
    file,
    dataSetIndex,
    offsetBytes: base,
    version: header.version,
    header,
    keywords,
    parameters,
    totalEvents: tot,
    dataType,
    littleEndian,
    dataBeginBytes: base + dBegin,
    dataEndBytes: base + dEnd,
    events: null,
    scaling: options.raw === true ? 'raw' : 'scaled',
    spillover,
    spilloverIgnored: namesOnly,
    timestepS: timestep(keywords, warnings),
    analysis: readAnalysis(fd, fileSize, file, base, header, kw, warnings),
    nextDataOffset: kw('$NEXTDATA') ?? 0,
    warnings,
  };
  if (options.textOnly === true) return ds;

  const nEvents = eventsToRead(ds, options);
  const columns = readDataColumns(fd, ds, nEvents, float32Columns(ds, options));
  if (options.raw !== true) scaleColumns(parameters, ds.timestepS, columns);
  ds.events = { parameterNames: parameters.map((p) => p.name), columns, eventCount: nEvents };
  return ds;
}

/** Events `readFcs` reads of a data set: `$TOT`, or fewer with `maxEvents`. */
export function eventsToRead(ds: FcsDataSet, options: FcsReadOptions): number {
  return Math.min(ds.totalEvents, options.maxEvents ?? ds.totalEvents);
}

/** Per parameter: true when `readFcs` gives it a Float32Array column (see `FcsReadOptions.precision`). */
export function float32Columns(ds: FcsDataSet, options: FcsReadOptions): boolean[] {
  return ds.parameters.map((_, j) =>
    options.precision === undefined
      ? ds.dataType === 'F' && (options.raw === true || !isScaled(ds.parameters, j, ds.timestepS))
      : options.precision === 32,
  );
}

/** HEADER, TEXT and supplemental TEXT of the data set at `base`: `$` keywords upper-cased, first value kept. */
function readKeywords(
  fd: number,
  fileSize: number,
  file: string,
  base: number,
  options: FcsReadOptions,
  warnings: string[],
): { header: FcsHeader; keywords: Record<string, string> } {
  if (base + 58 > fileSize) {
    throw new InputError('file ends before the FCS HEADER of a data set', {
      file,
      field: 'HEADER',
      value: base,
    });
  }
  const header = parseHeader(readBytes(fd, base, 58), file);
  if (header.textEnd < header.textBegin || base + header.textEnd >= fileSize) {
    throw new InputError('TEXT segment lies outside the file (truncated file?)', {
      file,
      field: 'HEADER',
      value: `${header.textBegin}-${header.textEnd}`,
    });
  }
  const keywords: Record<string, string> = {};
  const addPairs = (seg: Uint8Array): void => {
    const { keys, values } = parseTextAuto(seg, file, options.doubledDelimiter ?? 'auto', warnings);
    keys.forEach((k, i) => {
      const key = k.startsWith('$') ? k.toUpperCase() : k;
      if (!(key in keywords)) keywords[key] = values[i]!;
    });
  };
  addPairs(readBytes(fd, base + header.textBegin, header.textEnd - header.textBegin + 1));
  // Supplemental TEXT (FCS 3.0+), when it is a distinct segment.
  const sBegin = intKeyword(keywords, file, '$BEGINSTEXT') ?? 0;
  const sEnd = intKeyword(keywords, file, '$ENDSTEXT') ?? 0;
  if (sBegin > 0 && sEnd > sBegin && sBegin !== header.textBegin && base + sEnd < fileSize) {
    addPairs(readBytes(fd, base + sBegin, sEnd - sBegin + 1));
  }
  return { header, keywords };
}

/** A numeric keyword, or null when absent or blank. @throws InputError when it is not a number */
function intKeyword(keywords: Record<string, string>, file: string, name: string): number | null {
  const v = keywords[name];
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v.trim());
  if (!Number.isFinite(n)) throw new InputError('keyword is not a number', { file, field: name, value: v });
  return n;
}

/** `$PAR`, `$TOT`, `$DATATYPE`, `$MODE` and `$BYTEORD`, checked. */
function dataLayoutKeywords(
  keywords: Record<string, string>,
  file: string,
): { dataType: 'I' | 'F' | 'D'; littleEndian: boolean; nPar: number; tot: number } {
  const nPar = intKeyword(keywords, file, '$PAR');
  if (nPar === null || nPar < 1 || !Number.isInteger(nPar)) {
    throw new InputError('missing or invalid $PAR', { file, field: '$PAR', value: keywords['$PAR'] });
  }
  const tot = intKeyword(keywords, file, '$TOT');
  if (tot === null || tot < 0 || !Number.isInteger(tot)) {
    throw new InputError('missing or invalid $TOT', { file, field: '$TOT', value: keywords['$TOT'] });
  }
  const dt = (keywords['$DATATYPE'] ?? '').trim().toUpperCase();
  if (dt !== 'I' && dt !== 'F' && dt !== 'D') {
    throw new InputError('unsupported $DATATYPE (only I, F, D; ASCII "A" is not supported)', {
      file,
      field: '$DATATYPE',
      value: keywords['$DATATYPE'],
    });
  }
  const mode = (keywords['$MODE'] ?? 'L').trim().toUpperCase();
  if (mode !== 'L') {
    throw new InputError('only list-mode data ($MODE L) is supported', { file, field: '$MODE', value: mode });
  }
  const byteOrd = (keywords['$BYTEORD'] ?? '').replace(/\s/g, '');
  let littleEndian: boolean;
  if (byteOrd === '1,2,3,4' || byteOrd === '1,2' || byteOrd === '1') littleEndian = true;
  else if (byteOrd === '4,3,2,1' || byteOrd === '2,1') littleEndian = false;
  else throw new InputError('unsupported $BYTEORD', { file, field: '$BYTEORD', value: keywords['$BYTEORD'] });
  return { dataType: dt, littleEndian, nPar, tot };
}

/** The `$Pn…` keywords of parameters 1…nPar, checked against `$DATATYPE`. */
function parseParameters(
  keywords: Record<string, string>,
  file: string,
  nPar: number,
  dt: 'I' | 'F' | 'D',
): FcsParameter[] {
  const parameters: FcsParameter[] = [];
  for (let n = 1; n <= nPar; n++) {
    const name = keywords[`$P${n}N`];
    if (name === undefined) throw new InputError('missing parameter name', { file, field: `$P${n}N` });
    const bitsS = (keywords[`$P${n}B`] ?? '').trim();
    const bits = Number(bitsS);
    if (!Number.isInteger(bits) || bits <= 0) {
      throw new InputError('invalid $PnB (bits per value)', { file, field: `$P${n}B`, value: bitsS });
    }
    if (dt === 'F' && bits !== 32)
      throw new InputError('$DATATYPE F needs $PnB 32', { file, field: `$P${n}B`, value: bits });
    if (dt === 'D' && bits !== 64)
      throw new InputError('$DATATYPE D needs $PnB 64', { file, field: `$P${n}B`, value: bits });
    if (dt === 'I' && bits % 8 !== 0) {
      throw new InputError('integer $PnB must be a whole number of bytes', {
        file,
        field: `$P${n}B`,
        value: bits,
      });
    }
    const rangeS = (keywords[`$P${n}R`] ?? '').trim();
    const range = rangeS === '' ? NaN : Number(rangeS);
    const eS = (keywords[`$P${n}E`] ?? '0,0').trim();
    const eParts = eS.split(',').map((s) => Number(s.trim()));
    const logDecades = eParts[0] ?? 0;
    const logOffset = eParts[1] ?? 0;
    if (eParts.length !== 2 || !Number.isFinite(logDecades) || !Number.isFinite(logOffset)) {
      throw new InputError('invalid $PnE (expected "f1,f2")', { file, field: `$P${n}E`, value: eS });
    }
    const gS = keywords[`$P${n}G`];
    const gain = gS === undefined || gS.trim() === '' ? 1 : Number(gS.trim());
    if (!Number.isFinite(gain) || gain <= 0)
      throw new InputError('invalid $PnG', { file, field: `$P${n}G`, value: gS });
    const stain = keywords[`$P${n}S`];
    parameters.push({
      index: n,
      name: name.trim(),
      stain: stain === undefined || stain.trim() === '' ? null : stain.trim(),
      bits,
      range,
      logDecades,
      logOffset,
      gain,
    });
  }
  return parameters;
}

/**
 * DATA offsets relative to the data set: HEADER, unless zero (offsets > 99 999 999), then TEXT
 * `$BEGINDATA`/`$ENDDATA`; a disagreement up to `offsetTolerance` is accepted with a warning.
 */
function dataOffsets(
  header: FcsHeader,
  kw: (name: string) => number | null,
  file: string,
  expected: number,
  options: FcsReadOptions,
  warnings: string[],
): { dBegin: number; dEnd: number } {
  const tBegin = kw('$BEGINDATA');
  const tEnd = kw('$ENDDATA');
  let dBegin = header.dataBegin;
  let dEnd = header.dataEnd;
  if (dBegin === 0 && dEnd === 0) {
    if (tBegin === null || tEnd === null) {
      throw new InputError('DATA offsets are 0 in HEADER and absent from TEXT', {
        file,
        field: '$BEGINDATA',
      });
    }
    return { dBegin: tBegin, dEnd: tEnd };
  }
  if (tBegin !== null && tEnd !== null && (tBegin !== 0 || tEnd !== 0)) {
    if (tBegin !== dBegin || tEnd !== dEnd) {
      const diff = Math.max(Math.abs(tBegin - dBegin), Math.abs(tEnd - dEnd));
      if (diff > (options.offsetTolerance ?? 0)) {
        throw new InputError(
          `DATA offsets disagree by ${diff} byte(s): HEADER ${dBegin}-${dEnd}, TEXT $BEGINDATA/$ENDDATA ` +
            `${tBegin}-${tEnd} (offsetTolerance / --offset-tolerance ${diff} accepts this)`,
          { file, field: '$BEGINDATA', value: `${tBegin}-${tEnd}` },
        );
      }
      warnings.push(`HEADER and TEXT DATA offsets differ by ${diff} byte(s); accepted by offsetTolerance`);
      if (dEnd - dBegin + 1 !== expected && tEnd - tBegin + 1 === expected) {
        dBegin = tBegin;
        dEnd = tEnd;
      }
    }
  }
  return { dBegin, dEnd };
}

/** `$TIMESTEP` in seconds, or null when absent; an unreadable value is a warning (Time left unscaled). */
function timestep(keywords: Record<string, string>, warnings: string[]): number | null {
  const tsRaw = keywords['$TIMESTEP'];
  if (tsRaw === undefined || tsRaw.trim() === '') return null;
  const ts = Number(tsRaw.trim());
  if (Number.isFinite(ts) && ts > 0) return ts;
  warnings.push(
    `$TIMESTEP ${JSON.stringify(tsRaw)} is not a positive number: the Time channel is left unscaled`,
  );
  return null;
}

/** ANALYSIS segment keywords (HEADER offsets, else TEXT `$BEGINANALYSIS`/`$ENDANALYSIS`); empty when absent. */
function readAnalysis(
  fd: number,
  fileSize: number,
  file: string,
  base: number,
  header: FcsHeader,
  kw: (name: string) => number | null,
  warnings: string[],
): Record<string, string> {
  let aBegin = header.analysisBegin;
  let aEnd = header.analysisEnd;
  if (aBegin === 0 && aEnd === 0) {
    aBegin = kw('$BEGINANALYSIS') ?? 0;
    aEnd = kw('$ENDANALYSIS') ?? 0;
  }
  if (!(aBegin > 0 && aEnd > aBegin && base + aEnd < fileSize)) return {};
  const seg = readBytes(fd, base + aBegin, aEnd - aBegin + 1);
  const { keys, values } = parseTextAuto(seg, file, 'auto', warnings);
  return Object.fromEntries(keys.map((k, i) => [k, values[i]!]));
}

function parseTextAuto(
  seg: Uint8Array,
  file: string,
  mode: DoubledDelimiter | 'auto',
  warnings: string[],
): { keys: string[]; values: string[] } {
  if (mode !== 'auto') return parseText(seg, file, mode);
  try {
    return parseText(seg, file, 'escape');
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const out = parseText(seg, file, 'empty-value');
    warnings.push('TEXT has doubled delimiters read as empty values (legacy FCS 2.0 writer)');
    return out;
  }
}

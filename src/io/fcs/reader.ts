/**
 * FCS 2.0 / 3.0 / 3.1 file reader: HEADER, TEXT (+ supplemental TEXT), DATA, ANALYSIS, `$NEXTDATA` data sets.
 *
 * DATA is streamed in chunks straight into one typed column per parameter, so a file of 10⁷ events is held
 * once (as columns), never as a raw copy plus a decoded copy. Columns of ≥ 2²² events (when more than one
 * thread is available, `threadCount`) are on SharedArrayBuffers, for the threaded compensation and gating. Integer data honour per-parameter `$PnB`
 * widths (8/16/24/32/64 bits, mixed) and `$PnR` bit masks; float and double data in either byte order.
 * By default values are pre-processed the way FlowIO / FlowKit do it: `$PnE` log decoding
 * 10^(f1·x/$PnR)·f2 (f2 = 0 read as 1), linear channels ÷ `$PnG`, the time channel × `$TIMESTEP`.
 * Sources: FCS 3.1 (Spidlen et al. 2010), FCS 2.0; FlowIO `FlowData` behaviour (shared/data/flow/flowio-truth).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { Column, FlowEvents, SpilloverMatrix } from '../../flow/types.js';
import { threadCount } from '../../parallel/pool.js';
import { pow10 } from './pow10.js';
import { parseHeader, parseText, type DoubledDelimiter, type FcsHeader } from './segments.js';

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
  /** Column precision: 64 (default) or 32 to halve memory for very large files. */
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
  const fd = openFile(file);
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
  const fd = openFile(file);
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

function openFile(file: string): number {
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
  const textBytes = readBytes(fd, base + header.textBegin, header.textEnd - header.textBegin + 1);
  const keywords: Record<string, string> = {};
  const warnings: string[] = [];
  const addPairs = (seg: Uint8Array): void => {
    const { keys, values } = parseTextAuto(seg, file, options.doubledDelimiter ?? 'auto', warnings);
    keys.forEach((k, i) => {
      const key = k.startsWith('$') ? k.toUpperCase() : k;
      if (!(key in keywords)) keywords[key] = values[i]!;
    });
  };
  addPairs(textBytes);

  const intKw = (name: string): number | null => {
    const v = keywords[name];
    if (v === undefined || v.trim() === '') return null;
    const n = Number(v.trim());
    if (!Number.isFinite(n)) throw new InputError('keyword is not a number', { file, field: name, value: v });
    return n;
  };

  // Supplemental TEXT (FCS 3.0+), when it is a distinct segment.
  const sBegin = intKw('$BEGINSTEXT') ?? 0;
  const sEnd = intKw('$ENDSTEXT') ?? 0;
  if (sBegin > 0 && sEnd > sBegin && sBegin !== header.textBegin && base + sEnd < fileSize) {
    addPairs(readBytes(fd, base + sBegin, sEnd - sBegin + 1));
  }

  const nPar = intKw('$PAR');
  if (nPar === null || nPar < 1 || !Number.isInteger(nPar)) {
    throw new InputError('missing or invalid $PAR', { file, field: '$PAR', value: keywords['$PAR'] });
  }
  const tot = intKw('$TOT');
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
  const bytesPerEvent = parameters.reduce((s, p) => s + p.bits / 8, 0);

  // DATA offsets: HEADER, unless zero (offsets > 99 999 999), then TEXT $BEGINDATA/$ENDDATA.
  const tBegin = intKw('$BEGINDATA');
  const tEnd = intKw('$ENDDATA');
  let dBegin = header.dataBegin;
  let dEnd = header.dataEnd;
  const expected = tot * bytesPerEvent;
  if (dBegin === 0 && dEnd === 0) {
    if (tBegin === null || tEnd === null) {
      throw new InputError('DATA offsets are 0 in HEADER and absent from TEXT', {
        file,
        field: '$BEGINDATA',
      });
    }
    dBegin = tBegin;
    dEnd = tEnd;
  } else if (tBegin !== null && tEnd !== null && (tBegin !== 0 || tEnd !== 0)) {
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
  if (tot > 0 && dEnd - dBegin + 1 < expected) {
    throw new InputError(
      `DATA segment ${dBegin}-${dEnd} holds ${dEnd - dBegin + 1} bytes but $TOT ${tot} × ${bytesPerEvent} bytes/event needs ${expected}`,
      { file, field: '$TOT', value: tot },
    );
  }
  // checked even when only TEXT is read: a cut-short file must not report its full $TOT as if readable
  if (base + dBegin + expected > fileSize) {
    throw new InputError(
      `DATA segment is cut short (truncated file): DATA offsets $BEGINDATA ${dBegin} / $ENDDATA ${dEnd}` +
        `${base > 0 ? ` (data set at byte ${base})` : ''} need bytes up to ${base + dBegin + expected} ` +
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
  let timestepS: number | null = null;
  const tsRaw = keywords['$TIMESTEP'];
  if (tsRaw !== undefined && tsRaw.trim() !== '') {
    const ts = Number(tsRaw.trim());
    if (Number.isFinite(ts) && ts > 0) timestepS = ts;
    else
      warnings.push(
        `$TIMESTEP ${JSON.stringify(tsRaw)} is not a positive number: the Time channel is left unscaled`,
      );
  }
  const nextDataOffset = intKw('$NEXTDATA') ?? 0;

  let analysis: Record<string, string> = {};
  let aBegin = header.analysisBegin;
  let aEnd = header.analysisEnd;
  if (aBegin === 0 && aEnd === 0) {
    aBegin = intKw('$BEGINANALYSIS') ?? 0;
    aEnd = intKw('$ENDANALYSIS') ?? 0;
  }
  if (aBegin > 0 && aEnd > aBegin && base + aEnd < fileSize) {
    const { keys, values } = parseTextAuto(
      readBytes(fd, base + aBegin, aEnd - aBegin + 1),
      file,
      'auto',
      warnings,
    );
    analysis = Object.fromEntries(keys.map((k, i) => [k, values[i]!]));
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
    dataType: dt,
    littleEndian,
    dataBeginBytes: base + dBegin,
    dataEndBytes: base + dEnd,
    events: null,
    scaling: options.raw === true ? 'raw' : 'scaled',
    spillover,
    spilloverIgnored: namesOnly,
    timestepS,
    analysis,
    nextDataOffset,
    warnings,
  };
  if (options.textOnly === true) return ds;

  const nEvents = Math.min(tot, options.maxEvents ?? tot);
  const columns = readColumns(fd, ds, nEvents, bytesPerEvent, options.precision ?? 64);
  if (options.raw !== true) scaleColumns(ds, columns);
  ds.events = { parameterNames: parameters.map((p) => p.name), columns, eventCount: nEvents };
  return ds;
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

/** The spillover keyword present in `keywords` (`$SPILLOVER`, `SPILL`, `$SPILL`, `SPILLOVER`), or undefined. */
function spilloverKeyword(keywords: Record<string, string>): string | undefined {
  const keys = Object.keys(keywords);
  return ['$SPILLOVER', 'SPILL', '$SPILL', 'SPILLOVER']
    .map((k) => keys.find((x) => x.toUpperCase() === k))
    .find((k) => k !== undefined);
}

/**
 * The spillover keyword when it holds only "n,name1,…,namen" and no values (Miltenyi MACSQuant FCS 3.1
 * files), else null.
 */
export function spilloverNamesOnly(
  keywords: Record<string, string>,
): { keyword: string; value: string } | null {
  const key = spilloverKeyword(keywords);
  if (key === undefined) return null;
  const raw = keywords[key]!.trim();
  const parts = raw.split(',').map((x) => x.trim());
  const n = Number(parts[0]);
  if (!Number.isInteger(n) || n < 1 || parts.length !== 1 + n) return null;
  return { keyword: key, value: raw };
}

/**
 * The file's own spillover matrix for compensation.
 * @returns the matrix, or null when the file has no spillover keyword
 * @throws InputError naming the file and keyword when the keyword holds only channel names (MACSQuant)
 */
export function fileSpilloverForCompensation(ds: FcsDataSet): SpilloverMatrix | null {
  if (ds.spilloverIgnored) {
    throw new InputError(
      `compensation asked for, but ${ds.spilloverIgnored.keyword} holds only channel names and no spillover ` +
        'values (Miltenyi MACSQuant): give a spillover matrix (e.g. a FlowJo workspace) or turn compensation off',
      { file: ds.file, field: ds.spilloverIgnored.keyword, value: ds.spilloverIgnored.value },
    );
  }
  return ds.spillover;
}

/**
 * The spillover to use for one sample: the gating's own matrix (a FlowJo workspace's) when it has one,
 * else the file's.
 * @param compensationAsked true when compensation is asked for (study `flow.compensate`, a gate with
 *   compensation-ref "FCS")
 * @throws InputError naming the file and keyword when the file's matrix is needed but holds only names
 */
export function sampleSpillover(
  ds: FcsDataSet,
  gatingSpillover: SpilloverMatrix | null,
  compensationAsked: boolean,
): SpilloverMatrix | null {
  if (gatingSpillover) return gatingSpillover;
  return compensationAsked ? fileSpilloverForCompensation(ds) : ds.spillover;
}

/**
 * Parses `$SPILLOVER` (FCS 3.1), `SPILL` or `$SPILL` (BD) — "n,name1,…,namen,s11,s12,…,snn", row-major.
 * @returns the matrix, or null when no such keyword exists
 * @throws InputError when the value does not hold n names and n² numbers
 */
export function parseSpillover(keywords: Record<string, string>, file = ''): SpilloverMatrix | null {
  const key = spilloverKeyword(keywords);
  if (key === undefined) return null;
  const raw = keywords[key]!.trim();
  if (raw === '') return null;
  const parts = raw.split(',').map((s) => s.trim());
  const n = Number(parts[0]);
  if (!Number.isInteger(n) || n < 1 || parts.length !== 1 + n + n * n) {
    throw new InputError('spillover keyword does not hold n names and n×n values', {
      file,
      field: key,
      value: raw,
    });
  }
  const parameterNames = parts.slice(1, 1 + n);
  const values: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = parts.slice(1 + n + i * n, 1 + n + (i + 1) * n).map(Number);
    if (row.some((v) => !Number.isFinite(v))) {
      throw new InputError('spillover value is not a number', { file, field: key, value: row.join(',') });
    }
    values.push(row);
  }
  return { parameterNames, values };
}

const CHUNK_BYTES = 8 * 1024 * 1024;

function readColumns(
  fd: number,
  ds: FcsDataSet,
  nEvents: number,
  bytesPerEvent: number,
  precision: 32 | 64,
): Column[] {
  const P = ds.parameters.length;
  // Columns of files big enough to be processed on several threads live in shared memory, so that
  // compensation and gating (src/parallel/pool.ts) can split the events without copying them.
  const shared = threadCount(nEvents) > 1;
  const bytes = precision === 32 ? 4 : 8;
  const columns: Column[] = ds.parameters.map(() => {
    const buf = shared ? new SharedArrayBuffer(nEvents * bytes) : new ArrayBuffer(nEvents * bytes);
    return precision === 32 ? new Float32Array(buf) : new Float64Array(buf);
  });
  if (nEvents === 0) return columns;
  const eventsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / bytesPerEvent));
  // Own ArrayBuffer (offset 0) so typed views are aligned.
  const chunk = Buffer.from(new ArrayBuffer(eventsPerChunk * bytesPerEvent));
  const widths = ds.parameters.map((p) => p.bits / 8);
  const uniform = widths.every((w) => w === widths[0]);
  const w0 = widths[0]!;
  const isInt = ds.dataType === 'I';
  const masks = ds.parameters.map((p) => {
    if (!isInt || !Number.isFinite(p.range) || p.range <= 0) return 0;
    const need = Math.ceil(Math.log2(p.range));
    return need < p.bits ? 2 ** need : 0; // modulus (0 = no mask)
  });
  const hostLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const offsets: number[] = [];
  let acc = 0;
  for (const w of widths) {
    offsets.push(acc);
    acc += w;
  }
  let done = 0;
  while (done < nEvents) {
    const count = Math.min(eventsPerChunk, nEvents - done);
    const len = count * bytesPerEvent;
    const got = readSync(fd, chunk, 0, len, ds.dataBeginBytes + done * bytesPerEvent);
    if (got < len) {
      throw new InputError('file ends inside DATA (truncated file)', {
        file: ds.file,
        field: 'DATA',
        value: got,
      });
    }
    if (uniform && (w0 === 1 || w0 === 2 || w0 === 4 || w0 === 8)) {
      const buf = chunk.subarray(0, len);
      if (ds.littleEndian !== hostLittle) {
        if (w0 === 2) buf.swap16();
        else if (w0 === 4) buf.swap32();
        else if (w0 === 8) buf.swap64();
      }
      const ab = chunk.buffer;
      const view: ArrayLike<number> =
        ds.dataType === 'F'
          ? new Float32Array(ab, 0, count * P)
          : ds.dataType === 'D'
            ? new Float64Array(ab, 0, count * P)
            : w0 === 1
              ? new Uint8Array(ab, 0, count * P)
              : w0 === 2
                ? new Uint16Array(ab, 0, count * P)
                : w0 === 4
                  ? new Uint32Array(ab, 0, count * P)
                  : uint64AsNumbers(new BigUint64Array(ab, 0, count * P));
      // Tiles of events whose interleaved values stay in cache while each parameter's are picked out.
      for (let e0 = 0; e0 < count; e0 += TILE_EVENTS) {
        const e1 = Math.min(count, e0 + TILE_EVENTS);
        for (let p = 0; p < P; p++) deinterleave(view, P, p, e0, e1, columns[p]!, done, masks[p]!);
      }
    } else {
      // Mixed or odd integer widths (e.g. 24-bit): byte-wise decoding.
      for (let p = 0; p < P; p++) {
        const col = columns[p]!;
        const w = widths[p]!;
        const m = masks[p]!;
        for (let e = 0; e < count; e++) {
          const o = e * bytesPerEvent + offsets[p]!;
          let v = 0;
          if (ds.littleEndian) for (let b = w - 1; b >= 0; b--) v = v * 256 + chunk[o + b]!;
          else for (let b = 0; b < w; b++) v = v * 256 + chunk[o + b]!;
          col[done + e] = m === 0 ? v : v % m;
        }
      }
    }
    done += count;
  }
  return columns;
}

/** Events per tile of the de-interleaving copy (TILE_EVENTS × bytes per event fit in a core's L2 cache). */
const TILE_EVENTS = 2048;

/**
 * col[dst + e] = view[e·P + p] (mod `modulus` when nonzero) for events e in [e0, e1) of the chunk `view`:
 * one parameter's values out of interleaved events.
 */
function deinterleave(
  view: ArrayLike<number>,
  P: number,
  p: number,
  e0: number,
  e1: number,
  col: Column,
  dst: number,
  modulus: number,
): void {
  if (modulus === 0) for (let e = e0, k = e0 * P + p; e < e1; e++, k += P) col[dst + e] = view[k]!;
  else for (let e = e0, k = e0 * P + p; e < e1; e++, k += P) col[dst + e] = view[k]! % modulus;
}

function uint64AsNumbers(a: BigUint64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number(a[i]!);
  return out;
}

/** The time channel: `$PnN` equal to "time" (any case), or −1. */
export function timeParameterIndex(parameters: FcsParameter[]): number {
  return parameters.findIndex((p) => p.name.trim().toLowerCase() === 'time');
}

/** Applies $PnE log decoding, $PnG gain and $TIMESTEP in place (FlowIO pre-processing). */
function scaleColumns(ds: FcsDataSet, columns: Column[]): void {
  const tIdx = timeParameterIndex(ds.parameters);
  ds.parameters.forEach((p, j) => {
    const col = columns[j]!;
    if (p.logDecades > 0) {
      const f2 = p.logOffset === 0 ? 1 : p.logOffset;
      const f1 = p.logDecades;
      const r = p.range;
      // Same operation order as FlowIO (f1·x/r) and a correctly rounded 10^y, so results agree with
      // C pow to the last bit. Integer channels hold few distinct values: memoise them.
      const memo = new Map<number, number>();
      for (let i = 0; i < col.length; i++) {
        const x = col[i]!;
        let v = memo.get(x);
        if (v === undefined) {
          v = pow10((f1 * x) / r) * f2;
          if (memo.size < 1 << 20) memo.set(x, v);
        }
        col[i] = v;
      }
    } else if (p.gain !== 1) {
      for (let i = 0; i < col.length; i++) col[i] = col[i]! / p.gain;
    }
    if (j === tIdx && ds.timestepS !== null && ds.timestepS !== 1) {
      const ts = ds.timestepS;
      for (let i = 0; i < col.length; i++) col[i] = col[i]! * ts;
    }
  });
}

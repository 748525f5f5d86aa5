/**
 * Flow cytometry at plate scale (docs/flow-plates.md): the layout of a 96-well plate of FCS files, the checks
 * of a gating against each file's channels, and per well its QC (event count, time-channel stability, margin
 * events; qc.ts) and one results row per population (count, % of parent, MFI). Pure computation: the CLI
 * (`carto fcs plate`, src/cli/commands/fcs-plate.ts) reads the files and calls `analyzePlateWell` per file.
 */
import { InputError } from '../errors.js';
import { medianInPlace } from '../imaging/voi-stats.js';
import type { CsvTable } from '../io/csv.js';
import { compensate } from './compensation.js';
import { applyGates, type Dimension, type GatingStrategy } from './gates.js';
import { marginEvents, timeStability, type RangeParameter, type TimeStabilityOptions } from './qc.js';
import { parameterIndex, type FlowEvents, type SpilloverMatrix } from './types.js';

/** One well of a plate: its label, FCS file and the layout's other columns (condition, donor …). */
export interface PlateWell {
  /** Well label, normalised to row letter + two-digit column (A01 … H12), or the file's base name. */
  well: string;
  /** FCS file path as given (relative paths resolved by the caller). */
  file: string;
  /** 1-based data row of the layout CSV (null when the wells come from a folder). */
  row: number | null;
  /** Further layout columns, as text. */
  annotations: Record<string, string>;
}

const WELL_RE = /^([A-Pa-p])\s*0*([1-9]\d?)$/;
const WELL_IN_NAME = /(?:^|[^A-Za-z0-9])([A-Pa-p])(0?[1-9]|1\d|2[0-4])(?=[^0-9]|$)/g;

/**
 * A well label normalised to row letter + two-digit column ("a1" → "A01"); null when `label` is not a well of a
 * 96- or 384-well plate (rows A–P, columns 1–24).
 */
export function normalizeWell(label: string): string | null {
  const m = WELL_RE.exec(label.trim());
  if (!m) return null;
  const col = Number(m[2]);
  if (col < 1 || col > 24) return null;
  return `${m[1]!.toUpperCase()}${String(col).padStart(2, '0')}`;
}

/**
 * The well named in an FCS file name (e.g. "Specimen_001_B07_031.fcs" → "B07", "plate1-A1.fcs" → "A01"): the last
 * letter+number token delimited by non-alphanumerics; null when there is none.
 */
export function wellFromFileName(fileName: string): string | null {
  const base = (fileName.split(/[\\/]/).pop() ?? fileName).replace(/\.(fcs|lmd)$/i, '');
  let last: string | null = null;
  for (const m of base.matchAll(WELL_IN_NAME)) last = `${m[1]}${m[2]}`;
  return last === null ? null : normalizeWell(last);
}

/**
 * Wells of a plate layout CSV: columns `well` and `file` (required), any others kept as annotations.
 * @throws InputError naming the CSV, row and field for a missing column, an empty file cell, a well label that is
 *   not a plate well, or a well given twice
 */
export function plateWellsFromCsv(table: CsvTable, csvFile: string): PlateWell[] {
  for (const c of ['well', 'file'])
    if (!table.columns.includes(c))
      throw new InputError(`the plate layout has no "${c}" column (columns: ${table.columns.join(', ')})`, {
        file: csvFile,
        field: c,
      });
  const seen = new Map<string, number>();
  return table.rows.map((r, k) => {
    const row = k + 1;
    const well = normalizeWell(r['well'] ?? '');
    if (well === null)
      throw new InputError('not a plate well (A1 … P24)', {
        file: csvFile,
        row,
        field: 'well',
        value: r['well'],
      });
    if (seen.has(well))
      throw new InputError(`well given twice (first on row ${seen.get(well)})`, {
        file: csvFile,
        row,
        field: 'well',
        value: well,
      });
    seen.set(well, row);
    const file = r['file'] ?? '';
    if (file === '')
      throw new InputError('no FCS file for this well', { file: csvFile, row, field: 'file', value: file });
    const annotations = Object.fromEntries(
      Object.entries(r).filter(([key]) => key !== 'well' && key !== 'file'),
    );
    return { well, file, row, annotations };
  });
}

/**
 * Wells of a folder of FCS files (names sorted): the well from each file name (`wellFromFileName`), else the
 * file's base name.
 * @throws InputError naming the folder when no file is given or two files name the same well
 */
export function plateWellsFromFiles(files: readonly string[], folder: string): PlateWell[] {
  if (files.length === 0) throw new InputError('no .fcs files in the folder', { file: folder });
  const seen = new Map<string, string>();
  return [...files].sort().map((file) => {
    const base = file.split(/[\\/]/).pop() ?? file;
    const well = wellFromFileName(base) ?? base.replace(/\.(fcs|lmd)$/i, '');
    if (seen.has(well))
      throw new InputError(`two files name well ${well}: ${seen.get(well)} and ${base}`, {
        file: folder,
        field: 'well',
        value: well,
      });
    seen.set(well, base);
    return { well, file, row: null, annotations: {} };
  });
}

function dimensionChannels(d: Dimension, strategy: GatingStrategy): string[] {
  if (d.kind === 'parameter') return [d.name];
  const r = strategy.ratios[d.ratioRef];
  return r ? [r.numerator, r.denominator] : [];
}

/**
 * Checks that every channel a gate uses is in the file, so a missing channel is reported with the gate and the
 * file (instead of the gate engine's channel-only message).
 * @throws InputError `{ file, field: "gate <id>", value: <channel> }` for the first gate dimension naming a
 *   channel that is not among `parameterNames`
 */
export function checkGatingChannels(
  strategy: GatingStrategy,
  parameterNames: readonly string[],
  file: string,
): void {
  const have = { parameterNames: [...parameterNames] };
  for (const g of strategy.gates) {
    if (g.kind === 'boolean') continue;
    const dims: Dimension[] = g.dims.map((d: Dimension | { dim: Dimension }) => ('dim' in d ? d.dim : d));
    for (const d of dims) {
      for (const ch of dimensionChannels(d, strategy)) {
        if (parameterIndex(have, ch) < 0)
          throw new InputError(
            `gate "${g.name ?? g.id}" names channel "${ch}", which is not in the file (channels: ${parameterNames.join(', ')})`,
            { file, field: `gate ${g.id}`, value: ch },
          );
      }
    }
  }
}

/** QC thresholds of a plate run. */
export interface PlateQcSettings {
  /** A well with fewer events fails QC (default 1000). */
  minEvents: number;
  /** Time-stability rule (qc.ts). */
  time: TimeStabilityOptions;
  /** A well with more than this % of events at a channel's upper limit fails QC (default 1). */
  maxMarginPercent: number;
}

/** Default QC settings (docs/flow-plates.md). */
export const DEFAULT_PLATE_QC: PlateQcSettings = { minEvents: 1000, time: {}, maxMarginPercent: 1 };

/** QC of one well. */
export interface WellQc {
  events: number;
  /** Null when the file has no time channel. */
  time: {
    bins: number;
    flaggedBins: number;
    flaggedEventPercent: number;
    timeResets: number;
    stable: boolean;
    /** Flagged bins as [start, end] time ranges (time-channel units). */
    flaggedRanges: [number, number][];
  } | null;
  margin: { anyCount: number; anyPercent: number; worstChannel: string | null; worstPercent: number };
  /** Reasons the well failed QC (empty = passed). */
  flags: string[];
  pass: boolean;
}

/** One population of one well. */
export interface PopulationRow {
  well: string;
  file: string;
  gateId: string;
  /** "/"-joined path from the root gate. */
  population: string;
  count: number;
  parentCount: number;
  percentOfParent: number;
  /** Median per requested channel (NaN for an empty population). */
  mfi: Record<string, number>;
}

/** What `analyzePlateWell` needs of one read file. */
export interface PlateWellInput {
  well: string;
  file: string;
  events: FlowEvents;
  /** $Pn… of the file, in column order (margins). */
  parameters: readonly RangeParameter[];
  strategy: GatingStrategy;
  /** Spillover the gates use for compensation-ref "FCS" (null = none). */
  spillover: SpilloverMatrix | null;
  /** Compute MFIs on compensated values (with `spillover`). */
  compensateMfi: boolean;
  /** Channels ($PnN) whose median is reported per population. */
  mfiChannels: readonly string[];
}

/** QC and population rows of one well. */
export interface PlateWellResult {
  well: string;
  file: string;
  qc: WellQc;
  populations: PopulationRow[];
}

/**
 * QC and gate statistics of one well.
 * @throws InputError naming the file: a gate channel not in the file (`checkGatingChannels`), an MFI channel not
 *   in the file, or the gate engine's errors (unknown references, cycles)
 */
export function analyzePlateWell(
  input: PlateWellInput,
  qcSettings: PlateQcSettings = DEFAULT_PLATE_QC,
): PlateWellResult {
  const { events, file, well } = input;
  checkGatingChannels(input.strategy, events.parameterNames, file);
  const mfiIdx = input.mfiChannels.map((ch) => {
    const i = parameterIndex(events, ch);
    if (i < 0) throw new InputError('MFI channel is not in the file', { file, field: '--mfi', value: ch });
    return i;
  });
  let results;
  try {
    results = applyGates(events, input.strategy, input.spillover);
  } catch (e) {
    if (e instanceof InputError && e.location.file === undefined)
      throw new InputError(`gating: ${e.message}`, { ...e.location, file });
    throw e;
  }
  const mfiEvents = input.compensateMfi && input.spillover ? compensate(events, input.spillover) : events;
  const buf = new Float64Array(events.eventCount);
  const populations = results.map((r) => {
    const mfi: Record<string, number> = {};
    input.mfiChannels.forEach((ch, k) => {
      const col = mfiEvents.columns[mfiIdx[k]!]!;
      let n = 0;
      for (let i = 0; i < events.eventCount; i++) if (r.membership[i]) buf[n++] = col[i]!;
      mfi[ch] = medianInPlace(buf.subarray(0, n));
    });
    return {
      well,
      file,
      gateId: r.id,
      population: r.path.join('/'),
      count: r.count,
      parentCount: r.parentCount,
      percentOfParent: r.percentOfParent,
      mfi,
    };
  });
  return { well, file, qc: wellQc(events, input.parameters, qcSettings), populations };
}

/** Event count, time stability and margin events of one file, with the QC verdict. */
export function wellQc(
  events: FlowEvents,
  parameters: readonly RangeParameter[],
  s: PlateQcSettings,
): WellQc {
  const flags: string[] = [];
  if (events.eventCount < s.minEvents) flags.push(`${events.eventCount} events (< ${s.minEvents})`);
  const ti = parameters.findIndex((p) => p.name.trim().toLowerCase() === 'time');
  let time: WellQc['time'] = null;
  if (ti >= 0) {
    const t = timeStability(events.columns[ti]!, s.time);
    time = {
      bins: t.bins.length,
      flaggedBins: t.flaggedBins,
      flaggedEventPercent: t.flaggedEventPercent,
      timeResets: t.timeResets,
      stable: t.stable,
      flaggedRanges: t.bins.filter((b) => b.flagged).map((b) => [b.start, b.end]),
    };
    if (t.flaggedBins > 0)
      flags.push(`unstable flow: ${t.flaggedBins} of ${t.bins.length} time bins off the median rate`);
    if (t.timeResets > 0) flags.push(`time channel decreases ${t.timeResets} time(s)`);
  }
  const m = marginEvents(events, parameters);
  const worst = m.perChannel.reduce<(typeof m.perChannel)[number] | null>(
    (a, c) => (a === null || c.percent > a.percent ? c : a),
    null,
  );
  if (m.anyPercent > s.maxMarginPercent)
    flags.push(
      `${m.anyPercent.toFixed(2)} % margin events (> ${s.maxMarginPercent} %; most in ${worst?.channel})`,
    );
  return {
    events: events.eventCount,
    time,
    margin: {
      anyCount: m.anyCount,
      anyPercent: m.anyPercent,
      worstChannel: worst && worst.count > 0 ? worst.channel : null,
      worstPercent: worst?.percent ?? 0,
    },
    flags,
    pass: flags.length === 0,
  };
}

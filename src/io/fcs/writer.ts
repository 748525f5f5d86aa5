/**
 * FCS 3.1 writer: one list-mode data set of float32 values (`$DATATYPE F`, `$BYTEORD 1,2,3,4`).
 *
 * Layout: HEADER (58 bytes) | TEXT (delimiter `/`, a delimiter inside a keyword or value doubled) | DATA.
 * No ANALYSIS and no supplemental TEXT (their offsets are written as 0). Offsets follow FCS 3.1 §3.2
 * (Spidlen et al., Cytometry A 2010;77:97): inclusive byte offsets from the start of the data set; a
 * DATA offset above 99 999 999 does not fit the 8-character HEADER field, so both HEADER DATA fields are
 * written as 0 and the offsets are only in TEXT (`$BEGINDATA` / `$ENDDATA`, which are always written).
 * The bytes are deterministic: no date, time or other clock keyword is added.
 */
import { writeFileSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { SpilloverMatrix } from '../../flow/types.js';

/** One parameter (`$Pn…`) to write. */
export interface FcsWriteParameter {
  /** `$PnN` short name (detector / channel, e.g. `FSC-A`, `BV421-A`). */
  name: string;
  /** `$PnS` stain / marker name (e.g. `CD3`), or null/absent for none. */
  stain?: string | null;
  /** `$PnR` range in channel units (default 262144). */
  range?: number;
}

/** What `encodeFcs` / `writeFcs` write. */
export interface FcsWriteData {
  parameters: FcsWriteParameter[];
  /** One column per parameter, all of the same length (events), values in the channel's units. */
  columns: ArrayLike<number>[];
  /** Optional `$SPILLOVER` (names must be parameter names). */
  spillover?: SpilloverMatrix | null;
  /** Optional `$FIL` (file name as recorded in TEXT). */
  fileName?: string | null;
  /**
   * Further keywords (e.g. `$CYT`, `$SRC`, or custom ones such as `CARTO_SAMPLE`). Keywords the writer
   * sets itself (`$PAR`, `$TOT`, `$Pn*`, offsets, …) are refused.
   */
  keywords?: Record<string, string>;
}

/** Internal options (tests). */
export interface FcsEncodeOptions {
  /**
   * Largest offset written in the HEADER (default 99 999 999, the 8-digit limit of FCS 3.1). Tests lower it
   * to exercise the "offsets only in TEXT" path without giant files.
   */
  maxHeaderOffset?: number;
}

const MAX_HEADER_OFFSET = 99_999_999;
const DELIM = '/';
const FLOAT32_MAX = 3.4028234663852886e38;
const RESERVED = /^\$(P\d+[A-Z]|PAR|TOT|DATATYPE|BYTEORD|MODE|NEXTDATA|BEGIN|END|SPILLOVER$|FIL$)/i;

/**
 * Encodes one data set as FCS 3.1 bytes.
 *
 * @param data parameters (names, optional stains and ranges), float columns (one per parameter, equal
 *   lengths), optional spillover matrix, `$FIL` and extra keywords
 * @param options internal: `maxHeaderOffset` (default 99 999 999)
 * @returns the file bytes
 * @throws InputError for no parameters, a column count or column length that does not match, a value that
 *   is not finite or exceeds the float32 range, an empty keyword/value or one that starts with the delimiter
 *   `/` (ambiguous in FCS TEXT), a spillover matrix that is not n×n over parameter names, a reserved keyword
 *   in `keywords`, or a TEXT segment that does not fit the HEADER offsets
 */
export function encodeFcs(data: FcsWriteData, options: FcsEncodeOptions = {}): Uint8Array {
  const maxHeader = options.maxHeaderOffset ?? MAX_HEADER_OFFSET;
  const P = data.parameters.length;
  if (P === 0)
    throw new InputError('an FCS data set needs at least one parameter', { field: '$PAR', value: 0 });
  if (data.columns.length !== P) {
    throw new InputError(`${P} parameters but ${data.columns.length} columns`, {
      field: 'columns',
      value: data.columns.length,
    });
  }
  const nEvents = data.columns[0]!.length;
  if (!Number.isInteger(nEvents) || nEvents < 0)
    throw new InputError('column length is not a whole number of events', {
      field: 'columns',
      value: nEvents,
    });
  data.columns.forEach((c, p) => {
    if (c.length !== nEvents) {
      throw new InputError(
        `column ${data.parameters[p]!.name} has ${c.length} events, the first has ${nEvents}`,
        {
          field: `$P${p + 1}N`,
          value: c.length,
        },
      );
    }
  });
  const names = data.parameters.map((p) => p.name);
  if (new Set(names).size !== names.length)
    throw new InputError('parameter names ($PnN) must be unique', { field: '$PnN', value: names.join(',') });

  // DATA: event-major float32, little-endian.
  const dataBytes = new Uint8Array(nEvents * P * 4);
  const view = new DataView(dataBytes.buffer);
  for (let p = 0; p < P; p++) {
    const col = data.columns[p]!;
    for (let e = 0; e < nEvents; e++) {
      const v = col[e]!;
      if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) {
        throw new InputError(`value of event ${e + 1} is not a finite float32`, {
          field: `$P${p + 1}N ${data.parameters[p]!.name}`,
          value: v,
        });
      }
      view.setFloat32((e * P + p) * 4, v, true);
    }
  }

  // Keywords other than the offsets, in a fixed order.
  const fixed: [string, string][] = [
    ['$BYTEORD', '1,2,3,4'],
    ['$DATATYPE', 'F'],
    ['$MODE', 'L'],
    ['$NEXTDATA', '0'],
    ['$PAR', String(P)],
    ['$TOT', String(nEvents)],
  ];
  data.parameters.forEach((p, i) => {
    const n = i + 1;
    const range = p.range ?? 262144;
    if (!(range > 0) || !Number.isFinite(range))
      throw new InputError('parameter range must be a positive number', { field: `$P${n}R`, value: range });
    fixed.push([`$P${n}N`, p.name], [`$P${n}B`, '32'], [`$P${n}E`, '0,0'], [`$P${n}R`, String(range)]);
    if (p.stain !== undefined && p.stain !== null && p.stain !== '') fixed.push([`$P${n}S`, p.stain]);
  });
  if (data.spillover) fixed.push(['$SPILLOVER', spilloverValue(data.spillover, names)]);
  if (data.fileName !== undefined && data.fileName !== null) fixed.push(['$FIL', data.fileName]);
  for (const [k, v] of Object.entries(data.keywords ?? {})) {
    if (RESERVED.test(k))
      throw new InputError('keyword is set by the FCS writer itself', { field: k, value: v });
    fixed.push([k, v]);
  }
  const seen = new Set<string>();
  for (const [k, v] of fixed) {
    checkField(k, k, 'keyword');
    checkField(v, k, 'value');
    const up = k.toUpperCase();
    if (seen.has(up)) throw new InputError('keyword given twice', { field: k });
    seen.add(up);
  }
  const body = fixed.map(([k, v]) => escape(k) + DELIM + escape(v) + DELIM).join('');
  const bodyBytes = utf8(body);

  // Offsets: TEXT starts right after the HEADER; DATA right after TEXT. The offset keywords' own width
  // changes the TEXT length, so iterate until the layout is stable (at most a few rounds).
  const textBegin = 58;
  let dataBegin = 0;
  let textBytes: Uint8Array = new Uint8Array(0);
  for (let round = 0; round < 10; round++) {
    const dBegin = nEvents > 0 ? dataBegin : 0;
    const dEnd = nEvents > 0 ? dataBegin + dataBytes.length - 1 : 0;
    const offs =
      `$BEGINANALYSIS${DELIM}0${DELIM}$BEGINDATA${DELIM}${dBegin}${DELIM}$BEGINSTEXT${DELIM}0${DELIM}` +
      `$ENDANALYSIS${DELIM}0${DELIM}$ENDDATA${DELIM}${dEnd}${DELIM}$ENDSTEXT${DELIM}0${DELIM}`;
    textBytes = concat(utf8(DELIM + offs), bodyBytes);
    const next = textBegin + textBytes.length;
    if (next === dataBegin) break;
    dataBegin = next;
  }
  const textEnd = textBegin + textBytes.length - 1;
  if (textEnd > maxHeader) {
    throw new InputError(
      `TEXT segment ends at byte ${textEnd}, beyond the HEADER offset limit ${maxHeader}`,
      {
        field: 'TEXT',
        value: textEnd,
      },
    );
  }
  const dataEnd = dataBegin + dataBytes.length - 1;
  const inHeader = nEvents > 0 && dataEnd <= maxHeader;
  const field = (v: number): string => String(v).padStart(8, ' ');
  const header =
    'FCS3.1    ' +
    field(textBegin) +
    field(textEnd) +
    field(inHeader ? dataBegin : 0) +
    field(inHeader ? dataEnd : 0) +
    field(0) +
    field(0);
  return concat(concat(utf8(header), textBytes), dataBytes);
}

/**
 * Writes one data set as an FCS 3.1 file (see `encodeFcs`).
 * @param file output path (overwritten)
 * @throws InputError as `encodeFcs`
 */
export function writeFcs(file: string, data: FcsWriteData, options: FcsEncodeOptions = {}): void {
  writeFileSync(file, encodeFcs(data, options));
}

function spilloverValue(s: SpilloverMatrix, names: string[]): string {
  const n = s.parameterNames.length;
  if (n === 0 || s.values.length !== n || s.values.some((r) => r.length !== n)) {
    throw new InputError('spillover matrix must be n×n over its n parameter names', {
      field: '$SPILLOVER',
      value: n,
    });
  }
  for (const name of s.parameterNames) {
    if (!names.includes(name) || name.includes(','))
      throw new InputError('spillover parameter is not a parameter name ($PnN)', {
        field: '$SPILLOVER',
        value: name,
      });
  }
  const vals = s.values.flat();
  for (const v of vals)
    if (!Number.isFinite(v))
      throw new InputError('spillover value is not finite', { field: '$SPILLOVER', value: v });
  return [String(n), ...s.parameterNames, ...vals.map((v) => String(v))].join(',');
}

function checkField(s: string, keyword: string, what: 'keyword' | 'value'): void {
  if (s.length === 0)
    throw new InputError(`empty ${what} (FCS 3.1 forbids empty keywords and values)`, { field: keyword });
  if (s.startsWith(DELIM)) {
    throw new InputError(
      `${what} starts with the TEXT delimiter "${DELIM}", which FCS cannot escape unambiguously`,
      {
        field: keyword,
        value: s,
      },
    );
  }
}

const escape = (s: string): string => s.split(DELIM).join(DELIM + DELIM);
const encoder = new TextEncoder();
const utf8 = (s: string): Uint8Array => encoder.encode(s);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

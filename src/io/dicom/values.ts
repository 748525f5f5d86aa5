/**
 * The one home of reading values out of a DICOM header record (keyword → value, as dcmjs
 * "naturalised" datasets, the fast header path and `header.json` files carry them): typed getters
 * that tolerate the shapes real headers come in (single value or value array, numbers as numbers or
 * strings, padded strings) and refuse anything else with an `InputError` naming the tag. Also DICOM
 * DA/TM/DT parsing (PS3.5 §6.2, value representations) into "floating" timestamps: milliseconds
 * since 1970-01-01T00:00 of the scanner's local clock (time-zone offsets are ignored: all times of
 * one study share a clock). No I/O. src/imaging never sees these records: it receives typed
 * headers (`pet-header.ts`).
 */
import { InputError } from '../../errors.js';

/** One instance's header: DICOM keyword (or 8-hex-digit private tag) → value. */
export type DicomHeaderRecord = Readonly<Record<string, unknown>>;

/** Where the header came from, for error messages. */
export interface HeaderSource {
  file?: string;
}

/** Value of `key`, looking up private tags case-insensitively (e.g. "0009100d" ≡ "0009100D"). */
export function rawValue(h: DicomHeaderRecord, key: string): unknown {
  if (key in h) return h[key];
  if (/^[0-9A-Fa-f]{8}$/.test(key)) {
    const up = key.toUpperCase();
    for (const k of Object.keys(h)) if (k.toUpperCase() === up) return h[k];
  }
  return undefined;
}

function first(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : (v[0] as unknown);
  return v;
}

/** Trimmed string value (first value of a multi-valued attribute); undefined when absent or empty. */
export function textValue(h: DicomHeaderRecord, key: string, src: HeaderSource = {}): string | undefined {
  const v = first(rawValue(h, key));
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') {
    throw new InputError('expected a text value', { ...src, field: key, value: v });
  }
  const t = v.replace(/\0/g, '').trim();
  return t === '' ? undefined : t;
}

/** All values of a multi-valued text attribute (e.g. CorrectedImage), trimmed and upper-cased. */
export function textValues(h: DicomHeaderRecord, key: string, src: HeaderSource = {}): string[] | undefined {
  const v = rawValue(h, key);
  if (v === undefined || v === null) return undefined;
  const arr: unknown[] = Array.isArray(v) ? v : typeof v === 'string' ? v.split('\\') : [v];
  const out: string[] = [];
  for (const x of arr) {
    if (typeof x !== 'string') throw new InputError('expected text values', { ...src, field: key, value: v });
    const t = x.trim().toUpperCase();
    if (t !== '') out.push(t);
  }
  return out;
}

/**
 * Numeric value (first value of a multi-valued attribute). Accepts numbers and numeric strings
 * (DS/IS as text). Undefined when absent or empty.
 * @throws InputError naming the tag when the value is present but not a finite number.
 */
export function numValue(h: DicomHeaderRecord, key: string, src: HeaderSource = {}): number | undefined {
  const v = first(rawValue(h, key));
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InputError('not a finite number', { ...src, field: key, value: v });
    return v;
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return undefined;
    const x = Number(t);
    if (!Number.isFinite(x)) throw new InputError('not a number', { ...src, field: key, value: v });
    return x;
  }
  throw new InputError('expected a number', { ...src, field: key, value: v });
}

/** All numeric values of a multi-valued attribute (e.g. ImagePositionPatient). */
export function numValues(h: DicomHeaderRecord, key: string, src: HeaderSource = {}): number[] | undefined {
  const v = rawValue(h, key);
  if (v === undefined || v === null) return undefined;
  const arr: unknown[] = Array.isArray(v) ? v : typeof v === 'string' ? v.split('\\') : [v];
  return arr.map((x) => {
    const n = typeof x === 'number' ? x : typeof x === 'string' ? Number(x.trim()) : NaN;
    if (!Number.isFinite(n)) throw new InputError('not a number', { ...src, field: key, value: v });
    return n;
  });
}

/** Items of a sequence attribute (an array of records; a single record counts as one item). */
export function seqItems(h: DicomHeaderRecord, key: string, src: HeaderSource = {}): DicomHeaderRecord[] {
  const v = rawValue(h, key);
  if (v === undefined || v === null) return [];
  const arr: unknown[] = Array.isArray(v) ? v : [v];
  return arr.map((x) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) {
      throw new InputError('expected sequence items (objects)', { ...src, field: key });
    }
    return x as DicomHeaderRecord;
  });
}

/**
 * Parses a DICOM DA value "YYYYMMDD" (also the old "YYYY.MM.DD") → ms of that day's midnight.
 * @throws InputError naming `field` when malformed.
 */
export function parseDicomDate(value: string, field: string, src: HeaderSource = {}): number {
  const t = value.trim().replace(/\./g, '');
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (!m) throw new InputError('malformed DICOM date (DA, expected YYYYMMDD)', { ...src, field, value });
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw new InputError('invalid calendar date', { ...src, field, value });
  }
  return ms;
}

/**
 * Parses a DICOM TM value "HH[MM[SS[.F{1,6}]]]" (also the old "HH:MM:SS") → ms since midnight.
 * @throws InputError naming `field` when malformed.
 */
export function parseDicomTime(value: string, field: string, src: HeaderSource = {}): number {
  const t = value.trim().replace(/:/g, '');
  const m = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/.exec(t);
  if (!m) throw new InputError('malformed DICOM time (TM, expected HHMMSS.FFFFFF)', { ...src, field, value });
  const hh = Number(m[1]);
  const mm = m[2] === undefined ? 0 : Number(m[2]);
  const ss = m[3] === undefined ? 0 : Number(m[3]);
  const frac = m[4] === undefined ? 0 : Number(`0.${m[4]}`);
  if (hh > 23 || mm > 59 || ss > 60) throw new InputError('time out of range', { ...src, field, value });
  return ((hh * 60 + mm) * 60 + ss + frac) * 1000;
}

/**
 * Parses a DICOM DT value "YYYYMMDDHHMMSS.FFFFFF&ZZXX" → floating ms (the UTC offset suffix, if
 * any, is ignored: every time of a study is read on the same clock). At least the date is needed.
 * @throws InputError naming `field` when malformed.
 */
export function parseDicomDateTime(value: string, field: string, src: HeaderSource = {}): number {
  const t = value.trim();
  const m = /^(\d{8})(\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)?([+-]\d{4})?$/.exec(t);
  if (!m) {
    throw new InputError('malformed DICOM date-time (DT, expected YYYYMMDDHHMMSS.FFFFFF)', {
      ...src,
      field,
      value,
    });
  }
  const day = parseDicomDate(m[1]!, field, src);
  const time = m[2] === undefined ? 0 : parseDicomTime(m[2], field, src);
  return day + time;
}

/**
 * Parses an ISO-8601 local date-time "YYYY-MM-DDTHH:MM[:SS[.sss]]" (no zone, the scanner's clock)
 * or a DICOM DT string into a floating timestamp (ms).
 * @throws InputError naming `field` when malformed or when a zone designator is given.
 */
export function parseFloatingDateTime(value: string, field: string, src: HeaderSource = {}): number {
  const t = value.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(t);
  if (m) {
    const day = parseDicomDate(`${m[1]}${m[2]}${m[3]}`, field, src);
    return day + parseDicomTime(`${m[4]}${m[5]}${m[6] ?? '00'}${m[7] ? `.${m[7]}` : ''}`, field, src);
  }
  if (/^\d{8,}/.test(t)) return parseDicomDateTime(t, field, src);
  throw new InputError(
    'malformed date-time (expected local ISO "YYYY-MM-DDTHH:MM:SS" on the scanner clock, no zone)',
    { ...src, field, value },
  );
}

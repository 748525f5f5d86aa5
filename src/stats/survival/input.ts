/**
 * Input validation and sorting shared by the survival routines.
 *
 * Numeric kernels in this folder assume validated input: finite non-negative times, status 0/1.
 * The public functions call `survInput` first, which throws `InputError` naming the field, the
 * 1-based row and the offending value.
 */
import { InputError } from '../../errors.js';
import { compareLevels } from '../design.js';

/** Field names used in error messages (the CLI passes the CSV column names). */
export interface SurvFieldNames {
  time?: string;
  status?: string;
  group?: string;
  strata?: string;
}

/** Validated right-censored survival data: times (any unit, ≥ 0) and status (1 event, 0 censored). */
export interface SurvData {
  time: Float64Array;
  status: Uint8Array;
}

/**
 * Validates and copies `time` / `status`.
 * @param time  follow-up times (any time unit, e.g. days), finite and ≥ 0.
 * @param status 1 = event, 0 = censored (R's `Surv(time, status)` with 0/1 coding).
 * @throws InputError when lengths differ, a time is missing/negative/non-finite, or a status is not 0/1.
 */
export function survInput(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  names: SurvFieldNames = {},
  fixTimes = true,
): SurvData {
  const tName = names.time ?? 'time';
  const sName = names.status ?? 'status';
  const n = time.length;
  if (status.length !== n) {
    throw new InputError(`${sName} has ${status.length} values but ${tName} has ${n}`, { field: sName });
  }
  if (n === 0) throw new InputError('no observations', { field: tName });
  const t = new Float64Array(n);
  const s = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = time[i]!;
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new InputError(`missing ${tName}`, { field: tName, row: i + 1, value: v });
    }
    if (!Number.isFinite(v) || v < 0) {
      throw new InputError(`${tName} must be a finite number ≥ 0`, { field: tName, row: i + 1, value: v });
    }
    t[i] = v === 0 ? 0 : v; // −0 → +0 so that the bit-pattern sort below is numeric
    const st = status[i]!;
    if (st !== 0 && st !== 1) {
      throw new InputError(`${sName} must be 0 (censored) or 1 (event)`, {
        field: sName,
        row: i + 1,
        value: st,
      });
    }
    s[i] = st;
  }
  return { time: fixTimes ? timefix(t) : t, status: s };
}

/**
 * R's `aeqSurv` (the `timefix = TRUE` default of survfit, survdiff, coxph and concordance): distinct
 * times closer than `tol` (absolutely, or relative to the mean |time|) are merged into the smallest of
 * their run, so that e.g. 0.1 + 0.2 and 0.3 count as tied. Returns `time` itself (unchanged) when no
 * times are that close, else a new array.
 */
export function timefix(time: Float64Array, tol = Math.sqrt(Number.EPSILON)): Float64Array {
  const n = time.length;
  if (n < 2) return time;
  const sorted = Float64Array.from(time).sort();
  const uniq: number[] = [];
  let sumAbs = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    if (i === 0 || v !== sorted[i - 1]) {
      uniq.push(v);
      sumAbs += Math.abs(v);
    }
  }
  const meanAbs = sumAbs / uniq.length;
  const cuts: number[] = [uniq[0]!];
  let anyTied = false;
  for (let k = 1; k < uniq.length; k++) {
    const dy = uniq[k]! - uniq[k - 1]!;
    if (dy <= tol || dy / meanAbs <= tol) anyTied = true;
    else cuts.push(uniq[k]!);
  }
  if (!anyTied) return time;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // largest cut ≤ time[i] (R findInterval)
    const v = time[i]!;
    let lo = 0;
    let hi = cuts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (cuts[mid]! <= v) lo = mid;
      else hi = mid - 1;
    }
    out[i] = cuts[lo]!;
  }
  return out;
}

/** Validates a label vector (group / strata) of length n: no missing values. */
export function labelInput(labels: ArrayLike<string>, n: number, field: string): string[] {
  if (labels.length !== n) {
    throw new InputError(`${field} has ${labels.length} values but there are ${n} observations`, { field });
  }
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (v === undefined || v === null || (typeof v === 'string' && (v === '' || v === 'NA'))) {
      throw new InputError(`missing ${field}`, { field, row: i + 1, value: v ?? null });
    }
    out[i] = String(v);
  }
  return out;
}

/**
 * Distinct labels in R's `factor()` order: numeric order when every label parses as a number,
 * otherwise R's `sort()` order on this machine (ICU root collation, `compareLevels` of
 * src/stats/design.ts, e.g. "adeno" < "large" < "Small"). `levels` (optional) fixes the order.
 */
export function factorLevels(
  labels: readonly string[],
  levels?: readonly string[],
  field = 'group',
): string[] {
  const uniq = [...new Set(labels)];
  if (levels !== undefined) {
    const set = new Set(levels);
    for (const u of uniq) {
      if (!set.has(u)) throw new InputError(`value not among the given levels`, { field, value: u });
    }
    return levels.filter((l) => uniq.includes(l));
  }
  const allNumeric = uniq.every((u) => u.trim() !== '' && Number.isFinite(Number(u)));
  if (allNumeric) return uniq.sort((a, b) => Number(a) - Number(b));
  return uniq.sort(compareLevels);
}

/** Integer codes 0..k−1 of `labels` against `levels`. */
export function factorCodes(labels: readonly string[], levels: readonly string[]): Int32Array {
  const map = new Map<string, number>();
  levels.forEach((l, i) => map.set(l, i));
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) codes[i] = map.get(labels[i]!) ?? -1;
  return codes;
}

/**
 * Stable ascending argsort of non-negative finite times (no −0), O(n): see `orderByValue`.
 */
export function orderByTime(time: Float64Array): Uint32Array {
  return orderByValue(time);
}

/**
 * Stable ascending argsort of finite doubles, O(n): LSD radix sort (16-bit digits, constant digits
 * skipped) on the IEEE-754 bit pattern mapped to an unsigned order (sign bit flipped for x ≥ 0, all
 * bits inverted for x < 0). −0 sorts just before +0. Small inputs use a comparison sort.
 * Assumes a little-endian platform (every platform Node supports).
 */
export function orderByValue(values: Float64Array): Uint32Array {
  const n = values.length;
  let idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (n < 4096) {
    return idx.sort((a, b) => values[a]! - values[b]! || a - b);
  }
  const raw = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  const words = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const lo = raw[2 * i]!;
    const hi = raw[2 * i + 1]!;
    if (hi & 0x80000000) {
      words[2 * i] = ~lo >>> 0;
      words[2 * i + 1] = ~hi >>> 0;
    } else {
      words[2 * i] = lo;
      words[2 * i + 1] = (hi | 0x80000000) >>> 0;
    }
  }
  let tmp = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1; // 0 = low 32 bits, 1 = high 32 bits
    const shift = (pass & 1) * 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(words[2 * i + word]! >>> shift) & 0xffff]!++;
    let constant = false;
    for (let b = 0; b < 65536; b++) {
      if (count[b] === n) {
        constant = true;
        break;
      }
      if (count[b]! > 0) break;
    }
    if (constant) continue;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = count[b]!;
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const id = idx[i]!;
      const d = (words[2 * id + word]! >>> shift) & 0xffff;
      tmp[count[d]!++] = id;
    }
    const sw = idx;
    idx = tmp;
    tmp = sw;
  }
  return idx;
}

/**
 * Event status coded as R's `Surv()` accepts it, converted to 1 = event / 0 = censored:
 * logical TRUE/FALSE (also T/F, true/false), numeric 0/1, or numeric 1/2 (used when the largest value
 * is 2: status − 1, as `Surv`).
 * @param values one cell per observation (numbers or strings; null/''/'NA' = missing)
 * @param field column name for error messages; @param file file name for error messages
 * @throws InputError naming the row for a missing value or a value outside the coding (R would turn
 *   such values into NA with a warning; we refuse them).
 */
export function survStatus(
  values: ArrayLike<string | number | null | undefined>,
  field = 'status',
  file?: string,
): Uint8Array {
  const coded = statusFromCodes(values);
  if (coded !== null) return coded;
  const at = file !== undefined ? { file } : {};
  const n = values.length;
  const out = new Uint8Array(n);
  const text = Array.from(values, (v) => (v === null || v === undefined ? '' : String(v).trim()));
  text.forEach((s, i) => {
    if (s === '' || s === 'NA') throw new InputError(`missing ${field}`, { ...at, field, row: i + 1 });
  });
  const logicalTrue = new Set(['TRUE', 'T', 'true', 'True']);
  const logicalFalse = new Set(['FALSE', 'F', 'false', 'False']);
  if (text.every((s) => logicalTrue.has(s) || logicalFalse.has(s))) {
    text.forEach((s, i) => (out[i] = logicalTrue.has(s) ? 1 : 0));
    return out;
  }
  const nums = text.map((s, i) => {
    const v = Number(s);
    if (!Number.isFinite(v) || (v !== 0 && v !== 1 && v !== 2)) {
      throw new InputError(`${field} must be coded 0/1, 1/2 or TRUE/FALSE`, {
        ...at,
        field,
        row: i + 1,
        value: s,
      });
    }
    return v;
  });
  let max = -Infinity;
  for (const v of nums) max = Math.max(max, v);
  const shift = max === 2 ? 1 : 0;
  nums.forEach((v, i) => {
    const s = v - shift;
    if (s !== 0 && s !== 1) {
      throw new InputError(
        shift === 1
          ? `${field} is coded 1/2 (largest value 2) but has a value outside 1/2`
          : `${field} must be coded 0/1, 1/2 or TRUE/FALSE`,
        { ...at, field, row: i + 1, value: text[i] },
      );
    }
    out[i] = s;
  });
  return out;
}

/**
 * The common case of `survStatus` without a string per value: every value is the number 0, 1 or 2
 * (status − 1 when the largest is 2). Null when any value is something else (or 0 beside 2), for
 * `survStatus` to read (and refuse) the values as text.
 */
export function statusFromCodes(values: ArrayLike<string | number | null | undefined>): Uint8Array | null {
  const n = values.length;
  const out = new Uint8Array(n);
  let two = false;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1 && v !== 2) return null;
    out[i] = v;
    if (v === 2) two = true;
  }
  if (two) {
    for (let i = 0; i < n; i++) {
      if (out[i] === 0) return null;
      out[i]!--;
    }
  }
  return out;
}

/**
 * Streaming JSON output: the text of `JSON.stringify(value, replacer, indent)`, written in chunks as it
 * is produced, so a large result (10⁵ curve rows, 10⁶ events) never exists as one string. Arrays and
 * objects are walked element by element; objects whose values are all primitives are left to the
 * native `JSON.stringify` (fast) and re-indented, which is exact because JSON text has no raw line
 * breaks except the ones indentation puts there. Source: ECMA-262 §25.5.2 (JSON.stringify).
 */

/** A JSON.stringify replacer: called with the holder as `this`, the key and the value. */
export type JsonReplacer = (this: unknown, key: string, value: unknown) => unknown;

/** Options of `writeJson`. */
export interface WriteJsonOptions {
  /** As JSON.stringify's replacer function. */
  replacer?: JsonReplacer;
  /** Spaces per indentation level, 0–10 (as JSON.stringify's number `space`); default 0 (compact). */
  indent?: number;
  /** Characters gathered before each `write` call; default 65536. */
  chunkSize?: number;
}

/** Marks a value JSON.stringify leaves out (undefined, a function, a symbol). */
const OMIT = Symbol('omit');

/**
 * Writes `JSON.stringify(value, opts.replacer, opts.indent)` to `write` in chunks; when JSON.stringify
 * would give undefined (value undefined, a function or a symbol) writes the text 'undefined', as a
 * template string of it would. toJSON methods and the replacer are called with the same holder and key
 * as JSON.stringify calls them (one difference: an object with toJSON that the replacer returns in
 * place of a primitive-valued object gets its toJSON called once more).
 * @throws TypeError for a cycle or a BigInt, as JSON.stringify
 */
export function writeJson(value: unknown, write: (chunk: string) => void, opts: WriteJsonOptions = {}): void {
  const replacer = opts.replacer;
  const step = ' '.repeat(Math.max(0, Math.min(10, Math.floor(opts.indent ?? 0))));
  const chunkSize = opts.chunkSize ?? 65536;
  let parts: string[] = [];
  let size = 0;
  const emit = (s: string): void => {
    parts.push(s);
    size += s.length;
    if (size >= chunkSize) {
      write(parts.join(''));
      parts = [];
      size = 0;
    }
  };
  const stack = new Set<object>();

  /** `holder[key]` after toJSON, the replacer and unboxing (SerializeJSONProperty steps 1–4). */
  const transform = (holder: unknown, key: string, v: unknown): unknown => {
    if ((typeof v === 'object' && v !== null) || typeof v === 'bigint') {
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') v = (toJSON as (k: string) => unknown).call(v, key);
    }
    if (replacer) v = replacer.call(holder, key, v);
    if (v instanceof Number) return Number(v);
    if (v instanceof String) return String(v);
    if (v instanceof Boolean) return v.valueOf();
    return v;
  };
  /** The native serialisation of an already transformed value, its replacer skipping the root call. */
  const native = (v: unknown, indent: string): string => {
    let root = true;
    const r = replacer
      ? function (this: unknown, k: string, x: unknown): unknown {
          if (root) {
            root = false;
            return x;
          }
          return replacer.call(this, k, x);
        }
      : undefined;
    const s = JSON.stringify(v, r, step);
    return indent === '' || step === '' ? s : s.replace(/\n/g, `\n${indent}`);
  };
  const primitiveValued = (v: object): boolean => {
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'object' && x !== null) return false;
    }
    return true;
  };
  /** Emits a transformed value; returns OMIT (and emits nothing) for what JSON leaves out. */
  const serialize = (v: unknown, indent: string): typeof OMIT | undefined => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') {
      emit(JSON.stringify(v));
      return undefined;
    }
    if (typeof v === 'bigint') JSON.stringify(v); // throws TypeError, as JSON.stringify
    if (typeof v !== 'object' || v === null) return OMIT;
    if (stack.has(v)) throw new TypeError('Converting circular structure to JSON');
    const inner = indent + step;
    const open = step === '' ? '' : `\n${inner}`;
    const close = step === '' ? '' : `\n${indent}`;
    const colon = step === '' ? ':' : ': ';
    stack.add(v);
    if (Array.isArray(v)) {
      if (v.length === 0) emit('[]');
      else {
        emit(`[${open}`);
        for (let i = 0; i < v.length; i++) {
          if (i > 0) emit(`,${open}`);
          if (serialize(transform(v, String(i), v[i]), inner) === OMIT) emit('null');
        }
        emit(`${close}]`);
      }
    } else if (primitiveValued(v)) {
      emit(native(v, indent));
    } else {
      let first = true;
      for (const k of Object.keys(v)) {
        const x = transform(v, k, (v as Record<string, unknown>)[k]);
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        emit(`${first ? '{' : ','}${open}${JSON.stringify(k)}${colon}`);
        first = false;
        serialize(x, inner);
      }
      emit(first ? '{}' : `${close}}`);
    }
    stack.delete(v);
    return undefined;
  };

  if (serialize(transform({ '': value }, '', value), '') === OMIT) emit('undefined');
  if (size > 0) write(parts.join(''));
}

/**
 * Strict JSON input (study.json and its `analysis` block): parses a value with a zod schema whose objects
 * are strict at every level, and turns the first zod issue into an InputError that names the file, the
 * dotted field and the offending value; an unknown key names the nearest known key
 * ("unknown key `matvThresholdSUV` (did you mean `matvThresholdSuv`?)").
 */
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { unknownNameHint } from '../nearest-name.js';

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  entries?: Record<string, unknown>;
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema without its optional/default/nullable/pipe wrappers. */
function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const d = defOf(s);
    if (d.innerType !== undefined) s = d.innerType;
    else if (d.type === 'pipe' && d.in !== undefined) s = d.in;
    else return s;
  }
}

/** The keys an object (or enum-keyed record) schema allows at `path` inside `schema`; [] when unknown. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s = unwrap(schema);
  for (const k of path) {
    const d = defOf(s);
    if (d.type === 'object' && d.shape && typeof k === 'string' && d.shape[k]) s = unwrap(d.shape[k]);
    else if (d.type === 'array' && d.element) s = unwrap(d.element);
    else if (d.type === 'record' && d.valueType) s = unwrap(d.valueType);
    else return [];
  }
  const d = defOf(s);
  if (d.type === 'object' && d.shape) return Object.keys(d.shape);
  if (d.type === 'record' && d.keyType) {
    const entries = defOf(unwrap(d.keyType)).entries;
    return entries ? Object.keys(entries) : [];
  }
  return [];
}

/** Dotted field of a zod path, with array indices in brackets (`flow.populations[0].label`). */
function dotted(prefix: string | undefined, path: readonly PropertyKey[]): string | undefined {
  let out = prefix ?? '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out === '' ? undefined : out;
}

/**
 * Parses `input` with `schema`; on failure throws an InputError for the first issue.
 *
 * @param where.file the file the value came from (named in the error)
 * @param where.field the dotted field of `input` inside that file (e.g. 'analysis'), prefixed to every
 *   issue's path; absent for a whole file
 * @returns the parsed value
 * @throws InputError naming file, dotted field and value; an unknown key names the object that holds it
 *   and the nearest known key (or the known keys)
 */
export function parseStrict<T>(
  schema: z.ZodType<T>,
  input: unknown,
  where: { file?: string; field?: string },
): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const file = where.file !== undefined ? { file: where.file } : {};
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known = knownKeysAt(schema, issue.path);
    const holder = dotted(where.field, issue.path);
    throw new InputError(
      `unknown ${holder === undefined ? 'top-level ' : ''}key \`${key}\` (${unknownNameHint(key, known)})`,
      { ...file, ...(holder !== undefined ? { field: holder } : {}) },
    );
  }
  let value: unknown = input;
  for (const k of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[k];
  const field = dotted(where.field, issue.path);
  const message =
    issue.code === 'invalid_type' && value === undefined ? 'required field is missing' : issue.message;
  throw new InputError(message, {
    ...file,
    ...(field !== undefined ? { field } : {}),
    ...(value !== undefined ? { value } : {}),
  });
}

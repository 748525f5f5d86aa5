/**
 * Error types shared by every module.
 *
 * Two layers (docs/references/engineering.md §1): numeric kernels return NaN and never throw; the API
 * boundary validates and throws one of these, with a message that names the file, the field and the
 * offending value. The CLI maps `CartoError` to exit code 2 (user input) and anything else to 1.
 */

/** Where a bad value was found: any subset of file, row (1-based data row), column/field, value. */
export interface ErrorLocation {
  /** Path of the file that holds the bad value. */
  file?: string;
  /** 1-based data row of a CSV table (the header is row 0). */
  row?: number;
  /** Column, DICOM keyword/tag, JSON field or CLI option that holds the bad value. */
  field?: string;
  /** The offending value, as read. */
  value?: unknown;
}

/** Base class of every error Cartography raises on purpose. */
export class CartoError extends Error {
  readonly location: ErrorLocation;
  constructor(message: string, location: ErrorLocation = {}) {
    super(formatMessage(message, location));
    this.name = 'CartoError';
    this.location = location;
  }
}

/** Bad user input: a file, a table row, a header tag, an option. */
export class InputError extends CartoError {
  constructor(message: string, location: ErrorLocation = {}) {
    super(message, location);
    this.name = 'InputError';
  }
}

/** A computation that cannot give a right answer from what it was given (e.g. singular model). */
export class ComputationError extends CartoError {
  constructor(message: string, location: ErrorLocation = {}) {
    super(message, location);
    this.name = 'ComputationError';
  }
}

/**
 * `file, row N, field F: message (value: V)`; a field that is a command-line option (`--db`) is
 * called "option". Numbers are shown as JavaScript prints them (NaN, Infinity), strings quoted.
 */
export function formatMessage(message: string, loc: ErrorLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.row !== undefined) parts.push(`row ${loc.row}`);
  if (loc.field !== undefined) parts.push(`${loc.field.startsWith('-') ? 'option' : 'field'} ${loc.field}`);
  const where = parts.length > 0 ? `${parts.join(', ')}: ` : '';
  const value = loc.value !== undefined ? ` (value: ${formatValue(loc.value)})` : '';
  return `${where}${message}${value}`;
}

/** A value for a message: numbers as printed (NaN, -Infinity), strings quoted, others as JSON. */
export function formatValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  try {
    const s = JSON.stringify(v, (_k, x: unknown) =>
      typeof x === 'number' && !Number.isFinite(x) ? String(x) : x,
    );
    return s ?? typeof v;
  } catch {
    return typeof v; // a cyclic object: its type is all a one-line message can say
  }
}

/** The part of a zod issue that `schemaIssueToInputError` reads (zod 4 `$ZodIssue`). */
export interface SchemaIssue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: string;
  keys?: readonly string[];
  values?: readonly unknown[];
}

/** What a JSON value is, for "expected number, got string": null, array, or its typeof. */
function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Turns the first issue of a schema (zod) validation into an `InputError` naming the field and the
 * value found there. zod 4 does not copy the input into its issues, so the value is looked up in
 * `input` along the issue's path: a field that is absent is "required field is missing", one of the
 * wrong type is "expected number, got string" with the value, an unknown key is named as such.
 * @param issue the first zod issue (`error.issues[0]`)
 * @param input the object that was validated
 * @param loc file (and row) to name; `fieldPrefix` is prepended to the issue's path (e.g. "flow")
 */
export function schemaIssueToInputError(
  issue: SchemaIssue | undefined,
  input: unknown,
  loc: { file?: string; row?: number; fieldPrefix?: string } = {},
): InputError {
  const { fieldPrefix, ...where } = loc;
  if (!issue) return new InputError('invalid input', where);
  if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0) {
    const parent = [fieldPrefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '');
    const first = [...parent, issue.keys[0]!].join('.');
    return new InputError(`unknown field(s): ${issue.keys.join(', ')}`, { ...where, field: first });
  }
  const path = [fieldPrefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '');
  const field = path.length > 0 ? path.join('.') : undefined;
  let value: unknown = input;
  for (const k of issue.path) {
    value =
      value !== null && typeof value === 'object'
        ? (value as Record<PropertyKey, unknown>)[k as string]
        : undefined;
  }
  const at = { ...where, ...(field !== undefined ? { field } : {}) };
  if (value === undefined && issue.code === 'invalid_type') {
    const expected = issue.expected ? ` (expected ${issue.expected})` : '';
    return new InputError(`required field is missing${expected}`, at);
  }
  if (issue.code === 'invalid_type') {
    return new InputError(`expected ${issue.expected ?? 'another type'}, got ${jsonTypeName(value)}`, {
      ...at,
      value,
    });
  }
  if (issue.code === 'invalid_value' && issue.values) {
    return new InputError(`must be one of ${issue.values.map((v) => formatValue(v)).join(', ')}`, {
      ...at,
      value,
    });
  }
  return new InputError(issue.message, value === undefined ? at : { ...at, value });
}

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

function formatMessage(message: string, loc: ErrorLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.row !== undefined) parts.push(`row ${loc.row}`);
  if (loc.field !== undefined) parts.push(`field ${loc.field}`);
  const where = parts.length > 0 ? `${parts.join(', ')}: ` : '';
  const value = loc.value !== undefined ? ` (value: ${JSON.stringify(loc.value)})` : '';
  return `${where}${message}${value}`;
}

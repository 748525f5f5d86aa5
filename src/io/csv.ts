/**
 * CSV reading and writing for Node: `readCsv` reads a file; the rest (`parseCsv`, the header checks,
 * `formatCsv`, …) lives in src/io/csv-text.ts, which has no Node API (the web app imports it), and is
 * re-exported here. The grammar has one home, the byte scanner of src/io/csv-bytes.ts.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { parseCsv, type CsvTable } from './csv-text.js';

export {
  checkedHeader,
  checkSeparator,
  csvCell,
  csvColumnCells,
  formatCsv,
  parseCsv,
  type CsvTable,
} from './csv-text.js';

/** Reads and parses a CSV file (see `parseCsv`); a missing file is an InputError naming it. */
export function readCsv(file: string, separator = ',', sepOption?: string): CsvTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read CSV file: ${(e as Error).message}`, { file });
  }
  return parseCsv(bytes, file, separator, sepOption);
}

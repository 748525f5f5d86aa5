/**
 * FCS spillover keywords (`$SPILLOVER` FCS 3.1, BD `SPILL` / `$SPILL`): parsing, the MACSQuant names-only form,
 * and which matrix a sample is compensated with. Source: FCS 3.1 (Spidlen et al. 2010) §3.2.20.
 */
import { InputError } from '../../errors.js';
import type { SpilloverMatrix } from '../../flow/types.js';
import type { FcsDataSet } from './reader.js';

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

/**
 * SUV scale factors of a DICOM file, a series folder, or a `header.json` (one instance's header as
 * keyword → value, or an array of them; sequences as dcmjs naturalised arrays of items; private
 * attributes by 8-hex-digit tag). Every source goes through the typed header model (pet-header.ts);
 * the rules live in src/imaging/suv.ts.
 */
import { stat } from 'node:fs/promises';
import { InputError } from '../../errors.js';
import { readRegularFile } from '../files.js';
import type { SuvOptions, SuvResult } from '../../imaging/suv.js';
import type { DicomHeaderRecord } from './values.js';
import { pickPetHeader } from './header.js';
import { readDicomFile } from './parse.js';
import { expandFrames, isMultiFrame } from './enhanced.js';
import { readSeriesHeaders } from './series.js';
import { petSuvFactors } from './pet-header.js';

/**
 * Reads a header.json file: a JSON object (one instance) or a non-empty array of objects.
 * @throws InputError naming the file for unreadable JSON or a wrong shape
 */
export async function readHeaderJson(file: string): Promise<DicomHeaderRecord[]> {
  // A header is a few kB: 64 MiB is generous and keeps /dev/zero or a huge file out.
  const text = Buffer.from(await readRegularFile(file, { maxBytes: 64 << 20 })).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, { file });
  }
  const items: unknown[] = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new InputError('empty array: no instance headers', { file });
  items.forEach((x, i) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) {
      throw new InputError(`item ${i} is not an object of DICOM keyword → value`, { file, row: i + 1 });
    }
  });
  return items as DicomHeaderRecord[];
}

/** Where the headers came from. */
export type SuvFactorSource = 'series' | 'dicom-file' | 'header-json';

/**
 * SUV scale factors for `input`: a series folder (instances sorted along the slice normal), a
 * single DICOM file, or a header.json file.
 * @param input path of a folder, a .dcm (any name) or a .json file
 * @param opts SUV type and explicit overrides (see `SuvOptions`)
 * @returns one factor per instance and the series-level facts
 * @throws InputError from the readers (file, tag) or from the SUV rules (tag)
 */
export async function readSuvFactors(
  input: string,
  opts: SuvOptions = {},
): Promise<SuvResult & { source: SuvFactorSource }> {
  const s = await stat(input).catch((err: Error) => {
    throw new InputError(`cannot open: ${err.message}`, { file: input });
  });
  if (s.isDirectory()) {
    // Every time frame of a dynamic series gets its own factors; entries are listed frame by frame.
    const series = await readSeriesHeaders(input);
    const per = series.frames.map((instances) =>
      petSuvFactors(
        instances.map((i) => i.header),
        opts,
        instances.map((i) => ({ file: i.file })),
      ),
    );
    return { factors: per.flatMap((r) => r.factors), meta: per[0]!.meta, source: 'series' };
  }
  if (input.toLowerCase().endsWith('.json')) {
    const headers = await readHeaderJson(input);
    return {
      ...petSuvFactors(
        headers,
        opts,
        headers.map(() => ({ file: input })),
      ),
      source: 'header-json',
    };
  }
  const parsed = await readDicomFile(input);
  const h = pickPetHeader(parsed.dataset);
  // An Enhanced (multi-frame) file gives one entry per frame.
  const headers = isMultiFrame(h) ? expandFrames(h, input) : [h];
  return {
    ...petSuvFactors(
      headers,
      opts,
      headers.map(() => ({ file: input })),
    ),
    source: 'dicom-file',
  };
}

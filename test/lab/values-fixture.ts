/**
 * Test helper: samples and a readout from a values table written by an R golden script (columns sample,
 * condition, donor, replicate, day, value), for `readoutStatistics`.
 */
import { join } from 'node:path';
import { readCsv } from '../../src/io/csv.js';
import type { Sample } from '../../src/lab/experiment.js';
import type { Readout } from '../../src/lab/readouts.js';

export const goldenDir = new URL('./golden/', import.meta.url).pathname;

/** The samples and the readout of test/lab/golden/<file>. */
export function fromValues(file: string): { samples: Map<string, Sample>; readout: Readout } {
  const samples = new Map<string, Sample>();
  const values = new Map<string, number>();
  readCsv(join(goldenDir, file)).rows.forEach((r, i) => {
    const id = r['sample']!;
    samples.set(id, {
      id,
      row: i + 1,
      levels: { condition: r['condition']! },
      donor: r['donor']!,
      replicate: Number(r['replicate']),
      time: Number(r['day']),
    });
    values.set(id, Number(r['value']));
  });
  return { samples, readout: { id: 'x', assay: 'counts', title: 'x', unit: '', values, notes: [] } };
}

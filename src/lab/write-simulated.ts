/**
 * Writes a virtual lab experiment (src/sim/lab.ts) as an experiment bundle (docs/experiment-bundle.md):
 * experiment.json, samples.csv, the assay tables, fcs/*.fcs, gating.xml and truth.json. I/O only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatCsv } from '../io/csv.js';
import { writeFcs } from '../io/fcs/writer.js';
import { writeOutputFolder } from '../io/output-folder.js';
import { simulateLab, type SimulatedLab } from '../sim/lab.js';

/** Table files of the bundle and the columns they hold, in order. */
const TABLES: [keyof SimulatedLab, string, string[]][] = [
  ['samples', 'samples.csv', ['sample', 'condition', 'donor', 'replicate', 'day']],
  ['cytotoxicity', 'cytotoxicity.csv', ['plate', 'target', 'role', 'sample', 'effector_target_ratio', 'cpm']],
  ['cytokines', 'cytokines.csv', ['plate', 'role', 'analyte', 'concentration', 'sample', 'signal']],
  ['qpcr', 'qpcr.csv', ['plate', 'sample', 'target', 'ct']],
  ['counts', 'counts.csv', ['sample', 'population', 'cells_per_ml']],
  ['flow', 'flow.csv', ['sample', 'file', 'gating']],
];

/**
 * Writes the simulated experiment's files into the existing empty folder `dir`.
 * @returns the simulation (truth included) and the files written, relative to `dir`
 */
export function writeSimulatedLabFiles(dir: string, seed: number): { sim: SimulatedLab; files: string[] } {
  const sim = simulateLab(seed);
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    writeFileSync(join(dir, name), text);
    files.push(name);
  };
  put('experiment.json', `${JSON.stringify(sim.experimentJson, null, 2)}\n`);
  for (const [key, name, columns] of TABLES)
    put(name, formatCsv(columns, sim[key] as Record<string, string | number>[]));
  put('gating.xml', sim.gatingMl);
  for (const [name, data] of sim.fcs) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFcs(join(dir, name), data);
    files.push(name);
  }
  put('truth.json', `${JSON.stringify(sim.truth, null, 2)}\n`);
  return { sim, files };
}

/**
 * Writes a simulated experiment bundle at `out` under the output-folder rule (src/io/output-folder.ts, kind
 * `lab-bundle`): nothing is left half-written, only an earlier lab bundle is replaced.
 * @throws InputError when `out` is refused
 */
export async function writeSimulatedLab(
  out: string,
  seed: number,
): Promise<{ sim: SimulatedLab; files: string[] }> {
  return writeOutputFolder(out, { kind: 'lab-bundle', option: '--out' }, (dir) =>
    writeSimulatedLabFiles(dir, seed),
  );
}

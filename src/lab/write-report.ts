/**
 * `carto lab`: reads an experiment bundle (src/lab/read.ts), analyses every readout (src/lab/report.ts) and
 * writes the report folder — `index.html` (self-contained), `results.json`, `tables/<id>.csv`,
 * `figures/<id>.svg` — under the output-folder rule (src/io/output-folder.ts, kind `lab`). I/O only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatCsv } from '../io/csv.js';
import { writeOutputFolder } from '../io/output-folder.js';
import { figureToSvg } from '../report/figures.js';
import { renderReportHtml } from '../report/html.js';
import { readExperiment, type LabExperiment } from './read.js';
import { labResultsDocument, labSections, type LabSection } from './report.js';
import { writeSimulatedLabFiles } from './write-simulated.js';
import type { SimulatedLab } from '../sim/lab.js';

/** JSON replacer: non-finite numbers become null. */
function replacer(_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

/**
 * Writes the report of an analysed experiment into the existing empty folder `dir`.
 * @returns the files written, relative to `dir`
 */
export async function writeLabReportFiles(
  dir: string,
  exp: LabExperiment,
  sections: LabSection[],
): Promise<string[]> {
  mkdirSync(join(dir, 'tables'), { recursive: true });
  mkdirSync(join(dir, 'figures'), { recursive: true });
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    writeFileSync(join(dir, name), text);
    files.push(name);
  };
  const figureSvg = new Map<string, string>();
  for (const { section: s } of sections) {
    for (const f of s.figures) {
      const svg = await figureToSvg(f);
      figureSvg.set(f.id, svg);
      put(`figures/${f.id}.svg`, svg);
    }
    for (const t of s.tables) put(`tables/${t.id}.csv`, formatCsv(t.columns, t.rows));
  }
  const doc = labResultsDocument(exp.design, sections, { warnings: exp.warnings, fcsFiles: exp.fcsFiles });
  put('results.json', `${JSON.stringify(doc, replacer, 2)}\n`);
  const design = exp.design;
  const subtitle =
    `${exp.samples.length} samples: ${design.factors.map((f) => `${f.name} (${f.levels.join(', ')}; control ${f.control})`).join(' × ')}` +
    (design.donors ? ` × ${design.donors.levels.length} donors (${design.donors.model})` : '') +
    ` × ${design.replicates} replicates` +
    (design.time ? ` × ${design.time.name} ${design.time.levels.join(', ')}` : '') +
    (exp.warnings.length > 0 ? `. Stated: ${exp.warnings.join('; ')}` : '');
  put(
    'index.html',
    renderReportHtml({
      title: `${design.name} — Cartography lab report`,
      subtitle,
      sections: sections.map((x) => x.section),
      figureSvg,
    }),
  );
  return files;
}

/**
 * Reads, analyses and reports an experiment bundle at `out`.
 * @param onFcs progress after each FCS file
 * @returns the experiment, its sections and the files written
 * @throws InputError for bad input (see readExperiment) or a refused output folder; nothing is written then
 */
export async function runLab(
  experiment: string,
  out: string,
  onFcs: (done: number, total: number) => void = () => undefined,
): Promise<{ exp: LabExperiment; sections: LabSection[]; files: string[] }> {
  const exp = readExperiment(experiment, onFcs);
  const sections = labSections(exp.readouts, exp.samples, exp.design);
  const files = await writeOutputFolder(out, { kind: 'lab', option: '--out', inputs: [exp.dir] }, (dir) =>
    writeLabReportFiles(dir, exp, sections),
  );
  return { exp, sections, files };
}

/**
 * `carto demo --lab`: a virtual experiment (src/sim/lab.ts) written to `<out>/bundle` and its report to
 * `<out>/report`, committed as one folder under the output rule (kind `demo`).
 * @returns the experiment, its sections and the simulation's truth, with the folders as committed
 */
export async function runLabDemo(
  out: string,
  seed: number,
  onFcs: (done: number, total: number) => void = () => undefined,
): Promise<{
  exp: LabExperiment;
  sections: LabSection[];
  files: string[];
  bundleDir: string;
  reportDir: string;
  truth: SimulatedLab['truth'];
}> {
  const abs = resolve(out);
  const r = await writeOutputFolder(abs, { kind: 'demo', option: '--out' }, async (dir) => {
    mkdirSync(join(dir, 'bundle'));
    mkdirSync(join(dir, 'report'));
    const { sim } = writeSimulatedLabFiles(join(dir, 'bundle'), seed);
    const exp = readExperiment(join(dir, 'bundle'), onFcs);
    const sections = labSections(exp.readouts, exp.samples, exp.design);
    const files = await writeLabReportFiles(join(dir, 'report'), exp, sections);
    return { exp, sections, files, truth: sim.truth };
  });
  return { ...r, bundleDir: join(abs, 'bundle'), reportDir: join(abs, 'report') };
}

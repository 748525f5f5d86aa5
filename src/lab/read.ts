/**
 * Reading an experiment bundle (docs/experiment-bundle.md): experiment.json, samples.csv and each assay's raw
 * files, with every path confined to the bundle folder (src/study/bundle-paths.ts). This module does the I/O;
 * the computations are in src/lab/experiment.ts and src/lab/readouts.ts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { usesFileCompensation, type GatingStrategy } from '../flow/gates.js';
import type { SpilloverMatrix } from '../flow/types.js';
import { readCsv, type CsvTable } from '../io/csv.js';
import { readFcs, sampleSpillover } from '../io/fcs/reader.js';
import { readFlowJoWorkspace, strategyForSample, type FlowJoWorkspace } from '../io/flowjo.js';
import { readGatingMl } from '../io/gatingml.js';
import { unknownNameHint } from '../nearest-name.js';
import { BundlePaths } from '../study/bundle-paths.js';
import { checkColumns, readTable, RowReader, type TableSpec } from '../study/row-reader.js';
import {
  balanceWarnings,
  parseExperimentJson,
  readSamples,
  sampleColumns,
  type ExperimentDesign,
  type Sample,
} from './experiment.js';
import {
  checkReadoutIds,
  countReadouts,
  cytokineReadouts,
  cytotoxicityReadouts,
  LAB_TABLES,
  qpcrReadouts,
  sampleOf,
  samplesById,
  samplesTableSpec,
  type Readout,
} from './readouts.js';
import {
  flowReadouts,
  flowReadoutValues,
  gateFlowSample,
  readsChannels,
  type GatedFlowSample,
} from './flow-readouts.js';
import { derivedReadouts } from './derived.js';

/** An experiment as read: design, samples, readouts and what was stated about them. */
export interface LabExperiment {
  /** Absolute bundle folder. */
  dir: string;
  /** experiment.json's path. */
  file: string;
  design: ExperimentDesign;
  samples: Sample[];
  readouts: Readout[];
  /** Stated, not refused: an unbalanced design, QC notes. */
  warnings: string[];
  /** FCS files read. */
  fcsFiles: number;
}

/**
 * Reads and validates an experiment bundle.
 * @param path the bundle folder (or its experiment.json)
 * @param onFcs progress after each FCS file (done, total)
 * @throws InputError naming file, row, field and value for every bad input: experiment.json (unknown key, bad
 *   value), samples.csv (level not in the design, duplicate sample), an assay table (unknown sample, bad
 *   number, missing column), a path outside the bundle or missing (an FCS file that is not there), an FCS file
 *   or gating that cannot be read, a gate on a channel the FCS file does not have
 */
export function readExperiment(
  path: string,
  onFcs: (done: number, total: number) => void = () => undefined,
): LabExperiment {
  const abs = resolve(path);
  const dir = existsSync(abs) && statSync(abs).isFile() ? dirname(abs) : abs;
  const file = join(dir, 'experiment.json');
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError('experiment bundle folder not found', { file: abs });
  if (!existsSync(file)) throw new InputError('experiment.json is missing from the bundle', { file });
  const paths = new BundlePaths(dir, []);
  paths.checkOwnFile(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  const design = parseExperimentJson(raw, file);
  const samplesTable = readTable(dir, samplesTableSpec(sampleColumns(design)), { paths })!;
  const samples = readSamples(samplesTable, design);
  if (samples.length === 0) throw new InputError('no samples', { file: samplesTable.file });
  const byId = samplesById(samples);
  const warnings = balanceWarnings(samples, design);
  const a = design.assays;
  const table = (field: string, value: string, spec: TableSpec): CsvTable => {
    const p = paths.resolve(value, { file, field });
    const t = readCsv(p);
    checkColumns(t, { ...spec, name: basename(p) });
    return t;
  };
  const readouts: Readout[] = [];
  if (a.cytotoxicity)
    readouts.push(
      ...cytotoxicityReadouts(
        table('assays.cytotoxicity.file', a.cytotoxicity.file, LAB_TABLES.cytotoxicity),
        byId,
      ),
    );
  if (a.cytokines)
    readouts.push(
      ...cytokineReadouts(
        table('assays.cytokines.file', a.cytokines.file, LAB_TABLES.cytokines),
        byId,
        a.cytokines,
      ),
    );
  if (a.qpcr)
    readouts.push(
      ...qpcrReadouts(table('assays.qpcr.file', a.qpcr.file, LAB_TABLES.qpcr), byId, a.qpcr.reference),
    );
  let fcsFiles = 0;
  if (a.flow) {
    const t = table('assays.flow.file', a.flow.file, LAB_TABLES.flow);
    const perSample = readFlow(t, byId, paths, a.flow, file, onFcs);
    fcsFiles = perSample.size;
    readouts.push(...flowReadouts(a.flow.readouts, perSample));
  }
  if (a.counts)
    readouts.push(...countReadouts(table('assays.counts.file', a.counts.file, LAB_TABLES.counts), byId));
  checkReadoutIds(readouts, file);
  readouts.push(...derivedReadouts(design, readouts, byId, file));
  checkReadoutIds(readouts, file);
  for (const r of readouts) warnings.push(...r.notes.map((n) => `${r.id}: ${n}`));
  return { dir, file, design, samples, readouts, warnings, fcsFiles };
}

/** Reads every FCS file of flow.csv with its gating; returns the flow readout values per sample. */
function readFlow(
  t: CsvTable,
  samples: Map<string, Sample>,
  paths: BundlePaths,
  flow: NonNullable<ExperimentDesign['assays']['flow']>,
  experimentFile: string,
  onFcs: (done: number, total: number) => void,
): Map<string, number[]> {
  const gatingMl = new Map<string, GatingStrategy>();
  const workspaces = new Map<string, FlowJoWorkspace>();
  const rows = t.rows.map((_, i) => {
    const r = new RowReader(t, i);
    return {
      r,
      sample: sampleOf(r, 'sample', samples).id,
      fcs: r.path('file', paths, true),
      gating: r.path('gating', paths, true),
      workspaceSample: r.optionalString('workspace_sample'),
      dataSet: r.number('data_set', false, { integer: true, min: 0 }) ?? 0,
    };
  });
  const needsChannels = flow.readouts.some(readsChannels);
  const gate = (x: (typeof rows)[number]): GatedFlowSample => {
    const ds = readFcs(x.fcs, { dataSet: x.dataSet });
    let strategy: GatingStrategy;
    let gatingSpillover: SpilloverMatrix | null = null;
    if (/\.wsp$/i.test(x.gating)) {
      let ws = workspaces.get(x.gating);
      if (!ws) workspaces.set(x.gating, (ws = readFlowJoWorkspace(x.gating)));
      const chosen = strategyForSample(ws, x.workspaceSample ?? x.fcs, ds.keywords);
      strategy = chosen.strategy;
      gatingSpillover = chosen.spillover;
    } else {
      let g = gatingMl.get(x.gating);
      if (!g) gatingMl.set(x.gating, (g = readGatingMl(x.gating)));
      strategy = g;
    }
    const asked = flow.compensate || usesFileCompensation(strategy);
    const spill = asked ? sampleSpillover(ds, gatingSpillover, asked) : null;
    return gateFlowSample(ds.events!, strategy, spill, needsChannels && flow.compensate, x);
  };
  // Control samples (undivided / FMO) are gated once and kept while the files are read.
  const controls = new Map<string, GatedFlowSample>();
  const control = (sample: string, field: string): GatedFlowSample => {
    let c = controls.get(sample);
    if (c) return c;
    const x = rows.find((y) => y.sample === sample);
    if (!x)
      throw new InputError(
        `control sample has no FCS file in ${basename(t.file)} (${unknownNameHint(
          sample,
          rows.map((y) => y.sample),
        )})`,
        { file: experimentFile, field, value: sample },
      );
    controls.set(sample, (c = gate(x)));
    return c;
  };
  const out = new Map<string, number[]>();
  rows.forEach((x, i) => {
    if (out.has(x.sample)) x.r.fail('sample', 'sample has a second FCS file', x.sample);
    const g = controls.get(x.sample) ?? gate(x);
    out.set(
      x.sample,
      flowReadoutValues(g, flow.readouts, { gating: x.gating, experiment: experimentFile, control }),
    );
    onFcs(i + 1, rows.length);
  });
  return out;
}

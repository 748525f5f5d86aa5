/**
 * The first step of every import (`carto import`, `carto run`, `carto submit`): read and validate a
 * study bundle and compute everything that needs no database (content hash, qPCR copies per cell, the
 * lab assays), so that an error here leaves the database unchanged.
 */
import { join, relative } from 'node:path';
import { qpcrCopiesPerCell, type QpcrStudyResult } from '../assays/qpcr-study.js';
import { cytokineConcentrations, type BelowLloqRule } from '../assays/cytokine-study.js';
import type { CurveModel } from '../assays/curves.js';
import { lysisOfStudy } from '../assays/lysis-study.js';
import { InputError } from '../errors.js';
import { readBundle, type StudyBundle } from '../study/bundle.js';
import type { LabAssays } from '../study/model.js';
import { flowOfStudy } from './flow.js';
import { bundleContentHash } from './hash.js';
import { requirePacsUrls } from './quantify.js';

/** Progress callbacks of the pipeline (the CLI draws bars from them). */
export interface PipelineProgress {
  stage(name: string, total: number): void;
  tick(detail?: string): void;
  done(): void;
}

/** A progress reporter that reports nothing. */
export const silent: PipelineProgress = {
  stage: () => undefined,
  tick: () => undefined,
  done: () => undefined,
};

/** A validated bundle with what the store needs besides its scans' quantification. */
export interface PreparedBundle {
  bundle: StudyBundle;
  /** SHA-256 of the bundle's content (hash.ts). */
  contentHash: string;
  qpcr?: QpcrStudyResult;
  labAssays?: LabAssays;
  /** Seconds per stage ('validate', 'lab-assays'). */
  timings: Record<string, number>;
}

/**
 * Reads and validates the bundle, checks every `dicomweb:` scan has a server, computes its content
 * hash, the qPCR copies per cell and the lab assays (their lab values pushed onto `bundle.labs`).
 * @param opts.pacsUrl the DICOMweb server of `dicomweb:` scans, overriding study.json `pacs.url`
 * @throws InputError for any invalid input, naming the file, row, field and value
 */
export function prepareBundle(
  bundleDir: string,
  progress: PipelineProgress = silent,
  opts: { pacsUrl?: string } = {},
): PreparedBundle {
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const bundle = readBundle(
    bundleDir,
    undefined,
    opts.pacsUrl !== undefined ? { pacsUrl: opts.pacsUrl } : {},
  );
  requirePacsUrls(bundle.scans); // before any work: a dicomweb: scan without a server is a bundle error
  const contentHash = bundleContentHash(bundle);
  const qpcr =
    bundle.qpcrWells.length > 0
      ? qpcrCopiesPerCell(bundle.qpcrWells, qpcrReferenceTarget(bundle), join(bundle.dir, 'qpcr.csv'))
      : undefined;
  if (qpcr) bundle.labs.push(...qpcr.copiesPerCell);
  timings['validate'] = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const labAssays = processLabAssays(bundle, progress);
  if (labAssays) timings['lab-assays'] = (performance.now() - t0) / 1000;
  return { bundle, contentHash, ...(qpcr ? { qpcr } : {}), ...(labAssays ? { labAssays } : {}), timings };
}

/**
 * Cytokine plates, ⁵¹Cr-release plates and flow cytometry files of the bundle → lab values per patient and day
 * (pushed onto `bundle.labs`) and the detail the store keeps. Runs before any database access, so an error leaves
 * the store unchanged. Undefined when the bundle has none of these tables.
 * @throws InputError naming the file, row and field (src/assays/*-study.ts, src/pipeline/flow.ts)
 */
function processLabAssays(bundle: StudyBundle, progress: PipelineProgress): LabAssays | undefined {
  const { cytokineWells, lysisWells, flowFiles } = bundle;
  if (cytokineWells.length === 0 && lysisWells.length === 0 && flowFiles.length === 0) return undefined;
  // A lab value computed here must not also come from labs.csv (which one would the analyses use?).
  const key = (l: { patientId: string; day: number; analyte: string }): string =>
    `${l.patientId}\u0000${l.day}\u0000${l.analyte}`;
  const fromLabsCsv = new Set(bundle.labs.map(key));
  const add = (labs: StudyBundle['labs'], table: string): void => {
    for (const l of labs) {
      if (fromLabsCsv.has(key(l))) {
        throw new InputError(
          `${l.analyte} of patient ${l.patientId} on day ${l.day} is both in labs.csv and computed from ${table}`,
          { file: join(bundle.dir, table), field: 'analyte', value: l.analyte },
        );
      }
      bundle.labs.push(l);
    }
  };
  const out: LabAssays = {
    flowSamples: [],
    flowGates: [],
    cytokineCurves: [],
    cytokineSamples: [],
    lysisPlates: [],
    lysisSamples: [],
  };
  if (cytokineWells.length > 0) {
    const model = bundle.settings['cytokineCurveModel'];
    const below = bundle.settings['cytokineBelowLloq'];
    const r = cytokineConcentrations(
      cytokineWells,
      {
        model: typeof model === 'string' ? (model as CurveModel) : '4pl',
        belowLloq: typeof below === 'string' ? (below as BelowLloqRule) : 'half-lloq',
      },
      join(bundle.dir, 'cytokines.csv'),
    );
    add(r.labs, 'cytokines.csv');
    out.cytokineCurves = r.curves;
    out.cytokineSamples = r.samples;
  }
  if (lysisWells.length > 0) {
    const r = lysisOfStudy(lysisWells, join(bundle.dir, 'cytotoxicity.csv'));
    add(r.labs, 'cytotoxicity.csv');
    out.lysisPlates = r.plates;
    out.lysisSamples = r.samples;
  }
  if (flowFiles.length > 0) {
    progress.stage('flow cytometry', flowFiles.length);
    const results = flowOfStudy(flowFiles, bundle.flow!, join(bundle.dir, 'flow.csv'), () => progress.tick());
    progress.done();
    const rel = (f: string): string => relative(bundle.dir, f);
    for (const r of results) {
      add(r.labs, 'flow.csv');
      out.flowSamples.push({
        patientId: r.patientId,
        day: r.day,
        file: rel(r.file),
        eventCount: r.eventCount,
        compensated: r.compensated,
      });
      out.flowGates.push(...r.gates.map((g) => ({ ...g, file: rel(g.file) })));
    }
  }
  return out;
}

/** The qPCR reference gene of the study (study.json `analysis.qpcrReferenceTarget`, default GATA2). */
function qpcrReferenceTarget(bundle: StudyBundle): string {
  const v = bundle.settings['qpcrReferenceTarget'];
  return typeof v === 'string' ? v : 'GATA2';
}

/**
 * `carto fcs plate` — a plate of FCS files (a 96-well plate, hundreds of files) gated with one gating, with per-file
 * QC (events, time-channel stability, margin events) and one results table of well × population (count, % of
 * parent, MFI). docs/flow-plates.md. The computation is src/flow/plate.ts; this file reads the inputs, shows the
 * progress and writes the outputs.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { InputError, type ErrorLocation } from '../../errors.js';
import { usesFileCompensation, type GatingStrategy } from '../../flow/gates.js';
import {
  analyzePlateWell,
  DEFAULT_PLATE_QC,
  plateWellsFromCsv,
  plateWellsFromFiles,
  type PlateQcSettings,
  type PlateWell,
  type PlateWellResult,
} from '../../flow/plate.js';
import { formatCsv, readCsv } from '../../io/csv.js';
import { readFcs, sampleSpillover } from '../../io/fcs/reader.js';
import { readFlowJoWorkspace, strategyForSample, type FlowJoWorkspace } from '../../io/flowjo.js';
import { readGatingMl } from '../../io/gatingml.js';
import { checkOutputFolder, writeOutputFolder, type OutputFolderOptions } from '../../io/output-folder.js';
import { runThreadsSync } from '../../parallel/pool.js';
import { parseIntOption, parseNumberOption } from '../options.js';
import { commandGroup, formatTable, jsonReplacer, printJson, progressEnabled } from '../shared.js';

interface PlateOpts {
  gating: string;
  sample?: string;
  out?: string;
  json?: boolean;
  mfi?: string;
  compensate?: boolean;
  minEvents?: string;
  timeBins?: string;
  timeDeviation?: string;
  maxMarginPercent?: string;
  threads?: string;
}

/** The wells of `input`: a folder of .fcs/.lmd files or a layout CSV (well,file,…); every file must exist. */
export function plateWells(input: string): PlateWell[] {
  if (!existsSync(input)) throw new InputError('no such folder or plate layout file', { file: input });
  if (statSync(input).isDirectory()) {
    const files = readdirSync(input)
      .filter((f) => /\.(fcs|lmd)$/i.test(f))
      .map((f) => join(input, f));
    return plateWellsFromFiles(files, input);
  }
  const wells = plateWellsFromCsv(readCsv(input), input);
  const base = dirname(input);
  return wells.map((w) => {
    const file = isAbsolute(w.file) ? w.file : join(base, w.file);
    if (!existsSync(file) || !statSync(file).isFile())
      throw new InputError(`the FCS file of well ${w.well} does not exist`, {
        file: input,
        row: w.row ?? undefined,
        field: 'file',
        value: w.file,
      });
    return { ...w, file };
  });
}

/** One gating for the plate: Gating-ML, or a FlowJo workspace (its sample per file, or `--sample` for all). */
type PlateGating = { kind: 'gatingml'; strategy: GatingStrategy } | { kind: 'wsp'; ws: FlowJoWorkspace };

function loadGating(file: string, sample: string | undefined): PlateGating {
  if (/\.wsp$/i.test(file)) return { kind: 'wsp', ws: readFlowJoWorkspace(file) };
  if (sample !== undefined)
    throw new InputError('--sample chooses a sample of a FlowJo workspace (.wsp); the gating is Gating-ML', {
      file,
      field: '--sample',
      value: sample,
    });
  return { kind: 'gatingml', strategy: readGatingMl(file) };
}

/** Reads one well's file and analyses it (src/flow/plate.ts). */
function runWell(
  w: PlateWell,
  gating: PlateGating,
  opts: { sample?: string; compensate: boolean },
  qc: PlateQcSettings,
  mfi: string[],
): { result: PlateWellResult; warnings: string[] } {
  const ds = readFcs(w.file);
  let strategy: GatingStrategy;
  let gatingSpill = null;
  if (gating.kind === 'wsp') {
    const chosen = strategyForSample(gating.ws, opts.sample ?? w.file, ds.keywords);
    strategy = chosen.strategy;
    gatingSpill = chosen.spillover;
  } else strategy = gating.strategy;
  const compensate = opts.compensate;
  const spillover = sampleSpillover(ds, gatingSpill, compensate || usesFileCompensation(strategy));
  const result = analyzePlateWell(
    {
      well: w.well,
      file: w.file,
      events: ds.events!,
      parameters: ds.parameters,
      strategy,
      spillover,
      compensateMfi: compensate,
      mfiChannels: mfi,
    },
    qc,
  );
  return { result, warnings: ds.warnings };
}

/** One thread's share of a plate run (`plateTask`); typed arrays on SharedArrayBuffers are shared by all threads. */
export interface PlateTask {
  wells: { index: number; well: PlateWell }[];
  gatingFile: string;
  sample?: string;
  compensate: boolean;
  qc: PlateQcSettings;
  mfi: string[];
  /** [wells done, over all threads]. */
  progress: Int32Array;
  /** This thread's outcome as JSON bytes, and [byte length]. */
  out: Uint8Array;
  outLength: Int32Array;
}

/** What a thread hands back: its wells' results, or the bad input that stopped it. */
interface PlateOutcome {
  results: { index: number; result: PlateWellResult; warnings: string[] }[];
  error: { index: number; message: string; location: ErrorLocation } | null;
}

/** Called by the main thread's task after each of its wells (the progress bar); null in workers. */
let mainThreadTick: (() => void) | null = null;

/**
 * Runs a share of the wells (on the calling thread or a worker, src/parallel/pool.ts): reads the gating, then each
 * well's file; stops at the first bad input, which is handed back (InputError does not survive a thread
 * boundary). The outcome is written as JSON into `task.out` (numbers that are not finite become null).
 */
export function plateTask(task: PlateTask): void {
  const outcome: PlateOutcome = { results: [], error: null };
  let current = -1;
  try {
    const gating = loadGating(task.gatingFile, task.sample);
    for (const { index, well } of task.wells) {
      current = index;
      const r = runWell(well, gating, task, task.qc, task.mfi);
      outcome.results.push({ index, ...r });
      Atomics.add(task.progress, 0, 1);
      mainThreadTick?.();
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    outcome.error = { index: current, message: e.message, location: e.location };
  }
  const bytes = new TextEncoder().encode(JSON.stringify(outcome, jsonReplacer));
  if (bytes.length > task.out.length)
    throw new Error(`plate results of one thread exceed ${task.out.length} bytes`);
  task.out.set(bytes);
  task.outLength[0] = bytes.length;
}

/** An InputError handed back by a thread, with its message as formatted there. */
class ThreadInputError extends InputError {
  constructor(message: string, location: ErrorLocation) {
    super(message);
    Object.defineProperty(this, 'location', { value: location });
  }
}

/**
 * Runs every well on `threads` threads (wells dealt round-robin) and returns the results in well order.
 * @throws InputError of the first well (in plate order) with bad input
 */
function runPlate(
  wells: PlateWell[],
  threads: number,
  settings: Omit<PlateTask, 'wells' | 'progress' | 'out' | 'outLength'>,
  onProgress: (done: number) => void,
): { results: PlateWellResult[]; warnings: string[] } {
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const tasks: PlateTask[] = Array.from({ length: threads }, (_, t) => {
    const mine = wells.map((well, index) => ({ index, well })).filter((x) => x.index % threads === t);
    return {
      ...settings,
      wells: mine,
      progress,
      out: new Uint8Array(new SharedArrayBuffer((1 << 20) + mine.length * (1 << 16))),
      outLength: new Int32Array(new SharedArrayBuffer(4)),
    };
  });
  mainThreadTick = () => onProgress(Atomics.load(progress, 0));
  try {
    runThreadsSync(import.meta.url, 'plateTask', plateTask, tasks);
  } finally {
    mainThreadTick = null;
  }
  onProgress(Atomics.load(progress, 0));
  const outcomes = tasks.map(
    (t) => JSON.parse(new TextDecoder().decode(t.out.slice(0, t.outLength[0]))) as PlateOutcome,
  );
  const failed = outcomes
    .map((o) => o.error)
    .filter((e) => e !== null)
    .sort((a, b) => a.index - b.index)[0];
  if (failed) throw new ThreadInputError(failed.message, failed.location);
  const all = outcomes.flatMap((o) => o.results).sort((a, b) => a.index - b.index);
  return {
    results: all.map((r) => r.result),
    warnings: all.flatMap((r) => r.warnings.map((x) => `${r.result.file}: ${x}`)),
  };
}

function qcSettings(o: PlateOpts): PlateQcSettings {
  return {
    minEvents:
      o.minEvents !== undefined
        ? parseIntOption(o.minEvents, '--min-events', { min: 0 })
        : DEFAULT_PLATE_QC.minEvents,
    time: {
      ...(o.timeBins !== undefined ? { bins: parseIntOption(o.timeBins, '--time-bins', { min: 1 }) } : {}),
      ...(o.timeDeviation !== undefined
        ? { maxDeviation: parseNumberOption(o.timeDeviation, '--time-deviation', { min: 0 }) }
        : {}),
    },
    maxMarginPercent:
      o.maxMarginPercent !== undefined
        ? parseNumberOption(o.maxMarginPercent, '--max-margin-percent', { min: 0 })
        : DEFAULT_PLATE_QC.maxMarginPercent,
  };
}

/** Flat rows of the results and QC tables. */
function tables(results: PlateWellResult[], wells: PlateWell[], mfi: string[]) {
  const ann = new Map(wells.map((w) => [w.well, w.annotations]));
  const annCols = [...new Set(wells.flatMap((w) => Object.keys(w.annotations)))];
  const resultCols = [
    'well',
    ...annCols,
    'file',
    'gate',
    'population',
    'count',
    'parentCount',
    'percentOfParent',
    ...mfi.map((c) => `mfi_${c}`),
  ];
  const resultRows = results.flatMap((r) =>
    r.populations.map((p) => ({
      well: p.well,
      ...ann.get(p.well),
      file: p.file,
      gate: p.gateId,
      population: p.population,
      count: p.count,
      parentCount: p.parentCount,
      percentOfParent: p.percentOfParent,
      ...Object.fromEntries(mfi.map((c) => [`mfi_${c}`, p.mfi[c]])),
    })),
  );
  const qcCols = [
    'well',
    'file',
    'events',
    'timeBins',
    'flaggedTimeBins',
    'flaggedEventPercent',
    'timeResets',
    'marginEvents',
    'marginPercent',
    'marginWorstChannel',
    'pass',
    'flags',
  ];
  const qcRows = results.map((r) => ({
    well: r.well,
    file: r.file,
    events: r.qc.events,
    timeBins: r.qc.time?.bins ?? null,
    flaggedTimeBins: r.qc.time?.flaggedBins ?? null,
    flaggedEventPercent: r.qc.time?.flaggedEventPercent ?? null,
    timeResets: r.qc.time?.timeResets ?? null,
    marginEvents: r.qc.margin.anyCount,
    marginPercent: r.qc.margin.anyPercent,
    marginWorstChannel: r.qc.margin.worstChannel,
    pass: r.qc.pass,
    flags: r.qc.flags.join('; '),
  }));
  return { resultCols, resultRows, qcCols, qcRows };
}

export function register(program: Command): void {
  const fcs = commandGroup(program, 'fcs', 'Flow cytometry FCS files: keywords, events, gating');
  fcs
    .command('plate')
    .description(
      'Gate a plate of FCS files (a folder, or a layout CSV with well,file columns) with one gating: per-file QC\n' +
        '(events, time-channel stability, margin events) and one table of well × population (count, % of parent, MFI)',
    )
    .argument(
      '<plate>',
      'folder of .fcs files (wells from the file names) or plate layout CSV (well,file[,…])',
    )
    .requiredOption('--gating <file>', 'Gating-ML 2.0 .xml or FlowJo 10 .wsp workspace')
    .option(
      '--sample <name>',
      'sample of the .wsp whose gates apply to every file (default: each file its own)',
    )
    .option('--mfi <channels>', 'comma-separated channels ($PnN) whose median is reported per population')
    .option('--compensate', "compute MFIs on compensated values (the file's or the workspace's spillover)")
    .option('--min-events <n>', `a well with fewer events fails QC (default ${DEFAULT_PLATE_QC.minEvents})`)
    .option('--time-bins <n>', 'time bins of the flow-rate check (default min(100, events/100))')
    .option(
      '--time-deviation <k>',
      'flag a time bin off the median rate by more than k Poisson SDs and 20 % (default k = 4)',
    )
    .option(
      '--max-margin-percent <p>',
      `a well with more than p % events at a channel's upper limit fails QC (default ${DEFAULT_PLATE_QC.maxMarginPercent})`,
    )
    .option('--threads <n>', 'worker threads sharing the wells (default 1; docs/flow-plates.md "Speed")')
    .option('--out <dir>', 'write results.csv, qc.csv and results.json to this new (or earlier plate) folder')
    .option('--json', 'print {"wells": [{well, file, qc}], "results": [{well, gate, population, count, …}]}')
    .addHelpText(
      'after',
      '\nQC rules: docs/flow-plates.md. A well failing QC is reported (pass false, flags), not dropped.\n' +
        'Example:\n  carto fcs plate plate1/ --gating gates.xml --mfi BV421-A,PE-A --out plate1-results',
    )
    .action(async (input: string, opts: PlateOpts) => {
      const qc = qcSettings(opts);
      const mfi = (opts.mfi ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const wells = plateWells(input);
      loadGating(opts.gating, opts.sample); // bad gating or --sample: refused before any file is read
      const outOpts: OutputFolderOptions = {
        kind: 'plate',
        option: '--out',
        inputs: [resolve(input), resolve(opts.gating)],
      };
      if (opts.out !== undefined) checkOutputFolder(resolve(opts.out), outOpts); // refused before the work
      const threads = Math.min(
        wells.length,
        opts.threads !== undefined ? parseIntOption(opts.threads, '--threads', { min: 1 }) : 1,
      );
      const bar = progressEnabled()
        ? new SingleBar(
            { format: 'plate      [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true },
            Presets.shades_classic,
          )
        : null;
      bar?.start(wells.length, 0);
      let run: { results: PlateWellResult[]; warnings: string[] };
      try {
        run = runPlate(
          wells,
          threads,
          { gatingFile: opts.gating, sample: opts.sample, compensate: Boolean(opts.compensate), qc, mfi },
          (done) => bar?.update(done),
        );
      } finally {
        bar?.stop();
      }
      const { results, warnings } = run;
      for (const x of warnings) process.stderr.write(`warning: ${x}\n`);
      const t = tables(results, wells, mfi);
      const json = {
        plate: input,
        gating: opts.gating,
        wells: results.map((r) => ({ well: r.well, file: r.file, qc: r.qc })),
        results: t.resultRows,
      };
      if (opts.out !== undefined) {
        await writeOutputFolder(opts.out, outOpts, (dir) => {
          writeFileSync(join(dir, 'results.csv'), formatCsv(t.resultCols, t.resultRows));
          writeFileSync(join(dir, 'qc.csv'), formatCsv(t.qcCols, t.qcRows));
          writeFileSync(join(dir, 'results.json'), `${JSON.stringify(json, jsonReplacer, 2)}\n`);
        });
      }
      if (opts.json) {
        printJson(json);
        return;
      }
      const failed = results.filter((r) => !r.qc.pass);
      process.stdout.write(
        `${results.length} wells, ${t.resultRows.length} population rows; QC failed in ${failed.length} well(s)\n`,
      );
      if (failed.length > 0)
        process.stdout.write(
          `${formatTable(
            ['well', 'file', 'flags'],
            failed.map((r) => [r.well, r.file, r.qc.flags.join('; ')]),
          )}\n`,
        );
      if (opts.out !== undefined) process.stdout.write(`written: ${resolve(opts.out)}\n`);
    });
}

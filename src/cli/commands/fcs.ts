/**
 * `carto fcs info|events|gate|phenotype` — FCS files (2.0/3.0/3.1): keywords and parameters, event values, gate
 * counts from Gating-ML 2.0 or FlowJo 10 workspaces, T-cell phenotypes (memory subsets, senescence, CD4/CD8, MFI)
 * with fold change vs a control sample.
 */
import type { Command } from 'commander';
import { InputError, schemaIssueToInputError } from '../../errors.js';
import { compensate } from '../../flow/compensation.js';
import { gateFcsFile } from '../../io/fcs/gate-file.js';
import { usesFileCompensation, type GatingStrategy } from '../../flow/gates.js';
import type { SpilloverMatrix } from '../../flow/types.js';
import {
  fileSpilloverForCompensation,
  readFcs,
  readFcsDataSetInfos,
  sampleSpillover,
  type FcsDataSet,
  type FcsReadOptions,
} from '../../io/fcs/reader.js';
import { readFlowJoWorkspace, strategyForSample } from '../../io/flowjo.js';
import { readGatingMl } from '../../io/gatingml.js';
import { readFileSync } from 'node:fs';
import { foldChange } from '../../flow/phenotype.js';
import { phenotypeFlowSample, type FlowStudySettings } from '../../flow/study.js';
import { flowSettingsSchema, toFlowSettings } from '../../study/bundle.js';
import { commandGroup, formatTable, printJson, warn } from '../shared.js';
import { parseIntOption } from '../options.js';

interface ReadOpts {
  dataSet?: string;
  offsetTolerance?: string;
}

function intOption(v: string | undefined, name: string, min = 0): number | undefined {
  return v === undefined ? undefined : parseIntOption(v, name, { min });
}

function readOptions(o: ReadOpts): FcsReadOptions {
  return {
    dataSet: intOption(o.dataSet, '--data-set'),
    offsetTolerance: intOption(o.offsetTolerance, '--offset-tolerance'),
  };
}

function addReadOptions(cmd: Command): Command {
  return cmd
    .option('--data-set <n>', '0-based data set in a multi-data-set file ($NEXTDATA), default 0')
    .option(
      '--offset-tolerance <bytes>',
      'accept HEADER/TEXT DATA offsets that differ by up to this many bytes (default 0)',
    );
}

export function register(program: Command): void {
  const fcs = commandGroup(program, 'fcs', 'Flow cytometry FCS files: keywords, events, gating');
  registerInfo(fcs);
  registerEvents(fcs);
  registerGate(fcs);
  registerPhenotype(fcs);
}

/** `carto fcs info`: version, parameters and keywords of a file. */
function registerInfo(fcs: Command): void {
  addReadOptions(
    fcs
      .command('info')
      .description(
        'Show the version, event count, parameters ($PnN/$PnS/$PnB/$PnR/$PnE/$PnG) and keywords of an FCS file',
      )
      .argument('<file>', 'FCS 2.0/3.0/3.1 file (.fcs, .lmd)')
      .option('--json', 'print {version, dataSets, events, parameters, keywords, spillover} as JSON'),
  )
    .addHelpText('after', '\nExample:\n  carto fcs info sample.fcs --json')
    .action((file: string, opts: ReadOpts & { json?: boolean }) => {
      const ro = readOptions(opts);
      const infos = readFcsDataSetInfos(file, ro);
      const ds = infos[ro.dataSet ?? 0];
      if (!ds)
        throw new InputError(`file has ${infos.length} data set(s)`, {
          file,
          field: '--data-set',
          value: ro.dataSet,
        });
      for (const w of ds.warnings) warn(w);
      const out = {
        file,
        version: ds.version,
        dataSets: infos.length,
        dataSet: ds.dataSetIndex,
        events: ds.totalEvents,
        dataType: ds.dataType,
        byteOrder: ds.littleEndian ? 'little-endian' : 'big-endian',
        parameters: ds.parameters,
        spillover: ds.spillover,
        keywords: ds.keywords,
      };
      if (opts.json) {
        printJson(out);
        return;
      }
      process.stdout.write(
        `${file}: ${ds.version}, ${ds.totalEvents} events, ${ds.parameters.length} parameters, $DATATYPE ${ds.dataType}, ` +
          `${out.byteOrder}, ${infos.length} data set(s)${ds.spillover ? `, spillover ${ds.spillover.parameterNames.length}×${ds.spillover.parameterNames.length}` : ''}\n`,
      );
      process.stdout.write(
        `${formatTable(
          ['n', '$PnN', '$PnS', '$PnB', '$PnR', '$PnE', '$PnG'],
          ds.parameters.map((p) => [
            p.index,
            p.name,
            p.stain ?? '',
            p.bits,
            p.range,
            `${p.logDecades},${p.logOffset}`,
            p.gain,
          ]),
        )}\n`,
      );
    });
}

/** `carto fcs events`: event values, optionally raw or compensated. */
function registerEvents(fcs: Command): void {
  addReadOptions(
    fcs
      .command('events')
      .description('Print event values (scaled by $PnE/$PnG/$TIMESTEP unless --raw), optionally compensated')
      .argument('<file>', 'FCS file')
      .option('--raw', 'stored values after $PnR bit masks, before $PnE/$PnG scaling')
      .option('--compensate', "apply the file's $SPILLOVER/SPILL matrix (x·S⁻¹)")
      .option('--limit <n>', 'print at most n events (default: all)')
      .option('--json', 'print {"parameters": [names], "events": [[...], ...]} as JSON'),
  )
    .addHelpText('after', '\nExample:\n  carto fcs events sample.fcs --compensate --limit 10 --json')
    .action(
      (
        file: string,
        opts: ReadOpts & { raw?: boolean; compensate?: boolean; limit?: string; json?: boolean },
      ) => {
        const limit = intOption(opts.limit, '--limit', 0);
        const ds = readFcs(file, { ...readOptions(opts), raw: Boolean(opts.raw), maxEvents: limit });
        for (const w of ds.warnings) warn(w);
        let ev = ds.events!;
        if (opts.compensate) {
          const spill = fileSpilloverForCompensation(ds);
          if (!spill)
            throw new InputError('file has no $SPILLOVER/SPILL matrix to compensate with', {
              file,
              field: '--compensate',
            });
          ev = compensate(ev, spill);
        }
        const rows: number[][] = [];
        for (let i = 0; i < ev.eventCount; i++) rows.push(ev.columns.map((c) => c[i]!));
        if (opts.json) printJson({ parameters: ev.parameterNames, events: rows });
        else process.stdout.write(`${formatTable(ev.parameterNames, rows)}\n`);
      },
    );
}

/** `carto fcs gate`: gate counts from Gating-ML or a FlowJo workspace. */
function registerGate(fcs: Command): void {
  addReadOptions(
    fcs
      .command('gate')
      .description(
        'Apply Gating-ML 2.0 (.xml) or FlowJo 10 (.wsp) gates to an FCS file: counts and % of parent',
      )
      .argument('<file>', 'FCS file')
      .requiredOption('--gating <file>', 'Gating-ML 2.0 .xml or FlowJo 10 .wsp workspace')
      .option(
        '--sample <name>',
        'sample in the .wsp whose gates to use (default: the one whose $FIL/name matches FILE)',
      )
      .option('--json', 'print {"gates": [{"id", "path", "count", "percentOfParent"}]} as JSON'),
  )
    .addHelpText(
      'after',
      '\nGating-ML rectangle limits are min-inclusive, max-exclusive (Gating-ML 2.0); values are pre-processed\n' +
        '($PnE/$PnG) first; compensation-ref "FCS" uses the file\'s spillover.\n' +
        'Example:\n  carto fcs gate data1.fcs --gating gates.xml --json',
    )
    .action((file: string, opts: ReadOpts & { gating: string; sample?: string; json?: boolean }) => {
      // Counts only: the events are read, compensated and gated block by block (src/io/fcs/gate-file.ts).
      const ds = readFcs(file, { ...readOptions(opts), textOnly: true });
      for (const w of ds.warnings) warn(w);
      const { strategy, spillover } = gatingFor(opts.gating, opts.sample ?? file, ds, false);
      const counted = gateFcsFile(ds, strategy, spillover, readOptions(opts));
      const gates = counted.gates.map((r) => ({
        id: r.id,
        path: `/${r.path.join('/')}`,
        count: r.count,
        parentCount: r.parentCount,
        percentOfParent: r.percentOfParent,
      }));
      if (opts.json) printJson({ file, events: counted.eventCount, gates });
      else
        process.stdout.write(
          `${formatTable(
            ['gate', 'path', 'count', '% of parent'],
            gates.map((g) => [
              g.id,
              g.path,
              g.count,
              Number.isFinite(g.percentOfParent) ? g.percentOfParent.toFixed(2) : 'NA',
            ]),
          )}\n`,
        );
    });
}

/** `carto fcs phenotype`: T-cell phenotypes and fold change vs a control. */
function registerPhenotype(fcs: Command): void {
  addReadOptions(
    fcs
      .command('phenotype')
      .description(
        'T-cell phenotypes of an FCS file: per population its count, memory subsets, senescence markers, MFI, ' +
          'and the CD4/CD8 ratio — optionally as fold change vs a control sample',
      )
      .argument('<file>', 'FCS file')
      .requiredOption('--gating <file>', 'Gating-ML 2.0 .xml or FlowJo 10 .wsp workspace')
      .requiredOption(
        '--settings <file>',
        'JSON with the phenotyping: a study.json (its "flow" block is used) or the flow block alone ' +
          '(docs/study-bundle.md "Flow cytometry")',
      )
      .option('--sample <name>', 'sample in the .wsp whose gates to use (default: the one matching FILE)')
      .option(
        '--control <file>',
        'control FCS file (e.g. unstimulated or baseline): adds fold change = value ÷ control',
      )
      .option(
        '--json',
        'print {"file", "compensated", "values": [{"analyte", "value", "control", "foldChange"}]}',
      ),
  )
    .addHelpText(
      'after',
      '\nMarkers are positive at value ≥ threshold (CD28/CD27: "lo" below it), on compensated, untransformed ' +
        'values\nwhen the file has a spillover matrix and "compensate" is not false. Memory subsets (docs/references/assays.md §7): naive ' +
        'RA+CCR7+RO−,\nstem-cell memory RA+CCR7+RO+, central memory RA−CCR7+, effector memory RA−CCR7−, terminal ' +
        'effector RA+CCR7−.\nExample settings: {"cd4Gate": "CD4", "cd8Gate": "CD8", "populations": [{"label": "cd8", ' +
        '"gate": "CD8"}],\n  "markers": {"CD45RA": {"channel": "BV605-A", "threshold": 1000}, "CCR7": {"channel": ' +
        '"PE-Cy7-A", "threshold": 800}}, "mfi": ["CD45RA"]}\nExample:\n  carto fcs phenotype day7.fcs --gating ' +
        'gates.xml --settings flow.json --control day0.fcs --json',
    )
    .action(
      (
        file: string,
        opts: ReadOpts & {
          gating: string;
          settings: string;
          sample?: string;
          control?: string;
          json?: boolean;
        },
      ) => {
        const settings = readFlowSettings(opts.settings);
        const run = (f: string) => {
          const ds = readFcs(f, readOptions(opts));
          for (const w of ds.warnings) warn(w);
          const { strategy, spillover } = gatingFor(opts.gating, opts.sample ?? f, ds, settings.compensate);
          return phenotypeFlowSample(
            { patientId: '', day: 0, file: f, events: ds.events!, strategy, spillover },
            settings,
          );
        };
        const r = run(file);
        const control = opts.control !== undefined ? run(opts.control) : null;
        const controlValue = new Map(control?.labs.map((l) => [l.analyte, l.value]) ?? []);
        const values = r.labs.map((l) => {
          const c = controlValue.get(l.analyte);
          return {
            analyte: l.analyte,
            value: l.value,
            ...(control
              ? // no fold change against a control value ≤ 0 (an empty population, a negative MFI) or a missing one
                { control: c ?? null, foldChange: c !== undefined && c > 0 ? foldChange(l.value, c) : null }
              : {}),
          };
        });
        if (opts.json) printJson({ file, compensated: r.compensated, events: r.eventCount, values });
        else {
          process.stdout.write(
            `${formatTable(
              control ? ['analyte', 'value', 'control', 'fold change'] : ['analyte', 'value'],
              values.map((v) => {
                const f = (x: number | null | undefined): string =>
                  x === null || x === undefined || !Number.isFinite(x)
                    ? 'NA'
                    : String(Number(x.toPrecision(6)));
                return control
                  ? [v.analyte, f(v.value), f(v.control), f(v.foldChange)]
                  : [v.analyte, f(v.value)];
              }),
            )}\n`,
          );
          if (!r.compensated)
            warn('events were not compensated (no spillover matrix, or "compensate": false)');
        }
      },
    );
}

/**
 * Gates and spillover for a file: Gating-ML, or the matching sample of a FlowJo workspace. Compensation is asked
 * for by `compensate` or by a gate with compensation-ref "FCS" (then a names-only `$SPILLOVER` is refused).
 */
function gatingFor(
  gating: string,
  sampleOrFile: string,
  ds: FcsDataSet,
  compensate: boolean,
): { strategy: GatingStrategy; spillover: SpilloverMatrix | null } {
  if (/\.wsp$/i.test(gating)) {
    const chosen = strategyForSample(readFlowJoWorkspace(gating), sampleOrFile, ds.keywords);
    const spillover = sampleSpillover(ds, chosen.spillover, compensate);
    return { strategy: chosen.strategy, spillover };
  }
  const strategy = readGatingMl(gating);
  return { strategy, spillover: sampleSpillover(ds, null, compensate || usesFileCompensation(strategy)) };
}

/** Reads `--settings`: a study.json (its `flow` block) or a bare flow block. */
function readFlowSettings(file: string): FlowStudySettings {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`cannot read the phenotyping settings: ${(e as Error).message}`, { file });
  }
  const block = raw !== null && typeof raw === 'object' && 'flow' in raw ? raw.flow : raw;
  const parsed = flowSettingsSchema.safeParse(block);
  if (!parsed.success) {
    throw schemaIssueToInputError(parsed.error.issues[0], block, { file, fieldPrefix: 'flow' });
  }
  return toFlowSettings(parsed.data);
}

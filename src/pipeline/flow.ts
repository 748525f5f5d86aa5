/**
 * Flow cytometry at import: reads each FCS file of a bundle's flow.csv with its Gating-ML 2.0 or FlowJo 10 gating,
 * and phenotypes it (src/flow/study.ts). One file at a time, so memory stays at one sample's events.
 */
import { InputError } from '../errors.js';
import { usesFileCompensation, type GatingStrategy } from '../flow/gates.js';
import type { SpilloverMatrix } from '../flow/types.js';
import { phenotypeFlowSample, type FlowSampleResult, type FlowStudySettings } from '../flow/study.js';
import { readFcs, sampleSpillover } from '../io/fcs/reader.js';
import { readFlowJoWorkspace, strategyForSample, type FlowJoWorkspace } from '../io/flowjo.js';
import { readGatingMl } from '../io/gatingml.js';
import type { FlowFileRow } from '../study/bundle.js';

/**
 * Gate counts and phenotypes of every flow file.
 * @param files flow.csv rows (absolute paths)
 * @param settings study.json `flow`
 * @param onFile progress callback after each file
 * @throws InputError naming the FCS or gating file (unreadable, truncated, compensation asked for but the file's
 *   `$SPILLOVER` holds only names, gate on an absent parameter, unknown
 *   gate id in study.json), or flow.csv when two files give the same patient and day
 */
export function flowOfStudy(
  files: FlowFileRow[],
  settings: FlowStudySettings,
  flowCsv: string,
  onFile: (done: number, total: number) => void = () => undefined,
): FlowSampleResult[] {
  const seen = new Map<string, number>();
  for (const f of files) {
    const k = `${f.patientId}\u0000${f.day}`;
    const prev = seen.get(k);
    if (prev !== undefined) {
      throw new InputError(
        `patient ${f.patientId} has two flow files on day ${f.day} (rows ${prev} and ${f.row}); phenotypes are per patient and day`,
        { file: flowCsv, row: f.row, field: 'day', value: f.day },
      );
    }
    seen.set(k, f.row);
  }
  const gatingMl = new Map<string, GatingStrategy>();
  const workspaces = new Map<string, FlowJoWorkspace>();
  const out: FlowSampleResult[] = [];
  files.forEach((f, i) => {
    const ds = readFcs(f.file, { dataSet: f.dataSet });
    let strategy: GatingStrategy;
    let gatingSpillover: SpilloverMatrix | null = null;
    if (/\.wsp$/i.test(f.gating)) {
      let ws = workspaces.get(f.gating);
      if (!ws) workspaces.set(f.gating, (ws = readFlowJoWorkspace(f.gating)));
      const chosen = strategyForSample(ws, f.sample ?? f.file, ds.keywords);
      strategy = chosen.strategy;
      gatingSpillover = chosen.spillover;
    } else {
      let g = gatingMl.get(f.gating);
      if (!g) gatingMl.set(f.gating, (g = readGatingMl(f.gating)));
      strategy = g;
    }
    const spillover = sampleSpillover(
      ds,
      gatingSpillover,
      settings.compensate || usesFileCompensation(strategy),
    );
    out.push(
      phenotypeFlowSample(
        { patientId: f.patientId, day: f.day, file: f.file, events: ds.events!, strategy, spillover },
        settings,
      ),
    );
    onFile(i + 1, files.length);
  });
  return out;
}

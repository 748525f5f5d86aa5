/**
 * `carto outcomes <bundle>` — the per-patient clinical outcomes of a study bundle (every patient,
 * infused or not): CONSORT stage, best response, vein-to-vein time, maximum CRS/ICANS grade, TTP, PFS,
 * OS and NRM. The definitions are src/clinical/outcomes.ts (docs/outcomes.md); the registry's
 * `GET /api/patients/{id}/outcomes` and the report's outcomes-per-patient table give the same values.
 * Reads the bundle with the normal reader; no database.
 */
import type { Command } from 'commander';
import {
  outcomeCells,
  outcomeRows,
  OUTCOME_COLUMNS,
  type PatientOutcomeRow,
} from '../../analysis/outcomes.js';
import { readBundle, type StudyBundle } from '../../study/bundle.js';
import { formatTable, printJson } from '../shared.js';

/** The outcome rows of a read bundle (infused patients first, then those not infused). */
export function bundleOutcomes(b: StudyBundle): PatientOutcomeRow[] {
  const samples = [...b.qpcrWells, ...b.cytokineWells, ...b.lysisWells, ...b.flowFiles].flatMap((w) =>
    w.patientId !== null && w.day !== null ? [{ patientId: w.patientId, day: w.day }] : [],
  );
  return outcomeRows({ ...b, samples });
}

/** The JSON document of `carto outcomes --json`. */
export function outcomesJson(rows: readonly PatientOutcomeRow[]): { patients: Record<string, unknown>[] } {
  return {
    patients: rows.map((r) => ({
      patient: r.patient,
      stage: r.stage,
      dropoutReason: r.dropoutReason,
      bestResponse: r.bestResponse,
      veinToVeinDays: r.veinToVeinDays,
      maxCrs: r.maxCrs,
      maxIcans: r.maxIcans,
      ttp: r.ttp,
      pfs: r.pfs,
      os: r.os,
      nrm: r.nrm,
    })),
  };
}

export function register(program: Command): void {
  program
    .command('outcomes')
    .description('Per-patient clinical outcomes of a study bundle (stage, best response, TTP/PFS/OS/NRM …)')
    .argument('<bundle>', 'study bundle folder (docs/study-bundle.md)')
    .option('--json', 'print { "patients": [ { patient, stage, bestResponse, … } ] } as JSON')
    .addHelpText(
      'after',
      '\nDefinitions and censoring rule: docs/outcomes.md. Times are days from infusion; status 1 = event,\n' +
        '0 = censored (NRM: 1 = non-relapse death, 2 = competing progression or lymphoma death).\n' +
        'Example:\n  carto outcomes registry-bundle/ --json',
    )
    .action((dir: string, opts: { json?: boolean }) => {
      const rows = bundleOutcomes(readBundle(dir));
      if (opts.json) {
        printJson(outcomesJson(rows));
        return;
      }
      const cells = rows.map((r) => {
        const c = outcomeCells(r);
        return OUTCOME_COLUMNS.map((k) => c[k]);
      });
      process.stdout.write(`${formatTable([...OUTCOME_COLUMNS], cells)}\n`);
    });
}

/**
 * `carto dicom suv-factor <file | series-dir | header.json>` — the SUV scale factor of every PET
 * instance (multiplies the rescaled stored value m·P + b to give SUV), with the units, decay
 * correction and reference time behind it. Rules: src/imaging/suv.ts.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { InputError } from '../../errors.js';
import { readSuvFactors } from '../../io/dicom/suv-factor.js';
import { SUV_TYPES } from '../../imaging/suv.js';
import type { SuvOptions, SuvType } from '../../imaging/suv.js';
import { commandGroup, formatTable, jsonReplacer, warn } from '../shared.js';

interface SuvFactorCliOptions {
  suvType: string;
  weightKg?: string;
  doseBq?: string;
  injectionDateTime?: string;
  heightM?: string;
  json?: boolean;
}

/** Upper bounds of the explicit overrides: far beyond any patient or injection, to catch typos and units. */
const OVERRIDE_MAX = { '--weight-kg': 700, '--dose-bq': 1e12, '--height-m': 3 } as const;

function positiveNumber(text: string, option: keyof typeof OVERRIDE_MAX): number {
  const x = Number(text);
  const max = OVERRIDE_MAX[option];
  if (text.trim() === '' || !Number.isFinite(x) || x <= 0 || x > max) {
    throw new InputError(`expected a number > 0 and ≤ ${max}`, { field: option, value: text });
  }
  return x;
}

/** Turns CLI options into SUV options (explicit overrides only when given). */
export function suvOptionsFromCli(o: SuvFactorCliOptions): SuvOptions {
  if (!SUV_TYPES.includes(o.suvType as SuvType)) {
    throw new InputError(`unknown SUV type (expected ${SUV_TYPES.join('|')})`, {
      field: '--suv-type',
      value: o.suvType,
    });
  }
  return {
    suvType: o.suvType as SuvType,
    ...(o.weightKg !== undefined ? { weightKg: positiveNumber(o.weightKg, '--weight-kg') } : {}),
    ...(o.doseBq !== undefined ? { doseBq: positiveNumber(o.doseBq, '--dose-bq') } : {}),
    ...(o.injectionDateTime !== undefined ? { injectionDateTime: o.injectionDateTime } : {}),
    ...(o.heightM !== undefined ? { heightM: positiveNumber(o.heightM, '--height-m') } : {}),
  };
}

/**
 * The text `carto dicom suv-factor` prints: the JSON array of per-instance entries with `json`,
 * otherwise a one-line summary and a table.
 */
export function formatSuvFactorOutput(
  res: Awaited<ReturnType<typeof readSuvFactors>>,
  json: boolean,
): string {
  if (json) return `${JSON.stringify(res.factors, jsonReplacer, 2)}\n`;
  const m = res.meta;
  const head =
    `SUV${m.suvType} factors (${res.factors.length} instance${res.factors.length === 1 ? '' : 's'}, ${res.source}): ` +
    `units ${m.units} (${m.conversion}), decay correction ${m.decayCorrection || 'n/a'}, reference time rule ${m.referenceTimeRule}` +
    `${m.halfLifeS !== null ? `, T½ ${m.halfLifeS} s` : ''}` +
    `${m.weightKg !== null ? `, weight ${m.weightKg} kg` : ''}` +
    `${m.doseBq !== null ? `, dose ${m.doseBq.toExponential(4)} Bq at ${m.injectionTime ?? 'injection'}` : ''}` +
    `${m.overrides.length > 0 ? `; overridden: ${m.overrides.join(', ')}` : ''}\n`;
  const table = formatTable(
    ['#', 'sopInstanceUid', 'scaleFactor', 'units', 'decayCorrection', 'referenceTime'],
    res.factors.map((f, i) => [
      i + 1,
      f.sopInstanceUid ?? '',
      f.scaleFactor.toPrecision(8),
      f.units,
      f.decayCorrection,
      f.referenceTime ?? '',
    ]),
  );
  return `${head}${table}\n`;
}

export function register(program: Command): void {
  const dicom = commandGroup(program, 'dicom', 'DICOM utilities (PET SUV factors)');
  dicom
    .command('suv-factor')
    .description(
      'SUV scale factor of every PET instance: multiplies the rescaled stored value (RescaleSlope·P + intercept) ' +
        'to give SUV (g/mL; cm²/mL for bsa). Handles Units BQML, CNTS (Philips 7053,1000 / 7053,1009), GML, ' +
        'CM2ML; DecayCorrection START/ADMIN/NONE; GE/Siemens reference-time tags; dates across midnight and days. ' +
        'Refuses, naming the tag, what cannot be converted (PROPCNTS, no ATTN/DECY, missing weight/dose/time, …).',
    )
    .argument(
      '<input>',
      'a PET DICOM file, a series folder, or header.json (one instance header as DICOM keyword → value, or an array;\n' +
        'sequences as arrays of items; private tags as 8 hex digits, e.g. "70531000")',
    )
    .addOption(
      new Option(
        '--suv-type <type>',
        'SUV normalisation: body weight, lean body mass (James 128 / Janmahasatian), BSA, ideal body weight',
      )
        .choices([...SUV_TYPES])
        .default('bw'),
    )
    .option('--weight-kg <kg>', 'body weight in kg, replacing PatientWeight (explicit override)')
    .option('--dose-bq <Bq>', 'net injected activity in Bq at injection, replacing RadionuclideTotalDose')
    .option(
      '--injection-date-time <datetime>',
      'injection time on the scanner clock, "YYYY-MM-DDTHH:MM:SS" (or DICOM DT), replacing RadiopharmaceuticalStartDateTime',
    )
    .option('--height-m <m>', 'body height in m, replacing PatientSize (lbm, bsa, ibw)')
    .option('--json', 'print [{sopInstanceUid?, scaleFactor, units, decayCorrection, referenceTime}] as JSON')
    .addHelpText(
      'after',
      '\nThe reference time is the time the decayed dose refers to (scanner clock, no zone); null when the header\n' +
        'units are already SUV (GML/CM2ML) or the Philips SUV factor is used. Unit heuristics (dose < 1e5 read as MBq,\n' +
        'weight > 1000 read as g) are reported on stderr.\n' +
        'Examples:\n' +
        '  carto dicom suv-factor PET/ --json\n' +
        '  carto dicom suv-factor header.json --suv-type lbm\n' +
        '  carto dicom suv-factor slice1.dcm --weight-kg 72.5 --dose-bq 3.7e8 --injection-date-time 2025-03-01T09:15:00',
    )
    .action(async (input: string, o: SuvFactorCliOptions) => {
      const res = await readSuvFactors(input, suvOptionsFromCli(o));
      for (const w of res.meta.warnings) warn(w);
      process.stdout.write(formatSuvFactorOutput(res, Boolean(o.json)));
    });
}

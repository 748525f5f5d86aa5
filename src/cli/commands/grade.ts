/**
 * `carto grade crs|icans FILE.json` — ASTCT 2019 grade of one observation window (the registry API uses
 * the same functions, src/registry/grading/astct.ts).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { gradeCrs, gradeIcans, parseCrsWindow, parseIcansWindow } from '../../registry/grading/astct.js';
import { commandGroup, formatTable, printJson } from '../shared.js';

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read file: ${(e as Error).message}`, { file });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, { file });
  }
}

function output(result: { grade: number; drivenBy: string[] }, json: boolean): void {
  if (json) printJson(result);
  else
    process.stdout.write(
      `${formatTable(['grade', 'driven by'], [[result.grade, result.drivenBy.join(', ') || '-']])}\n`,
    );
}

export function register(program: Command): void {
  const grade = commandGroup(program, 'grade', 'ASTCT 2019 consensus grading of CRS and ICANS');
  grade
    .command('crs')
    .description('Grade cytokine release syndrome (ASTCT 2019) for one observation window')
    .argument(
      '<file>',
      'JSON window: maxTemperatureC (°C), feverMaskedByTreatment, hypotension, fluidsOnly, vasopressors [names], oxygenDevice, oxygenLPerMin (L/min or null), diedOfCrs',
    )
    .option('--json', 'print {grade, drivenBy} as JSON')
    .addHelpText(
      'after',
      '\nEvery field is required (oxygenLPerMin may be null unless the device is a nasal cannula).\n' +
        'Vasopressin never counts as a second vasopressor; nasal cannula > 6 L/min counts as high flow.\n' +
        'Example:\n  carto grade crs day3.json --json   → {"grade": 3, "drivenBy": ["hypotension"]}',
    )
    .action((file: string, opts: { json?: boolean }) => {
      output(gradeCrs(parseCrsWindow(readJson(file), file)), Boolean(opts.json));
    });
  grade
    .command('icans')
    .description('Grade immune effector cell-associated neurotoxicity (ASTCT 2019, ICE score) for one window')
    .argument(
      '<file>',
      'JSON window: iceScore (0–10 or null), iceNotPossible, consciousness, globalAphasia, seizure, motor, cerebralOedema, raisedIcpSigns',
    )
    .option('--json', 'print {grade, drivenBy} as JSON')
    .addHelpText(
      'after',
      '\nconsciousness: awake|awakens-to-voice|awakens-to-tactile|unarousable|stupor|coma;\n' +
        'seizure: none|rapidly-resolving|non-convulsive-eeg-resolving|prolonged-or-repetitive;\n' +
        'motor: none|deep-focal-weakness; cerebralOedema: none|focal|diffuse.\n' +
        'Example:\n  carto grade icans day5.json --json   → {"grade": 3, "drivenBy": ["ice"]}',
    )
    .action((file: string, opts: { json?: boolean }) => {
      output(gradeIcans(parseIcansWindow(readJson(file), file)), Boolean(opts.json));
    });
}

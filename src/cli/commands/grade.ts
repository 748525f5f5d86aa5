/**
 * `carto grade crs|icans FILE.json` — ASTCT 2019 grade of one observation window (the registry API uses
 * the same functions, src/registry/grading/astct.ts).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { z } from 'zod';
import {
  crsWindowSchema,
  gradeCrs,
  gradeIcans,
  icansWindowSchema,
  parseCrsWindow,
  parseIcansWindow,
} from '../../registry/grading/astct.js';
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

interface JsonSchemaField {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: JsonSchemaField;
  anyOf?: JsonSchemaField[];
}

/** One field's allowed values as help text: `true|false`, `number 25–45`, `none|facemask|…`, `… or null`. */
function allowedValues(f: JsonSchemaField): string {
  if (f.anyOf) return f.anyOf.map(allowedValues).join(' or ');
  if (f.enum) return f.enum.map(String).join('|');
  if (f.type === 'boolean') return 'true|false';
  if (f.type === 'null') return 'null';
  if (f.type === 'array') return `[${f.items ? allowedValues(f.items) : ''}, …]`;
  if (f.type === 'number' || f.type === 'integer') {
    const range = f.minimum !== undefined && f.maximum !== undefined ? ` ${f.minimum}–${f.maximum}` : '';
    return `${f.type}${range}`;
  }
  return f.type ?? 'any';
}

/**
 * The fields of a grading window with their allowed values, one per line, read from the zod schema
 * the grading validates with (so the help cannot drift from it).
 */
export function fieldsHelp(schema: z.ZodType): string {
  const js = z.toJSONSchema(schema) as { properties?: Record<string, JsonSchemaField> };
  const props = Object.entries(js.properties ?? {});
  const width = Math.max(...props.map(([k]) => k.length));
  return props.map(([k, f]) => `  ${k.padEnd(width)}  ${allowedValues(f)}`).join('\n');
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
      `\nFields (all required) and allowed values:\n${fieldsHelp(crsWindowSchema)}\n` +
        '\noxygenLPerMin may be null unless the device is a nasal cannula.\n' +
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
      `\nFields (all required) and allowed values:\n${fieldsHelp(icansWindowSchema)}\n` +
        'Example:\n  carto grade icans day5.json --json   → {"grade": 3, "drivenBy": ["ice"]}',
    )
    .action((file: string, opts: { json?: boolean }) => {
      output(gradeIcans(parseIcansWindow(readJson(file), file)), Boolean(opts.json));
    });
}

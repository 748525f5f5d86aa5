/**
 * Importers: a REDCap project (data dictionary CSV + records CSV, longitudinal events and repeat
 * instances) and a Castor EDC export (semicolon CSV: wide study data + one long file per repeating-data
 * type), each through a mapping file (JSON) onto the registry model.
 *
 * Strict: an unknown column in a REDCap records file, a mapped field that is not in the dictionary or
 * file, a mapped REDCap identifier field (direct identifiers never enter the registry), or any invalid
 * value is an InputError naming file and field — and nothing is written (one transaction).
 *
 * Mapping file:
 * ```json
 * { "pseudonym": "record_id", "centre": "AMC",            // or "centreField": "redcap_data_access_group"
 *   "centreValues": { "amc": "AMC" },                      // optional source → centre code
 *   "patient": { "ageAtReferral": "age", "sex": { "field": "sex", "values": { "1": "M", "2": "F" } } },
 *   "entities": { "apheresis": { "source": "apheresis", "fields": { "apheresisDate": "aph_date" } },
 *                 "toxicity-observations": { "source": "daily_tox", "fields": {
 *                    "vasopressors": { "checkbox": "vaso" } } } } }
 * ```
 * `source` is the REDCap instrument (form) or the Castor repeating-data name (`study` for the wide
 * study file). A field map is a source field name, `{field, values}` (code → registry value) or
 * `{checkbox, values?}` (REDCap `name___code` / Castor `name#label` columns → list of checked labels), or
 * `{const}` (a value the source project does not collect, e.g. `{"const": false}` for `diedOfCrs`; a
 * row is only imported when at least one non-constant field has a value).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError, schemaIssueToInputError } from '../../errors.js';
import { unknownNameHint } from '../../nearest-name.js';
import { parseCsv, type CsvTable } from '../../io/csv.js';
import { ENTITIES, PATIENT_FIELDS, entityByPath, type FieldSpec } from '../model.js';
import type { ScopedRegistry } from '../store.js';
import { isIsoDate } from '../validation.js';

const fieldMapSchema = z.union([
  z.string().min(1),
  z.strictObject({ field: z.string().min(1), values: z.record(z.string(), z.string()).optional() }),
  z.strictObject({ checkbox: z.string().min(1), values: z.record(z.string(), z.string()).optional() }),
  z.strictObject({ const: z.union([z.string(), z.number(), z.boolean(), z.null()]) }),
]);
type FieldMap = z.infer<typeof fieldMapSchema>;

export const mappingSchema = z.strictObject({
  pseudonym: z.string().min(1),
  centre: z.string().optional(),
  centreField: z.string().optional(),
  centreValues: z.record(z.string(), z.string()).optional(),
  patient: z.record(z.string(), fieldMapSchema),
  entities: z.record(
    z.string(),
    z.strictObject({ source: z.string().min(1), fields: z.record(z.string(), fieldMapSchema) }),
  ),
});
export type ImportMapping = z.infer<typeof mappingSchema>;

/** One source record row of one instrument/repeating type. */
interface SourceRow {
  record: string;
  source: string;
  file: string;
  row: number;
  values: Record<string, string>;
  /** Checkbox columns: base name → (code/label → label, checked). */
  checkboxes: Record<string, { label: string; checked: boolean | null }[]>;
}

export interface ImportSummary {
  patients: number;
  rows: Record<string, number>;
}

/**
 * Reads and validates a mapping file.
 * @throws InputError naming the mapping path of a bad entry (unknown entity or registry field)
 */
export function readMapping(file: string): ImportMapping {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new InputError(`cannot read mapping: ${(e as Error).message}`, { file });
  }
  return parseMapping(json, file);
}

/**
 * Validates a mapping object (see the module doc).
 * @throws InputError naming the mapping path of a bad entry
 */
export function parseMapping(json: unknown, file = 'mapping'): ImportMapping {
  const r = mappingSchema.safeParse(json);
  if (!r.success) {
    throw schemaIssueToInputError(r.error.issues[0], json, { file });
  }
  const m = r.data;
  if (!m.centre && !m.centreField)
    throw new InputError('give centre or centreField', { file, field: 'centre' });
  for (const k of Object.keys(m.patient))
    if (!PATIENT_FIELDS.some((f) => f.name === k) || k === 'pseudonym') {
      const known = PATIENT_FIELDS.map((f) => f.name).filter((n) => n !== 'pseudonym');
      throw new InputError(`not a patient field of the registry (${unknownNameHint(k, known)})`, {
        file,
        field: `patient.${k}`,
      });
    }
  for (const [path, e] of Object.entries(m.entities)) {
    const spec = entityByPath(path);
    if (!spec)
      throw new InputError(
        `unknown registry entity (${unknownNameHint(
          path,
          ENTITIES.map((x) => x.path),
        )})`,
        {
          file,
          field: `entities.${path}`,
        },
      );
    for (const k of Object.keys(e.fields))
      if (!spec.fields.some((f) => f.name === k))
        throw new InputError(
          `not a field of ${path} (${unknownNameHint(
            k,
            spec.fields.map((f) => f.name),
          )})`,
          { file, field: `entities.${path}.fields.${k}` },
        );
  }
  return m;
}

function sourceField(fm: Exclude<FieldMap, { const: unknown }>): {
  name: string;
  checkbox: boolean;
  values?: Record<string, string>;
} {
  if (typeof fm === 'string') return { name: fm, checkbox: false };
  if ('checkbox' in fm)
    return { name: fm.checkbox, checkbox: true, ...(fm.values ? { values: fm.values } : {}) };
  return { name: fm.field, checkbox: false, ...(fm.values ? { values: fm.values } : {}) };
}

function isConst(fm: FieldMap): fm is { const: string | number | boolean | null } {
  return typeof fm === 'object' && 'const' in fm;
}

/** Every source field the mapping reads, with where it is used (for error messages). */
function mappedFields(
  m: ImportMapping,
): { name: string; checkbox: boolean; where: string; source: string | null }[] {
  const out: { name: string; checkbox: boolean; where: string; source: string | null }[] = [];
  for (const [k, fm] of Object.entries(m.patient))
    if (!isConst(fm)) out.push({ ...sourceField(fm), where: `patient.${k}`, source: null });
  for (const [path, e] of Object.entries(m.entities))
    for (const [k, fm] of Object.entries(e.fields))
      if (!isConst(fm))
        out.push({ ...sourceField(fm), where: `entities.${path}.fields.${k}`, source: e.source });
  return out;
}

/** Converts one source value to the registry field's API value (null = missing). */
function convert(
  fs: FieldSpec,
  raw: string,
  map: Record<string, string> | undefined,
  loc: { file: string; row: number; field: string },
  castor: boolean,
): unknown {
  const v = raw.trim();
  if (v === '') return null;
  const mapped = map ? map[v] : v;
  if (mapped === undefined) throw new InputError('value has no mapping', { ...loc, value: v });
  switch (fs.kind) {
    case 'int':
    case 'real': {
      const n = Number(mapped.replace(',', '.'));
      if (!Number.isFinite(n)) throw new InputError('not a number', { ...loc, value: v });
      if (castor && n <= -95 && n >= -99 && Number.isInteger(n)) return null; // Castor user-missing codes
      return n;
    }
    case 'bool': {
      const l = mapped.toLowerCase();
      if (['1', 'yes', 'true', 'y'].includes(l)) return true;
      if (['0', 'no', 'false', 'n'].includes(l)) return false;
      throw new InputError('not a yes/no value', { ...loc, value: v });
    }
    case 'date': {
      let d = mapped;
      const dmy = /^(\d{2})-(\d{2})-(\d{4})$/.exec(d); // Castor DD-MM-YYYY
      if (dmy) d = `${dmy[3]}-${dmy[2]}-${dmy[1]}`;
      if (castor && /^299[5-9]-/.test(d)) return null; // Castor missing-date codes
      if (!isIsoDate(d)) throw new InputError('not a date (YYYY-MM-DD or DD-MM-YYYY)', { ...loc, value: v });
      return d;
    }
    case 'list':
      return mapped
        .split(/[|,]/)
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return mapped;
  }
}

/** Builds patient + entity bodies from source rows and writes them in one transaction. */
async function writeRecords(
  reg: ScopedRegistry,
  m: ImportMapping,
  rows: SourceRow[],
  castor: boolean,
): Promise<ImportSummary> {
  const byRecord = new Map<string, SourceRow[]>();
  for (const r of rows) byRecord.set(r.record, [...(byRecord.get(r.record) ?? []), r]);
  const valueOf = (fs: FieldSpec, fm: FieldMap, r: SourceRow): unknown => {
    if (isConst(fm)) return fm.const;
    const sf = sourceField(fm);
    const loc = { file: r.file, row: r.row, field: sf.name };
    if (sf.checkbox) {
      const boxes = r.checkboxes[sf.name];
      if (!boxes || boxes.every((b) => b.checked === null)) return null;
      const labels = boxes
        .filter((b) => b.checked)
        .map((b) => (sf.values ? (sf.values[b.label] ?? b.label) : b.label));
      return fs.kind === 'list' ? labels : labels.length > 0;
    }
    const raw = r.values[sf.name];
    if (raw === undefined) return undefined;
    return convert(fs, raw, sf.values, loc, castor);
  };
  const summary: ImportSummary = { patients: 0, rows: {} };
  await reg.batch(async (tx) => {
    for (const [record, recRows] of byRecord) {
      const body: Record<string, unknown> = { pseudonym: record, reason: 'import' };
      let centre = m.centre ?? null;
      if (m.centreField) {
        const raw = recRows
          .map((r) => r.values[m.centreField ?? ''])
          .find((v) => v !== undefined && v !== '');
        centre = raw === undefined ? null : (m.centreValues?.[raw] ?? raw);
      }
      body['centre'] = centre;
      for (const [k, fm] of Object.entries(m.patient)) {
        const fs = PATIENT_FIELDS.find((f) => f.name === k);
        if (!fs) continue;
        for (const r of recRows) {
          const v = valueOf(fs, fm, r);
          if (v !== undefined && v !== null) {
            body[k] = v;
            break;
          }
        }
      }
      const first = recRows[0];
      let patientId: string;
      try {
        patientId = String((await tx.createPatient(body))['id']);
      } catch (e) {
        throw rewrap(e, first?.file ?? '', first?.row, `record ${record}`);
      }
      summary.patients++;
      for (const e of ENTITIES) {
        const em = m.entities[e.path];
        if (!em) continue;
        for (const r of recRows.filter((x) => x.source === em.source)) {
          const b: Record<string, unknown> = { reason: 'import' };
          let any = false;
          for (const [k, fm] of Object.entries(em.fields)) {
            const fs = e.fields.find((f) => f.name === k);
            if (!fs) continue;
            const v = valueOf(fs, fm, r);
            if (!isConst(fm) && v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
              any = true;
            if (v !== undefined) b[k] = v ?? (fs.required ? undefined : null);
          }
          if (!any) continue; // this event/instance holds nothing of this entity
          try {
            await tx.createRow(e.path, patientId, b);
          } catch (err) {
            throw rewrap(err, r.file, r.row, `record ${record}, ${e.path}`);
          }
          summary.rows[e.path] = (summary.rows[e.path] ?? 0) + 1;
        }
      }
    }
  });
  return summary;
}

function rewrap(e: unknown, file: string, row: number | undefined, what: string): unknown {
  if (!(e instanceof InputError)) return e;
  const msg = e.message.replace(/^field [^:]+: /, '');
  return new InputError(`${what}: ${msg}`, {
    file,
    ...(row !== undefined ? { row } : {}),
    ...(e.location.field !== undefined ? { field: e.location.field } : {}),
  });
}

interface DictField {
  name: string;
  form: string;
  type: string;
  choices: { code: string; label: string }[];
  identifier: boolean;
}

function dictColumn(t: CsvTable, names: string[]): string {
  const c = t.columns.find((x) => names.includes(x));
  if (!c)
    throw new InputError(`data dictionary lacks column ${names[0]}`, { file: t.file, field: names[0] ?? '' });
  return c;
}

/** Parses a REDCap data dictionary (UI CSV headers or API snake_case headers). */
export function parseRedcapDictionary(t: CsvTable): DictField[] {
  const name = dictColumn(t, ['Variable / Field Name', 'field_name']);
  const form = dictColumn(t, ['Form Name', 'form_name']);
  const type = dictColumn(t, ['Field Type', 'field_type']);
  const choices = dictColumn(t, [
    'Choices, Calculations, OR Slider Labels',
    'select_choices_or_calculations',
  ]);
  const ident = t.columns.find((c) => c === 'Identifier?' || c === 'identifier');
  return t.rows.map((r) => ({
    name: r[name] ?? '',
    form: r[form] ?? '',
    type: r[type] ?? '',
    choices: ['checkbox', 'radio', 'dropdown'].includes(r[type] ?? '')
      ? (r[choices] ?? '')
          .split('|')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => {
            const i = s.indexOf(',');
            return { code: s.slice(0, i).trim(), label: s.slice(i + 1).trim() };
          })
      : [],
    identifier: ident ? (r[ident] ?? '').trim().toLowerCase() === 'y' : false,
  }));
}

const REDCAP_SYSTEM = new Set([
  'redcap_event_name',
  'redcap_repeat_instrument',
  'redcap_repeat_instance',
  'redcap_data_access_group',
  'redcap_survey_identifier',
]);

/**
 * Imports a REDCap project export.
 * @param reg the importing user's scoped registry (authorisation applies: a centre user imports into
 *   their own centre only)
 * @param files dictionary CSV, records CSV (flat, raw codes), mapping JSON
 * @throws InputError naming file, row and field; nothing is written on any error
 */
export async function importRedcap(
  reg: ScopedRegistry,
  files: { dictionary: string; records: string; mapping: string },
): Promise<ImportSummary> {
  return importRedcapText(reg, {
    dictionary: { file: files.dictionary, text: readFileSync(files.dictionary, 'utf8') },
    records: { file: files.records, text: readFileSync(files.records, 'utf8') },
    mapping: readMapping(files.mapping),
    mappingFile: files.mapping,
  });
}

/**
 * Imports a REDCap project given as text (the HTTP import route); see `importRedcap`.
 * @param input dictionary and records CSV text with the names used in error messages; a parsed mapping
 */
export async function importRedcapText(
  reg: ScopedRegistry,
  input: {
    dictionary: { file: string; text: string };
    records: { file: string; text: string };
    mapping: ImportMapping;
    mappingFile: string;
  },
): Promise<ImportSummary> {
  const files = {
    dictionary: input.dictionary.file,
    records: input.records.file,
    mapping: input.mappingFile,
  };
  const m = input.mapping;
  const dict = parseRedcapDictionary(parseCsv(input.dictionary.text, files.dictionary));
  const byName = new Map(dict.map((d) => [d.name, d]));
  const recordId = dict[0]?.name;
  if (!recordId) throw new InputError('empty data dictionary', { file: files.dictionary });
  for (const f of mappedFields(m)) {
    const d = byName.get(f.name);
    if (!d)
      throw new InputError(`mapped field ${f.name} is not in the data dictionary`, {
        file: files.mapping,
        field: f.where,
      });
    if (d.identifier)
      throw new InputError(`field ${f.name} is flagged as an identifier and is never imported`, {
        file: files.mapping,
        field: f.where,
      });
    if (f.checkbox !== (d.type === 'checkbox'))
      throw new InputError(`field ${f.name} is ${d.type}`, { file: files.mapping, field: f.where });
    if (f.source !== null && d.form !== f.source && f.source !== 'study')
      throw new InputError(`field ${f.name} belongs to instrument ${d.form}, not ${f.source}`, {
        file: files.mapping,
        field: f.where,
      });
  }
  if (m.pseudonym !== recordId)
    throw new InputError(`pseudonym must be the record ID field ${recordId}`, {
      file: files.mapping,
      field: 'pseudonym',
    });
  const recs = parseCsv(input.records.text, files.records);
  const forms = new Set(dict.map((d) => d.form));
  const checkboxCols = new Map<string, { base: string; code: string; label: string }>();
  for (const d of dict)
    if (d.type === 'checkbox')
      for (const c of d.choices)
        checkboxCols.set(`${d.name}___${c.code.toLowerCase()}`, {
          base: d.name,
          code: c.code,
          label: c.label,
        });
  for (const c of recs.columns) {
    const known =
      (byName.has(c) && byName.get(c)?.type !== 'checkbox' && byName.get(c)?.type !== 'descriptive') ||
      checkboxCols.has(c.toLowerCase()) ||
      REDCAP_SYSTEM.has(c) ||
      [...forms].some((f) => c === `${f}_complete` || c === `${f}_timestamp`);
    if (!known)
      throw new InputError('column is not a field of the data dictionary', { file: files.records, field: c });
  }
  const rows: SourceRow[] = [];
  recs.rows.forEach((r, i) => {
    const record = (r[recordId] ?? '').trim();
    if (!record)
      throw new InputError('record ID is empty', { file: files.records, row: i + 1, field: recordId });
    const checkboxes: SourceRow['checkboxes'] = {};
    for (const [col, cb] of checkboxCols) {
      const actual = recs.columns.find((c) => c.toLowerCase() === col);
      if (!actual) continue;
      const v = (r[actual] ?? '').trim();
      (checkboxes[cb.base] ??= []).push({ label: cb.label, checked: v === '' ? null : v === '1' });
    }
    const repeat = (r['redcap_repeat_instrument'] ?? '').trim();
    const base = { record, file: files.records, row: i + 1, values: r, checkboxes };
    if (repeat) rows.push({ ...base, source: repeat });
    else for (const f of forms) rows.push({ ...base, source: f });
  });
  return writeRecords(reg, m, rows, false);
}

/**
 * Imports a Castor EDC CSV export (semicolon-separated).
 * @param files study: wide study-data CSV; repeating: repeating-data name → long CSV; mapping JSON
 * @throws InputError naming file, row and field; nothing is written on any error
 */
export async function importCastor(
  reg: ScopedRegistry,
  files: { study: string; repeating: Record<string, string>; mapping: string },
): Promise<ImportSummary> {
  const m = readMapping(files.mapping);
  const tables: { source: string; table: CsvTable }[] = [
    { source: 'study', table: parseCsv(readFileSync(files.study, 'utf8'), files.study, ';') },
    ...Object.entries(files.repeating).map(([source, file]) => ({
      source,
      table: parseCsv(readFileSync(file, 'utf8'), file, ';'),
    })),
  ];
  const idCol = m.pseudonym;
  for (const { source, table } of tables) {
    if (!table.columns.includes(idCol))
      throw new InputError(`missing participant column ${idCol}`, { file: table.file, field: idCol });
    for (const f of mappedFields(m).filter(
      (x) => x.source === source || (x.source === null && source === 'study'),
    )) {
      const ok = f.checkbox
        ? table.columns.some((c) => c.startsWith(`${f.name}#`))
        : table.columns.includes(f.name);
      if (!ok)
        throw new InputError(`mapped field ${f.name} is not a column of ${source}`, {
          file: files.mapping,
          field: f.where,
        });
    }
  }
  for (const [path, e] of Object.entries(m.entities))
    if (!tables.some((t) => t.source === e.source))
      throw new InputError(`no file for Castor source ${e.source}`, {
        file: files.mapping,
        field: `entities.${path}.source`,
      });
  const rows: SourceRow[] = [];
  for (const { source, table } of tables) {
    table.rows.forEach((r, i) => {
      const record = (r[idCol] ?? '').trim();
      if (!record)
        throw new InputError('participant ID is empty', { file: table.file, row: i + 1, field: idCol });
      const checkboxes: SourceRow['checkboxes'] = {};
      for (const c of table.columns) {
        const k = c.indexOf('#');
        if (k < 0) continue;
        const v = (r[c] ?? '').trim();
        (checkboxes[c.slice(0, k)] ??= []).push({
          label: c.slice(k + 1),
          checked: v === '' ? null : v === '1',
        });
      }
      rows.push({ record, source, file: table.file, row: i + 1, values: r, checkboxes });
    });
  }
  return writeRecords(reg, m, rows, true);
}

/**
 * zod schemas built from the entity specs (src/registry/model.ts): bodies for create and update, and the
 * mapping of a zod failure to an `InputError` that names the field. Used by the data layer (so every
 * caller — HTTP, CLI import — is validated the same way) and by the OpenAPI document.
 */
import { z } from 'zod';
import { InputError, schemaIssueToInputError } from '../errors.js';
import {
  candidateConflict,
  implausibleDate,
  stepWords,
  type JourneyEntry,
  type JourneyStep,
} from '../clinical/timeline.js';
import { ENTITIES, PATIENT_FIELDS, type EntitySpec, type FieldSpec } from './model.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** True when `s` is a real calendar date `YYYY-MM-DD`. */
export function isIsoDate(s: string): boolean {
  if (!ISO_DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** zod type of one field's value (without optionality). */
export function fieldType(fs: FieldSpec): z.ZodType {
  switch (fs.kind) {
    case 'text':
      return fs.name === 'pseudonym'
        ? z.string().regex(/^[A-Za-z0-9_-]{3,40}$/, 'letters, digits, - and _ only (3–40)')
        : z.string().trim().min(1).max(2000);
    case 'date':
      return z
        .string()
        .refine(isIsoDate, 'not a calendar date YYYY-MM-DD')
        .superRefine((d, ctx) => {
          const why = implausibleDate(d, new Date());
          if (why !== null) ctx.addIssue({ code: 'custom', message: why });
        });
    case 'int': {
      let t = z.number().int();
      if (fs.min !== undefined) t = t.min(fs.min);
      if (fs.max !== undefined) t = t.max(fs.max);
      return t;
    }
    case 'real': {
      let t = z.number();
      if (fs.min !== undefined) t = t.min(fs.min);
      if (fs.max !== undefined) t = t.max(fs.max);
      return t;
    }
    case 'bool':
      return z.boolean();
    case 'enum':
      return z.enum(fs.values as [string, ...string[]]);
    case 'list':
      return z.array(z.string().trim().min(1).max(100)).max(20);
  }
}

const reason = z.string().trim().min(1).max(500);

const createCache = new WeakMap<FieldSpec[], z.ZodObject>();
const updateCache = new WeakMap<FieldSpec[], z.ZodObject>();

/** Body schema for creating a row: required fields, nullable optional fields, optional `reason` (memoised). */
export function createSchema(fields: FieldSpec[]): z.ZodObject {
  const hit = createCache.get(fields);
  if (hit) return hit;
  const schema = buildCreateSchema(fields);
  createCache.set(fields, schema);
  return schema;
}

function buildCreateSchema(fields: FieldSpec[]): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const fs of fields) shape[fs.name] = fs.required ? fieldType(fs) : fieldType(fs).nullable().optional();
  shape['reason'] = reason.optional();
  return z.strictObject(shape);
}

/** Body schema for updating a row: any subset of fields, plus the row `version` and a `reason` (memoised). */
export function updateSchema(fields: FieldSpec[]): z.ZodObject {
  const hit = updateCache.get(fields);
  if (hit) return hit;
  const schema = buildUpdateSchema(fields);
  updateCache.set(fields, schema);
  return schema;
}

function buildUpdateSchema(fields: FieldSpec[]): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const fs of fields)
    shape[fs.name] = fs.required ? fieldType(fs).optional() : fieldType(fs).nullable().optional();
  shape['version'] = z.number().int().min(1);
  shape['reason'] = reason;
  return z.strictObject(shape);
}

/** Body schema for deleting a row. */
export const deleteSchema = z.strictObject({ version: z.number().int().min(1), reason });

/**
 * Parses `input` with `schema`, throwing an InputError that names the first offending field and its value
 * (`schemaIssueToInputError`).
 * @throws InputError (field = dotted path, or the unknown key)
 */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw schemaIssueToInputError(r.error.issues[0], input);
}

/**
 * The journey step of each dated registry field (src/clinical/timeline.ts). Unlisted date fields are
 * 'other' records: after the referral and not after the death. Response assessments are 'other' here:
 * the registry keeps baseline (pre-infusion) assessments, and best response uses only those on or
 * after the infusion (src/registry/outcomes.ts).
 */
const STEP_OF: Record<string, JourneyStep> = {
  'patients.referralDate': 'referral',
  'apheresis.apheresisDate': 'apheresis',
  'bridging.startDate': 'bridging',
  'lymphodepletion.startDate': 'lymphodepletion',
  'infusions.infusionDate': 'infusion',
  'progressions.progressionDate': 'progression',
  'follow-ups.followUpDate': 'follow_up',
  'deaths.deathDate': 'death',
};

/** A dated field of the patient journey: entity path ('patients' for the patient row), table, column. */
export interface JourneyField {
  path: string;
  table: string;
  column: string;
  field: string;
  step: JourneyStep;
}

/** Every dated field of the registry journey, from the entity specs. */
export const JOURNEY_FIELDS: JourneyField[] = [
  { path: 'patients', table: 'reg_patient', fields: PATIENT_FIELDS },
  ...ENTITIES.map((e) => ({ path: e.path, table: e.table, fields: e.fields })),
].flatMap((e) =>
  e.fields
    .filter((f) => f.kind === 'date')
    .map((f) => ({
      path: e.path,
      table: e.table,
      column: f.column,
      field: f.name,
      step: STEP_OF[`${e.path}.${f.name}`] ?? 'other',
    })),
);

/**
 * Checks a new or changed row's dates against the rest of the patient's journey (order rules of
 * src/clinical/timeline.ts: referral first; apheresis ≤ lymphodepletion ≤ infusion; bridging ≤ infusion;
 * infusion ≤ progression, follow-up, death; nothing after death but its record).
 *
 * @param spec the row's entity ('patients' path for the patient row itself)
 * @param fields the row's field values after the write (API names)
 * @param storedDates the dates of the patient's other rows in `table`.`column` (the row itself left out);
 *   for the patient row its referral date is read this way too
 * @throws InputError naming the row's date field and its value, and the event it conflicts with
 */
export async function checkJourneyOrder(
  spec: Pick<EntitySpec, 'path'>,
  fields: Record<string, unknown>,
  storedDates: (table: string, column: string) => Promise<string[]>,
): Promise<void> {
  const own = JOURNEY_FIELDS.filter((j) => j.path === spec.path);
  const candidates: JourneyEntry<{ field: JourneyField; date: string }>[] = [];
  for (const j of own) {
    const d = fields[j.field];
    if (typeof d === 'string')
      candidates.push({ step: j.step, day: dayNumber(d), source: { field: j, date: d } });
  }
  if (candidates.length === 0) return;
  const others: typeof candidates = [];
  for (const j of JOURNEY_FIELDS) {
    if (j.path === spec.path) continue;
    for (const d of await storedDates(j.table, j.column)) {
      others.push({ step: j.step, day: dayNumber(d), source: { field: j, date: d } });
    }
  }
  for (const c of candidates) {
    const conflict = candidateConflict(c, others);
    if (!conflict) continue;
    const other = conflict.later === c ? conflict.earlier : conflict.later;
    const relation = conflict.later === c ? 'before' : 'after';
    throw new InputError(
      `${c.source.field.field} ${c.source.date} is ${relation} ${stepWords(other.step)} ` +
        `(${other.source.field.path} ${other.source.field.field} ${other.source.date}); the journey runs ` +
        'referral ≤ apheresis ≤ lymphodepletion ≤ infusion ≤ progression, follow-up ≤ death, nothing after death',
      { field: c.source.field.field, value: c.source.date },
    );
  }
}

/** Days since 1970-01-01 of an ISO date (the axis of the order check). */
function dayNumber(iso: string): number {
  return Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
}

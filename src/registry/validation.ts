/**
 * zod schemas built from the entity specs (src/registry/model.ts): bodies for create and update, and the
 * mapping of a zod failure to an `InputError` that names the field. Used by the data layer (so every
 * caller — HTTP, CLI import — is validated the same way) and by the OpenAPI document.
 */
import { z } from 'zod';
import { schemaIssueToInputError } from '../errors.js';
import type { FieldSpec } from './model.js';

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
      return z.string().refine(isIsoDate, 'not a calendar date YYYY-MM-DD');
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
 * Parses `input` with `schema`, throwing an InputError that names the first offending field.
 * @throws InputError (field = dotted path, or the unknown key)
 */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw schemaIssueToInputError(r.error.issues[0], input);
}

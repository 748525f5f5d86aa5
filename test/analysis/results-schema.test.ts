// docs/results.schema.json against real results documents: the model sections of the plan run on a test study (and
// on one where sections do not run) goes through the report's resultsDocument() and must validate;
// a corrupted document must not. The validator below implements the JSON Schema keywords the schema
// uses (type, enum, const, required, properties, additionalProperties, items, minItems,
// exclusiveMinimum, allOf, if/then, local $ref).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resultsDocument } from '../../src/report/write.js';
import { MODEL_SECTIONS, runModelSections } from './plan-sections.js';
import { buildStudy } from './study-builder.js';

type Schema = Record<string, unknown>;
const schema = JSON.parse(
  readFileSync(new URL('../../docs/results.schema.json', import.meta.url), 'utf8'),
) as Schema;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function validate(v: unknown, s: Schema, path: string, errors: string[]): void {
  if (typeof s['$ref'] === 'string') {
    const target = s['$ref']
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], schema) as Schema;
    validate(v, target, path, errors);
  }
  if (s['type'] !== undefined) {
    const types = Array.isArray(s['type']) ? (s['type'] as string[]) : [s['type'] as string];
    const t = typeOf(v);
    const ok = types.some((x) => x === t || (x === 'integer' && t === 'number' && Number.isInteger(v)));
    if (!ok) errors.push(`${path}: type ${t}, expected ${types.join('|')}`);
  }
  if (Array.isArray(s['enum']) && !(s['enum'] as unknown[]).includes(v))
    errors.push(`${path}: ${String(v)} not in enum`);
  if ('const' in s && s['const'] !== v) errors.push(`${path}: not ${String(s['const'])}`);
  if (typeof s['exclusiveMinimum'] === 'number' && typeof v === 'number' && !(v > s['exclusiveMinimum'])) {
    errors.push(`${path}: ${v} ≤ ${s['exclusiveMinimum']}`);
  }
  if (Array.isArray(s['allOf'])) for (const sub of s['allOf'] as Schema[]) validate(v, sub, path, errors);
  if (s['if'] !== undefined) {
    const e: string[] = [];
    validate(v, s['if'] as Schema, path, e);
    if (e.length === 0 && s['then'] !== undefined) validate(v, s['then'] as Schema, path, errors);
  }
  if (typeOf(v) === 'object') {
    const o = v as Record<string, unknown>;
    for (const r of (s['required'] as string[] | undefined) ?? [])
      if (!(r in o)) errors.push(`${path}: missing ${r}`);
    const props = (s['properties'] as Record<string, Schema> | undefined) ?? {};
    for (const [k, val] of Object.entries(o)) {
      if (props[k]) validate(val, props[k], `${path}.${k}`, errors);
      else if (typeof s['additionalProperties'] === 'object')
        validate(val, s['additionalProperties'] as Schema, `${path}.${k}`, errors);
    }
  }
  if (Array.isArray(v)) {
    if (typeof s['minItems'] === 'number' && v.length < s['minItems'])
      errors.push(`${path}: fewer than ${s['minItems']} items`);
    if (s['items'] !== undefined)
      v.forEach((x, i) => validate(x, s['items'] as Schema, `${path}[${i}]`, errors));
  }
}

function documentOf(opts: Parameters<typeof buildStudy>[0]): unknown {
  const study = buildStudy(opts);
  const doc = resultsDocument({
    studyName: study.name,
    tracer: study.tracer,
    sections: runModelSections(study),
  });
  const text = JSON.stringify(doc, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView))
      return Array.from(v as unknown as ArrayLike<number>);
    return v;
  });
  return JSON.parse(text) as unknown;
}

const fullDoc = documentOf({ patients: 9, settings: { normalTissue: { organs: ['spleen', 'brain'] } } });

test('results.json of the model sections of the plan validates against docs/results.schema.json', () => {
  for (const doc of [fullDoc, documentOf({ noPost: true, allCensored: true, patients: 9 })]) {
    const errors: string[] = [];
    validate(doc, schema, '$', errors);
    assert.deepEqual(errors.slice(0, 10), []);
  }
});

test('the schema rejects a corrupted document', () => {
  const doc = structuredClone(fullDoc) as {
    sections: Record<string, { status: string; results: Record<string, unknown> }>;
  };
  doc.sections['tumour-pvc']!.results['knots'] = 'four';
  doc.sections['tumour-prepost']!.status = 'maybe';
  const errors: string[] = [];
  validate(doc, schema, '$', errors);
  assert.ok(errors.some((e) => e.includes('tumour-pvc.results.knots')));
  assert.ok(errors.some((e) => e.includes('tumour-prepost.status')));
});

test('the schema names every section of the model sections of the plan', () => {
  const props = Object.keys(
    ((schema['properties'] as Record<string, Schema>)['sections']!['properties'] as Record<
      string,
      unknown
    >) ?? {},
  );
  for (const a of MODEL_SECTIONS) assert.ok(props.includes(a.id), a.id);
});

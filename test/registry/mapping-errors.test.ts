/**
 * Import mappings (`carto registry import-redcap|import-castor --mapping`): every bad entry is an
 * InputError naming the mapping file, the field path and, for an unknown name, the nearest known one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';
import { parseMapping } from '../../src/registry/exchange/import.js';

const valid = {
  pseudonym: 'record_id',
  centre: 'NL-01',
  patient: { sex: { field: 'sex' } },
  entities: {},
};

function errorOf(json: unknown): InputError {
  try {
    parseMapping(json, 'map.json');
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e;
  }
  assert.fail('no error');
}

test('a valid mapping parses', () => {
  assert.equal(parseMapping(valid, 'map.json').pseudonym, 'record_id');
});

test('a missing required key names its field', () => {
  const e = errorOf({ ...valid, pseudonym: undefined });
  assert.equal(e.location.file, 'map.json');
  assert.equal(e.location.field, 'pseudonym');
  assert.match(e.message, /required field is missing/);
});

test('a value of the wrong type names its field and the value', () => {
  const e = errorOf({ ...valid, centre: 7 });
  assert.equal(e.location.field, 'centre');
  assert.match(e.message, /expected string, got number/);
});

test('an unknown key of the mapping is named', () => {
  const e = errorOf({ ...valid, pseudonymField: 'x' });
  assert.equal(e.location.field, 'pseudonymField');
  assert.match(e.message, /unknown field/);
});

test('an unknown patient field names the nearest registry field', () => {
  const e = errorOf({ ...valid, patient: { sexx: { field: 'sex' } } });
  assert.equal(e.location.field, 'patient.sexx');
  assert.match(e.message, /did you mean `sex`\?/);
});

test('an unknown entity names the nearest entity path', () => {
  const e = errorOf({ ...valid, entities: { infusionz: { source: 'inf', fields: {} } } });
  assert.equal(e.location.field, 'entities.infusionz');
  assert.match(e.message, /unknown registry entity \(did you mean `infusions?`\?\)/);
});

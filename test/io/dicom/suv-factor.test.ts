/**
 * `readSuvFactors` / `readHeaderJson`: header.json input shapes (one object, an array) and their
 * errors (invalid JSON, empty array, non-object items, missing path).
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { readHeaderJson, readSuvFactors } from '../../../src/io/dicom/suv-factor.js';
import { projectRoot } from '../../helpers/shared-data.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string): string => join(projectRoot, 'test', 'fixtures', 'dicom', `${name}.json`);

async function rejectsInput(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof InputError && re.test(e.message));
}

test('one object gives one entry, an array one entry per item', async () => {
  assert.equal((await readSuvFactors(fixture('bqml-start'))).factors.length, 1);
  const r = await readSuvFactors(fixture('bqml-start-series'));
  assert.equal(r.source, 'header-json');
  assert.equal(r.factors.length, 3);
  assert.equal(r.factors[2]!.sopInstanceUid, '1.2.826.0.1.3680043.10.1.3');
});

test('bad header.json files are refused naming the file', async () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"Units": "BQML",');
  await rejectsInput(readHeaderJson(bad), /bad\.json.*not valid JSON/);
  const empty = join(dir, 'empty.json');
  writeFileSync(empty, '[]');
  await rejectsInput(readHeaderJson(empty), /empty\.json.*empty array/);
  const nums = join(dir, 'nums.json');
  writeFileSync(nums, '[1, 2]');
  await rejectsInput(readHeaderJson(nums), /nums\.json, row 1: item 0 is not an object/);
  await rejectsInput(readSuvFactors(join(dir, 'missing.json')), /missing\.json: cannot open/);
});

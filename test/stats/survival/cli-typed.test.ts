/**
 * The survival commands on typed columns (`readCsvColumns`, what the CLI reads) give the same results
 * as on string tables (`readCsv`), and their errors quote the cell as written in the file ("3.0",
 * "Inf"), name file, row and column; group labels are the cells as written ('1.0' ≠ '1').
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv } from '../../../src/io/csv.js';
import { readCsvColumns } from '../../../src/io/csv-columns.js';
import { runConcordance, runCox, runKm, runLogRank } from '../../../src/cli/commands/stats-survival.js';
import { InputError } from '../../../src/errors.js';

const fixture = (f: string): string => new URL(`./fixtures/${f}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'carto-surv-typed-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A CSV file in the temporary folder. */
function csv(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

test('lung.csv: km, logrank, cox (factor, cluster, NA rows) and concordance equal on typed and string tables', () => {
  const f = fixture('lung.csv');
  const s = readCsv(f);
  const km = { time: 'time', status: 'status', group: 'sex', at: '100,300' };
  assert.deepEqual(runKm(readCsvColumns(f, ',', '--sep', { text: ['sex'] }), km), runKm(s, km));
  const lr = { time: 'time', status: 'status', group: 'sex' };
  assert.deepEqual(runLogRank(readCsvColumns(f, ',', '--sep', { text: ['sex'] }), lr), runLogRank(s, lr));
  const cox = { formula: 'Surv(time, status) ~ age + ph.ecog + cluster(inst)', factor: 'ph.ecog' };
  assert.deepEqual(runCox(readCsvColumns(f, ',', '--sep', { text: ['ph.ecog'] }), cox), runCox(s, cox));
  // Read by the command (a reader function): the same fit; a bad --ties is still named.
  assert.deepEqual(
    runCox(() => readCsvColumns(f, ',', '--sep', { text: ['ph.ecog'] }), cox),
    runCox(s, cox),
  );
  assert.throws(
    () => runCox(() => readCsvColumns(f), { ...cox, ties: 'exact' }),
    (e: unknown) => e instanceof InputError && /option --ties: must be efron or breslow/.test(e.message),
  );
  // Without `text` the factor column is re-read as written: same result.
  assert.deepEqual(runCox(readCsvColumns(f), cox), runCox(s, cox));
  const c = { time: 'time', status: 'status', predictor: 'age' };
  assert.deepEqual(runConcordance(readCsvColumns(f), c), runConcordance(s, c));
});

test('errors quote the cell as written and name file, row and column', () => {
  const is = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test(e.message);
  const bad = csv('bad-status.csv', 't,s,g\n1,1,a\n2,3.0,b\n3,0,a\n');
  assert.throws(
    () => runKm(readCsvColumns(bad), { time: 't', status: 's' }),
    is(/bad-status\.csv, row 2, field s: s must be coded 0\/1, 1\/2 or TRUE\/FALSE \(value: "3\.0"\)$/),
  );
  const inf = csv('inf.csv', 't,s,g\n1,1,a\nInf,1,b\n');
  assert.throws(
    () => runLogRank(readCsvColumns(inf), { time: 't', status: 's', group: 'g' }),
    is(/inf\.csv, row 2, field t: time is not a number \(value: "Inf"\)$/),
  );
  const neg = csv('neg.csv', 't,s,g\n1,1,a\n-2.50,1,b\n');
  assert.throws(
    () => runKm(readCsvColumns(neg), { time: 't', status: 's' }),
    is(/neg\.csv, row 2, field t: time must be ≥ 0 \(value: "-2\.50"\)$/),
  );
  const na = csv('na.csv', 't,s,g\n1,1,a\n2,NA,b\n');
  assert.throws(
    () => runKm(readCsvColumns(na), { time: 't', status: 's' }),
    is(/na\.csv, row 2, field s: missing s/),
  );
  const pred = csv('pred.csv', 't,s,x\n1,1,0.5\n2,0,\n');
  assert.throws(
    () => runConcordance(readCsvColumns(pred), { time: 't', status: 's', predictor: 'x' }),
    is(/pred\.csv, row 2, field x: predictor value missing or not a number/),
  );
  const grp = csv('grp.csv', 't,s,g\n1,1,1\n2,1,\n');
  assert.throws(
    () =>
      runLogRank(readCsvColumns(grp, ',', '--sep', { text: ['g'] }), { time: 't', status: 's', group: 'g' }),
    is(/grp\.csv, row 2, field g: missing value/),
  );
});

test('group labels are the cells as written: 1.0 and 1 are two groups', () => {
  const f = csv('labels.csv', 't,s,g\n1,1,1.0\n2,0,1\n3,1,1.0\n4,1,1\n');
  const r = runLogRank(readCsvColumns(f, ',', '--sep', { text: ['g'] }), {
    time: 't',
    status: 's',
    group: 'g',
  });
  assert.deepEqual(r['groups'], ['1.0', '1']);
  assert.deepEqual(r['n'], [2, 2]);
});

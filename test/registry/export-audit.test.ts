/**
 * `carto registry export` records each export (format, patients, by whom) in the audit trail, for every
 * format, the analyst's pseudonymised export included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from '../../src/cli/commands/registry.js';
import { RegistryStore } from '../../src/registry/store.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { patientBody, seedWorld } from './fixtures.js';

test('carto registry export writes an export entry to the audit trail for csv, odm and bundle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-export-audit-'));
  try {
    const db = join(dir, 'registry.sqlite');
    const store = await RegistryStore.open(db);
    const w = await seedWorld(store);
    await store.as(w.dmA).createPatient(patientBody('EXP-1', 'AMC'));
    await store.close();
    const runs: [string, string[]][] = [
      ['csv-wide', ['--format', 'csv', '--shape', 'wide', '--out', join(dir, 'w.csv'), '--as', 'analyst']],
      ['odm', ['--format', 'odm', '--out', join(dir, 'r.xml'), '--as', 'dm-a']],
      ['bundle', ['--format', 'bundle', '--out', join(dir, 'bundle'), '--as', 'admin']],
    ];
    for (const [, args] of runs) {
      const r = await runInProcess(register, ['registry', 'export', ...args, '--db', db]);
      assert.equal(r.code, 0, r.err);
    }
    const check = await RegistryStore.open(db);
    const rows = await check.db
      .selectFrom('reg_audit')
      .selectAll()
      .where('action', '=', 'export')
      .orderBy('seq')
      .execute();
    await check.close();
    assert.deepEqual(
      rows.map((r) => [r['username'], r['row_id'], JSON.parse(String(r['new_values'])) as unknown]),
      [
        ['analyst', 'csv-wide', { format: 'csv-wide', patients: 1, client: 'cli', role: 'analyst' }],
        ['dm-a', 'odm', { format: 'odm', patients: 1, client: 'cli', role: 'data_manager' }],
        // a bundle holds every patient, infused or not (here one, not infused)
        ['admin', 'bundle', { format: 'bundle', patients: 1, client: 'cli', role: 'admin' }],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

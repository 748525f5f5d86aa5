/**
 * The registry imports (REDCap, Castor: src/registry/exchange/import.ts, one `batch` each) leave every
 * imported patient's stored stage and product (migration 0013) equal to the outcome computed from its
 * rows, and the patient list filters by them. SQLite in memory (the import code is dialect-free; the
 * write paths run on both databases in stored-outcomes.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { importCastor, importRedcap } from '../../src/registry/exchange/import.js';
import { RegistryStore, type ScopedRegistry } from '../../src/registry/store.js';
import { projectRoot } from '../helpers/shared-data.js';
import { seedWorld } from './fixtures.js';

const fx = (...p: string[]) => join(projectRoot, 'test', 'registry', 'fixtures', ...p);

/** Pseudonym → `stage/product` as stored, after checking each equals the computed outcome. */
async function storedEqualsComputed(
  store: RegistryStore,
  reg: ScopedRegistry,
): Promise<Record<string, string>> {
  const rows = await store.db
    .selectFrom('reg_patient')
    .select(['id', 'pseudonym', 'stage', 'product'])
    .execute();
  const out: Record<string, string> = {};
  for (const r of rows) {
    const o = await reg.outcome(String(r['id']));
    assert.deepEqual([r['stage'], r['product'] ?? null], [o.stage, o.product], String(r['pseudonym']));
    out[String(r['pseudonym'])] = `${o.stage}/${o.product ?? '-'}`;
  }
  return out;
}

for (const [name, run] of [
  [
    'REDCap',
    (reg: ScopedRegistry) =>
      importRedcap(reg, {
        dictionary: fx('redcap', 'dictionary.csv'),
        records: fx('redcap', 'records.csv'),
        mapping: fx('redcap', 'mapping.json'),
      }),
  ],
  [
    'Castor',
    (reg: ScopedRegistry) =>
      importCastor(reg, {
        study: fx('castor', 'study.csv'),
        repeating: {
          daily_tox: fx('castor', 'daily_tox.csv'),
          adverse_events: fx('castor', 'adverse_events.csv'),
        },
        mapping: fx('castor', 'mapping.json'),
      }),
  ],
] as const) {
  test(`${name} import: stored stage and product equal the computed outcomes`, async () => {
    const store = await RegistryStore.open(':memory:');
    try {
      const w = await seedWorld(store);
      const reg = store.as(w.dmA);
      await run(reg);
      const got = await storedEqualsComputed(store, reg);
      // each fixture: one infused patient (no product recorded), one with an apheresis only (no
      // tumour-board acceptance, so still `referred` by the definition)
      assert.deepEqual(Object.values(got).sort(), ['infused/-', 'referred/-']);
      const infused = Object.entries(got).filter(([, v]) => v.startsWith('infused/'));
      const listed = await reg.listPatients({ stage: 'infused' });
      assert.deepEqual(
        listed.items.map((x) => x['pseudonym']),
        infused.map(([p]) => p),
      );
    } finally {
      await store.close();
    }
  });
}

/**
 * Stored derived values follow the code's definition version (src/store/derived.ts, `carto_derived`,
 * migration 0014), on SQLite and a throw-away PostgreSQL: a database in step is not recomputed on open
 * (a stored value left wrong on purpose stays wrong: only the recorded version triggers the work), a
 * database whose recorded version differs is recomputed once and stamped with the code's version, and
 * two processes opening one PostgreSQL database at once both succeed with the right values.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { RegistryStore } from '../../src/registry/store.js';
import { STORED_OUTCOMES_VERSION } from '../../src/registry/stored-outcomes.js';
import { migrateDatabase, openDatabase } from '../../src/store/db.js';
import { patientBody, sampleBody, seedWorld } from '../registry/fixtures.js';
import { ENTITIES } from '../../src/registry/model.js';
import { startPgCluster, type PgCluster } from '../registry/pg-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-derived-'));
let cluster: Promise<PgCluster> | null = null;
after(async () => {
  if (cluster) (await cluster).stop();
  rmSync(dir, { recursive: true, force: true });
});

const targets: [string, () => Promise<string>][] = [
  ['sqlite', () => Promise.resolve(join(dir, 'derived.sqlite'))],
  ['postgres', async () => (await (cluster ??= startPgCluster())).createDatabase('derived')],
];

/** Runs `work` on a fresh connection to `url` (not migrated), then closes it. */
async function withDb<T>(url: string, work: (c: ReturnType<typeof openDatabase>) => Promise<T>): Promise<T> {
  const c = openDatabase(url);
  try {
    return await work(c);
  } finally {
    await c.db.destroy();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows of the test's own writes
type AnyRow = Record<string, any>;
type RawDb = Kysely<Record<string, AnyRow>>;

const stage = (url: string, id: string) =>
  withDb(url, async (c) => {
    const db = c.db as unknown as RawDb;
    const r = await db
      .selectFrom('reg_patient')
      .select('stage')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return r['stage'] as string;
  });
const setRaw = (url: string, table: string, set: AnyRow, where: [string, string]) =>
  withDb(url, async (c) => {
    const db = c.db as unknown as RawDb;
    await db.updateTable(table).set(set).where(where[0], '=', where[1]).execute();
  });
const version = (url: string) =>
  withDb(url, async (c) => {
    const db = c.db as unknown as RawDb;
    const r = await db
      .selectFrom('carto_derived')
      .select('version')
      .where('name', '=', 'stored-outcomes')
      .executeTakeFirst();
    return r === undefined ? undefined : Number(r['version']);
  });

for (const [dialect, target] of targets) {
  test(`stored outcomes are recomputed when their version is not the code's, only then (${dialect})`, async () => {
    const url = await target();
    const store = await RegistryStore.open(url);
    let id: string;
    try {
      const w = await seedWorld(store);
      const reg = store.as(w.dmA);
      id = String((await reg.createPatient(patientBody('D-1', 'AMC')))['id']);
      const infusions = ENTITIES.find((e) => e.path === 'infusions')!;
      await reg.createRow('infusions', id, sampleBody(infusions));
    } finally {
      await store.close();
    }
    assert.equal(await stage(url, id), 'infused');
    assert.equal(await version(url), STORED_OUTCOMES_VERSION);

    // in step: opening does not recompute (the wrong value written behind the code's back stays)
    await setRaw(url, 'reg_patient', { stage: 'referred' }, ['id', id]);
    await withDb(url, (c) => migrateDatabase(c));
    assert.equal(await stage(url, id), 'referred');

    // a database whose values were computed by another version: recomputed once, then stamped
    await setRaw(url, 'carto_derived', { version: STORED_OUTCOMES_VERSION + 7 }, ['name', 'stored-outcomes']);
    if (dialect === 'postgres') {
      // two processes opening at once: both succeed, one recomputes
      await Promise.all([withDb(url, (c) => migrateDatabase(c)), withDb(url, (c) => migrateDatabase(c))]);
    } else await withDb(url, (c) => migrateDatabase(c));
    assert.equal(await stage(url, id), 'infused');
    assert.equal(await version(url), STORED_OUTCOMES_VERSION);
  });
}

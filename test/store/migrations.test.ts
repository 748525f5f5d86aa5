/**
 * The one database (src/store/db.ts): one migration history on SQLite and on a real PostgreSQL server,
 * and in-place adoption of files written before the registry and the study store shared it — built here
 * with the legacy migrator table names and the legacy migration names, data put in, then opened with the
 * current code: data kept, the other store's tables and the new ones added, the legacy history tables gone.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, type Kysely, type Migration } from 'kysely';
import { CartoError } from '../../src/errors.js';
import { RegistryStore } from '../../src/registry/store.js';
import { openStudyStore } from '../../src/study/store.js';
import { migrateDatabase, openDatabase, type Connection, type DialectName } from '../../src/store/db.js';
import { scanUid } from '../../src/store/ids.js';
import { registryInitial } from '../../src/store/migrations/0001_registry_initial.js';
import { registryLoginThrottle } from '../../src/store/migrations/0002_registry_login_throttle.js';
import { studyStore } from '../../src/store/migrations/0003_study_store.js';
import { studyQpcr } from '../../src/store/migrations/0004_study_qpcr.js';
import { studyLabAssays } from '../../src/store/migrations/0005_study_lab_assays.js';
import { studyNotInfused } from '../../src/store/migrations/0006_study_not_infused.js';
import { storeMigrations } from '../../src/store/migrations/index.js';
import { startPgCluster, type PgCluster } from '../registry/pg-cluster.js';
import { patientBody } from '../registry/fixtures.js';

const ALL = Object.keys(storeMigrations('sqlite')).sort();
const dir = mkdtempSync(join(tmpdir(), 'carto-store-'));
let cluster: Promise<PgCluster> | null = null;
let n = 0;
after(async () => {
  if (cluster) (await cluster).stop();
  rmSync(dir, { recursive: true, force: true });
});

type Target = () => Promise<string>;
const targets: [DialectName, Target][] = [
  ['sqlite', () => Promise.resolve(join(dir, `db-${++n}.sqlite`))],
  ['postgres', async () => (await (cluster ??= startPgCluster())).createDatabase(`store_${++n}`)],
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any table
type AnyDb = Kysely<any>;
const anyDb = (c: Connection): AnyDb => c.db as AnyDb;

async function tableNames(c: Connection): Promise<Set<string>> {
  return new Set((await c.db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name));
}

async function history(c: Connection): Promise<string[]> {
  return (await anyDb(c).selectFrom('carto_migration').select('name').orderBy('name').execute()).map(
    (r: { name: string }) => r.name,
  );
}

/** Migrates with a legacy migrator table and legacy migration names, as an earlier version did. */
async function legacyMigrate(
  c: Connection,
  table: string | undefined,
  migrations: Record<string, Migration>,
): Promise<void> {
  const m = new Migrator({
    db: c.db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    ...(table ? { migrationTableName: table, migrationLockTableName: `${table}_lock` } : {}),
  });
  const { error } = await m.migrateToLatest();
  if (error) throw error as Error;
}

const legacyRegistry = (d: DialectName) => ({
  '001_initial': registryInitial(d),
  '002_login_throttle': registryLoginThrottle(d),
});
const legacyStudy = {
  '0001_study_store': studyStore,
  '0002_qpcr': studyQpcr,
  '0003_lab_assays': studyLabAssays,
  '0004_not_infused': studyNotInfused,
};

for (const [dialect, target] of targets) {
  describe(`one database, one migration history (${dialect})`, () => {
    test('a new database gets every migration once, in one history; migrating again changes nothing', async () => {
      const c = openDatabase(await target());
      try {
        await migrateDatabase(c);
        assert.deepEqual(await history(c), ALL);
        const t = await tableNames(c);
        for (const name of [
          'reg_patient',
          'reg_audit',
          'study',
          'scan',
          'voi',
          'analysis_run',
          'analysis_file',
        ])
          assert.ok(t.has(name), name);
        for (const legacy of ['registry_migration', 'kysely_migration']) assert.ok(!t.has(legacy), legacy);
        await migrateDatabase(c);
        assert.deepEqual(await history(c), ALL);
      } finally {
        await c.db.destroy();
      }
    });
  });
}

for (const [dialect, target] of targets) {
  describe(`legacy databases adopted in place (${dialect})`, () => {
    test('registry database (registry_migration): data kept, study tables added, legacy tables dropped', async () => {
      const url = await target();
      // the earlier version: registry migrations under their old names in registry_migration
      const c = openDatabase(url);
      await legacyMigrate(c, 'registry_migration', legacyRegistry(dialect));
      assert.ok((await tableNames(c)).has('registry_migration'));
      const now = '2025-01-01T00:00:00.000Z';
      await anyDb(c)
        .insertInto('reg_centre')
        .values({ id: 'c1', code: 'AMC', name: 'Amsterdam UMC', pseudo_code: 'C-1', created_at: now })
        .execute();
      await c.db.destroy();

      const store = await RegistryStore.open(url);
      try {
        const centre = await store.centreByCode('AMC');
        assert.equal(centre?.name, 'Amsterdam UMC');
        const admin = await store.createUser({
          username: 'admin',
          passwordHash: null,
          role: 'admin',
          centreCode: null,
        });
        const reg = store.as({ userId: admin.id, username: 'admin', role: 'admin', centreId: null });
        await reg.createPatient(patientBody('LEG-1', 'AMC'));
        const c2: Connection = { db: store.db as unknown as Kysely<unknown>, dialect: store.dialect };
        assert.deepEqual(await history(c2), ALL);
        const t = await tableNames(c2);
        assert.ok(t.has('study') && t.has('analysis_run'));
        assert.ok(!t.has('registry_migration') && !t.has('registry_migration_lock'));
        const ts = await anyDb(c2)
          .selectFrom('carto_migration')
          .select('timestamp')
          .where('name', '=', '0001_registry_initial')
          .executeTakeFirstOrThrow();
        assert.match(String(ts.timestamp), /^\d{4}-/);
      } finally {
        await store.close();
      }
      // opened again: nothing left to do
      const again = await RegistryStore.open(url);
      try {
        assert.equal(
          (await again.as({ userId: 'x', username: 'x', role: 'admin', centreId: null }).listPatients())
            .total,
          1,
        );
      } finally {
        await again.close();
      }
    });

    test('study store (kysely_migration): study and scans kept, scan ids filled in, registry tables added', async () => {
      const url = await target();
      const c = openDatabase(url);
      await legacyMigrate(c, undefined, legacyStudy);
      assert.ok((await tableNames(c)).has('kysely_migration'));
      await anyDb(c)
        .insertInto('study')
        .values({
          study_id: 'Old study',
          name: 'Old study',
          tracer_name: 'FDG',
          nuclide: '18F',
          half_life_s: 6586.2,
          settings_json: '{}',
          content_hash: 'abc',
          imported_at: '2025-01-01T00:00:00.000Z',
        })
        .execute();
      await anyDb(c)
        .insertInto('scan')
        .values({
          study_id: 'Old study',
          scan_id: 'S1',
          patient_id: 'P01',
          tracer: 'FDG',
          timepoint: 'pre',
          day: -3,
          path: '/data/pt',
          format: 'dicom',
        })
        .execute();
      await c.db.destroy();

      const db = await openStudyStore(url);
      try {
        const scan = await db.selectFrom('scan').selectAll().executeTakeFirstOrThrow();
        assert.equal(scan.path, '/data/pt');
        assert.equal(scan.uid, scanUid('Old study', 'S1'));
        const study = await db.selectFrom('study').selectAll().executeTakeFirstOrThrow();
        assert.equal(study.content_hash, 'abc');
        assert.equal(study.bundle_dir, null);
        const c2: Connection = { db: db as unknown as Kysely<unknown>, dialect };
        assert.deepEqual(await history(c2), ALL);
        const t = await tableNames(c2);
        assert.ok(t.has('reg_patient') && t.has('reg_login_throttle'));
        assert.ok(!t.has('kysely_migration') && !t.has('kysely_migration_lock'));
      } finally {
        await db.destroy();
      }
    });

    test('a legacy history with a migration this version does not know: clear error, nothing changed', async () => {
      const url = await target();
      const c = openDatabase(url);
      await legacyMigrate(c, 'registry_migration', {
        ...legacyRegistry(dialect),
        '003_from_the_future': { up: () => Promise.resolve() },
      });
      try {
        await assert.rejects(
          migrateDatabase(c),
          (e: unknown) =>
            e instanceof CartoError && /003_from_the_future in registry_migration/.test(e.message),
        );
        const t = await tableNames(c);
        assert.ok(t.has('registry_migration') && !t.has('carto_migration') && !t.has('study'));
      } finally {
        await c.db.destroy();
      }
    });
  });
}

test('a SQLite file holding both legacy histories (one --db for both stores) is adopted too', async () => {
  const file = join(dir, 'both.sqlite');
  const c = openDatabase(file);
  await legacyMigrate(c, 'registry_migration', legacyRegistry('sqlite'));
  await legacyMigrate(c, undefined, legacyStudy);
  await migrateDatabase(c);
  try {
    assert.deepEqual(await history(c), ALL);
    const t = await tableNames(c);
    assert.ok(!t.has('registry_migration') && !t.has('kysely_migration'));
  } finally {
    await c.db.destroy();
  }
});

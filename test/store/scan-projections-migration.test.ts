/**
 * Migration 0012 on a database of the previous version (every migration up to 0011), on SQLite and on
 * a throw-away PostgreSQL: `scan_picture` and its PNGs are dropped, `scan_projection` takes binary
 * data (BLOB / bytea), done scan jobs go back to pending (their image data is missing) and the others
 * are left as they were; the study and its scans are kept.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import {
  MIGRATION_TABLE,
  migrateDatabase,
  openDatabase,
  type Connection,
  type DialectName,
} from '../../src/store/db.js';
import { storeMigrations } from '../../src/store/migrations/index.js';
import { startPgCluster, type PgCluster } from '../registry/pg-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-0012-'));
let cluster: Promise<PgCluster> | null = null;
after(async () => {
  if (cluster) (await cluster).stop();
  rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any table
const anyDb = (c: Connection): Kysely<any> => c.db as Kysely<any>;

/** Migrates `c` as the previous version did: every migration before 0012. */
async function migrateTo0011(c: Connection, dialect: DialectName): Promise<void> {
  const all = storeMigrations(dialect);
  const before = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0012'));
  assert.ok('0011_scan_jobs' in before && !('0012_scan_projections' in before));
  assert.ok('0012_scan_projections' in all);
  const m = new Migrator({
    db: c.db,
    provider: { getMigrations: () => Promise.resolve(before) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
  const { error } = await m.migrateToLatest();
  if (error) throw error as Error;
}

const targets: [DialectName, () => Promise<string>][] = [
  ['sqlite', () => Promise.resolve(join(dir, 'v11.sqlite'))],
  ['postgres', async () => (await (cluster ??= startPgCluster())).createDatabase('v11')],
];

for (const [dialect, target] of targets) {
  test(`0012 (${dialect}): scan_picture replaced by scan_projection, done jobs pending again, the rest kept`, async () => {
    const c = openDatabase(await target());
    try {
      await migrateTo0011(c, dialect);
      const db = anyDb(c);
      await db
        .insertInto('study')
        .values({
          study_id: 'S',
          name: 'S',
          tracer_name: 'FDG',
          nuclide: '18F',
          half_life_s: 6586.2,
          settings_json: '{}',
          content_hash: 'abc',
          imported_at: '2026-01-01T00:00:00.000Z',
        })
        .execute();
      for (const scan of ['A', 'B', 'C'])
        await db
          .insertInto('scan')
          .values({
            study_id: 'S',
            scan_id: scan,
            patient_id: 'P01',
            tracer: 'FDG',
            timepoint: 'pre',
            day: -3,
            path: `/data/${scan}`,
            format: 'dicom',
            uid: `uid-${scan}`,
          })
          .execute();
      const job = { study_id: 'S', job_key: 'k', attempts: 1, spec_json: '{}', created_at: '2026-01-01' };
      await db
        .insertInto('scan_job')
        .values([
          { ...job, scan_id: 'A', state: 'done', finished_at: '2026-01-02' },
          { ...job, scan_id: 'B', state: 'failed', error: 'bad', finished_at: '2026-01-02' },
          { ...job, scan_id: 'C', state: 'pending' },
        ])
        .execute();
      await db
        .insertInto('scan_picture')
        .values({ study_id: 'S', scan_id: 'A', kind: 'mip', data_json: '{"png":"iVBORw0KGgo="}' })
        .execute();

      await migrateDatabase(c);
      const tables = new Set((await c.db.introspection.getTables()).map((t) => t.name));
      assert.ok(!tables.has('scan_picture'), 'scan_picture dropped');
      assert.ok(tables.has('scan_projection'));
      const jobs = await db
        .selectFrom('scan_job')
        .select(['scan_id', 'state', 'error', 'finished_at'])
        .orderBy('scan_id')
        .execute();
      assert.deepEqual(jobs, [
        { scan_id: 'A', state: 'pending', error: null, finished_at: null },
        { scan_id: 'B', state: 'failed', error: 'bad', finished_at: '2026-01-02' },
        { scan_id: 'C', state: 'pending', error: null, finished_at: null },
      ]);
      assert.equal((await db.selectFrom('scan').select('scan_id').execute()).length, 3);
      // The binary column keeps every byte.
      const data = Buffer.from([0, 255, 1, 128, 0, 0, 0x80, 0x7f]);
      await db
        .insertInto('scan_projection')
        .values({ study_id: 'S', scan_id: 'A', kind: 'mip', meta_json: '{}', data })
        .execute();
      const row = await db.selectFrom('scan_projection').select('data').executeTakeFirstOrThrow();
      assert.ok(Buffer.from(row.data as Uint8Array).equals(data));
    } finally {
      await c.db.destroy();
    }
  });
}

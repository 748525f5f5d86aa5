/**
 * Migration 0013 on a database of the previous version (every migration up to 0012) holding patients in
 * every CONSORT stage, on SQLite and on a throw-away PostgreSQL: the backfill stores each patient's stage
 * and product as the one definition computes them (checked against the expected values and against
 * `ScopedRegistry.outcome` on the migrated database); the patient rows are otherwise kept, and the list
 * filters by the stored values.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { entityByPath, PATIENT_FIELDS } from '../../src/registry/model.js';
import { toDb } from '../../src/registry/store-model.js';
import { RegistryStore } from '../../src/registry/store.js';
import { MIGRATION_TABLE, migrateDatabase, openDatabase, type DialectName } from '../../src/store/db.js';
import { storeMigrations } from '../../src/store/migrations/index.js';
import { startPgCluster, type PgCluster } from '../registry/pg-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-0013-'));
let cluster: Promise<PgCluster> | null = null;
after(async () => {
  if (cluster) (await cluster).stop();
  rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test writes the tables as 0012 had them
type AnyDb = Kysely<any>;

/** Migrates as the previous version did: every migration before 0013. */
async function migrateTo0012(db: AnyDb, dialect: DialectName): Promise<void> {
  const all = storeMigrations(dialect);
  assert.ok('0013_patient_stage' in all);
  const before = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0013'));
  assert.ok('0012_scan_projections' in before);
  const m = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(before) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
  const { error } = await m.migrateToLatest();
  if (error) throw error as Error;
}

let seq = 0;
/** A row of entity `path` (API-shaped `body`, converted as the store converts it), inserted directly. */
async function insertRow(db: AnyDb, path: string, patientId: string, body: Record<string, unknown>) {
  const spec = entityByPath(path);
  assert.ok(spec, path);
  const id = `row-${String(++seq).padStart(3, '0')}`;
  const values: Record<string, unknown> = {
    id,
    patient_id: patientId,
    centre_id: 'c1',
    version: 1,
    created_at: `2024-06-01T00:00:${String(seq % 60).padStart(2, '0')}.000Z`,
    updated_at: '2024-06-01T00:00:00.000Z',
  };
  for (const fs of spec.fields) values[fs.column] = toDb(fs, body[fs.name]);
  await db.insertInto(spec.table).values(values).execute();
}

/** Pseudonym → the journey rows written for it, and the stage/product expected after 0013. */
const JOURNEYS: [string, [string, Record<string, unknown>][], string, string | null][] = [
  ['M-1', [], 'referred', null],
  ['M-2', [['tumorboard-decisions', { decisionDate: '2024-01-20', accepted: true }]], 'accepted', null],
  [
    'M-3',
    [
      ['tumorboard-decisions', { decisionDate: '2024-01-20', accepted: true }],
      ['apheresis', { apheresisDate: '2024-02-01' }],
      // two products: the last by release date counts (inserted first)
      ['products', { product: 'tisa-cel', releaseDate: '2024-03-01', manufacturingFailure: false }],
      ['products', { product: 'axi-cel', releaseDate: '2024-02-20', manufacturingFailure: true }],
    ],
    'apheresed',
    'tisa-cel',
  ],
  [
    'M-4',
    [
      ['tumorboard-decisions', { decisionDate: '2024-01-20', accepted: true }],
      ['apheresis', { apheresisDate: '2024-02-01' }],
      ['products', { product: 'axi-cel', manufacturingFailure: false }],
      ['infusions', { infusionDate: '2024-03-01' }],
    ],
    'infused',
    'axi-cel',
  ],
  [
    'M-5',
    [
      ['tumorboard-decisions', { decisionDate: '2024-01-20', accepted: true }],
      ['apheresis', { apheresisDate: '2024-02-01' }],
      ['products', { product: 'liso-cel', manufacturingFailure: false }],
      ['lugano-assessments', { assessmentDate: '2024-02-15', response: 'PD' }],
      ['infusions', { infusionDate: '2024-03-01' }],
      ['lugano-assessments', { assessmentDate: '2024-04-01', response: 'CR' }],
    ],
    'evaluable',
    'liso-cel',
  ],
  [
    'M-6',
    [
      ['tumorboard-decisions', { decisionDate: '2024-01-20', accepted: true }],
      ['tumorboard-decisions', { decisionDate: '2024-02-20', accepted: false, reason: 'rapid-progression' }],
    ],
    'accepted',
    null,
  ],
  [
    'M-7',
    [
      ['tumorboard-decisions', { decisionDate: '2024-01-20', accepted: false, reason: 'ineligible' }],
      ['dropouts', { dropoutDate: '2024-01-25', reason: 'ineligible' }],
    ],
    'referred',
    null,
  ],
];

const targets: [DialectName, () => Promise<string>][] = [
  ['sqlite', () => Promise.resolve(join(dir, 'v12.sqlite'))],
  ['postgres', async () => (await (cluster ??= startPgCluster())).createDatabase('v12')],
];

for (const [dialect, target] of targets) {
  test(`0013 (${dialect}): the stage and product of every patient backfilled through the one definition`, async () => {
    const url = await target();
    const c = openDatabase(url);
    const ids = new Map<string, string>();
    try {
      const db = c.db as AnyDb;
      await migrateTo0012(db, dialect);
      await db
        .insertInto('reg_centre')
        .values({ id: 'c1', code: 'AMC', name: 'AMC', pseudo_code: 'C01', created_at: '2024-01-01' })
        .execute();
      for (const [i, [pseudonym, rows]] of JOURNEYS.entries()) {
        const id = `p-${i}`;
        ids.set(pseudonym, id);
        const patient: Record<string, unknown> = {
          id,
          centre_id: 'c1',
          version: 1,
          created_at: '2024-01-01',
          updated_at: '2024-01-01',
        };
        const body = {
          pseudonym,
          ageAtReferral: 60,
          referralDate: '2024-01-10',
          lineOfTherapy: 3,
          histology: 'DLBCL',
        };
        for (const fs of PATIENT_FIELDS)
          patient[fs.column] = toDb(fs, (body as Record<string, unknown>)[fs.name]);
        await db.insertInto('reg_patient').values(patient).execute();
        for (const [path, row] of rows) await insertRow(db, path, id, row);
      }
      await migrateDatabase(c);
      const got = await db
        .selectFrom('reg_patient')
        .select(['pseudonym', 'stage', 'product', 'version'])
        .orderBy('pseudonym')
        .execute();
      assert.deepEqual(
        got,
        JOURNEYS.map(([pseudonym, , stage, product]) => ({ pseudonym, stage, product, version: 1 })),
      );
    } finally {
      await c.db.destroy();
    }
    // the same values as the registry computes them, and the list filters by them
    const store = await RegistryStore.open(url);
    try {
      const u = await store.createUser({
        username: 'admin',
        passwordHash: null,
        role: 'admin',
        centreCode: null,
      });
      const reg = store.as({ userId: u.id, username: 'admin', role: 'admin', centreId: null });
      for (const [pseudonym, , stage, product] of JOURNEYS) {
        const o = await reg.outcome(ids.get(pseudonym) ?? '');
        assert.deepEqual({ stage: o.stage, product: o.product }, { stage, product }, pseudonym);
      }
      const page = await reg.listPatients({ stage: 'apheresed' });
      assert.deepEqual(
        page.items.map((x) => [x['pseudonym'], x['stage'], x['product']]),
        [['M-3', 'apheresed', 'tisa-cel']],
      );
    } finally {
      await store.close();
    }
  });
}

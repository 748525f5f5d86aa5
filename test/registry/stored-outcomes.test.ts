/**
 * The stored stage and product of a patient (`reg_patient.stage`/`product`, migration 0013,
 * src/registry/stored-outcomes.ts) after every kind of write through the real store, on SQLite and a
 * real PostgreSQL server: create, update and delete of a row of every journey entity, patient create
 * and update, and a batch (the importers' path). After each write the stored values must equal the
 * outcome computed from the rows (`ScopedRegistry.outcome`, the one definition), and the stage/product
 * walk through the expected values, so a write that forgot to recompute shows as a stale value. On
 * PostgreSQL, two concurrent transactions writing to one patient's journey end with the value of both.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTITIES } from '../../src/registry/model.js';
import { RegistryStore, ScopedRegistry } from '../../src/registry/store.js';
import { patientBody, sampleBody, seedWorld } from './fixtures.js';
import { startPgCluster, type PgCluster } from './pg-cluster.js';

let cluster: Promise<PgCluster> | null = null;
let n = 0;
after(async () => {
  if (cluster) (await cluster).stop();
});

const targets: [string, () => Promise<RegistryStore>][] = [
  ['sqlite', () => RegistryStore.open(':memory:')],
  [
    'postgres',
    async () => RegistryStore.open(await (await (cluster ??= startPgCluster())).createDatabase(`so_${++n}`)),
  ],
];

/** The stored stage and product of patient `id`. */
async function stored(store: RegistryStore, id: string): Promise<{ stage: unknown; product: unknown }> {
  const r = await store.db
    .selectFrom('reg_patient')
    .select(['stage', 'product'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { stage: r['stage'], product: r['product'] ?? null };
}

/** Asserts stored = computed for `id`, and returns them as `stage/product`. */
async function check(store: RegistryStore, reg: ScopedRegistry, id: string, what: string): Promise<string> {
  const o = await reg.outcome(id);
  const s = await stored(store, id);
  assert.deepEqual(s, { stage: o.stage, product: o.product }, `after ${what}`);
  return `${o.stage}/${o.product ?? '-'}`;
}

for (const [dialect, open] of targets) {
  describe(`stored stage and product (${dialect})`, () => {
    test('every write to a journey recomputes them in its transaction', async () => {
      const store = await open();
      try {
        const w = await seedWorld(store);
        const reg = store.as(w.dmA);
        const id = String((await reg.createPatient(patientBody('S-1', 'AMC')))['id']);
        const seen: string[] = [await check(store, reg, id, 'patient create')];
        const rowIds: Record<string, string> = {};
        // one row of every entity, in journey order (sample dates 2024-03-01, death 2024-03-02)
        for (const e of ENTITIES) {
          const body = sampleBody(e);
          if (e.path === 'tumorboard-decisions') body['accepted'] = true;
          rowIds[e.path] = String((await reg.createRow(e.path, id, body))['id']);
          seen.push(`${e.path}: ${await check(store, reg, id, `create ${e.path}`)}`);
        }
        const at = (path: string) => seen.find((s) => s.startsWith(`${path}:`));
        assert.equal(seen[0], 'referred/-');
        assert.equal(at('tumorboard-decisions'), 'tumorboard-decisions: accepted/-');
        assert.equal(at('apheresis'), 'apheresis: apheresed/-');
        assert.equal(at('products'), 'products: apheresed/axi-cel');
        assert.equal(at('infusions'), 'infusions: infused/axi-cel');
        assert.equal(at('lugano-assessments'), 'lugano-assessments: evaluable/axi-cel');

        const row = async (path: string) => reg.getRow(path, rowIds[path] ?? '');
        const update = async (path: string, patch: Record<string, unknown>) => {
          const r = await row(path);
          await reg.updateEntityRow(path, String(r['id']), {
            ...patch,
            version: r['version'],
            reason: 'fix',
          });
          return check(store, reg, id, `update ${path}`);
        };
        const remove = async (path: string) => {
          const r = await row(path);
          await reg.deleteRow(path, String(r['id']), { version: r['version'], reason: 'wrong patient' });
          return check(store, reg, id, `delete ${path}`);
        };
        assert.equal(await update('products', { product: 'tisa-cel' }), 'evaluable/tisa-cel');
        assert.equal(await update('lugano-assessments', { response: 'PR' }), 'evaluable/tisa-cel');
        const p = await reg.getPatient(id);
        await reg.updatePatient(id, { ageAtReferral: 62, version: p['version'], reason: 'typo' });
        assert.equal(await check(store, reg, id, 'patient update'), 'evaluable/tisa-cel');
        // every entity's row deleted, last first: the stage walks back
        const back: Record<string, string> = {};
        for (const e of [...ENTITIES].reverse()) back[e.path] = await remove(e.path);
        assert.equal(back['lugano-assessments'], 'infused/tisa-cel');
        assert.equal(back['infusions'], 'apheresed/tisa-cel');
        assert.equal(back['products'], 'apheresed/-');
        assert.equal(back['apheresis'], 'accepted/-');
        assert.equal(back['tumorboard-decisions'], 'referred/-');

        // an update that takes acceptance back
        const tb = await reg.createRow('tumorboard-decisions', id, {
          decisionDate: '2024-02-01',
          accepted: true,
        });
        assert.equal(await check(store, reg, id, 'create tumorboard'), 'accepted/-');
        await reg.updateEntityRow('tumorboard-decisions', String(tb['id']), {
          accepted: false,
          reason: 'ineligible',
          version: tb['version'],
        });
        assert.equal(await check(store, reg, id, 'update tumorboard'), 'referred/-');
      } finally {
        await store.close();
      }
    });

    if (dialect === 'postgres')
      test('two concurrent writes to one journey: the later recomputes with the earlier committed', async () => {
        const store = await open();
        try {
          const w = await seedWorld(store);
          const reg = store.as(w.adminActor);
          const id = String((await reg.createPatient(patientBody('C-1', 'AMC')))['id']);
          await reg.createRow('tumorboard-decisions', id, { decisionDate: '2024-01-20', accepted: true });
          await reg.createRow('apheresis', id, { apheresisDate: '2024-02-01' });
          let computed = (): void => undefined;
          let release = (): void => undefined;
          const ready = new Promise<void>((r) => (computed = r));
          const hold = new Promise<void>((r) => (release = r));
          // 1: adds the infusion and recomputes (infused), then holds its transaction open
          const first = store.db.transaction().execute(async (trx) => {
            await new ScopedRegistry(store, w.adminActor, trx).createRow('infusions', id, {
              infusionDate: '2024-03-01',
            });
            computed();
            await hold;
          });
          await ready;
          // 2: adds a response assessment meanwhile; it cannot see the infusion until 1 commits
          const second = reg.createRow('lugano-assessments', id, {
            assessmentDate: '2024-04-01',
            response: 'CR',
          });
          await new Promise((r) => setTimeout(r, 400));
          release();
          await Promise.all([first, second]);
          assert.equal(await check(store, reg, id, 'two concurrent writes'), 'evaluable/-');
        } finally {
          await store.close();
        }
      });

    test('a batch recomputes each patient it wrote once, at its end; a failed batch keeps nothing', async () => {
      const store = await open();
      try {
        const w = await seedWorld(store);
        const reg = store.as(w.adminActor);
        const ids = await reg.batch(async (tx) => {
          const out: string[] = [];
          for (const [i, infused] of [
            [1, true],
            [2, false],
          ] as const) {
            const id = String((await tx.createPatient(patientBody(`B-${i}`, 'UMCG')))['id']);
            await tx.createRow('tumorboard-decisions', id, { decisionDate: '2024-01-20', accepted: true });
            await tx.createRow('apheresis', id, { apheresisDate: '2024-02-01' });
            await tx.createRow('products', id, { product: 'liso-cel', manufacturingFailure: false });
            if (infused) await tx.createRow('infusions', id, { infusionDate: '2024-03-01' });
            out.push(id);
          }
          return out;
        });
        assert.equal(await check(store, reg, ids[0] ?? '', 'batch'), 'infused/liso-cel');
        assert.equal(await check(store, reg, ids[1] ?? '', 'batch'), 'apheresed/liso-cel');
        const id = ids[1] ?? '';
        await assert.rejects(
          reg.batch(async (tx) => {
            await tx.createRow('infusions', id, { infusionDate: '2024-03-05' });
            throw new Error('import failed half-way');
          }),
          /half-way/,
        );
        assert.equal(await check(store, reg, id, 'failed batch'), 'apheresed/liso-cel');
        // the list filters by the stored values
        const listed = await reg.listPatients({ stage: 'infused', product: 'liso-cel' });
        assert.deepEqual(
          listed.items.map((x) => x['pseudonym']),
          ['B-1'],
        );
      } finally {
        await store.close();
      }
    });
  });
}

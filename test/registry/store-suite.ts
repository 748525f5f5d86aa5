/**
 * Data-layer suite, run by backends.test.ts on SQLite and on a real PostgreSQL server: authorisation
 * scoping in the data layer, analyst pseudonymisation, validation (400 naming the field, nothing
 * written), optimistic concurrency, the append-only audit trail reproducing every row's history, and the
 * computed outcomes. All values compared are integers/strings: exact comparison.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { InputError } from '../../src/errors.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  type RegistryStore,
} from '../../src/registry/store.js';
import { ENTITIES } from '../../src/registry/model.js';
import { patientBody, seedWorld, toxObs, type World } from './fixtures.js';

async function countAll(store: RegistryStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['reg_patient', 'reg_audit', ...ENTITIES.map((e) => e.table)]) {
    const r = await store.db
      .selectFrom(t)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = r['n'] as number;
  }
  return out;
}

const isField = (field: string) => (e: unknown) => e instanceof InputError && e.location.field === field;

export function storeSuite(name: string, open: () => Promise<RegistryStore>): void {
  describe(`registry store (${name})`, () => {
    let w: World;
    let pA: string; // AMC patient
    let pB: string; // UMCG patient
    before(async () => {
      w = await seedWorld(await open());
      pA = String((await w.store.as(w.dmA).createPatient(patientBody('NL-A-001', 'AMC')))['id']);
      pB = String((await w.store.as(w.dmB).createPatient(patientBody('NL-B-001', 'UMCG')))['id']);
      await w.store.as(w.dmB).createRow('tumorboard-decisions', pB, {
        decisionDate: '2024-01-12',
        accepted: false,
        reason: 'rapid-progression',
        reasonText: 'seen by Dr X at UMCG',
      });
    });
    after(async () => {
      await w.store.close();
    });

    test('counts come back as numbers and dates as ISO text on this dialect', async () => {
      const r = await w.store.db
        .selectFrom('reg_patient')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(typeof r['n'], 'number');
      const p = await w.store.as(w.dmA).getPatient(pA);
      assert.equal(p['referralDate'], '2024-01-10');
      assert.equal(p['ageAtReferral'], 61);
      assert.equal(p['version'], 1);
    });

    test('a centre-A user cannot read or change centre-B rows (NotFound, nothing leaked in counts)', async () => {
      const a = w.store.as(w.dmA);
      const list = await a.listPatients();
      assert.equal(list.total, 1);
      assert.deepEqual(
        list.items.map((p) => p['pseudonym']),
        ['NL-A-001'],
      );
      const decisionB = (await w.store.as(w.dmB).listRows('tumorboard-decisions', pB))[0]?.['id'] as string;
      const before = await countAll(w.store);
      await assert.rejects(a.getPatient(pB), NotFoundError);
      await assert.rejects(a.listRows('tumorboard-decisions', pB), NotFoundError);
      await assert.rejects(a.getRow('tumorboard-decisions', decisionB), NotFoundError);
      await assert.rejects(a.createRow('apheresis', pB, { apheresisDate: '2024-02-01' }), NotFoundError);
      await assert.rejects(
        a.updatePatient(pB, { version: 1, reason: 'x', ageAtReferral: 50 }),
        NotFoundError,
      );
      await assert.rejects(
        a.updateEntityRow('tumorboard-decisions', decisionB, { version: 1, reason: 'x', accepted: true }),
        NotFoundError,
      );
      await assert.rejects(
        a.deleteRow('tumorboard-decisions', decisionB, { version: 1, reason: 'x' }),
        NotFoundError,
      );
      await assert.rejects(a.deletePatient(pB, { version: 1, reason: 'x' }), NotFoundError);
      await assert.rejects(a.timeline(pB), NotFoundError);
      // creating in another centre is indistinguishable from an unknown centre
      await assert.rejects(a.createPatient(patientBody('NL-A-X', 'UMCG')), isField('centre'));
      const audit = await a.auditLog();
      assert.ok(audit.every((e) => e.patientId !== pB));
      const dash = await a.dashboard();
      assert.equal(dash.patients, 1);
      assert.deepEqual(dash.dropoutReasons, {});
      assert.deepEqual(await countAll(w.store), before);
      // the admin sees both
      assert.equal((await w.store.as(w.adminActor).listPatients()).total, 2);
    });

    test('the analyst reads every centre pseudonymised, without free text, and cannot write', async () => {
      const an = w.store.as(w.analyst);
      const list = await an.listPatients();
      assert.equal(list.total, 2);
      for (const p of list.items) {
        assert.match(String(p['centre']), /^C-[0-9a-f]{8}$/);
        assert.ok(!('centreId' in p));
      }
      const rows = await an.listRows('tumorboard-decisions', pB);
      assert.equal(rows.length, 1);
      assert.ok(!('reasonText' in (rows[0] ?? {})), 'free text hidden from the analyst');
      assert.ok(!JSON.stringify(await an.timeline(pB)).includes('UMCG'));
      await assert.rejects(an.createPatient(patientBody('NL-AN-1', 'AMC')), ForbiddenError);
      await assert.rejects(an.createRow('apheresis', pA, { apheresisDate: '2024-02-01' }), ForbiddenError);
      await assert.rejects(an.auditLog(), ForbiddenError);
    });

    test('bad input → InputError naming the field, nothing written', async () => {
      const a = w.store.as(w.dmA);
      const p = String((await a.createPatient(patientBody('NL-A-BAD', 'AMC')))['id']);
      await a.createRow('apheresis', p, { apheresisDate: '2024-02-01' });
      const before = await countAll(w.store);
      await assert.rejects(
        a.createRow('infusions', p, { infusionDate: '2024-01-20' }),
        isField('infusionDate'),
      );
      await assert.rejects(
        a.createRow('adverse-events', p, { term: 'Fever', grade: 6, onsetDate: '2024-03-01' }),
        isField('grade'),
      );
      await assert.rejects(
        a.createRow('lugano-assessments', p, { assessmentDate: '2024-04-01', deauville: 0, response: 'CR' }),
        isField('deauville'),
      );
      await assert.rejects(a.createPatient(patientBody('NL-A-NEW', 'NOPE')), isField('centre'));
      await assert.rejects(a.createPatient(patientBody('NL-A-001', 'AMC')), isField('pseudonym'));
      await assert.rejects(
        a.createPatient({ ...patientBody('NL-A-Z', 'AMC'), referralDate: '2024-02-30' }),
        isField('referralDate'),
      );
      await assert.rejects(
        a.createPatient({ ...patientBody('NL-A-Z', 'AMC'), nickname: 'x' }),
        isField('nickname'),
      );
      await assert.rejects(
        a.createRow('toxicity-observations', p, toxObs('2024-02-10', { vasopressors: ['norepinephrine'] })),
        isField('hypotension'),
      );
      await assert.rejects(
        a.createRow('toxicity-observations', p, toxObs('2024-02-10', { iceScore: null })),
        isField('iceScore'),
      );
      await a.createRow('infusions', p, { infusionDate: '2024-02-20' });
      const mid = await countAll(w.store);
      await assert.rejects(a.createRow('infusions', p, { infusionDate: '2024-02-21' }), isField('patientId'));
      await assert.rejects(
        a.createRow('apheresis', p, { apheresisDate: '2024-03-01' }),
        isField('apheresisDate'),
      );
      assert.deepEqual(await countAll(w.store), mid);
      assert.equal(mid['reg_infusion'], (before['reg_infusion'] ?? 0) + 1);
    });

    test('optimistic concurrency: a stale version is a conflict and changes nothing', async () => {
      const a = w.store.as(w.dmA);
      const p = String((await a.createPatient(patientBody('NL-A-OCC', 'AMC')))['id']);
      const v2 = await a.updatePatient(p, { version: 1, reason: 'typo', ageAtReferral: 62 });
      assert.equal(v2['version'], 2);
      const before = await countAll(w.store);
      await assert.rejects(
        a.updatePatient(p, { version: 1, reason: 'stale', ageAtReferral: 70 }),
        ConflictError,
      );
      await assert.rejects(a.deletePatient(p, { version: 1, reason: 'stale' }), ConflictError);
      assert.equal((await a.getPatient(p))['ageAtReferral'], 62);
      assert.deepEqual(await countAll(w.store), before);
      // 8 concurrent writers with the same version: exactly one wins
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          a.updatePatient(p, { version: 2, reason: `race ${i}`, ageAtReferral: 63 + i }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(
        results.filter((r) => r.status === 'rejected').every((r) => r.reason instanceof ConflictError),
      );
      assert.equal((await a.getPatient(p))['version'], 3);
    });

    test('the audit log reproduces every row history after a scripted sequence of writes', async () => {
      const a = w.store.as(w.dmA);
      const c = w.store.as(w.clinA);
      const p = String((await a.createPatient(patientBody('NL-A-AUD', 'AMC')))['id']);
      const ae = await c.createRow('adverse-events', p, {
        term: 'Neutropenia',
        grade: 3,
        onsetDate: '2024-03-02',
      });
      const ae2 = await a.updateEntityRow('adverse-events', String(ae['id']), {
        version: 1,
        reason: 'lab reviewed',
        grade: 4,
      });
      await c.updateEntityRow('adverse-events', String(ae['id']), {
        version: 2,
        reason: 'resolved',
        resolutionDate: '2024-03-20',
      });
      const ap = await a.createRow('apheresis', p, { apheresisDate: '2024-02-01', reason: 'initial entry' });
      await a.deleteRow('apheresis', String(ap['id']), { version: 1, reason: 'entered on wrong patient' });
      await a.updatePatient(p, { version: 1, reason: 'corrected', lineOfTherapy: 2 });
      assert.equal(ae2['grade'], 4);
      const log = await a.auditLog({ patientId: p });
      assert.deepEqual(
        log.map((e) => [e.table, e.action, e.username, e.reason]),
        [
          ['reg_patient', 'create', 'dm-a', 'initial entry'],
          ['reg_adverse_event', 'create', 'clin-a', 'initial entry'],
          ['reg_adverse_event', 'update', 'dm-a', 'lab reviewed'],
          ['reg_adverse_event', 'update', 'clin-a', 'resolved'],
          ['reg_apheresis', 'create', 'dm-a', 'initial entry'],
          ['reg_apheresis', 'delete', 'dm-a', 'entered on wrong patient'],
          ['reg_patient', 'update', 'dm-a', 'corrected'],
        ],
      );
      for (const e of log) assert.match(e.atUtc, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      // replay: each entry's old values equal the previous entry's new values, and the last new values
      // equal the current row (or null when deleted)
      const byRow = new Map<string, typeof log>();
      for (const e of log) byRow.set(e.rowId, [...(byRow.get(e.rowId) ?? []), e]);
      for (const [rowId, hist] of byRow) {
        for (let i = 1; i < hist.length; i++) assert.deepEqual(hist[i]?.oldValues, hist[i - 1]?.newValues);
        const last = hist[hist.length - 1];
        const tableSpec = ENTITIES.find((s) => s.table === last?.table);
        const current =
          last?.table === 'reg_patient'
            ? await a.getPatient(rowId)
            : tableSpec
              ? await a.getRow(tableSpec.path, rowId).catch(() => null)
              : null;
        if (last?.action === 'delete') assert.equal(current, null);
        else {
          assert.ok(current);
          for (const [k, v] of Object.entries(last?.newValues ?? {}))
            if (k !== 'centre') assert.deepEqual(current[k], v, `${rowId} ${k}`);
        }
      }
    });

    test('the audit table refuses UPDATE and DELETE at the database level', async () => {
      const n = (
        await w.store.db
          .selectFrom('reg_audit')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      )['n'];
      await assert.rejects(sql`UPDATE reg_audit SET reason = 'tampered'`.execute(w.store.db), /append-only/);
      await assert.rejects(sql`DELETE FROM reg_audit`.execute(w.store.db), /append-only/);
      if (w.store.dialect === 'postgres')
        await assert.rejects(sql`TRUNCATE reg_audit`.execute(w.store.db), /append-only/);
      const after = await w.store.db
        .selectFrom('reg_audit')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(after['n'], n);
      const tampered = await w.store.db
        .selectFrom('reg_audit')
        .select('seq')
        .where('reason', '=', 'tampered')
        .execute();
      assert.equal(tampered.length, 0);
    });

    test('computed outcomes: grades per day, vein-to-vein, best response, PFS/OS, flow', async () => {
      const a = w.store.as(w.dmA);
      const p = String((await a.createPatient(patientBody('NL-A-OUT', 'AMC')))['id']);
      await a.createRow('tumorboard-decisions', p, { decisionDate: '2024-01-15', accepted: true });
      await a.createRow('apheresis', p, { apheresisDate: '2024-01-20' });
      await a.createRow('products', p, { product: 'axi-cel', manufacturingFailure: false });
      await a.createRow('infusions', p, { infusionDate: '2024-02-19' });
      await a.createRow('toxicity-observations', p, toxObs('2024-02-21', { maxTemperatureC: 38.6 }));
      await a.createRow(
        'toxicity-observations',
        p,
        toxObs('2024-02-22', {
          maxTemperatureC: 38.9,
          hypotension: true,
          vasopressors: ['norepinephrine', 'vasopressin'],
        }),
      );
      await a.createRow(
        'toxicity-observations',
        p,
        toxObs('2024-02-22', {
          maxTemperatureC: 37.0,
          feverMaskedByTreatment: true,
          oxygenDevice: 'low-flow-nasal-cannula',
          oxygenLPerMin: 4,
          iceScore: 0,
          globalAphasia: true,
        }),
      );
      await a.createRow('lugano-assessments', p, {
        assessmentDate: '2024-03-20',
        deauville: 4,
        response: 'PR',
      });
      await a.createRow('lugano-assessments', p, {
        assessmentDate: '2024-05-20',
        deauville: 2,
        response: 'CR',
      });
      await a.createRow('progressions', p, { progressionDate: '2024-09-01' });
      await a.createRow('lugano-assessments', p, {
        assessmentDate: '2024-09-01',
        deauville: 5,
        response: 'PD',
      });
      await a.createRow('follow-ups', p, { followUpDate: '2024-12-01' });
      const o = await a.outcome(p);
      assert.deepEqual(o.crsByDay, [
        { date: '2024-02-21', day: 2, grade: 1, drivenBy: ['fever'] },
        { date: '2024-02-22', day: 3, grade: 3, drivenBy: ['hypotension'] },
      ]);
      assert.deepEqual(
        o.icansByDay.map((d) => d.grade),
        [0, 3],
      );
      assert.equal(o.maxCrs, 3);
      assert.equal(o.maxIcans, 3);
      assert.equal(o.veinToVeinDays, 30);
      assert.equal(o.stage, 'evaluable');
      assert.equal(o.bestResponse, 'CR');
      assert.deepEqual(o.pfs, { days: 195, status: 1 });
      assert.deepEqual(o.os, { days: 286, status: 0 });
      assert.deepEqual(o.nrm, { days: 195, status: 2 });
      const dash = await a.dashboard();
      assert.equal(dash.flow.referred, dash.patients);
      assert.ok(dash.flow.evaluable >= 1);
      assert.equal(dash.byProduct['axi-cel']?.infused, 1);
      const tl = await a.timeline(p);
      assert.equal(tl.events[0]?.['kind'], 'referral');
    });
  });
}

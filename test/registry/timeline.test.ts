// The registry's write path refuses impossible timelines (issue 12 item 4) with an InputError naming
// the field and value, and writes nothing; the order rules are src/clinical/timeline.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';
import { RegistryStore, type ScopedRegistry } from '../../src/registry/store.js';
import { ENTITIES } from '../../src/registry/model.js';
import { patientBody, seedWorld, toxObs, type World } from './fixtures.js';

let w: World;
let reg: ScopedRegistry;
let k = 0;
before(async () => {
  w = await seedWorld(await RegistryStore.open(':memory:'));
  reg = w.store.as(w.dmA);
});
after(async () => {
  await w.store.close();
});

/** Row counts of every registry table and the audit trail. */
async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['reg_patient', 'reg_audit', ...ENTITIES.map((e) => e.table)]) {
    const r = await w.store.db
      .selectFrom(t)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r['n']);
  }
  return out;
}

/** A new patient (referral 2024-01-10) with apheresis 2024-01-20 and, unless `infused` is false, infusion 2024-02-19. */
async function patient(infused = true): Promise<string> {
  const id = String((await reg.createPatient(patientBody(`TL-${++k}`, 'AMC')))['id']);
  await reg.createRow('apheresis', id, { apheresisDate: '2024-01-20' });
  if (infused) await reg.createRow('infusions', id, { infusionDate: '2024-02-19' });
  return id;
}

/** Asserts the write is refused naming `field` and `value` (message matching `message`), nothing written. */
async function refused(
  write: () => Promise<unknown>,
  field: string,
  value: string,
  message: RegExp,
): Promise<void> {
  const before = await counts();
  await assert.rejects(write, (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.location.field, field);
    assert.equal(e.location.value, value);
    assert.match(e.message, message);
    return true;
  });
  assert.deepEqual(await counts(), before, 'nothing written');
}

test('death or follow-up before the infusion, progression before it, anything after death: refused', async () => {
  const p = await patient();
  await refused(
    () => reg.createRow('deaths', p, { deathDate: '2024-02-01', cause: 'lymphoma' }),
    'deathDate',
    '2024-02-01',
    /field deathDate: deathDate 2024-02-01 is before the infusion \(infusions infusionDate 2024-02-19\)/,
  );
  await refused(
    () => reg.createRow('follow-ups', p, { followUpDate: '2024-02-10' }),
    'followUpDate',
    '2024-02-10',
    /followUpDate 2024-02-10 is before the infusion/,
  );
  await refused(
    () => reg.createRow('progressions', p, { progressionDate: '2024-02-18' }),
    'progressionDate',
    '2024-02-18',
    /before the infusion/,
  );
  await reg.createRow('deaths', p, { deathDate: '2024-05-01', cause: 'lymphoma' });
  await refused(
    () => reg.createRow('toxicity-observations', p, toxObs('2024-05-02')),
    'observationDate',
    '2024-05-02',
    /observationDate 2024-05-02 is after the death \(deaths deathDate 2024-05-01\).*nothing after death/,
  );
  await refused(
    () => reg.createRow('follow-ups', p, { followUpDate: '2024-06-01' }),
    'followUpDate',
    '2024-06-01',
    /after the death/,
  );
});

test('a death before the referral and a referral moved after the apheresis: refused', async () => {
  const p = await patient(false);
  await refused(
    () => reg.createRow('deaths', p, { deathDate: '2024-01-05', cause: 'other' }),
    'deathDate',
    '2024-01-05',
    /deathDate 2024-01-05 is before the referral \(patients referralDate 2024-01-10\)/,
  );
  await refused(
    () => reg.updatePatient(p, { referralDate: '2024-01-25', version: 1, reason: 'typo' }),
    'referralDate',
    '2024-01-25',
    /referralDate 2024-01-25 is after the apheresis \(apheresis apheresisDate 2024-01-20\)/,
  );
});

test('dates in 1900 or 2999 are refused', async () => {
  const p = await patient(false);
  await refused(
    () => reg.createRow('lymphodepletion', p, { startDate: '1900-01-01', regimen: 'flu-cy' }),
    'startDate',
    '1900-01-01',
    /date before 1990-01-01 is not plausible/,
  );
  await refused(
    () => reg.createRow('follow-ups', p, { followUpDate: '2999-01-01' }),
    'followUpDate',
    '2999-01-01',
    /today \+ 1 year\) is not plausible/,
  );
});

test('a journey in order is accepted: baseline assessment before infusion, follow-up on the day of death', async () => {
  const p = await patient(false);
  await reg.createRow('lymphodepletion', p, { startDate: '2024-02-14', regimen: 'flu-cy' });
  await reg.createRow('lugano-assessments', p, { assessmentDate: '2024-02-10', response: 'PD' });
  await reg.createRow('infusions', p, { infusionDate: '2024-02-19' });
  await reg.createRow('lugano-assessments', p, { assessmentDate: '2024-03-20', response: 'CR' });
  await reg.createRow('progressions', p, { progressionDate: '2024-06-01' });
  await reg.createRow('follow-ups', p, { followUpDate: '2024-07-01' });
  await reg.createRow('deaths', p, { deathDate: '2024-07-01', cause: 'lymphoma' });
  const o = await reg.outcome(p);
  assert.equal(o.os?.days, 133);
  assert.equal(o.os?.status, 1);
});

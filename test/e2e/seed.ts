/**
 * Registry data for the end-to-end tests, written through the data layer (as the admin): infused
 * patients of two products with progressions, deaths and follow-ups, so that the dashboard's
 * Kaplan–Meier medians are reached; and a bulk of plain referrals for the list's timing.
 */
import { randomUUID } from 'node:crypto';
import type { Actor, RegistryStore } from '../../src/registry/store.js';

function addDays(iso: string, n: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * `n` infused patients of each of axi-cel and tisa-cel (pseudonyms KM-<product>-<i>), at `centre`.
 * Patient i progresses at day 60 + 30·i (axi-cel) or 45 + 20·i (tisa-cel) (every patient but every
 * third) and dies at day 200 + 40·i (axi-cel) or 150 + 30·i (tisa-cel) (every second patient); the
 * others are followed up to day 400.
 */
export async function seedInfused(
  store: RegistryStore,
  admin: Actor,
  centre: string,
  n: number,
): Promise<void> {
  const reg = store.as(admin);
  for (const product of ['axi-cel', 'tisa-cel'] as const) {
    const axi = product === 'axi-cel';
    for (let i = 0; i < n; i++) {
      const referral = addDays('2023-01-02', i * 7 + (axi ? 0 : 3));
      const p = await reg.createPatient({
        centre,
        pseudonym: `KM-${product}-${i}`,
        ageAtReferral: 50 + i,
        referralDate: referral,
        lineOfTherapy: 3,
        histology: 'DLBCL',
      });
      const id = String(p['id']);
      const infusion = addDays(referral, 40 + (i % 5) * 3);
      await reg.createRow('tumorboard-decisions', id, { decisionDate: addDays(referral, 5), accepted: true });
      await reg.createRow('apheresis', id, { apheresisDate: addDays(referral, 12) });
      await reg.createRow('products', id, { product, manufacturingFailure: false });
      await reg.createRow('infusions', id, { infusionDate: infusion });
      await reg.createRow('lugano-assessments', id, {
        assessmentDate: addDays(infusion, 30),
        response: i % 3 === 0 ? 'CR' : 'PR',
      });
      const progresses = i % 3 !== 0;
      if (progresses)
        await reg.createRow('progressions', id, {
          progressionDate: addDays(infusion, axi ? 60 + 30 * i : 45 + 20 * i),
        });
      if (i % 2 === 1)
        await reg.createRow('deaths', id, {
          deathDate: addDays(infusion, axi ? 200 + 40 * i : 150 + 30 * i),
          cause: 'lymphoma',
        });
      else await reg.createRow('follow-ups', id, { followUpDate: addDays(infusion, 400) });
    }
  }
}

/** `n` referred patients inserted in bulk (no journey rows, no audit records: timing data only). */
export async function seedBulk(store: RegistryStore, centreId: string, n: number): Promise<void> {
  const now = new Date().toISOString();
  for (let start = 0; start < n; start += 500) {
    const values = [];
    for (let i = start; i < Math.min(n, start + 500); i++)
      values.push({
        id: randomUUID(),
        centre_id: centreId,
        version: 1,
        created_at: now,
        updated_at: now,
        pseudonym: `BULK-${String(i).padStart(5, '0')}`,
        age_at_referral: 30 + (i % 50),
        sex: i % 2 ? 'F' : 'M',
        referral_date: addDays('2020-01-01', i % 1500),
        line_of_therapy: 2 + (i % 4),
        histology: 'DLBCL',
      });
    await store.db.insertInto('reg_patient').values(values).execute();
  }
}

/** Shared fixtures for the registry suites: two centres, one actor per role, journey rows. */
import type { Actor, RegistryStore } from '../../src/registry/store.js';

export interface World {
  store: RegistryStore;
  adminActor: Actor;
  dmA: Actor;
  clinA: Actor;
  dmB: Actor;
  analyst: Actor;
}

/** Creates centres AMC and UMCG and one user per role (no passwords: store-level actors). */
export async function seedWorld(store: RegistryStore): Promise<World> {
  await store.createCentre({ code: 'AMC', name: 'Amsterdam UMC' });
  await store.createCentre({ code: 'UMCG', name: 'UMC Groningen' });
  const mk = async (username: string, role: Actor['role'], centreCode: string | null): Promise<Actor> => {
    const u = await store.createUser({ username, passwordHash: null, role, centreCode });
    return { userId: u.id, username, role, centreId: u.centreId };
  };
  return {
    store,
    adminActor: await mk('admin', 'admin', null),
    dmA: await mk('dm-a', 'data_manager', 'AMC'),
    clinA: await mk('clin-a', 'clinician', 'AMC'),
    dmB: await mk('dm-b', 'data_manager', 'UMCG'),
    analyst: await mk('analyst', 'analyst', null),
  };
}

export const patientBody = (pseudonym: string, centre: string) => ({
  centre,
  pseudonym,
  ageAtReferral: 61,
  sex: 'F',
  referralDate: '2024-01-10',
  lineOfTherapy: 3,
  histology: 'DLBCL',
});

/** A normal day-N toxicity observation (no CRS, no ICANS) with overrides. */
export const toxObs = (date: string, patch: Record<string, unknown> = {}) => ({
  observationDate: date,
  maxTemperatureC: 37.0,
  feverMaskedByTreatment: false,
  hypotension: false,
  fluidsOnly: false,
  vasopressors: [],
  oxygenDevice: 'none',
  oxygenLPerMin: null,
  diedOfCrs: false,
  iceScore: 10,
  iceNotPossible: false,
  consciousness: 'awake',
  globalAphasia: false,
  seizure: 'none',
  motor: 'none',
  cerebralOedema: 'none',
  raisedIcpSigns: false,
  ...patch,
});

import { ENTITIES, type EntitySpec } from '../../src/registry/model.js';

/**
 * A valid create body for any entity (required fields only; dates 2024-03-01, the toxicity observation
 * and the death 2024-03-02: nothing after death).
 */
export function sampleBody(e: EntitySpec): Record<string, unknown> {
  if (e.path === 'toxicity-observations') return toxObs('2024-03-02');
  if (e.path === 'deaths') return { deathDate: '2024-03-02', cause: 'lymphoma' };
  const out: Record<string, unknown> = {};
  for (const fs of e.fields) {
    if (!fs.required) continue;
    switch (fs.kind) {
      case 'date':
        out[fs.name] = '2024-03-01';
        break;
      case 'int':
      case 'real':
        out[fs.name] = fs.min ?? 1;
        break;
      case 'bool':
        out[fs.name] = false;
        break;
      case 'enum':
        out[fs.name] = fs.values?.[0];
        break;
      case 'list':
        out[fs.name] = [];
        break;
      case 'text':
        out[fs.name] = 'sample';
        break;
    }
  }
  return out;
}

/** Adds one row of every entity to a patient (as `actor`), returning entity path → row id. */
export async function fillPatient(
  store: RegistryStore,
  actor: Actor,
  patientId: string,
  centreCode: string,
): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  const reg = store.as(actor);
  for (const e of ENTITIES) {
    const body = sampleBody(e);
    if (e.path === 'tumorboard-decisions')
      body['reasonText'] = `discussed with Dr Secret-${centreCode} of ${centreCode}`;
    if (e.path === 'biobank-samples') body['location'] = `${centreCode} freezer 7`;
    const row = await reg.createRow(e.path, patientId, body);
    ids[e.path] = String(row['id']);
  }
  return ids;
}

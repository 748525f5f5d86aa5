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

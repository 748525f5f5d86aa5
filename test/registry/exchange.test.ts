/**
 * Exchange: REDCap and Castor imports through mapping files (fixtures in test/registry/fixtures/), CSV
 * long/wide export keeping missing (NA) distinct from unchecked (0), CDISC ODM 1.3.2 with audit records,
 * and a study bundle that the study reader (src/study/bundle.ts) accepts. SQLite in memory: the import
 * and export code is dialect-free (the store suite runs the data layer on both databases).
 * Every expected value is an integer, string or date: exact comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { XMLParser } from 'fast-xml-parser';
import { InputError } from '../../src/errors.js';
import { parseCsv } from '../../src/io/csv.js';
import { RegistryStore } from '../../src/registry/store.js';
import { importCastor, importRedcap } from '../../src/registry/exchange/import.js';
import { exportCsv, exportOdm } from '../../src/registry/exchange/export.js';
import { exportBundle } from '../../src/registry/exchange/bundle.js';
import { readBundle } from '../../src/study/bundle.js';
import { seedWorld, type World } from './fixtures.js';
import { projectRoot } from '../helpers/shared-data.js';

const fx = (...p: string[]) => join(projectRoot, 'test', 'registry', 'fixtures', ...p);
const redcap = {
  dictionary: fx('redcap', 'dictionary.csv'),
  records: fx('redcap', 'records.csv'),
  mapping: fx('redcap', 'mapping.json'),
};

async function world(): Promise<World> {
  return seedWorld(await RegistryStore.open(':memory:'));
}

test('REDCap import: longitudinal events, repeat instances and checkboxes become registry rows', async () => {
  const w = await world();
  const a = w.store.as(w.dmA);
  const summary = await importRedcap(a, redcap);
  assert.deepEqual(summary, {
    patients: 2,
    rows: { apheresis: 2, infusions: 1, 'toxicity-observations': 2, 'adverse-events': 2 },
  });
  const list = await a.listPatients();
  const p1 = list.items.find((p) => p['pseudonym'] === 'RC-001');
  assert.ok(p1);
  assert.equal(p1['sex'], 'M');
  assert.equal(p1['histology'], 'DLBCL');
  const obs = await a.listRows('toxicity-observations', String(p1['id']));
  assert.deepEqual(
    obs.map((o) => o['vasopressors']),
    [[], ['norepinephrine', 'vasopressin']],
  );
  const o = await a.outcome(String(p1['id']));
  // day 2: fever, one vasopressor + vasopressin (→3), low-flow 3 L/min (→2): grade 3; ICE 8 → ICANS 1
  assert.deepEqual(
    o.crsByDay.map((d) => [d.day, d.grade]),
    [
      [1, 1],
      [2, 3],
    ],
  );
  assert.equal(o.maxIcans, 1);
  assert.equal(o.veinToVeinDays, 30);
  const audit = await a.auditLog();
  assert.ok(audit.length > 0 && audit.every((e) => e.reason === 'import' && e.username === 'dm-a'));
  await w.store.close();
});

test('REDCap import: an unknown column, or a mapped identifier field, is refused naming it; nothing written', async () => {
  const w = await world();
  const a = w.store.as(w.dmA);
  const dir = mkdtempSync(join(tmpdir(), 'carto-redcap-'));
  try {
    const text = readFileSync(redcap.records, 'utf8').split('\n');
    text[0] = `${text[0]},shoe_size`;
    const bad = join(dir, 'records.csv');
    writeFileSync(bad, text.map((l, i) => (i === 0 || l === '' ? l : `${l},`)).join('\n'));
    await assert.rejects(
      importRedcap(a, { ...redcap, records: bad }),
      (e: unknown) => e instanceof InputError && e.location.field === 'shoe_size' && e.location.file === bad,
    );
    const m = JSON.parse(readFileSync(redcap.mapping, 'utf8')) as { patient: Record<string, unknown> };
    m.patient['ageAtReferral'] = 'initials';
    const badMap = join(dir, 'mapping.json');
    writeFileSync(badMap, JSON.stringify(m));
    await assert.rejects(
      importRedcap(a, { ...redcap, mapping: badMap }),
      (e: unknown) =>
        e instanceof InputError &&
        /identifier/.test(e.message) &&
        e.location.field === 'patient.ageAtReferral',
    );
    // a bad value in the last record rolls back the whole import
    const rows = readFileSync(redcap.records, 'utf8').replace(
      'Hypogammaglobulinemia,2,',
      'Hypogammaglobulinemia,9,',
    );
    const badVal = join(dir, 'records-bad-grade.csv');
    writeFileSync(badVal, rows);
    await assert.rejects(
      importRedcap(a, { ...redcap, records: badVal }),
      (e: unknown) => e instanceof InputError && e.location.field === 'grade',
    );
    assert.equal((await a.listPatients()).total, 0);
    const n = await w.store.db
      .selectFrom('reg_audit')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(n['n'], 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await w.store.close();
  }
});

test('Castor import: semicolon wide + long repeating files, DD-MM-YYYY dates, missing codes, site mapping', async () => {
  const w = await world();
  const a = w.store.as(w.dmA);
  const summary = await importCastor(a, {
    study: fx('castor', 'study.csv'),
    repeating: {
      daily_tox: fx('castor', 'daily_tox.csv'),
      adverse_events: fx('castor', 'adverse_events.csv'),
    },
    mapping: fx('castor', 'mapping.json'),
  });
  assert.deepEqual(summary, {
    patients: 2,
    rows: { apheresis: 1, infusions: 1, 'toxicity-observations': 2, 'adverse-events': 1 },
  });
  const p = (await a.listPatients()).items.find((x) => x['pseudonym'] === 'CA-101');
  assert.ok(p);
  assert.equal(p['referralDate'], '2024-01-03');
  assert.equal(p['centre'], 'AMC');
  const ae = await a.listRows('adverse-events', String(p['id']));
  assert.equal(ae[0]?.['resolutionDate'], null, '01-01-2999 is a Castor missing date');
  const obs = await a.listRows('toxicity-observations', String(p['id']));
  assert.equal(obs[0]?.['oxygenLPerMin'], null, '-98 is a Castor missing code');
  const o = await a.outcome(String(p['id']));
  // day 1: fever + fluids → 2; day 2: masked fever + CPAP → 4; ICANS: ICE 9 → 1, voice → 2
  assert.deepEqual(
    o.crsByDay.map((d) => [d.day, d.grade]),
    [
      [1, 2],
      [2, 4],
    ],
  );
  assert.deepEqual(
    o.icansByDay.map((d) => d.grade),
    [1, 2],
  );
  // the data manager of the other centre cannot import into AMC: "unknown centre"
  const w2 = await world();
  await assert.rejects(
    importCastor(w2.store.as(w2.dmB), {
      study: fx('castor', 'study.csv'),
      repeating: {
        daily_tox: fx('castor', 'daily_tox.csv'),
        adverse_events: fx('castor', 'adverse_events.csv'),
      },
      mapping: fx('castor', 'mapping.json'),
    }),
    (e: unknown) => e instanceof InputError && e.location.field === 'centre',
  );
  await w.store.close();
  await w2.store.close();
});

test('CSV export: long and wide, missing (NA) distinct from unchecked (0) and not-applicable (empty)', async () => {
  const w = await world();
  const a = w.store.as(w.dmA);
  await importRedcap(a, redcap);
  const recs = await a.allRecords();
  const long = parseCsv(exportCsv(recs, 'long'), 'long.csv');
  const obsRows = long.rows.filter((r) => r['entity'] === 'toxicity-observations');
  assert.deepEqual(
    obsRows.map((r) => r['instance']),
    ['1', '2'],
  );
  assert.equal(obsRows[0]?.['toxicity-observations.hypotension'], '0', 'unchecked');
  assert.equal(obsRows[0]?.['toxicity-observations.oxygenLPerMin'], 'NA', 'missing');
  assert.equal(obsRows[0]?.['adverse-events.grade'], '', 'not applicable to this row');
  assert.equal(obsRows[1]?.['toxicity-observations.vasopressors'], 'norepinephrine|vasopressin');
  const wide = parseCsv(exportCsv(recs, 'wide'), 'wide.csv');
  const r1 = wide.rows.find((r) => r['pseudonym'] === 'RC-001');
  const r2 = wide.rows.find((r) => r['pseudonym'] === 'RC-002');
  assert.equal(r1?.['adverse-events.grade.2'], '2');
  assert.equal(r2?.['adverse-events.grade.1'], '', 'RC-002 has no AE instance');
  assert.equal(r1?.['computed.maxCrs'], '3');
  assert.equal(r2?.['computed.maxCrs'], 'NA');
  assert.equal(r2?.['computed.stage'], 'referred');
  await w.store.close();
});

test('ODM 1.3.2 export carries the audit record (user, time, reason) of each item', async () => {
  const w = await world();
  const a = w.store.as(w.dmA);
  await importRedcap(a, redcap);
  const p = (await a.listPatients()).items.find((x) => x['pseudonym'] === 'RC-001');
  await a.updatePatient(String(p?.['id']), {
    version: 1,
    reason: 'age checked against source',
    ageAtReferral: 59,
  });
  const xml = exportOdm(await a.allRecords(), await a.auditLog(), '2026-11-22T12:00:00.000Z');
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as Record<
    string,
    Record<string, unknown>
  >;
  const odm = doc['ODM'] as Record<string, unknown>;
  assert.equal(odm['@ODMVersion'], '1.3.2');
  assert.equal(odm['@xmlns'], 'http://www.cdisc.org/ns/odm/v1.3');
  const subjects = (odm['ClinicalData'] as { SubjectData: { '@SubjectKey': string }[] }).SubjectData;
  assert.deepEqual(subjects.map((s) => s['@SubjectKey']).sort(), ['RC-001', 'RC-002']);
  const ageItem =
    /<ItemData ItemOID="IT\.PATIENT\.AGEATREFERRAL" Value="59"><AuditRecord><UserRef UserOID="USR\.DM_A"\/><LocationRef LocationOID="LOC\.AMC"\/><DateTimeStamp>[0-9T:.-]+Z<\/DateTimeStamp><ReasonForChange>age checked against source<\/ReasonForChange>/;
  assert.match(xml, ageItem);
  assert.match(
    xml,
    /<ItemData ItemOID="IT\.PATIENT\.SEX" Value="M"><AuditRecord>.*<ReasonForChange>import<\/ReasonForChange>/,
  );
  await w.store.close();
});

test('study bundle export is read by the study reader with the computed grades', async () => {
  const w = await world();
  const a = w.store.as(w.dmA);
  await importRedcap(a, redcap);
  const p = (await a.listPatients()).items.find((x) => x['pseudonym'] === 'RC-001');
  await a.createRow('follow-ups', String(p?.['id']), { followUpDate: '2024-08-19' });
  const dir = mkdtempSync(join(tmpdir(), 'carto-bundle-'));
  // The fixture's adverse events have no attribution, which the bundle requires (refused otherwise:
  // test/registry/exchange-bundle-ae.test.ts): give them one.
  const records = (await a.allRecords()).map((r) => ({
    ...r,
    rows: {
      ...r.rows,
      'adverse-events': (r.rows['adverse-events'] ?? []).map((x) => ({ ...x, attribution: 'possible' })),
    },
  }));
  try {
    const n = exportBundle(records, dir, {
      name: 'registry export',
      tracer: { name: 'FDG', nuclide: '18F', halfLifeS: 6586.2 },
    });
    assert.equal(n, 2, 'every patient, infused or not');
    const b = readBundle(dir);
    assert.deepEqual(
      b.patients.map((x) => x.patientId),
      ['RC-001'],
    );
    assert.deepEqual(
      b.notInfused.map((x) => x.patientId),
      ['RC-002'],
    );
    assert.deepEqual(
      b.toxicity.map((t) => [t.crsGrade, t.icansGrade]),
      [[3, 1]],
    );
    const fu = b.events.find((e) => e.event === 'last_follow_up');
    assert.equal(fu?.day, 182);
    assert.equal(b.events.find((e) => e.event === 'apheresis')?.day, -30);
    assert.deepEqual(
      b.adverseEvents.map((e) => [e.ctcaeTerm, e.grade, e.attribution]),
      [
        ['Febrile neutropenia', 3, 'car-t'],
        ['Hypogammaglobulinemia', 2, 'car-t'],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await w.store.close();
  }
});

test('an import into a freshly opened SQLite file (cold centre cache) completes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-cold-'));
  try {
    const file = join(dir, 'r.sqlite');
    const first = await RegistryStore.open(file);
    const w = await seedWorld(first);
    await first.close();
    const store = await RegistryStore.open(file);
    const summary = await importRedcap(store.as(w.dmA), redcap);
    assert.equal(summary.patients, 2);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

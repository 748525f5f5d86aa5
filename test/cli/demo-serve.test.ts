/**
 * `carto demo --serve` (issue 14 item 8): one database with the simulated study and a matching
 * registry, served on loopback; the printed login signs in over HTTP, the study and the trial's
 * patients are listed, and every study patient links to a registry patient. Plus the importer's
 * grade windows and the option errors (exit 2 naming the option).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoServe, demoServeLines, type DemoServer } from '../../src/cli/demo-serve.js';
import { register } from '../../src/cli/commands/run.js';
import { crsWindowOfGrade, icansWindowOfGrade } from '../../src/registry/exchange/study-import.js';
import { gradeCrs, gradeIcans, parseCrsWindow, parseIcansWindow } from '../../src/registry/grading/astct.js';
import { RegistryStore } from '../../src/registry/store.js';
import { runInProcess } from '../helpers/cli-in-process.js';

type Listed = { items: { pseudonym: string; centre: string; id: string }[]; total: number };

describe('carto demo --serve', { timeout: 300_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'carto-demo-serve-'));
  let d: DemoServer;
  let cookie = '';
  const get = async (path: string) => {
    const r = await fetch(new URL(path, d.url), { headers: { cookie } });
    assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
    return r.json() as Promise<unknown>;
  };
  before(async () => {
    d = await demoServe({ out: join(tmp, 'demo'), port: 0, seed: 7, patients: 4, voxelMm: 12, fdg: false });
    const r = await fetch(new URL('/api/auth/login', d.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: d.username, password: d.password }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    cookie = (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  });
  after(async () => {
    await d?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('prints the loopback URL and the login, and warns of no unlinked patient', () => {
    assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(d.password.length >= 16);
    const lines = demoServeLines(d, join(tmp, 'demo'));
    assert.ok(lines.includes(`web app:  ${d.url}`));
    assert.ok(lines.includes(`login:    demo-admin / ${d.password}`));
    // The simulated never-infused patients (CONSORT drop-outs VT-S…) have no baseline a registry
    // patient needs: they stay study-only, each with the unlinked warning; every infused one links.
    assert.ok(lines.includes('4 patients of centre DEMO, 2 unlinked (see warnings)'), lines);
    assert.equal(d.warnings.length, 2);
    for (const [i, w] of d.warnings.entries())
      assert.match(w, new RegExp(`patient VT-S0${i + 1} matches no registry patient`));
    assert.equal(d.registryPatients, 4);
  });

  test('the printed login signs in; the study and the trial patients are listed and linked', async () => {
    const me = (await get('/api/auth/me')) as { username: string; role: string };
    assert.equal(me.username, 'demo-admin');
    assert.equal(me.role, 'admin');
    const studies = (await get('/api/studies')) as { id: string; name: string }[];
    assert.equal(studies.length, 1);
    assert.equal(studies[0]?.name, d.studyName);
    const patients = (await get('/api/patients?limit=50')) as Listed;
    assert.equal(patients.total, 4);
    const bundleIds = readFileSync(join(tmp, 'demo', 'bundle', 'patients.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .filter((l) => !l.split(',')[0]!.startsWith('VT-S'))
      .map((l) => l.split(',')[0]);
    assert.deepEqual(patients.items.map((p) => p.pseudonym).sort(), bundleIds.sort());
    const studyPatients = (await get(`/api/studies/${studies[0]?.id}/patients`)) as {
      patientId: string;
      registryPatientId: string | null;
    }[];
    assert.equal(studyPatients.length, 6);
    const regIds = new Set(patients.items.map((p) => p.id));
    for (const sp of studyPatients) {
      if (sp.patientId.startsWith('VT-S')) assert.equal(sp.registryPatientId, null, sp.patientId);
      else assert.ok(regIds.has(String(sp.registryPatientId)), sp.patientId);
    }
  });

  test('each registry patient has the journey: infusion, toxicity observation, outcomes', async () => {
    const patients = (await get('/api/patients?limit=50')) as Listed;
    for (const p of patients.items) {
      const t = (await get(`/api/patients/${p.id}/timeline`)) as {
        events: { kind: string }[];
        outcome: { stage: string; maxCrs: number | null; os: unknown };
      };
      const kinds = new Set(t.events.map((e) => e.kind));
      for (const k of ['referral', 'tumorboard', 'apheresis', 'infusion', 'toxicity observation'])
        assert.ok(kinds.has(k), `${p.pseudonym} lacks ${k}`);
      assert.ok(['infused', 'evaluable'].includes(t.outcome.stage));
      assert.notEqual(t.outcome.maxCrs, null);
      assert.ok(t.outcome.os);
    }
  });

  test('a database that already holds registry users is refused, naming --db', async () => {
    const db = join(tmp, 'used.sqlite');
    const store = await RegistryStore.open(db);
    await store.createUser({ username: 'someone', passwordHash: null, role: 'admin', centreCode: null });
    await store.close();
    const r = await runInProcess(register, [
      'demo',
      '--serve',
      '--db',
      db,
      '--out',
      join(tmp, 'd2'),
      '--patients',
      '3',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--db/);
    assert.match(r.err, /without registry users or patients/);
  });
});

describe('carto demo options', () => {
  test('--port and --db without --serve exit 2 naming the option', async () => {
    const a = await runInProcess(register, ['demo', '--port', '9000']);
    assert.equal(a.code, 2);
    assert.match(a.err, /--port needs --serve/);
    const b = await runInProcess(register, ['demo', '--db', 'x.sqlite']);
    assert.equal(b.code, 2);
    assert.match(b.err, /--db needs --serve/);
  });
});

describe('study import: observation windows of a maximum grade', () => {
  test('every CRS grade 0–5 and ICANS grade 0–4 is reproduced by the ASTCT grader', () => {
    for (let g = 0; g <= 5; g++) assert.equal(gradeCrs(parseCrsWindow(crsWindowOfGrade(g, 'P1'))).grade, g);
    for (let g = 0; g <= 4; g++)
      assert.equal(gradeIcans(parseIcansWindow(icansWindowOfGrade(g, 'P1'))).grade, g);
  });
  test('a grade out of range is an error naming toxicity.csv, the field and the value', () => {
    assert.throws(() => crsWindowOfGrade(6, 'P1'), /CRS grade must be 0–5/);
    assert.throws(
      () => icansWindowOfGrade(5, 'P1'),
      (e: Error & { location?: { file?: string; field?: string; value?: unknown } }) =>
        e.location?.file === 'toxicity.csv' && e.location.field === 'icans_grade' && e.location.value === 5,
    );
  });
});

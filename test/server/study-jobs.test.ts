/**
 * GET /api/studies/{id}/jobs on SQLite: `carto run --db` stores a two-patient study (P01 linked to a
 * registry patient of AMC, P02 to none), then the test sets scan S2's job failed and checks the route's
 * answer is `carto jobs --json`'s (same shape and values for admins and analysts), that a centre user
 * counts only the scans of its centre (S2's failure, out of its scope, is not named), that another
 * centre's user gets 404 and an anonymous caller 401, and that the route is in the OpenAPI document.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { register as registerJobs } from '../../src/cli/commands/jobs.js';
import { register as registerRun } from '../../src/cli/commands/run.js';
import { RegistryStore } from '../../src/registry/store.js';
import { buildApp, SESSION_COOKIE } from '../../src/server/app.js';
import { hashPassword } from '../../src/server/auth.js';
import { openStudyStore } from '../../src/study/store.js';
import { twoPatientBundle } from '../helpers/bundles.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { patientBody, seedWorld } from '../registry/fixtures.js';

const PASSWORD = 'correct horse battery';
const STUDY = '/api/studies/DRO%20study/jobs';
const FAILURE = 'corrupt series: pixel data truncated (test)';
const dir = mkdtempSync(join(tmpdir(), 'carto-study-jobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Sets a scan's job state (and error) in the stored study, as a worker would have left it. */
async function setState(db: string, scanId: string, state: string, error: string | null): Promise<void> {
  const store = await openStudyStore(db);
  try {
    const r = await store
      .updateTable('scan_job')
      .set({ state: state as 'failed', error })
      .where('study_id', '=', 'DRO study')
      .where('scan_id', '=', scanId)
      .executeTakeFirst();
    assert.equal(Number(r.numUpdatedRows), 1);
  } finally {
    await store.destroy();
  }
}

describe('GET /api/studies/{id}/jobs (sqlite)', () => {
  const db = join(dir, 'deployment.sqlite');
  let store: RegistryStore;
  let app: FastifyInstance;
  const cookies: Record<string, string> = {};
  const get = (who: string | null, url = STUDY) =>
    app.inject({ method: 'GET', url, headers: who ? { cookie: cookies[who]! } : {} });

  before(async () => {
    const reg = await RegistryStore.open(db);
    const w = await seedWorld(reg);
    await reg.as(w.adminActor).createPatient(patientBody('P01', 'AMC'));
    const hash = await hashPassword(PASSWORD);
    for (const [u, role, centre] of [
      ['admin', 'admin', null],
      ['analyst', 'analyst', null],
      ['dmA', 'data_manager', 'AMC'],
      ['dmB', 'data_manager', 'UMCG'],
    ] as const)
      await reg.createUser({ username: `sj-${u}`, passwordHash: hash, role, centreCode: centre });
    await reg.close();
    const bundle = twoPatientBundle(join(dir, 'bundle'));
    const r = await runInProcess(registerRun, ['run', bundle, '--db', db, '--out', join(dir, 'report')]);
    assert.equal(r.code, 0, r.err);
    await setState(db, 'S2', 'failed', FAILURE);
    store = await RegistryStore.open(db);
    app = await buildApp({ store });
    for (const u of ['admin', 'analyst', 'dmA', 'dmB']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: `sj-${u}`, password: PASSWORD },
      });
      assert.equal(res.statusCode, 200, res.body);
      cookies[u] = `${SESSION_COOKIE}=${res.cookies.find((x) => x.name === SESSION_COOKIE)!.value}`;
    }
  });
  after(async () => {
    await app?.close();
    await store?.close();
  });

  test('admins and analysts get exactly what carto jobs --json prints, the failure with its error', async () => {
    const cli = await runInProcess(registerJobs, ['jobs', '--db', db, '--study', 'DRO study', '--json']);
    assert.equal(cli.code, 0, cli.err);
    const expected = {
      scans: { pending: 0, running: 0, done: 1, failed: 1 },
      failures: [{ scan: 'S2', error: FAILURE }],
    };
    assert.deepEqual(JSON.parse(cli.out), expected);
    for (const who of ['admin', 'analyst']) {
      const r = await get(who);
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), expected, who);
    }
  });

  test("a centre user counts only its centre's scans; the failure outside its scope is not named", async () => {
    const r = await get('dmA');
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { scans: { pending: 0, running: 0, done: 1, failed: 0 }, failures: [] });
    assert.ok(!r.body.includes('S2'));
    // its own scan failing is shown to it
    await setState(db, 'S1', 'failed', 'mask grid differs from the PET grid (test)');
    try {
      assert.deepEqual((await get('dmA')).json(), {
        scans: { pending: 0, running: 0, done: 0, failed: 1 },
        failures: [{ scan: 'S1', error: 'mask grid differs from the PET grid (test)' }],
      });
    } finally {
      await setState(db, 'S1', 'done', null);
    }
  });

  test('another centre gets 404, an anonymous caller 401, an unknown study 404', async () => {
    assert.equal((await get('dmB')).statusCode, 404);
    assert.equal((await get(null)).statusCode, 401);
    assert.equal((await get('admin', '/api/studies/nope/jobs')).statusCode, 404);
  });

  test('the route is in the OpenAPI document', async () => {
    const doc = (await get(null, '/api/openapi.json')).json<{ paths: Record<string, { get?: unknown }> }>();
    assert.ok(doc.paths['/api/studies/{id}/jobs']?.get, Object.keys(doc.paths).join(', '));
  });
});

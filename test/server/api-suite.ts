/**
 * HTTP API suite, run by test/registry/backends.test.ts on SQLite and on a real PostgreSQL server (one
 * cluster per run). For every endpoint of the OpenAPI document: anonymous → 401, and a centre-A user
 * gets 404 for centre-B rows with nothing leaked and nothing written; the analyst sees no
 * centre-identifying free text; CSRF, 400 naming the field (nothing written), 409 on a stale version.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../helpers/shared-data.js';
import { buildApp, SESSION_COOKIE } from '../../src/server/app.js';
import { hashPassword } from '../../src/server/auth.js';
import { ENTITIES } from '../../src/registry/model.js';
import { ACCESS_TABLES, type RegistryStore } from '../../src/registry/store.js';
import { fillPatient, patientBody, sampleBody, seedWorld, type World } from '../registry/fixtures.js';

interface Session {
  cookie: string;
  csrf: string;
}
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const PASSWORD = 'correct horse battery';

async function login(app: FastifyInstance, username: string, password = PASSWORD): Promise<Session> {
  const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  assert.equal(r.statusCode, 200, r.body);
  const c = r.cookies.find((x) => x.name === SESSION_COOKIE);
  assert.ok(c, 'session cookie set');
  assert.equal(c.httpOnly, true);
  assert.equal(c.sameSite, 'Strict');
  return { cookie: `${SESSION_COOKIE}=${c.value}`, csrf: r.json<{ csrfToken: string }>().csrfToken };
}

async function call(app: FastifyInstance, s: Session | null, method: Method, url: string, payload?: unknown) {
  const headers: Record<string, string> = {};
  if (s) {
    headers['cookie'] = s.cookie;
    headers['x-csrf-token'] = s.csrf;
  }
  return app.inject({
    method,
    url,
    headers,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
}

/** Data-change entries of the audit trail (access events — sign-ins, exports — are not writes). */
async function auditCount(store: RegistryStore): Promise<number> {
  const r = await store.db
    .selectFrom('reg_audit')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('table_name', 'not in', [...ACCESS_TABLES])
    .executeTakeFirstOrThrow();
  return Number(r['n']);
}

export function apiSuite(name: string, open: () => Promise<RegistryStore>): void {
  describe(`registry HTTP API (${name})`, () => {
    let w: World;
    let app: FastifyInstance;
    let sA: Session;
    let sB: Session;
    let sAn: Session;
    let pA: string;
    let pB: string;
    let rowsB: Record<string, string>;
    type Parameter = { name: string; in: string; required?: boolean; schema?: { type?: string } };
    let doc: {
      paths: Record<
        string,
        Record<string, { security?: unknown[]; requestBody?: unknown; parameters?: Parameter[] }>
      >;
    };

    before(async () => {
      const store = await open();
      w = await seedWorld(store);
      const hash = await hashPassword(PASSWORD);
      for (const [u, role, centre] of [
        ['http-dm-a', 'data_manager', 'AMC'],
        ['http-dm-b', 'data_manager', 'UMCG'],
        ['http-analyst', 'analyst', null],
        ['http-admin', 'admin', null],
      ] as const)
        await store.createUser({ username: u, passwordHash: hash, role, centreCode: centre });
      app = await buildApp({ store });
      sA = await login(app, 'http-dm-a');
      sB = await login(app, 'http-dm-b');
      sAn = await login(app, 'http-analyst');
      pA = String((await store.as(w.dmA).createPatient(patientBody('API-A-1', 'AMC')))['id']);
      pB = String((await store.as(w.dmB).createPatient(patientBody('API-B-1', 'UMCG')))['id']);
      await fillPatient(store, w.dmA, pA, 'AMC');
      rowsB = await fillPatient(store, w.dmB, pB, 'UMCG');
      doc = (await call(app, null, 'GET', '/api/openapi.json')).json();
    });
    after(async () => {
      await app.close();
      await w.store.close();
    });

    const operations = () =>
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops).map(([m, op]) => ({ path, method: m.toUpperCase() as Method, op })),
      );

    const bodyFor = (path: string, method: Method): unknown => {
      if (method === 'DELETE') return { version: 1, reason: 'test' };
      if (method === 'PATCH') return { version: 1, reason: 'test' };
      if (method !== 'POST') return undefined;
      const e = ENTITIES.find((x) => path.endsWith(`/${x.path}`));
      if (e) return sampleBody(e);
      if (path === '/api/patients') return patientBody('API-NEW', 'UMCG');
      return {};
    };

    /** A valid query string for an operation's required query parameters (as `bodyFor` gives a valid body). */
    const queryFor = (op: { parameters?: Parameter[] }): string => {
      const required = (op.parameters ?? []).filter((p) => p.in === 'query' && p.required);
      const value = (p: Parameter) => (p.schema?.type === 'string' ? 'x' : '1');
      return required.length === 0 ? '' : `?${required.map((p) => `${p.name}=${value(p)}`).join('&')}`;
    };

    test('entity lists paginate with limit and offset and give the total in X-Total-Count', async () => {
      const e = ENTITIES.find((x) => x.path === 'adverse-events')!;
      for (let k = 0; k < 2; k++) {
        const r = await call(app, sA, 'POST', `/api/patients/${pA}/${e.path}`, sampleBody(e));
        assert.equal(r.statusCode, 201, r.body);
      }
      const all = await call(app, sA, 'GET', `/api/patients/${pA}/${e.path}`);
      const rows = all.json<{ id: string }[]>();
      assert.ok(rows.length >= 3);
      assert.equal(all.headers['x-total-count'], String(rows.length));
      const page = await call(app, sA, 'GET', `/api/patients/${pA}/${e.path}?limit=2&offset=1`);
      assert.equal(page.statusCode, 200);
      assert.deepEqual(
        page.json<{ id: string }[]>().map((r) => r.id),
        rows.slice(1, 3).map((r) => r.id),
      );
      assert.equal(page.headers['x-total-count'], String(rows.length));
      const bad = await call(app, sA, 'GET', `/api/patients/${pA}/${e.path}?limit=0`);
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /limit/);
    });

    test('the OpenAPI document describes every entity route with body schemas', () => {
      assert.equal((doc as unknown as { openapi: string }).openapi, '3.1.0');
      for (const e of ENTITIES) {
        assert.ok(doc.paths[`/api/patients/{id}/${e.path}`]?.['post']?.requestBody, e.path);
        assert.ok(doc.paths[`/api/${e.path}/{rowId}`]?.['patch']?.requestBody, e.path);
        assert.ok(doc.paths[`/api/${e.path}/{rowId}`]?.['delete'], e.path);
      }
    });

    test('anonymous requests get 401 on every authenticated endpoint', async () => {
      let n = 0;
      for (const { path, method, op } of operations()) {
        if (!op.security) continue;
        const url = path.replace('{id}', pA).replace('{rowId}', rowsB['apheresis'] ?? '');
        const r = await call(
          app,
          null,
          method,
          url.includes('/api/export') ? `${url}?format=csv-long` : url,
          bodyFor(path, method),
        );
        assert.equal(r.statusCode, 401, `${method} ${path}`);
        n++;
      }
      assert.ok(n > 5 * ENTITIES.length);
    });

    test('a centre-A user gets 404 for centre-B rows on every endpoint, nothing leaked or written', async () => {
      const before = await auditCount(w.store);
      let n = 0;
      for (const { path, method, op } of operations()) {
        if (!path.includes('{id}') && !path.includes('{rowId}')) continue;
        const entity = ENTITIES.find((e) => path.startsWith(`/api/${e.path}/`));
        const url =
          path.replace('{id}', pB).replace('{rowId}', entity ? (rowsB[entity.path] ?? '') : '') +
          queryFor(op);
        const r = await call(app, sA, method, url, bodyFor(path, method));
        assert.equal(r.statusCode, 404, `${method} ${path}: ${r.body}`);
        assert.ok(!r.body.includes('API-B-1') && !r.body.includes('UMCG'), `${method} ${path} leaks`);
        n++;
      }
      assert.ok(n >= 5 * ENTITIES.length);
      for (const url of [
        '/api/patients',
        '/api/dashboard',
        '/api/audit',
        '/api/centres',
        '/api/export?format=csv-long',
        '/api/export?format=odm',
      ]) {
        const r = await call(app, sA, 'GET', url);
        assert.equal(r.statusCode, 200, url);
        for (const secret of ['API-B-1', 'UMCG', pB, 'Dr Secret-UMCG'])
          assert.ok(!r.body.includes(secret), `${url} leaks ${secret}`);
      }
      const list = (await call(app, sA, 'GET', '/api/patients')).json<{ total: number }>();
      assert.equal(list.total, 1);
      const dash = (await call(app, sA, 'GET', '/api/dashboard')).json<{ patients: number }>();
      assert.equal(dash.patients, 1);
      assert.equal(await auditCount(w.store), before);
      // the same user sees its own patient
      assert.equal((await call(app, sA, 'GET', `/api/patients/${pA}`)).statusCode, 200);
    });

    test('the analyst reads pseudonymised data without centre-identifying free text and cannot write', async () => {
      for (const url of [
        '/api/patients',
        `/api/patients/${pB}`,
        `/api/patients/${pB}/timeline`,
        `/api/patients/${pB}/tumorboard-decisions`,
        `/api/patients/${pB}/biobank-samples`,
        '/api/centres',
        '/api/dashboard',
        '/api/export?format=csv-long',
        '/api/export?format=csv-wide',
        '/api/export?format=odm',
      ]) {
        const r = await call(app, sAn, 'GET', url);
        assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
        for (const secret of ['UMCG', 'AMC', 'Amsterdam', 'Groningen', 'Dr Secret', 'freezer', 'http-dm-'])
          assert.ok(!r.body.includes(secret), `${url} shows ${secret}`);
      }
      const before = await auditCount(w.store);
      assert.equal(
        (await call(app, sAn, 'POST', '/api/patients', patientBody('AN-1', 'AMC'))).statusCode,
        403,
      );
      assert.equal(
        (await call(app, sAn, 'POST', `/api/patients/${pB}/apheresis`, { apheresisDate: '2024-02-01' }))
          .statusCode,
        403,
      );
      assert.equal(
        (await call(app, sAn, 'PATCH', `/api/patients/${pB}`, { version: 1, reason: 'x', ageAtReferral: 3 }))
          .statusCode,
        403,
      );
      assert.equal((await call(app, sAn, 'GET', '/api/audit')).statusCode, 403);
      assert.equal(await auditCount(w.store), before);
    });

    test('state-changing requests need the CSRF token; logout ends the session', async () => {
      const before = await auditCount(w.store);
      const r = await app.inject({
        method: 'POST',
        url: '/api/patients',
        headers: { cookie: sA.cookie },
        payload: patientBody('CSRF-1', 'AMC'),
      });
      assert.equal(r.statusCode, 403);
      const r2 = await app.inject({
        method: 'POST',
        url: '/api/patients',
        headers: { cookie: sA.cookie, 'x-csrf-token': sB.csrf },
        payload: patientBody('CSRF-1', 'AMC'),
      });
      assert.equal(r2.statusCode, 403);
      assert.equal(await auditCount(w.store), before);
      assert.equal(
        (
          await app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: 'http-dm-a', password: 'wrong password!' },
          })
        ).statusCode,
        401,
      );
      assert.equal(
        (
          await app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: 'nobody', password: 'wrong password!' },
          })
        ).statusCode,
        401,
      );
      const s = await login(app, 'http-dm-a');
      assert.equal((await call(app, s, 'GET', '/api/auth/me')).statusCode, 200);
      assert.equal((await call(app, s, 'POST', '/api/auth/logout')).statusCode, 204);
      assert.equal((await call(app, s, 'GET', '/api/patients')).statusCode, 401);
    });

    test('bad input → 400 naming the field, nothing written', async () => {
      const p = (await call(app, sA, 'POST', '/api/patients', patientBody('API-A-BAD', 'AMC'))).json<{
        id: string;
      }>();
      assert.equal(
        (await call(app, sA, 'POST', `/api/patients/${p.id}/apheresis`, { apheresisDate: '2024-02-01' }))
          .statusCode,
        201,
      );
      const before = await auditCount(w.store);
      const cases: [string, unknown, string][] = [
        [`/api/patients/${p.id}/infusions`, { infusionDate: '2024-01-15' }, 'infusionDate'],
        [`/api/patients/${p.id}/adverse-events`, { term: 'CRS', grade: 7, onsetDate: '2024-02-03' }, 'grade'],
        [
          `/api/patients/${p.id}/lugano-assessments`,
          { assessmentDate: '2024-02-03', response: 'VGPR' },
          'response',
        ],
        ['/api/patients', patientBody('API-A-NEW', 'ZZZ'), 'centre'],
        ['/api/patients', patientBody('API-A-1', 'AMC'), 'pseudonym'],
        ['/api/patients', { ...patientBody('API-A-NEW', 'AMC'), birthDate: '1960-01-01' }, 'birthDate'],
        ['/api/grade/crs', { maxTemperatureC: 39 }, 'feverMaskedByTreatment'],
      ];
      for (const [url, body, field] of cases) {
        const r = await call(app, sA, 'POST', url, body);
        assert.equal(r.statusCode, 400, `${url}: ${r.body}`);
        assert.equal(r.json<{ field: string }>().field, field, url);
      }
      const big = { ...patientBody('API-A-BIG', 'AMC'), histology: 'x'.repeat(10 * 1024 * 1024) };
      const r = await call(app, sA, 'POST', '/api/patients', big);
      assert.equal(r.statusCode, 400);
      assert.equal(r.json<{ field: string }>().field, 'body');
      assert.equal(await auditCount(w.store), before);
      assert.equal(
        (await call(app, sA, 'GET', '/api/patients?pseudonymPrefix=API-A-B')).json<{ total: number }>().total,
        1,
      );
    });

    test('REDCap import over HTTP: an unknown column → 400 naming it, nothing written; a valid project → 201', async () => {
      const fx = (f: string) =>
        readFileSync(join(projectRoot, 'test', 'registry', 'fixtures', 'redcap', f), 'utf8');
      const recordsCsv = fx('records.csv');
      const lines = recordsCsv.split('\n');
      const bad = lines.map((l, i) => (i === 0 ? `${l},shoe_size` : l === '' ? l : `${l},`)).join('\n');
      const body = {
        dictionaryCsv: fx('dictionary.csv'),
        recordsCsv: bad,
        mapping: JSON.parse(fx('mapping.json')) as unknown,
      };
      const before = await auditCount(w.store);
      const r = await call(app, sA, 'POST', '/api/import/redcap', body);
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(r.json<{ field: string }>().field, 'shoe_size');
      assert.equal(await auditCount(w.store), before);
      const ok = await call(app, sA, 'POST', '/api/import/redcap', { ...body, recordsCsv });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal(ok.json<{ patients: number }>().patients, 2);
      // the other centre's user cannot import into AMC
      const other = await call(app, sB, 'POST', '/api/import/redcap', {
        ...body,
        recordsCsv: recordsCsv.replace(/RC-00/g, 'RX-00'),
      });
      assert.equal(other.statusCode, 400);
      assert.equal(other.json<{ field: string }>().field, 'centre');
    });

    test('a stale version gets 409 and changes nothing; pagination and grading work', async () => {
      const p = (await call(app, sA, 'POST', '/api/patients', patientBody('API-A-V', 'AMC'))).json<{
        id: string;
      }>();
      const ok = await call(app, sA, 'PATCH', `/api/patients/${p.id}`, {
        version: 1,
        reason: 'fix',
        ageAtReferral: 70,
      });
      assert.equal(ok.statusCode, 200);
      const stale = await call(app, sA, 'PATCH', `/api/patients/${p.id}`, {
        version: 1,
        reason: 'late',
        ageAtReferral: 20,
      });
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.json<{ currentVersion: number }>().currentVersion, 2);
      assert.equal(
        (await call(app, sA, 'GET', `/api/patients/${p.id}`)).json<{ ageAtReferral: number }>().ageAtReferral,
        70,
      );
      const page = (await call(app, sA, 'GET', '/api/patients?limit=1&offset=1')).json<{
        total: number;
        items: unknown[];
      }>();
      assert.equal(page.items.length, 1);
      assert.ok(page.total >= 3);
      assert.equal((await call(app, sA, 'GET', '/api/patients?limit=0')).statusCode, 400);
      const g = await call(app, sA, 'POST', '/api/grade/icans', {
        iceScore: 0,
        iceNotPossible: false,
        consciousness: 'unarousable',
        globalAphasia: false,
        seizure: 'none',
        motor: 'none',
        cerebralOedema: 'none',
        raisedIcpSigns: false,
      });
      assert.deepEqual(g.json(), { grade: 4, drivenBy: ['ice', 'consciousness'] });
    });
  });
}

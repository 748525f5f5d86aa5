/**
 * Sign-in throttle, access audit and the literal pseudonym prefix, run by test/registry/backends.test.ts on
 * SQLite (a file, so that a restart can reopen it) and on a real PostgreSQL server. The clock is injected:
 * no test sleeps.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, SESSION_COOKIE } from '../../src/server/app.js';
import { hashPassword } from '../../src/server/auth.js';
import { backoffMs, DEFAULT_THROTTLE } from '../../src/server/throttle.js';
import { RegistryStore, type AuditEntry } from '../../src/registry/store.js';
import { patientBody } from '../registry/fixtures.js';

const PASSWORD = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);

interface Harness {
  store: RegistryStore;
  app: FastifyInstance;
  clock: { ms: number };
}

async function harness(target: string, clock = { ms: T0 }): Promise<Harness> {
  const store = await RegistryStore.open(target);
  const app = await buildApp({ store, nowMs: () => clock.ms });
  return { store, app, clock };
}

function signIn(h: Harness, username: string, password: string, client = '10.0.0.1') {
  return h.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password },
    remoteAddress: client,
  });
}

function cookieOf(r: LightMyRequestResponse): string {
  const c = r.cookies.find((x) => x.name === SESSION_COOKIE);
  assert.ok(c, 'session cookie set');
  return `${SESSION_COOKIE}=${c.value}`;
}

async function auditRows(store: RegistryStore): Promise<Record<string, unknown>[]> {
  return store.db.selectFrom('reg_audit').selectAll().orderBy('seq').execute();
}

export function accessSuite(name: string, newTarget: () => Promise<string>): void {
  describe(`registry sign-in throttle and access audit (${name})`, () => {
    let target: string;
    let h: Harness;
    const users: Record<string, { id: string }> = {};
    before(async () => {
      target = await newTarget();
      h = await harness(target);
      await h.store.createCentre({ code: 'AMC', name: 'Amsterdam UMC' });
      const hash = await hashPassword(PASSWORD);
      for (const [u, role, centre] of [
        ['acc-admin', 'admin', null],
        ['acc-dm', 'data_manager', 'AMC'],
        ['acc-analyst', 'analyst', null],
        ['acc-victim', 'clinician', 'AMC'],
        ['acc-restart', 'clinician', 'AMC'],
      ] as const)
        users[u] = await h.store.createUser({ username: u, passwordHash: hash, role, centreCode: centre });
    });
    after(async () => {
      await h.app.close();
      await h.store.close();
    });

    test('back-off doubles per failure after the free ones, then the right password signs in (admin too)', async () => {
      const free = DEFAULT_THROTTLE.freeUserFailures;
      // a distributed guesser: every attempt from another address, so only the user-name key counts
      let ip = 0;
      const from = () => `192.0.2.${++ip}`;
      for (let i = 0; i < free; i++)
        assert.equal((await signIn(h, 'acc-admin', `wrong ${i}`, from())).statusCode, 401);
      // no delay yet: the next failure is still checked
      assert.equal((await signIn(h, 'acc-admin', 'wrong again', from())).statusCode, 401);
      const retryAfter: number[] = [];
      for (let k = 0; k < 4; k++) {
        const blocked = await signIn(h, 'acc-admin', PASSWORD, from());
        assert.equal(blocked.statusCode, 429, blocked.body);
        const ra = Number(blocked.headers['retry-after']);
        retryAfter.push(ra);
        h.clock.ms += ra * 1000;
        assert.equal((await signIn(h, 'acc-admin', `wrong k${k}`, from())).statusCode, 401);
      }
      assert.deepEqual(retryAfter, [1, 2, 4, 8]);
      // during the wait even the right password is refused (429, not tried) ...
      const wait = await signIn(h, 'acc-admin', PASSWORD, from());
      assert.equal(wait.statusCode, 429);
      assert.equal(wait.headers['retry-after'], '16');
      h.clock.ms += 15_999;
      assert.equal((await signIn(h, 'acc-admin', PASSWORD, from())).statusCode, 429);
      // ... and after it the right password signs in and clears the user name's counter
      h.clock.ms += 1;
      assert.equal((await signIn(h, 'acc-admin', PASSWORD, from())).statusCode, 200);
      assert.equal((await signIn(h, 'acc-admin', 'one slip', from())).statusCode, 401);
      assert.equal((await signIn(h, 'acc-admin', PASSWORD, from())).statusCode, 200);
    });

    test('the delay is capped (15 min by default): never a lock the right password cannot pass', () => {
      const p = DEFAULT_THROTTLE;
      assert.equal(backoffMs(p.freeUserFailures, p.freeUserFailures, p), 0);
      assert.equal(backoffMs(p.freeUserFailures + 1, p.freeUserFailures, p), 1000);
      assert.equal(backoffMs(p.freeUserFailures + 11, p.freeUserFailures, p), 15 * 60_000);
      assert.equal(backoffMs(10_000, p.freeUserFailures, p), 15 * 60_000);
    });

    test('many user names from one client are throttled by the client counter', async () => {
      const attacker = '198.51.100.7';
      for (let i = 0; i < DEFAULT_THROTTLE.freeClientFailures + 1; i++)
        assert.equal((await signIn(h, `guess-${i}`, 'wrong password', attacker)).statusCode, 401);
      // a fresh user name — even a real account with its right password — waits from that client
      const blocked = await signIn(h, 'acc-dm', PASSWORD, attacker);
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.headers['retry-after'], '1');
      // the account itself is not throttled from another client
      assert.equal((await signIn(h, 'acc-dm', PASSWORD, '10.9.9.9')).statusCode, 200);
      h.clock.ms += 1000;
      assert.equal((await signIn(h, 'acc-dm', PASSWORD, attacker)).statusCode, 200);
      // a success does not reset the client's counter: the next guess costs 2 s more
      assert.equal((await signIn(h, 'guess-x', 'wrong password', attacker)).statusCode, 401);
      const again = await signIn(h, 'guess-y', 'wrong password', attacker);
      assert.equal(again.statusCode, 429);
      assert.equal(again.headers['retry-after'], '2');
    });

    test('the back-off is held in the database and survives a restart', async () => {
      const clock = h.clock;
      for (let i = 0; i <= DEFAULT_THROTTLE.freeUserFailures; i++)
        assert.equal((await signIn(h, 'acc-restart', `wrong ${i}`, `203.0.113.${i}`)).statusCode, 401);
      await h.app.close();
      await h.store.close();
      h = await harness(target, clock); // the same database, a new process-worth of state
      const blocked = await signIn(h, 'acc-restart', PASSWORD, '203.0.113.99');
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.headers['retry-after'], '1');
      h.clock.ms += 1000;
      assert.equal((await signIn(h, 'acc-restart', PASSWORD, '203.0.113.99')).statusCode, 200);
    });

    test('sign-ins, failed sign-ins, sign-outs and exports are in the audit trail, never a password', async () => {
      const before = (await auditRows(h.store)).length;
      h.clock.ms += 24 * 3600_000; // past every back-off above
      const client = '10.1.2.3';
      assert.equal((await signIn(h, 'acc-victim', 'Tr0ub4dor&3-wrong', client)).statusCode, 401);
      assert.equal((await signIn(h, 'Tr0ub4dor&3-typed-as-name', 'x', client)).statusCode, 401);
      const ok = await signIn(h, 'acc-dm', PASSWORD, client);
      assert.equal(ok.statusCode, 200);
      const s = { cookie: cookieOf(ok), csrf: ok.json<{ csrfToken: string }>().csrfToken };
      const an = await signIn(h, 'acc-analyst', PASSWORD, client);
      const anCookie = cookieOf(an);
      for (const [cookie, url] of [
        [s.cookie, '/api/export?format=csv-long'],
        [s.cookie, '/api/export?format=odm'],
        [anCookie, '/api/export?format=csv-wide'],
      ] as const) {
        const r = await h.app.inject({ method: 'GET', url, headers: { cookie }, remoteAddress: client });
        assert.equal(r.statusCode, 200, r.body);
        assert.ok(!r.body.includes('sign-in'), `${url}: access events are not data`);
      }
      const out = await h.app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
        remoteAddress: client,
      });
      assert.equal(out.statusCode, 204);

      const rows = (await auditRows(h.store)).slice(before);
      const got = rows.map((r) => [r['action'], r['username'], r['table_name'], r['row_id']]);
      assert.deepEqual(got, [
        ['sign-in-failed', 'acc-victim', 'access', users['acc-victim']!.id],
        ['sign-in-failed', '(unknown user name)', 'access', ''],
        ['sign-in', 'acc-dm', 'access', users['acc-dm']!.id],
        ['sign-in', 'acc-analyst', 'access', users['acc-analyst']!.id],
        ['export', 'acc-dm', 'export', 'csv-long'],
        ['export', 'acc-dm', 'export', 'odm'],
        ['export', 'acc-analyst', 'export', 'csv-wide'],
        ['sign-out', 'acc-dm', 'access', users['acc-dm']!.id],
      ]);
      for (const r of rows) {
        if (r['action'] !== 'export') assert.equal(r['at_utc'], new Date(h.clock.ms).toISOString());
        assert.equal((JSON.parse(String(r['new_values'])) as { client: string }).client, client);
        const all = JSON.stringify(r);
        for (const secret of [PASSWORD, 'Tr0ub4dor', 'wrong'])
          assert.ok(!all.includes(secret), `audit row holds ${secret}: ${all}`);
      }
      assert.deepEqual(JSON.parse(String(rows[4]!['new_values'])), {
        format: 'csv-long',
        patients: 0,
        client,
        role: 'data_manager',
      });
      // the centre's data manager sees the centre's access events through the API's audit view
      const dm = await signIn(h, 'acc-dm', PASSWORD, client);
      const log = (
        await h.app.inject({ method: 'GET', url: '/api/audit', headers: { cookie: cookieOf(dm) } })
      ).json<AuditEntry[]>();
      assert.ok(log.some((e) => e.action === 'sign-in-failed' && e.username === 'acc-victim'));
      assert.ok(!log.some((e) => e.username === 'acc-analyst'), 'programme-wide users are not in a centre');
    });

    test('pseudonymPrefix matches `_` and `%` literally (and case-sensitively)', async () => {
      const admin = await signIn(h, 'acc-admin', PASSWORD, '10.5.5.5');
      assert.equal(admin.statusCode, 200, admin.body);
      const headers = {
        cookie: cookieOf(admin),
        'x-csrf-token': admin.json<{ csrfToken: string }>().csrfToken,
      };
      for (const p of ['PX_1', 'PXA1', 'PX-1', 'QX_2'])
        assert.equal(
          (
            await h.app.inject({
              method: 'POST',
              url: '/api/patients',
              headers,
              payload: patientBody(p, 'AMC'),
            })
          ).statusCode,
          201,
        );
      const list = async (prefix: string): Promise<string[]> => {
        const r = await h.app.inject({
          method: 'GET',
          url: `/api/patients?pseudonymPrefix=${encodeURIComponent(prefix)}`,
          headers,
        });
        assert.equal(r.statusCode, 200, r.body);
        return r
          .json<{ items: { pseudonym: string }[] }>()
          .items.map((i) => i.pseudonym)
          .sort();
      };
      assert.deepEqual(await list('PX_'), ['PX_1']);
      assert.deepEqual(await list('PX'), ['PX-1', 'PXA1', 'PX_1']);
      assert.deepEqual(await list('%'), []);
      assert.deepEqual(await list('PX%'), []);
      assert.deepEqual(await list('_X'), []);
      assert.deepEqual(await list('px_'), []);
      // and in the data layer
      const reg = h.store.as({
        userId: users['acc-admin']!.id,
        username: 'acc-admin',
        role: 'admin',
        centreId: null,
      });
      assert.equal((await reg.listPatients({ pseudonymPrefix: 'QX_' })).total, 1);
      assert.equal((await reg.listPatients({ pseudonymPrefix: 'Q_' })).total, 0);
    });
  });
}

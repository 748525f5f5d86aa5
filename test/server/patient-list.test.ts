/**
 * GET /api/patients filters and sort (src/registry/patient-list.ts), on SQLite and a real PostgreSQL
 * server: pseudonym prefix, centre (admin; a centre role its own only; the analyst by pseudo-code),
 * stage and product (computed), referral and infusion periods, sort by a stored field, the infusion
 * date and a computed outcome in both directions, paging of a filtered list; each bad parameter is a
 * 400 naming the parameter and the value; the OpenAPI document lists the parameters.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp, SESSION_COOKIE } from '../../src/server/app.js';
import { hashPassword } from '../../src/server/auth.js';
import { RegistryStore, type Actor } from '../../src/registry/store.js';
import { seedWorld } from '../registry/fixtures.js';
import { startPgCluster, type PgCluster } from '../registry/pg-cluster.js';

type Item = {
  pseudonym: string;
  centre: string;
  stage: string;
  product: string | null;
  infusionDate: string | null;
};
type Listed = { total: number; items: Item[] };

const PASSWORD = 'correct horse battery';

function addDays(iso: string, n: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Six patients: L-A1..L-A4 at AMC, L-B1..L-B2 at UMCG; referral 2024-01-0N; A1 referred only, A2
 * accepted, A3 infused with axi-cel on 2024-03-01, A4 infused with tisa-cel on 2024-04-01 and assessed
 * (evaluable), B1 infused with axi-cel on 2024-02-01, B2 apheresed.
 */
async function seed(store: RegistryStore, admin: Actor): Promise<void> {
  const reg = store.as(admin);
  const spec: [string, string, number, string | null, string | null, 'none' | 'accept' | 'aph'][] = [
    ['L-A1', 'AMC', 1, null, null, 'none'],
    ['L-A2', 'AMC', 2, null, null, 'accept'],
    ['L-A3', 'AMC', 3, 'axi-cel', '2024-03-01', 'aph'],
    ['L-A4', 'AMC', 4, 'tisa-cel', '2024-04-01', 'aph'],
    ['L-B1', 'UMCG', 5, 'axi-cel', '2024-02-01', 'aph'],
    ['L-B2', 'UMCG', 6, null, null, 'aph'],
  ];
  for (const [pseudonym, centre, n, product, infusion, step] of spec) {
    const referralDate = `2024-01-0${n}`;
    const p = await reg.createPatient({
      centre,
      pseudonym,
      ageAtReferral: 70 - n,
      referralDate,
      lineOfTherapy: 2 + (n % 3),
      histology: n % 2 ? 'DLBCL' : 'tFL',
    });
    const id = String(p['id']);
    if (step !== 'none')
      await reg.createRow('tumorboard-decisions', id, {
        decisionDate: addDays(referralDate, 3),
        accepted: true,
      });
    if (step === 'aph') await reg.createRow('apheresis', id, { apheresisDate: addDays(referralDate, 10) });
    if (product) await reg.createRow('products', id, { product, manufacturingFailure: false });
    if (infusion) await reg.createRow('infusions', id, { infusionDate: infusion });
    if (pseudonym === 'L-A4')
      await reg.createRow('lugano-assessments', id, { assessmentDate: '2024-05-01', response: 'CR' });
  }
}

/** A seeded server for one suite (started before its tests, closed after) and request helpers. */
function seededServer(open: () => Promise<RegistryStore>) {
  const srv = { app: undefined as unknown as FastifyInstance, cookies: {} as Record<string, string> };
  let store: RegistryStore | undefined;
  before(async () => {
    store = await open();
    const w = await seedWorld(store);
    const hash = await hashPassword(PASSWORD);
    for (const [u, role, centre] of [
      ['l-admin', 'admin', null],
      ['l-dm-a', 'data_manager', 'AMC'],
      ['l-analyst', 'analyst', null],
    ] as const)
      await store.createUser({ username: u, passwordHash: hash, role, centreCode: centre });
    await seed(store, w.adminActor);
    srv.app = await buildApp({ store });
    for (const u of ['l-admin', 'l-dm-a', 'l-analyst']) {
      const r = await srv.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: u, password: PASSWORD },
      });
      const c = r.cookies.find((x) => x.name === SESSION_COOKIE);
      assert.ok(c);
      srv.cookies[u] = `${SESSION_COOKIE}=${c.value}`;
    }
  });
  after(async () => {
    await srv.app?.close();
    await store?.close();
  });
  const get = async (who: string, qs: string) =>
    srv.app.inject({
      method: 'GET',
      url: `/api/patients?${qs}`,
      headers: { cookie: srv.cookies[who] ?? '' },
    });
  const list = async (who: string, qs: string): Promise<Listed> => {
    const r = await get(who, qs);
    assert.equal(r.statusCode, 200, `${qs}: ${r.body}`);
    return r.json<Listed>();
  };
  const names = async (who: string, qs: string) => (await list(who, qs)).items.map((i) => i.pseudonym);
  return { srv, get, list, names };
}

function filterSuite(name: string, open: () => Promise<RegistryStore>): void {
  describe(`GET /api/patients filters and sort (${name})`, () => {
    const { get, list, names } = seededServer(open);

    test('default order: referral date, newest first; items carry stage, product, infusion date', async () => {
      const l = await list('l-admin', 'pseudonymPrefix=L-');
      assert.equal(l.total, 6);
      assert.deepEqual(
        l.items.map((i) => i.pseudonym),
        ['L-B2', 'L-B1', 'L-A4', 'L-A3', 'L-A2', 'L-A1'],
      );
      const a4 = l.items.find((i) => i.pseudonym === 'L-A4');
      assert.deepEqual([a4?.stage, a4?.product, a4?.infusionDate], ['evaluable', 'tisa-cel', '2024-04-01']);
      assert.deepEqual(
        l.items.map((i) => i.stage),
        ['apheresed', 'infused', 'evaluable', 'infused', 'accepted', 'referred'],
      );
    });

    test('centre: admins filter by code; a centre role its own only; the analyst by pseudo-code', async () => {
      assert.deepEqual(await names('l-admin', 'centre=UMCG&pseudonymPrefix=L-'), ['L-B2', 'L-B1']);
      assert.deepEqual(await names('l-dm-a', 'centre=AMC&pseudonymPrefix=L-'), [
        'L-A4',
        'L-A3',
        'L-A2',
        'L-A1',
      ]);
      const other = await get('l-dm-a', 'centre=UMCG');
      assert.equal(other.statusCode, 400);
      assert.equal(other.json<{ field: string }>().field, 'centre');
      const unknown = await get('l-admin', 'centre=NOPE');
      assert.equal(unknown.statusCode, 400);
      assert.match(unknown.json<{ error: string }>().error, /NOPE/);
      const pseudo = (await list('l-analyst', 'pseudonymPrefix=L-B')).items[0]?.centre;
      assert.ok(pseudo?.startsWith('C-'));
      assert.deepEqual(await names('l-analyst', `centre=${pseudo}&pseudonymPrefix=L-`), ['L-B2', 'L-B1']);
      assert.equal((await get('l-analyst', 'centre=UMCG')).statusCode, 400);
    });

    test('stage and product (computed) filters, with paging of the filtered list', async () => {
      assert.deepEqual(await names('l-admin', 'stage=infused&pseudonymPrefix=L-'), ['L-B1', 'L-A3']);
      assert.deepEqual(await names('l-admin', 'product=axi-cel&pseudonymPrefix=L-'), ['L-B1', 'L-A3']);
      assert.deepEqual(await names('l-admin', 'stage=evaluable&product=tisa-cel'), ['L-A4']);
      const page = await list('l-admin', 'product=axi-cel&pseudonymPrefix=L-&limit=1&offset=1');
      assert.equal(page.total, 2);
      assert.deepEqual(
        page.items.map((i) => i.pseudonym),
        ['L-A3'],
      );
    });

    test('referral and infusion periods are inclusive', async () => {
      assert.deepEqual(
        await names('l-admin', 'referredFrom=2024-01-02&referredTo=2024-01-03&sort=pseudonym'),
        ['L-A2', 'L-A3'],
      );
      assert.deepEqual(await names('l-admin', 'infusedFrom=2024-02-01&infusedTo=2024-03-01&sort=pseudonym'), [
        'L-A3',
        'L-B1',
      ]);
    });

    test('sort by a stored field, the infusion date and a computed outcome, both directions', async () => {
      assert.deepEqual(await names('l-admin', 'pseudonymPrefix=L-&sort=ageAtReferral'), [
        'L-B2',
        'L-B1',
        'L-A4',
        'L-A3',
        'L-A2',
        'L-A1',
      ]);
      // missing infusion dates last in both directions
      const desc = await names('l-admin', 'pseudonymPrefix=L-&sort=infusionDate&order=desc');
      assert.deepEqual(desc.slice(0, 3), ['L-A4', 'L-A3', 'L-B1']);
      assert.deepEqual([...desc.slice(3)].sort(), ['L-A1', 'L-A2', 'L-B2']);
      const asc = await names('l-admin', 'pseudonymPrefix=L-&sort=infusionDate&order=asc');
      assert.deepEqual(asc.slice(0, 3), ['L-B1', 'L-A3', 'L-A4']);
      assert.deepEqual([...asc.slice(3)].sort(), ['L-A1', 'L-A2', 'L-B2']);
      assert.deepEqual(await names('l-admin', 'pseudonymPrefix=L-&sort=centre&order=desc&limit=2'), [
        'L-B2',
        'L-B1',
      ]);
      assert.deepEqual(await names('l-admin', 'pseudonymPrefix=L-&sort=stage&order=desc'), [
        'L-A4',
        'L-B1',
        'L-A3',
        'L-B2',
        'L-A2',
        'L-A1',
      ]);
    });

    test('a bad parameter is a 400 naming the parameter and the value', async () => {
      for (const [qs, field, value] of [
        ['stage=cured', 'stage', 'cured'],
        ['product=zz-cel', 'product', 'zz-cel'],
        ['sort=shoeSize', 'sort', 'shoeSize'],
        ['order=up', 'order', 'up'],
        ['referredFrom=2024-13', 'referredFrom', '2024-13'],
        ['infusedTo=yesterday', 'infusedTo', 'yesterday'],
        ['histology=flu', 'histology', 'flu'],
        ['colour=red', 'colour', null],
      ] as const) {
        const r = await get('l-admin', qs);
        assert.equal(r.statusCode, 400, qs);
        const body = r.json<{ field: string; error: string }>();
        assert.equal(body.field, field, qs);
        if (value !== null) assert.ok(body.error.includes(value), `${qs}: ${body.error}`);
      }
    });
  });
}

function extraSuite(name: string, open: () => Promise<RegistryStore>): void {
  describe(`GET /api/auth/me, /api/dashboard filters and figures, OpenAPI (${name})`, () => {
    const { srv } = seededServer(open);

    test("GET /api/auth/me gives the user's centre (null for programme-wide roles)", async () => {
      const me = async (who: string) =>
        (
          await srv.app.inject({
            method: 'GET',
            url: '/api/auth/me',
            headers: { cookie: srv.cookies[who] ?? '' },
          })
        ).json<{
          centre: unknown;
        }>().centre;
      assert.deepEqual(await me('l-dm-a'), { code: 'AMC', name: 'Amsterdam UMC' });
      assert.equal(await me('l-admin'), null);
    });

    test('GET /api/dashboard and its SVG figures honour the filters; bad names and values are refused', async () => {
      const dash = async (who: string, qs: string) => {
        const r = await srv.app.inject({
          method: 'GET',
          url: `/api/dashboard?${qs}`,
          headers: { cookie: srv.cookies[who] ?? '' },
        });
        assert.equal(r.statusCode, 200, r.body);
        return r.json<{
          patients: number;
          flow: Record<string, number>;
          survival: { product: string; infused: number }[];
        }>();
      };
      const all = await dash('l-admin', '');
      assert.ok(all.patients >= 6);
      const axi = await dash('l-admin', 'product=axi-cel');
      assert.equal(axi.patients, 2);
      assert.deepEqual(
        axi.survival.map((s) => [s.product, s.infused]),
        [['axi-cel', 2]],
      );
      const amc = await dash('l-admin', 'centre=AMC&referredFrom=2024-01-02&referredTo=2024-01-04');
      assert.deepEqual([amc.patients, amc.flow['infused']], [3, 2]);
      const fig = (qs: string) =>
        srv.app.inject({
          method: 'GET',
          url: `/api/dashboard/figures/${qs}`,
          headers: { cookie: srv.cookies['l-admin'] ?? '' },
        });
      const svg = await fig('km-os.svg?product=tisa-cel');
      assert.equal(svg.statusCode, 200, svg.body);
      assert.match(String(svg.headers['content-type']), /^image\/svg\+xml/);
      assert.match(svg.body, /^<svg[\s\S]*tisa-cel[\s\S]*<\/svg>$/);
      assert.doesNotMatch(svg.body, /axi-cel/);
      for (const name of ['vein-to-vein.svg', 'grades.svg', 'km-pfs.svg'])
        assert.equal((await fig(name)).statusCode, 200, name);
      assert.equal((await fig('pie.svg')).statusCode, 404);
      assert.equal((await fig('km-os.png')).statusCode, 404);
      const bad = await fig('km-os.svg?product=zz-cel');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json<{ field: string }>().field, 'product');
      const anon = await srv.app.inject({ method: 'GET', url: '/api/dashboard/figures/km-os.svg' });
      assert.equal(anon.statusCode, 401);
    });

    test('the OpenAPI document lists the parameters', async () => {
      const doc = (await srv.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
        paths: Record<string, Record<string, { parameters: { name: string }[] }>>;
      }>();
      const params = doc.paths['/api/patients']?.['get']?.parameters.map((p) => p.name) ?? [];
      for (const p of ['centre', 'stage', 'product', 'referredFrom', 'infusedTo', 'sort', 'order'])
        assert.ok(params.includes(p), p);
    });
  });
}

let cluster: Promise<PgCluster> | null = null;
after(async () => {
  if (cluster) (await cluster).stop();
});
let dbNo = 0;
const openPg = async () =>
  RegistryStore.open(
    await (await (cluster ??= startPgCluster())).createDatabase(`reg_patient_list_${++dbNo}`),
  );
for (const suite of [filterSuite, extraSuite]) {
  suite('sqlite', () => RegistryStore.open(':memory:'));
  suite('postgres', openPg);
}

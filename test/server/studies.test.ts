/**
 * The study routes on one database, on SQLite and on a real PostgreSQL server: `carto run <bundle>
 * --db <target>` into a database that holds the registry (one study patient linked by pseudonym to a
 * registry patient of AMC, one linked to none → a warning, exit 0), then the API of `carto serve` on that
 * database: every study route, role and centre visibility, the unlinked patient's visibility, the
 * latest run's results/tables/figures, a scan's record, the NIfTI routes (read back with the NIfTI reader;
 * built once, cached, rebuilt when the bundle moves away → 404), 401/403/404.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { gunzipSync } from 'fflate';
import { register as registerRun } from '../../src/cli/commands/run.js';
import { parseNifti } from '../../src/io/nifti.js';
import { loadScanSuv, ScanImageCache, scanLabelMap } from '../../src/pipeline/scan-images.js';
import { RegistryStore } from '../../src/registry/store.js';
import { buildApp, SESSION_COOKIE } from '../../src/server/app.js';
import { viewerImagesBeside } from '../../src/pipeline/viewer-images.js';
import { niftiVoxels } from '../../src/io/nifti-voxels.js';
import { hashPassword } from '../../src/server/auth.js';
import { twoPatientBundle } from '../helpers/bundles.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { patientBody, seedWorld } from '../registry/fixtures.js';
import { startPgCluster, type PgCluster } from '../registry/pg-cluster.js';

const PASSWORD = 'correct horse battery';
const dir = mkdtempSync(join(tmpdir(), 'carto-studies-'));
let cluster: Promise<PgCluster> | null = null;
after(async () => {
  if (cluster) (await cluster).stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Session {
  cookie: string;
}

async function login(app: FastifyInstance, username: string): Promise<Session> {
  const r = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: PASSWORD },
  });
  assert.equal(r.statusCode, 200, r.body);
  const c = r.cookies.find((x) => x.name === SESSION_COOKIE)!;
  return { cookie: `${SESSION_COOKIE}=${c.value}` };
}

/**
 * The suite on database `target()`; with `viewerImages`, the server reads the viewer's images the
 * import wrote beside the SQLite file (src/pipeline/viewer-images.ts), so the file routes are answered
 * from them, and must give the same answers.
 */
function studiesSuite(name: string, target: () => Promise<string>, viewerImages = false): void {
  describe(`study routes after carto run --db (${name})`, () => {
    let db: string;
    let store: RegistryStore;
    let app: FastifyInstance;
    let runJson: { warnings: string[]; unlinkedPatients: string[]; runId: string; studyName: string };
    const s: Record<'admin' | 'analyst' | 'dmA' | 'dmB', Session> = {} as never;
    const get = (who: Session | null, url: string, headers: Record<string, string> = {}) =>
      app.inject({ method: 'GET', url, headers: who ? { ...headers, cookie: who.cookie } : headers });

    before(async () => {
      db = await target();
      // the registry first: centres, users, and registry patient P01 at AMC
      const reg = await RegistryStore.open(db);
      const w = await seedWorld(reg);
      await reg.as(w.adminActor).createPatient(patientBody('P01', 'AMC'));
      const hash = await hashPassword(PASSWORD);
      for (const [u, role, centre] of [
        ['st-admin', 'admin', null],
        ['st-analyst', 'analyst', null],
        ['st-dm-a', 'data_manager', 'AMC'],
        ['st-dm-b', 'data_manager', 'UMCG'],
      ] as const)
        await reg.createUser({ username: u, passwordHash: hash, role, centreCode: centre });
      await reg.close();
      // then the study, through the CLI
      const bundle = twoPatientBundle(join(dir, `${name}-bundle`));
      const r = await runInProcess(registerRun, [
        'run',
        bundle,
        '--db',
        db,
        '--out',
        join(dir, `${name}-report`),
        '--json',
      ]);
      assert.equal(r.code, 0, r.err);
      runJson = JSON.parse(r.out) as typeof runJson;
      // and the server on the same database
      store = await RegistryStore.open(db);
      if (viewerImages) {
        const images = viewerImagesBeside(db)!;
        assert.equal(readdirSync(join(images, 'v1')).length, 2, "the import wrote both scans' images");
        app = await buildApp({ store, viewerImages: images });
      } else app = await buildApp({ store });
      s.admin = await login(app, 'st-admin');
      s.analyst = await login(app, 'st-analyst');
      s.dmA = await login(app, 'st-dm-a');
      s.dmB = await login(app, 'st-dm-b');
    });
    after(async () => {
      await app?.close();
      await store?.close();
    });

    test('the import warns about the study patient that matches no registry patient, and exits 0', () => {
      assert.deepEqual(runJson.unlinkedPatients, ['P02']);
      assert.equal(runJson.warnings.length, 1);
      assert.match(runJson.warnings[0]!, /patient P02 matches no registry patient/);
      assert.match(runJson.runId, /^[0-9a-f-]{36}$/);
    });

    test('admins and analysts see the study and every patient; the link names the centre (pseudo-code for the analyst)', async () => {
      for (const [who, centre] of [
        [s.admin, 'AMC'],
        [s.analyst, /^C-/],
      ] as const) {
        const list = await get(who, '/api/studies');
        assert.equal(list.statusCode, 200);
        const studies =
          list.json<{ id: string; patients: number; scans: number; latestRun: { runId: string } }[]>();
        assert.equal(studies.length, 1);
        assert.equal(studies[0]!.id, 'DRO study');
        assert.equal(studies[0]!.patients, 2);
        assert.equal(studies[0]!.scans, 2);
        assert.equal(studies[0]!.latestRun.runId, runJson.runId);
        const one = await get(who, '/api/studies/DRO%20study');
        assert.equal(one.statusCode, 200);
        assert.equal(one.json<{ name: string }>().name, 'DRO study');
        const pts = (await get(who, '/api/studies/DRO%20study/patients')).json<
          { patientId: string; registryPatientId: string | null; centre: string | null }[]
        >();
        assert.deepEqual(
          pts.map((p) => p.patientId),
          ['P01', 'P02'],
        );
        if (typeof centre === 'string') assert.equal(pts[0]!.centre, centre);
        else assert.match(pts[0]!.centre ?? '', centre);
        assert.ok(pts[0]!.registryPatientId);
        assert.equal(pts[1]!.registryPatientId, null);
        assert.equal(pts[1]!.centre, null);
      }
      const analystBody = (await get(s.analyst, '/api/studies/DRO%20study/patients')).body;
      assert.ok(!analystBody.includes('AMC') && !analystBody.includes('Amsterdam'));
    });

    test("a centre's user sees only the study patients linked to the centre's registry patients", async () => {
      const list = (await get(s.dmA, '/api/studies')).json<
        { patients: number; scans: number; latestRun: unknown }[]
      >();
      assert.equal(list.length, 1);
      assert.equal(list[0]!.patients, 1);
      assert.equal(list[0]!.scans, 1);
      assert.equal(list[0]!.latestRun, null);
      const pts = (await get(s.dmA, '/api/studies/DRO%20study/patients')).json<{ patientId: string }[]>();
      assert.deepEqual(
        pts.map((p) => p.patientId),
        ['P01'],
      );
      const scans = (await get(s.dmA, '/api/studies/DRO%20study/scans')).json<{ scanId: string }[]>();
      assert.deepEqual(
        scans.map((x) => x.scanId),
        ['S1'],
      );
      // the other centre has no linked patient in the study: the study is not there for it
      assert.deepEqual((await get(s.dmB, '/api/studies')).json(), []);
      for (const url of [
        '/api/studies/DRO%20study',
        '/api/studies/DRO%20study/patients',
        '/api/studies/DRO%20study/scans',
      ])
        assert.equal((await get(s.dmB, url)).statusCode, 404, url);
      // results cover every patient: admins and analysts only
      assert.equal((await get(s.dmA, '/api/studies/DRO%20study/results')).statusCode, 403);
      assert.equal((await get(s.dmA, '/api/studies/DRO%20study/results/tables/voi-metrics')).statusCode, 403);
    });

    const ctx: SuiteContext = {
      name,
      get,
      s,
      get db() {
        return db;
      },
      get runJson() {
        return runJson;
      },
    };
    scanRouteTests(ctx);
    fileRouteTests(ctx);

    test('anonymous → 401 on every study route; every study route is in the OpenAPI document', async () => {
      const doc = (await get(null, '/api/openapi.json')).json<{ paths: Record<string, { get?: unknown }> }>();
      const urls = [
        '/api/studies',
        '/api/studies/{id}',
        '/api/studies/{id}/patients',
        '/api/studies/{id}/scans',
        '/api/studies/{id}/results',
        '/api/studies/{id}/results/tables/{fileId}',
        '/api/studies/{id}/results/figures/{fileId}',
        '/api/scans/{id}',
        '/api/scans/{id}/vois',
        '/api/scans/{id}/suv.nii.gz',
        '/api/scans/{id}/labels.nii.gz',
        '/api/scans/{id}/display.nii.gz',
        '/api/scans/{id}/voxel',
      ];
      for (const u of urls) {
        assert.ok(doc.paths[u]?.get, `${u} in OpenAPI`);
        const r = await get(null, u.replace('{id}', 'x').replace('{fileId}', 'y'));
        assert.equal(r.statusCode, 401, u);
      }
    });
  });
}

studiesSuite('sqlite', () => Promise.resolve(join(dir, 'deployment.sqlite')));
studiesSuite("sqlite, the viewer's images on disk", () => Promise.resolve(join(dir, 'images.sqlite')), true);
studiesSuite('postgres', async () => (await (cluster ??= startPgCluster())).createDatabase('studies'));

/** What the suite's tests share: the app's GET as a user, the sessions, the database and the run. */
interface SuiteContext {
  name: string;
  get: (
    who: Session | null,
    url: string,
    headers?: Record<string, string>,
  ) => Promise<LightMyRequestResponse>;
  s: Record<'admin' | 'analyst' | 'dmA' | 'dmB', Session>;
  readonly db: string;
  readonly runJson: { warnings: string[]; unlinkedPatients: string[]; runId: string; studyName: string };
}

/** The scan routes' tests: scans and VOI metrics in scope, GET /api/scans/{id}. */
function scanRouteTests(c: SuiteContext): void {
  test('scans, VOI metrics (numeric) and the scan scope; the unlinked patient’s scan is for admins and analysts', async () => {
    const scans = (await c.get(c.s.admin, '/api/studies/DRO%20study/scans')).json<
      { id: string; scanId: string; patientId: string; path?: string }[]
    >();
    assert.deepEqual(
      scans.map((x) => x.scanId),
      ['S1', 'S2'],
    );
    assert.ok(scans.every((x) => /^[0-9a-f]{16}$/.test(x.id) && x.path === undefined));
    const [s1, s2] = scans;
    const vois = (await c.get(c.s.admin, `/api/scans/${s1!.id}/vois`)).json<
      { voiId: string; labelValue: number; voxelCount: number; suvMax: number; suvMean: number }[]
    >();
    assert.equal(vois.length, 1);
    assert.equal(vois[0]!.labelValue, 1);
    assert.equal(typeof vois[0]!.suvMax, 'number');
    assert.ok(vois[0]!.voxelCount > 0 && vois[0]!.suvMax >= vois[0]!.suvMean);
    assert.equal((await c.get(c.s.analyst, `/api/scans/${s2!.id}/vois`)).statusCode, 200);
    assert.equal((await c.get(c.s.dmA, `/api/scans/${s1!.id}/vois`)).statusCode, 200);
    for (const who of [c.s.dmA, c.s.dmB]) {
      const r = await c.get(who, `/api/scans/${s2!.id}/vois`);
      assert.equal(r.statusCode, 404);
      assert.ok(!r.body.includes('P02'));
    }
    assert.equal((await c.get(c.s.dmB, `/api/scans/${s1!.id}/vois`)).statusCode, 404);
    assert.equal((await c.get(c.s.admin, '/api/scans/0000000000000000/vois')).statusCode, 404);
  });

  test('GET /api/scans/{id}: the scan record in scope; a centre user outside it gets 404', async () => {
    const scans = (await c.get(c.s.admin, '/api/studies/DRO%20study/scans')).json<
      { id: string; grid: { size: number[]; spacingMm: number[]; direction: number[] } }[]
    >();
    const [s1, s2] = scans;
    const r = await c.get(c.s.dmA, `/api/scans/${s1!.id}`);
    assert.equal(r.statusCode, 200, r.body);
    const rec = r.json<Record<string, unknown>>();
    assert.deepEqual(rec, {
      id: s1!.id,
      scanId: 'S1',
      studyId: 'DRO study',
      patientId: 'P01',
      tracer: 'FDG',
      timepoint: 'pre',
      day: rec['day'],
      size: s1!.grid.size,
      voxelSizeMm: s1!.grid.spacingMm,
      direction: s1!.grid.direction,
      voiCount: 1,
    });
    // the direction cosines of the DRO's grid (axial slices: the identity in LPS)
    assert.deepEqual(rec['direction'], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.equal(s1!.grid.size.length, 3);
    assert.ok(s1!.grid.spacingMm.every((x) => x > 0));
    assert.ok(rec['day'] === null || typeof rec['day'] === 'number');
    assert.ok(!r.body.includes(dir), 'no server path in the record');
    assert.equal((await c.get(c.s.analyst, `/api/scans/${s2!.id}`)).json<{ scanId: string }>().scanId, 'S2');
    // P02 links to no registry patient: no centre sees S2; UMCG sees neither
    for (const [who, id] of [
      [c.s.dmA, s2!.id],
      [c.s.dmB, s1!.id],
      [c.s.dmB, s2!.id],
      [c.s.admin, '0000000000000000'],
    ] as const) {
      const x = await c.get(who, `/api/scans/${id}`);
      assert.equal(x.statusCode, 404, `${id}`);
      assert.ok(!x.body.includes('P02') && !x.body.includes('P01'));
    }
  });
}

/** The latest run's files and the scan images (NIfTI), the import warning, the moved bundle. */
function fileRouteTests(c: SuiteContext): void {
  test('the latest run: results.json, a table and a figure, as carto run wrote them', async () => {
    const r = await c.get(c.s.analyst, '/api/studies/DRO%20study/results');
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['x-analysis-run'], c.runJson.runId);
    const results = r.json<{ study: { name: string }; sections: Record<string, { tables: string[] }> }>();
    assert.equal(results.study.name, 'DRO study');
    const t = await c.get(c.s.admin, '/api/studies/DRO%20study/results/tables/voi-metrics.csv');
    assert.equal(t.statusCode, 200);
    assert.match(String(t.headers['content-type']), /^text\/csv/);
    assert.match(t.body, /P02/);
    const f = await c.get(c.s.admin, '/api/studies/DRO%20study/results/figures/mip');
    assert.equal(f.statusCode, 200);
    assert.match(String(f.headers['content-type']), /^image\/svg\+xml/);
    assert.match(f.body, /<svg/);
    assert.equal((await c.get(c.s.admin, '/api/studies/DRO%20study/results/figures/nope')).statusCode, 404);
    assert.equal((await c.get(c.s.admin, '/api/studies/nope/results')).statusCode, 404);
  });

  test('suv.nii.gz and labels.nii.gz: the SUV volume and the VOI label map on the PET grid', async () => {
    const scans = (await c.get(c.s.dmA, '/api/studies/DRO%20study/scans')).json<
      { id: string; grid: { size: number[] } }[]
    >();
    const id = scans[0]!.id;
    // the viewer asks for both at once: one build answers both; a second ask is the same bytes
    const [suvR, labR0] = await Promise.all([
      c.get(c.s.dmA, `/api/scans/${id}/suv.nii.gz`),
      c.get(c.s.dmA, `/api/scans/${id}/labels.nii.gz`),
    ]);
    assert.equal(suvR.statusCode, 200);
    assert.equal(labR0.statusCode, 200);
    assert.deepEqual((await c.get(c.s.admin, `/api/scans/${id}/suv.nii.gz`)).rawPayload, suvR.rawPayload);
    assert.equal(suvR.headers['content-type'], 'application/gzip');
    const suv = parseNifti(gunzipSync(suvR.rawPayload), 'suv.nii.gz').volume;
    assert.deepEqual([...suv.size], scans[0]!.grid.size);
    const labR = await c.get(c.s.dmA, `/api/scans/${id}/labels.nii.gz`);
    assert.equal(labR.statusCode, 200);
    const labels = parseNifti(gunzipSync(labR.rawPayload), 'labels.nii.gz').volume;
    assert.deepEqual([...labels.size], [...suv.size]);
    const vois = (await c.get(c.s.dmA, `/api/scans/${id}/vois`)).json<
      { voxelCount: number; suvMax: number }[]
    >();
    let count = 0;
    let max = -Infinity;
    for (let q = 0; q < labels.data.length; q++)
      if (labels.data[q] === 1) {
        count++;
        max = Math.max(max, suv.data[q]!);
      }
    assert.equal(count, vois[0]!.voxelCount);
    assert.ok(Math.abs(max - vois[0]!.suvMax) <= 1e-5 * Math.abs(vois[0]!.suvMax));
    const other = (await c.get(c.s.admin, '/api/studies/DRO%20study/scans')).json<{ id: string }[]>()[1]!.id;
    assert.equal((await c.get(c.s.dmA, `/api/scans/${other}/suv.nii.gz`)).statusCode, 404);
  });

  test('suv.nii.gz to a client that accepts gzip: the same bytes as NIfTI with Content-Encoding gzip', async () => {
    const id = (await c.get(c.s.dmA, '/api/studies/DRO%20study/scans')).json<{ id: string }[]>()[0]!.id;
    const url = `/api/scans/${id}/suv.nii.gz`;
    const plain = await c.get(c.s.dmA, url);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers['vary'], 'Accept-Encoding');
    const browser = await c.get(c.s.dmA, url, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    assert.equal(browser.statusCode, 200);
    assert.equal(browser.headers['content-encoding'], 'gzip');
    assert.equal(browser.headers['content-type'], 'application/octet-stream');
    assert.equal(browser.headers['vary'], 'Accept-Encoding');
    assert.deepEqual(browser.rawPayload, plain.rawPayload);
    // gzip refused (q=0): the .nii.gz file itself
    const refused = await c.get(c.s.dmA, `/api/scans/${id}/labels.nii.gz`, {
      'accept-encoding': 'gzip;q=0, br',
    });
    assert.equal(refused.headers['content-encoding'], undefined);
    assert.equal(refused.headers['content-type'], 'application/gzip');
  });

  test('display.nii.gz: the SUV through the window in 8 bits, on the SUV grid; a bad window is a 400', async () => {
    const id = (await c.get(c.s.dmA, '/api/studies/DRO%20study/scans')).json<{ id: string }[]>()[0]!.id;
    const suvR = await c.get(c.s.dmA, `/api/scans/${id}/suv.nii.gz`);
    const suv = niftiVoxels('suv.nii', gunzipSync(suvR.rawPayload));
    const url = `/api/scans/${id}/display.nii.gz?windowMax=5`;
    const r = await c.get(c.s.dmA, url);
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/gzip');
    assert.deepEqual((await c.get(c.s.admin, url)).rawPayload, r.rawPayload);
    const display = niftiVoxels('display.nii', gunzipSync(r.rawPayload));
    assert.ok(display.data instanceof Uint8Array);
    assert.deepEqual(display.size, suv.size);
    assert.equal(display.slope, Math.fround(5 / 255));
    // every voxel: 0 at or below 0, else round(255 · SUV / 5) within 1…255
    let wrong = 0;
    let hot = 0;
    let max = -Infinity;
    for (let q = 0; q < suv.data.length; q++) {
      const value = suv.data[q]! * suv.slope + suv.inter;
      const v = value * (255 / 5);
      if (display.data[q] !== (v > 0 ? Math.min(255, Math.max(1, Math.round(v))) : 0)) wrong++;
      if (display.data[q] === 255) hot++;
      max = Math.max(max, value);
    }
    assert.equal(wrong, 0);
    assert.equal(hot > 0, max >= 5 * (254.5 / 255), `SUVmax ${max}: the top of the window`);
    // the same header otherwise: the grid and orientation (sform) of suv.nii
    const sform = (b: Uint8Array) => [...new Float32Array(b.slice(280, 328).buffer)];
    assert.deepEqual(sform(display.bytes), sform(suv.bytes));
    for (const q of ['windowMax=0', 'windowMax=-1', 'windowMax=abc', '', 'windowMax=5&x=1']) {
      const bad = await c.get(c.s.dmA, `/api/scans/${id}/display.nii.gz?${q}`);
      assert.equal(bad.statusCode, 400, q);
      if (q.startsWith('windowMax=') && !q.includes('&'))
        assert.equal(bad.json<{ field: string }>().field, 'windowMax', q);
    }
    const other = (await c.get(c.s.admin, '/api/studies/DRO%20study/scans')).json<{ id: string }[]>()[1]!.id;
    assert.equal((await c.get(c.s.dmA, `/api/scans/${other}/display.nii.gz?windowMax=5`)).statusCode, 404);
  });

  test('voxel: the SUV and label value of suv.nii.gz and labels.nii.gz there; 400 outside the grid; 404 out of scope', async () => {
    const id = (await c.get(c.s.dmA, '/api/studies/DRO%20study/scans')).json<{ id: string }[]>()[0]!.id;
    const read = async (f: string) =>
      parseNifti(gunzipSync((await c.get(c.s.dmA, `/api/scans/${id}/${f}`)).rawPayload), f).volume;
    const suv = await read('suv.nii.gz');
    const labels = await read('labels.nii.gz');
    const [nx, ny, nz] = suv.size;
    const lesion = labels.data.indexOf(1);
    assert.ok(lesion >= 0);
    const voxels: [number, number, number][] = [
      [lesion % nx, Math.floor(lesion / nx) % ny, Math.floor(lesion / (nx * ny))],
      [0, 0, 0],
      [nx - 1, ny - 1, nz - 1],
      [nx >> 1, ny >> 2, nz - 1],
    ];
    for (const [i, j, k] of voxels) {
      const r = await c.get(c.s.dmA, `/api/scans/${id}/voxel?i=${i}&j=${j}&k=${k}`);
      assert.equal(r.statusCode, 200, r.body);
      const q = i + nx * (j + ny * k);
      assert.deepEqual(r.json(), { vox: [i, j, k], suv: suv.data[q], labelValue: labels.data[q] });
    }
    for (const [q, field, message] of [
      [`i=0&j=0&k=${nz}`, 'k', `k = ${nz} is outside the grid ${nx}×${ny}×${nz}`],
      ['i=-1&j=0&k=0', 'i', '"-1"'],
      ['i=1.5&j=0&k=0', 'i', '"1.5"'],
    ] as const) {
      const r = await c.get(c.s.dmA, `/api/scans/${id}/voxel?${q}`);
      assert.equal(r.statusCode, 400, q);
      const body = r.json<{ error: string; field: string }>();
      assert.equal(body.field, field, q);
      assert.ok(body.error.includes(message) && body.error.includes(`field ${field}`), body.error);
    }
    const other = (await c.get(c.s.admin, '/api/studies/DRO%20study/scans')).json<{ id: string }[]>()[1]!.id;
    assert.equal((await c.get(c.s.dmA, `/api/scans/${other}/voxel?i=0&j=0&k=0`)).statusCode, 404);
    assert.equal((await c.get(c.s.dmB, `/api/scans/${id}/voxel?i=0&j=0&k=0`)).statusCode, 404);
  });

  test("opening a scan's page builds its SUV and first display volume ahead, in the caller's scope only", async () => {
    const web = mkdtempSync(join(dir, 'web-'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Cartography</title>');
    const saved = process.env['CARTO_WEB_DIR'];
    process.env['CARTO_WEB_DIR'] = web;
    const calls = { suv: 0, labels: 0 };
    const images = new ScanImageCache({
      loaders: {
        suv: (src) => (calls.suv++, loadScanSuv(src)),
        labels: (src, v, suv) => (calls.labels++, scanLabelMap(src, v, suv)),
      },
    });
    const store = await RegistryStore.open(c.db);
    const app = await buildApp({ store, scanImages: images });
    try {
      const scans = (await c.get(c.s.admin, '/api/studies/DRO%20study/scans')).json<{ id: string }[]>();
      const [id, other] = [scans[0]!.id, scans[1]!.id];
      const page = (who: Session | null, url: string) =>
        app.inject({ method: 'GET', url, headers: who ? { cookie: who.cookie } : {} });
      // no session, another centre's user, a scan out of the user's scope, another page: nothing built
      for (const [who, url] of [
        [null, `/scans/${id}`],
        [c.s.dmB, `/scans/${id}`],
        [c.s.dmA, `/scans/${other}`],
        [c.s.dmA, '/patients'],
      ] as const) {
        const r = await page(who, url);
        assert.equal(r.statusCode, 200, url);
        assert.match(r.body, /<title>Cartography/);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(calls, { suv: 0, labels: 0 });
      // the data manager of the scan's centre opens it: its SUV is built while the app would load
      assert.equal((await page(c.s.dmA, `/scans/${id}?compare=x`)).statusCode, 200);
      for (let t = 0; calls.suv === 0 && t < 200; t++) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(calls, { suv: 1, labels: 0 });
      const display = await page(c.s.dmA, `/api/scans/${id}/display.nii.gz?windowMax=5`);
      assert.equal(display.statusCode, 200);
      assert.deepEqual(calls, { suv: 1, labels: 0 }, 'the display volume from what was built ahead');
    } finally {
      await app.close();
      await store.close();
      if (saved === undefined) delete process.env['CARTO_WEB_DIR'];
      else process.env['CARTO_WEB_DIR'] = saved;
    }
  });

  test('carto import prints the unlinked patient as a warning line on stderr, exit 0', async () => {
    const bundle = join(dir, `${c.name}-bundle`, 'bundle');
    let err = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string | Uint8Array, ...rest: never[]): boolean => {
      if (typeof chunk === 'string') err += chunk;
      return write(chunk, ...rest);
    };
    let r: Awaited<ReturnType<typeof runInProcess>>;
    try {
      r = await runInProcess(registerRun, ['import', bundle, '--db', c.db]);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /import: {3}unchanged/);
    assert.match(err, /^warning: study DRO study: patient P02 matches no registry patient/m);
    assert.ok(!/P01 matches/.test(err));
  });

  test('the NIfTI routes answer 404 when the bundle is not on this server, without its path', async () => {
    const bundle = join(dir, `${c.name}-bundle`); // the folder holding the bundle
    const id = (await c.get(c.s.admin, '/api/studies/DRO%20study/scans')).json<{ id: string }[]>()[0]!.id;
    renameSync(bundle, `${bundle}-moved`);
    try {
      for (const file of ['suv.nii.gz', 'labels.nii.gz', 'display.nii.gz?windowMax=5', 'voxel?i=0&j=0&k=0']) {
        const r = await c.get(c.s.admin, `/api/scans/${id}/${file}`);
        assert.equal(r.statusCode, 404, file);
        assert.ok(!r.body.includes(dir), `${file}: no server path in the answer`);
      }
      // everything else is served from the database alone
      assert.equal((await c.get(c.s.admin, `/api/scans/${id}/vois`)).statusCode, 200);
    } finally {
      renameSync(`${bundle}-moved`, bundle);
    }
  });
}

/**
 * The built web app served at `/` (src/server/web-assets.ts): its files as they are, index.html for the
 * app's own paths, never for `/api/*` (an unknown API route stays a JSON 404, a known one keeps its
 * 401), and a clear 503 when the app has not been built.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { RegistryStore } from '../../src/registry/store.js';
import { registerWebAssets, viewerScanId } from '../../src/server/web-assets.js';

const INDEX = '<!doctype html><title>Cartography</title><div id="root"></div>';

describe('web assets', () => {
  let work: string;
  let store: RegistryStore;
  const saved = process.env['CARTO_WEB_DIR'];
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'carto-web-assets-'));
    store = await RegistryStore.open(join(work, 'registry.sqlite'));
  });
  after(async () => {
    await store.close();
    rmSync(work, { recursive: true, force: true });
    if (saved === undefined) delete process.env['CARTO_WEB_DIR'];
    else process.env['CARTO_WEB_DIR'] = saved;
  });

  async function appWith(dir: string): Promise<FastifyInstance> {
    process.env['CARTO_WEB_DIR'] = dir;
    return buildApp({ store });
  }

  test('serves the built files, index.html for app paths and JSON for every /api path', async () => {
    const dir = join(work, 'built');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1);');
    const app = await appWith(dir);
    for (const url of ['/', '/patients', '/patients/123?tab=x', '/dashboard']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.match(String(r.headers['content-type']), /text\/html/, url);
      assert.equal(r.body, INDEX, url);
    }
    const js = await app.inject({ url: '/assets/index-abc.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.equal(js.body, 'console.log(1);');
    for (const url of ['/api/nope', '/api', '/api/patients/x/not-an-entity']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 404, url);
      assert.deepEqual(r.json(), { error: 'no such route' }, url);
    }
    const known = await app.inject({ url: '/api/patients' });
    assert.equal(known.statusCode, 401);
    assert.equal(
      (await app.inject({ url: '/api/openapi.json' })).json<{ openapi: string }>().openapi,
      '3.1.0',
    );
    const post = await app.inject({ method: 'POST', url: '/patients' });
    assert.equal(post.statusCode, 404);
    await app.close();
  });

  test('without a build, / says how to build the app (503) and the API still answers', async () => {
    const dir = join(work, 'empty');
    mkdirSync(dir, { recursive: true });
    const app = await appWith(dir);
    const r = await app.inject({ url: '/' });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run build/);
    assert.equal((await app.inject({ url: '/api/patients' })).statusCode, 401);
    await app.close();
  });

  test('every app path answered with index.html goes to the navigation hook; /api paths and files do not', async () => {
    const dir = join(work, 'hooked');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1);');
    process.env['CARTO_WEB_DIR'] = dir;
    const seen: string[] = [];
    const app = Fastify();
    await registerWebAssets(app, {
      onNavigate: (_req, path) => {
        seen.push(path);
        // a failing hook never holds back or changes the page
        return path === '/scans/bad' ? Promise.reject(new Error('no')) : Promise.resolve();
      },
    });
    for (const url of ['/scans/S%201?compare=x', '/scans/bad', '/patients']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.body, INDEX, url);
    }
    await app.inject({ url: '/api/nope' });
    await app.inject({ url: '/assets/index-abc.js' });
    assert.deepEqual(seen, ['/scans/S%201', '/scans/bad', '/patients']);
    await app.close();
  });

  test("viewerScanId: the scan id of the viewer's page path, else null", () => {
    assert.equal(viewerScanId('/scans/abc'), 'abc');
    assert.equal(viewerScanId('/scans/S%201/'), 'S 1');
    for (const p of ['/scans', '/scans/', '/scans/a/b', '/patients/a', '/api/scans/a', '/scans/%E0%A4%A'])
      assert.equal(viewerScanId(p), null, p);
  });
});

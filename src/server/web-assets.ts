/**
 * The browser app (web/, built by `node scripts/build.mjs` into dist/web/) served at `/` by the registry
 * server: the built files as they are, and `index.html` for every other GET that is not an API route
 * (the app routes in the browser: /patients/…, /dashboard, …). Nothing under `/api/` is ever answered
 * with the app: an unknown API route stays a JSON 404.
 *
 * Where the files are: `CARTO_WEB_DIR` when set (tests build the app into a temporary folder), else
 * `dist/web/` next to the running code (dist/server/ → dist/web/, src/server/ → dist/web/).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The folder of the built app, or null when the app has not been built. */
export function webAssetsDir(): string | null {
  const fromEnv = process.env['CARTO_WEB_DIR'];
  const candidates = fromEnv
    ? [fromEnv]
    : [
        fileURLToPath(new URL('../web', import.meta.url)), // dist/server/web-assets.js
        fileURLToPath(new URL('../../dist/web', import.meta.url)), // src/server/web-assets.ts
      ];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? null;
}

const NOT_BUILT =
  'The Cartography web app has not been built: run `npm run build` (or `npm ci`), then restart `carto serve`.';

/** The scan id of an app path `/scans/{id}` (the viewer's page), else null. */
export function viewerScanId(path: string): string | null {
  const m = /^\/scans\/([^/]+)\/?$/.exec(path);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

/**
 * Registers the app's files and the SPA fallback on `app` (call once, after the API routes or before:
 * API routes are more specific and win). Without a built app, `/` explains how to build it (503).
 * @param opts.onNavigate called (not awaited; a rejection is logged) for every app path answered with
 *   index.html, with the request and its path: the server may start work the page will ask for
 */
export async function registerWebAssets(
  app: FastifyInstance,
  opts: { onNavigate?: (req: FastifyRequest, path: string) => Promise<void> } = {},
): Promise<void> {
  const dir = webAssetsDir();
  if (dir === null) {
    app.get('/', (_req, reply) => reply.code(503).type('text/plain').send(NOT_BUILT));
    return;
  }
  // wildcard: false registers one route per built file (found at start-up), so the fallback below
  // sees every other path
  await app.register(fastifyStatic, { root: dir, wildcard: false, index: 'index.html' });
  app.get('/*', (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (path === '/api' || path.startsWith('/api/')) return reply.code(404).send({ error: 'no such route' });
    // work the page will ask for, started while the browser loads the app (never holds the page back)
    void opts.onNavigate?.(req, path).catch((e: unknown) => req.log.debug({ err: e }, 'navigation hook'));
    return reply.type('text/html').header('cache-control', 'no-cache').sendFile('index.html');
  });
}

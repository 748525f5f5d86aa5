/**
 * End-to-end harness of the web app: the app built by Vite into a temporary folder (served through
 * CARTO_WEB_DIR by src/server/web-assets.ts), a throw-away registry server on a temporary SQLite file
 * on 127.0.0.1, users of two centres, and the Debian chromium driven by playwright-core (never a
 * downloaded browser). Helpers to sign in, run axe-core and write the screenshots of docs/screenshots/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { projectRoot } from '../helpers/shared-data.js';
import { buildApp } from '../../src/server/app.js';
import { viewerImagesBeside } from '../../src/pipeline/viewer-images.js';
import { hashPassword } from '../../src/server/auth.js';
import { RegistryStore, type Actor } from '../../src/registry/store.js';

export const CHROMIUM = '/usr/bin/chromium';
/** The flags the tests' chromium runs with (no GPU: WebGL on SwiftShader; no background traffic). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
export const PASSWORD = 'correct horse battery';
/**
 * Where the screenshots go: docs/screenshots/ when CARTO_UPDATE_SCREENSHOTS=1 (to refresh the committed
 * pictures), else a temporary folder, so that a test run leaves the working tree unchanged (the audit
 * page shows times, so its picture differs at every run).
 */
export const SCREENSHOTS =
  process.env['CARTO_UPDATE_SCREENSHOTS'] === '1'
    ? join(projectRoot, 'docs', 'screenshots')
    : mkdtempSync(join(tmpdir(), 'carto-screenshots-'));

export interface Harness {
  url: string;
  store: RegistryStore;
  app: FastifyInstance;
  browser: Browser;
  actors: Record<'admin' | 'dmA' | 'dmB' | 'analyst', Actor>;
  close: () => Promise<void>;
}

/**
 * Builds the app, starts the server and the browser. Close with `h.close()`. `prepare` runs after the
 * centres and users exist and before the server opens the database (`dbFile`, the registry's SQLite
 * file, closed meanwhile): e.g. `carto run --db` of a study into it.
 */
export async function startHarness(
  opts: { prepare?: (dbFile: string, store: RegistryStore, actors: Harness['actors']) => Promise<void> } = {},
): Promise<Harness> {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium package (.ci/setup-system does it)`,
  );
  const work = mkdtempSync(join(tmpdir(), 'carto-e2e-'));
  const webDir = join(work, 'web');
  await build({
    configFile: join(projectRoot, 'web', 'vite.config.ts'),
    build: { outDir: webDir, emptyOutDir: true },
    logLevel: 'error',
  });
  process.env['CARTO_WEB_DIR'] = webDir;
  const dbFile = join(work, 'registry.sqlite');
  let store = await RegistryStore.open(dbFile);
  await store.createCentre({ code: 'AMC', name: 'Amsterdam UMC' });
  await store.createCentre({ code: 'UMCG', name: 'UMC Groningen' });
  const passwordHash = await hashPassword(PASSWORD);
  const mk = async (username: string, role: Actor['role'], centreCode: string | null): Promise<Actor> => {
    const u = await store.createUser({ username, passwordHash, role, centreCode });
    return { userId: u.id, username, role, centreId: u.centreId };
  };
  const actors = {
    admin: await mk('admin', 'admin', null),
    dmA: await mk('dm-amc', 'data_manager', 'AMC'),
    dmB: await mk('dm-umcg', 'data_manager', 'UMCG'),
    analyst: await mk('analyst', 'analyst', null),
  };
  if (opts.prepare) {
    await opts.prepare(dbFile, store, actors);
    await store.close();
    store = await RegistryStore.open(dbFile);
  }
  // the viewer's images where `carto serve --db dbFile` looks for them (written by `prepare`'s imports)
  const app = await buildApp({ store, viewerImages: viewerImagesBeside(dbFile)! });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    url,
    store,
    app,
    browser,
    actors,
    close: async () => {
      await browser.close();
      await app.close();
      await store.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A fresh browser context (own cookies) with a page on the app's origin. */
export async function newPage(h: Harness): Promise<{ context: BrowserContext; page: Page }> {
  const context = await h.browser.newContext({ baseURL: h.url, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

/** Signs in through the form and waits for the navigation landmark. */
export async function signIn(page: Page, username: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** axe-core on the current page: the serious and critical violations (id, impact, targets). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: join(projectRoot, 'node_modules', 'axe-core', 'axe.min.js') });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: () => Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}
interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

/** Writes a full-page screenshot to `SCREENSHOTS`/<name>.png. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

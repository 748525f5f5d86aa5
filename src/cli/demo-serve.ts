/**
 * `carto demo --serve`: simulate a virtual trial, import it into one database together with a matching
 * registry (the trial's patients as registry patients with their journeys,
 * src/registry/exchange/study-import.ts), run the analysis (`runStudy`), and serve the web app and the
 * API on loopback, printing the URL and a demo login.
 *
 * The login is a demo admin with a random password printed once (only its hash is stored). A fixed
 * demo password would be a known credential in a database that outlives the demo: the folder it is in
 * can later be served by `carto serve --host 0.0.0.0`. A random one costs the user nothing (it is
 * printed beside the URL) and the server listens on 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { InputError } from '../errors.js';
import { writeSimulatedBundle } from './simulated-bundle.js';
import { writeOutputFolder } from '../io/output-folder.js';
import { REPORT_DB_NAME, runStudy, type PipelineProgress } from '../pipeline/run.js';
import { importStudyPatients } from '../registry/exchange/study-import.js';
import { RegistryStore, type Actor } from '../registry/store.js';
import { hashPassword } from '../server/auth.js';
import { buildApp } from '../server/app.js';
import { viewerImagesBeside } from '../pipeline/viewer-images.js';
import { readBundle } from '../study/bundle.js';
import { isPostgresUrl } from '../store/db.js';

/** The demo admin's username. */
export const DEMO_USERNAME = 'demo-admin';
/** The centre of the demo registry patients. */
export const DEMO_CENTRE = { code: 'DEMO', name: 'Demo centre (simulated trial)' };

export interface DemoServeOptions {
  /** Output folder: bundle/, report/ and (without `db`) the database. */
  out: string;
  /** Database (SQLite file or postgres:// URL) holding no registry patients or users yet. */
  db?: string;
  /** TCP port on 127.0.0.1 (0 picks a free one). */
  port: number;
  seed: number;
  patients?: number;
  voxelMm?: number;
  fdg: boolean;
  progress?: PipelineProgress;
}

/** A running demo: where it listens, the login, and what it holds. */
export interface DemoServer {
  url: string;
  username: string;
  /** The random password, printed once. */
  password: string;
  studyName: string;
  registryPatients: number;
  /** Unlinked-patient warnings of the import (empty when every study patient links). */
  warnings: string[];
  db: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A new database must not hold registry users or patients: the demo's would clash with them. */
async function checkEmpty(store: RegistryStore, db: string): Promise<void> {
  const users = await store.db.selectFrom('reg_user').select('id').limit(1).execute();
  const patients = await store.db.selectFrom('reg_patient').select('id').limit(1).execute();
  if (users.length > 0 || patients.length > 0)
    throw new InputError('the demo needs a database without registry users or patients', {
      field: '--db',
      value: db,
    });
}

/**
 * Registry of the demo in `db`: the demo centre, the demo admin (random password) and the bundle's
 * patients with their journeys, audited as written by the demo admin.
 */
async function writeRegistry(db: string, bundleDir: string): Promise<{ password: string; patients: number }> {
  const store = await RegistryStore.open(db);
  try {
    await checkEmpty(store, db);
    await store.createCentre(DEMO_CENTRE);
    const password = randomBytes(12).toString('base64url');
    const user = await store.createUser({
      username: DEMO_USERNAME,
      passwordHash: await hashPassword(password),
      role: 'admin',
      centreCode: null,
    });
    const actor: Actor = { userId: user.id, username: user.username, role: 'admin', centreId: null };
    // The simulated never-infused patients (CONSORT drop-outs) carry no baseline (age, sex, histology)
    // that a registry patient requires: they stay in the study's CONSORT flow only.
    const bundle = readBundle(bundleDir);
    const patients = await importStudyPatients(
      store.as(actor),
      { ...bundle, notInfused: [] },
      {
        centre: DEMO_CENTRE.code,
        referralDaysBeforeApheresis: 21,
        decisionDaysAfterReferral: 7,
        lymphodepletionRegimen: 'flu-cy',
        toxicityObservationDay: 3,
        reason: 'carto demo --serve: simulated trial',
      },
    );
    return { password, patients };
  } finally {
    await store.close();
  }
}

/**
 * Runs the demo and starts the server (see module doc).
 * @throws InputError naming `--out` (folder refused, src/io/output-folder.ts) or `--db` (a database
 *   with registry users or patients); nothing is then served
 */
export async function demoServe(opts: DemoServeOptions): Promise<DemoServer> {
  const out = resolve(opts.out);
  const external = opts.db !== undefined ? (isPostgresUrl(opts.db) ? opts.db : resolve(opts.db)) : undefined;
  if (external !== undefined) {
    // refused before the (long) simulation; checked again when written
    const store = await RegistryStore.open(external);
    await checkEmpty(store, external).finally(() => store.close());
  }
  const run = await writeOutputFolder(out, { kind: 'demo', option: '--out' }, async (dir) => {
    const bundleDir = join(dir, 'bundle');
    await writeSimulatedBundle(bundleDir, {
      seed: opts.seed,
      fdg: opts.fdg,
      ...(opts.patients !== undefined ? { patients: opts.patients } : {}),
      ...(opts.voxelMm !== undefined ? { voxelMm: opts.voxelMm } : {}),
    });
    const db = external ?? join(dir, REPORT_DB_NAME);
    const reg = await writeRegistry(db, bundleDir);
    const r = await runStudy(bundleDir, join(dir, 'report'), db, opts.progress);
    return { ...reg, studyName: r.studyName, warnings: r.warnings };
  });
  const db = external ?? join(out, REPORT_DB_NAME);
  const store = await RegistryStore.open(db);
  const images = viewerImagesBeside(db);
  const app = await buildApp({ store, ...(images !== null ? { viewerImages: images } : {}) });
  let address: string;
  try {
    address = await app.listen({ port: opts.port, host: '127.0.0.1' });
  } catch (e) {
    await app.close();
    await store.close();
    throw e;
  }
  return {
    url: `${address}/`,
    username: DEMO_USERNAME,
    password: run.password,
    studyName: run.studyName,
    registryPatients: run.patients,
    warnings: run.warnings,
    db,
    app,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

/** The lines `carto demo --serve` prints once the server listens. */
export function demoServeLines(d: DemoServer, out: string): string {
  return (
    `study:    ${d.studyName} (report: ${join(resolve(out), 'report', 'index.html')})\n` +
    `registry: ${d.registryPatients} patients of centre ${DEMO_CENTRE.code}, ` +
    (d.warnings.length === 0
      ? 'every study patient linked\n'
      : `${d.warnings.length} unlinked (see warnings)\n`) +
    `database: ${d.db}\n` +
    `web app:  ${d.url}\n` +
    `login:    ${d.username} / ${d.password}   (shown once; stop with Ctrl-C)\n`
  );
}

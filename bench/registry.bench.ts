/**
 * Registry API load: 200 concurrent clients on loopback (127.0.0.1) for 60 s, 80 % reads / 20 % writes,
 * against SQLite (a temporary file, WAL) and PostgreSQL (a throw-away cluster, test/registry/pg-cluster.ts).
 * Checks: no 5xx, every acknowledged write present afterwards. Prints throughput and p50/p99 latency.
 *
 * Usage: npm run bench registry [-- --seconds 10 --clients 200 --backend sqlite|postgres|both]
 * (or node --import tsx bench/registry.bench.ts --seconds 10). The server runs in a child process
 * (`--serve-db <target>` mode) so that the load generator does not share its event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { RegistryStore } from '../src/registry/store.js';
import { buildApp } from '../src/server/app.js';
import { hashPassword } from '../src/server/auth.js';
import { startPgCluster } from '../test/registry/pg-cluster.js';
import { peakRssMiB } from './util.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : def;
}
const SECONDS = Number(arg('seconds', '60'));
const CLIENTS = Number(arg('clients', '200'));
const BACKEND = arg('backend', 'both');
const PATIENTS_PER_CENTRE = 100;
const PASSWORD = 'bench password 123';

// Hard stop: the bench never runs unbounded.
setTimeout(
  () => {
    console.error('registry bench: hard time limit reached');
    process.exit(1);
  },
  (SECONDS * 2 + 180) * 1000,
).unref();

interface Session {
  cookie: string;
  csrf: string;
  centre: 'AMC' | 'UMCG';
  patients: string[];
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** Child mode: serve the registry on a free loopback port, print it, stop on SIGTERM. */
async function serveChild(target: string): Promise<void> {
  const store = await RegistryStore.open(target, { poolSize: 20 });
  const app = await buildApp({ store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`PORT ${(app.server.address() as AddressInfo).port}\n`);
  await once(process, 'SIGTERM');
  await app.close();
  await store.close();
  process.exit(0);
}

async function startServer(target: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve-db', target],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /PORT (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server child exited early (${String(code)})`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

async function runOne(label: string, target: string): Promise<boolean> {
  const store = await RegistryStore.open(target);
  await store.createCentre({ code: 'AMC', name: 'Amsterdam UMC' });
  await store.createCentre({ code: 'UMCG', name: 'UMC Groningen' });
  const hash = await hashPassword(PASSWORD);
  const users: { name: string; centre: 'AMC' | 'UMCG' }[] = [];
  for (let i = 0; i < 8; i++) {
    const centre = i % 2 === 0 ? 'AMC' : 'UMCG';
    users.push({ name: `bench-${i}`, centre });
    await store.createUser({
      username: `bench-${i}`,
      passwordHash: hash,
      role: 'data_manager',
      centreCode: centre,
    });
  }
  await store.close();
  const { child, base } = await startServer(target);
  const sessions: Session[] = [];
  for (const u of users) {
    const r = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: u.name, password: PASSWORD }),
    });
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const { csrfToken } = (await r.json()) as { csrfToken: string };
    sessions.push({ cookie, csrf: csrfToken, centre: u.centre, patients: [] });
  }
  // seed patients through the API
  for (const centre of ['AMC', 'UMCG'] as const) {
    const s = sessions.find((x) => x.centre === centre) as Session;
    const ids: string[] = [];
    for (let i = 0; i < PATIENTS_PER_CENTRE; i++) {
      const r = await fetch(`${base}/api/patients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
        body: JSON.stringify({
          centre,
          pseudonym: `${centre}-${String(i).padStart(4, '0')}`,
          ageAtReferral: 40 + (i % 40),
          referralDate: '2024-01-10',
          lineOfTherapy: 3,
          histology: 'DLBCL',
        }),
      });
      ids.push(((await r.json()) as { id: string }).id);
    }
    for (const x of sessions) if (x.centre === centre) x.patients = ids;
  }

  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const acknowledged: string[] = [];
  let networkErrors = 0;
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const deadline = performance.now() + SECONDS * 1000;
  const client = async (k: number) => {
    const s = sessions[k % sessions.length] as Session;
    while (performance.now() < deadline) {
      const pid = s.patients[Math.floor(rand() * s.patients.length)] ?? '';
      const x = rand();
      let url: string;
      let init: RequestInit;
      const headers: Record<string, string> = { cookie: s.cookie };
      let isWrite = false;
      if (x < 0.8) {
        const which = Math.floor(rand() * 3);
        url =
          which === 0
            ? `${base}/api/patients?limit=20&offset=${Math.floor(rand() * 80)}`
            : which === 1
              ? `${base}/api/patients/${pid}`
              : `${base}/api/patients/${pid}/timeline`;
        init = { headers };
      } else {
        isWrite = true;
        url = `${base}/api/patients/${pid}/adverse-events`;
        init = {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'x-csrf-token': s.csrf },
          body: JSON.stringify({
            term: 'Neutrophil count decreased',
            grade: 1 + Math.floor(rand() * 4),
            onsetDate: '2024-03-01',
          }),
        };
      }
      const t0 = performance.now();
      try {
        const r = await fetch(url, init);
        const body = await r.text();
        latencies.push(performance.now() - t0);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (isWrite && r.status === 201) acknowledged.push((JSON.parse(body) as { id: string }).id);
      } catch {
        networkErrors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, k) => client(k)));
  const elapsedS = (performance.now() - t0) / 1000;
  child.kill('SIGTERM');
  await once(child, 'exit');
  const check = await RegistryStore.open(target);

  // every acknowledged write is in the database
  let present = 0;
  for (let i = 0; i < acknowledged.length; i += 500) {
    const chunk = acknowledged.slice(i, i + 500);
    const rows = await check.db
      .selectFrom('reg_adverse_event')
      .select('id')
      .where('id', 'in', chunk)
      .execute();
    present += rows.length;
  }
  const audits = await check.db
    .selectFrom('reg_audit')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('table_name', '=', 'reg_adverse_event')
    .executeTakeFirstOrThrow();
  const sorted = [...latencies].sort((a, b) => a - b);
  const n5xx = [...statuses.entries()].filter(([c]) => c >= 500).reduce((a, [, v]) => a + v, 0);
  const total = latencies.length;
  console.log(
    `registry ${label}: ${CLIENTS} clients, ${elapsedS.toFixed(1)} s, ${total} requests, ` +
      `${(total / elapsedS).toFixed(0)} req/s, p50 ${pct(sorted, 0.5).toFixed(1)} ms, p99 ${pct(sorted, 0.99).toFixed(1)} ms, ` +
      `statuses ${JSON.stringify(Object.fromEntries(statuses))}, 5xx ${n5xx}, network errors ${networkErrors}, ` +
      `writes acknowledged ${acknowledged.length}, present ${present}, audit rows ${String(audits['n'])}, peak RSS ${peakRssMiB().toFixed(0)} MiB`,
  );
  const ok =
    n5xx === 0 &&
    networkErrors === 0 &&
    present === acknowledged.length &&
    Number(audits['n']) === acknowledged.length;
  if (!ok) console.error(`registry ${label}: FAILED (5xx, network errors, or lost writes)`);
  return ok;
}

const serveDb = process.argv.indexOf('--serve-db');
if (serveDb >= 0) {
  await serveChild(process.argv[serveDb + 1] ?? '');
} else {
  let allOk = true;
  if (BACKEND === 'sqlite' || BACKEND === 'both') {
    const dir = mkdtempSync(join(tmpdir(), 'carto-bench-'));
    try {
      allOk = (await runOne('sqlite', join(dir, 'registry.sqlite'))) && allOk;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (BACKEND === 'postgres' || BACKEND === 'both') {
    const cluster = await startPgCluster();
    try {
      allOk = (await runOne('postgres', await cluster.createDatabase('bench'))) && allOk;
    } finally {
      cluster.stop();
    }
  }
  process.exit(allOk ? 0 : 1);
}

/**
 * The registry suites on both databases: SQLite (in memory) and a real PostgreSQL server started once
 * for this file (test/registry/pg-cluster.ts; fails — never skips — when PostgreSQL is not installed).
 */
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryStore } from '../../src/registry/store.js';
import { startPgCluster, type PgCluster } from './pg-cluster.js';
import { storeSuite } from './store-suite.js';
import { apiSuite } from '../server/api-suite.js';
import { accessSuite } from '../server/access-suite.js';

let cluster: Promise<PgCluster> | null = null;
let dbCounter = 0;
const pgCluster = (): Promise<PgCluster> => (cluster ??= startPgCluster());
const sqliteDir = mkdtempSync(join(tmpdir(), 'carto-registry-'));
after(async () => {
  if (cluster) (await cluster).stop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

const openSqlite = () => RegistryStore.open(':memory:');
const openPg = async () => RegistryStore.open(await (await pgCluster()).createDatabase(`reg_${++dbCounter}`));

storeSuite('sqlite', openSqlite);
storeSuite('postgres', openPg);
apiSuite('sqlite', openSqlite);
apiSuite('postgres', openPg);
accessSuite('sqlite', () => Promise.resolve(join(sqliteDir, `access-${++dbCounter}.sqlite`)));
accessSuite('postgres', async () => (await pgCluster()).createDatabase(`reg_${++dbCounter}`));

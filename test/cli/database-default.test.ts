/**
 * The one default database (issue 13 item 2: one database per deployment): `carto import`, `users`,
 * `registry` and `serve` without `--db` all open `cartography.sqlite` in the working folder, and a
 * working folder that holds only the registry's former default `registry.sqlite` is refused rather
 * than silently answered from a new, empty database.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register as registerUsers } from '../../src/cli/commands/users.js';
import { register as registerRegistry } from '../../src/cli/commands/registry.js';
import { register as registerRun } from '../../src/cli/commands/run.js';
import { DEFAULT_DATABASE, databaseTarget } from '../../src/cli/options.js';
import { RegistryStore } from '../../src/registry/store.js';
import { runInProcess } from '../helpers/cli-in-process.js';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'carto-db-default-'));

test('without --db, users add-centre creates cartography.sqlite in the working folder', async (t) => {
  const dir = fresh();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await runInProcess(
    registerUsers,
    ['users', 'add-centre', '--code', 'AMC', '--name', 'Amsterdam UMC'],
    {
      cwd: dir,
    },
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(DEFAULT_DATABASE, 'cartography.sqlite');
  assert.ok(existsSync(join(dir, 'cartography.sqlite')));
  assert.ok(!existsSync(join(dir, 'registry.sqlite')));
  const store = await RegistryStore.open(join(dir, 'cartography.sqlite'));
  try {
    const centres = await store.db.selectFrom('reg_centre').select('code').execute();
    assert.deepEqual(
      centres.map((c) => c.code),
      ['AMC'],
    );
  } finally {
    await store.close();
  }
});

test('a folder with only the former registry.sqlite is refused, naming both files (exit 2)', async (t) => {
  const dir = fresh();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'registry.sqlite'), '');
  for (const [register, args] of [
    [registerUsers, ['users', 'add-centre', '--code', 'AMC', '--name', 'Amsterdam UMC']],
    [registerRegistry, ['registry', 'export', '--format', 'csv', '--out', 'x.csv', '--as', 'admin']],
    [registerRun, ['import', 'no-such-bundle']],
  ] as const) {
    const r = await runInProcess(register, [...args], { cwd: dir });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /--db/);
    assert.match(r.err, /cartography\.sqlite/);
    assert.match(r.err, /registry\.sqlite/);
    assert.ok(!existsSync(join(dir, 'cartography.sqlite')), 'no empty database was created');
  }
});

test('an explicit --db, or an existing cartography.sqlite, is used as given', (t) => {
  const dir = fresh();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(databaseTarget('registry.sqlite'), 'registry.sqlite');
  assert.equal(databaseTarget('postgres://carto@127.0.0.1:5432/x'), 'postgres://carto@127.0.0.1:5432/x');
  writeFileSync(join(dir, 'registry.sqlite'), '');
  writeFileSync(join(dir, 'cartography.sqlite'), '');
  const back = process.cwd();
  process.chdir(dir);
  try {
    assert.equal(databaseTarget(undefined), 'cartography.sqlite');
  } finally {
    process.chdir(back);
  }
});

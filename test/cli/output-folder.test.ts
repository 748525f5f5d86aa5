// The output-folder rule (src/io/output-folder.ts) for every command that writes a folder: never
// delete or change what Cartography did not write. Each case checks the clear error (exit 2, naming
// --out and the path) or the right result, and that nothing outside the command's own output changed.
import { runInProcess } from '../helpers/cli-in-process.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { droBundle } from '../helpers/bundles.js';
import { projectRoot } from '../helpers/shared-data.js';
import { register as registerRun } from '../../src/cli/commands/run.js';
import { register as registerSimulate } from '../../src/cli/commands/simulate.js';
import { register as registerRegistry } from '../../src/cli/commands/registry.js';
import { register as registerImaging } from '../../src/cli/commands/imaging.js';
import { OUTPUT_MARKER, writeOutputFolder } from '../../src/io/output-folder.js';
import { InputError } from '../../src/errors.js';
import { RegistryStore } from '../../src/registry/store.js';
import { importRedcap } from '../../src/registry/exchange/import.js';
import { readBundle } from '../../src/study/bundle.js';
import { seedWorld } from '../registry/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'carto-out-rule-'));
after(() => rmSync(root, { recursive: true, force: true }));
let bundle: string;
/** An earlier report of the DRO bundle (written once, copied where a test needs one). */
let earlierReport: string;

before(async () => {
  bundle = droBundle(join(root, 'dro'));
  earlierReport = join(root, 'earlier-report');
  const r = await cli(registerRun, ['run', bundle, '--out', earlierReport]);
  assert.equal(r.code, 0, r.err);
});

/** Every path under `dir` (folders, files with their SHA-256, links with their target). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (e.isSymbolicLink()) out.set(rel, `link ${readlinkSync(p)}`);
      else if (e.isDirectory()) {
        out.set(rel, 'dir');
        walk(p);
      } else out.set(rel, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Paths of `after` that differ from `before` (added, removed or changed). */
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

/** A CLI command in-process, in `cwd`: exit 2 for CartoError (as src/cli/shared.ts), 1 for any other error. */
async function cli(
  register: (p: Command) => void,
  args: string[],
  cwd?: string,
): Promise<{ code: number; out: string; err: string }> {
  try {
    return await runInProcess(register, args, cwd ? { cwd } : {});
  } catch (e) {
    return { code: 1, out: '', err: (e as Error).message };
  }
}

/** A folder `name` under `root` with the user's own files (and a `.git/` folder). */
function userFolder(name: string): string {
  const d = join(root, name);
  mkdirSync(join(d, '.git', 'objects'), { recursive: true });
  writeFileSync(join(d, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(d, 'notes.txt'), 'my notes\n');
  return d;
}

function assertRefused(r: { code: number; err: string }, path: string, why: RegExp): void {
  assert.equal(r.code, 2, `exit code (${r.err})`);
  assert.match(r.err, /option --out/);
  assert.ok(r.err.includes(JSON.stringify(path)), `names ${path}: ${r.err}`);
  assert.match(r.err, why);
}

function stagingLeft(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.cartography-(staging|old)-/.test(f));
}

test('carto run --out . (a working folder with .git/ and files) is refused; nothing changes', async () => {
  const work = userFolder('work-dot');
  const before = snapshot(root);
  const dot = await cli(registerRun, ['run', bundle, '--out', '.'], work);
  assertRefused(dot, work, /is the working folder or contains it/);
  // An ancestor of the working folder as well.
  const up = await cli(registerRun, ['run', bundle, '--out', '..'], work);
  assertRefused(up, root, /is the working folder or contains it/);
  assert.deepEqual(changed(before, snapshot(root)), []);
});

test('carto run --out <the bundle> or a report folder holding the bundle is refused; bundle byte-identical', async () => {
  const before = snapshot(root);
  assertRefused(await cli(registerRun, ['run', bundle, '--out', bundle]), bundle, /is or contains the input/);
  // An earlier report that the user put the bundle into: replacing it would delete the bundle.
  const holder = join(root, 'holder');
  cpSync(earlierReport, holder, { recursive: true });
  cpSync(bundle, join(holder, 'bundle'), { recursive: true });
  const held = snapshot(root);
  const r = await cli(registerRun, ['run', join(holder, 'bundle'), '--out', holder]);
  assertRefused(r, holder, /is or contains the input/);
  assert.deepEqual(changed(held, snapshot(root)), []);
  assert.deepEqual(
    changed(before, snapshot(root)).filter((p) => !p.startsWith('holder')),
    [],
  );
});

test('carto run --out <non-empty folder without marker>, a file or a symbolic link is refused; untouched', async () => {
  const mine = userFolder('mine');
  const file = join(root, 'a-file.txt');
  writeFileSync(file, 'keep me\n');
  const link = join(root, 'link-to-report');
  symlinkSync(earlierReport, link);
  const before = snapshot(root);
  assertRefused(
    await cli(registerRun, ['run', bundle, '--out', mine]),
    mine,
    /is not empty and is not an earlier Cartography report \(no valid \.cartography-output\.json\)/,
  );
  assertRefused(await cli(registerRun, ['run', bundle, '--out', file]), file, /is a file, not a folder/);
  assertRefused(await cli(registerRun, ['run', bundle, '--out', link]), link, /is a symbolic link/);
  // A folder below a file cannot be made.
  const below = join(file, 'report');
  assertRefused(await cli(registerRun, ['run', bundle, '--out', below]), below, /a-file\.txt is a file/);
  assert.deepEqual(changed(before, snapshot(root)), []);
  assert.ok(lstatSync(link).isSymbolicLink());
});

test('carto run over an earlier report replaces it; the default store is inside the report, not in the working folder', async () => {
  const work = userFolder('work-rerun');
  const out = join(work, 'carto-report');
  cpSync(earlierReport, out, { recursive: true });
  writeFileSync(join(out, 'stale.txt'), 'from the earlier report\n');
  const before = snapshot(root);
  const r = await cli(registerRun, ['run', bundle, '--json'], work); // --out defaults to carto-report
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out) as { reportDir: string; db: string; status: string };
  assert.equal(s.reportDir, out);
  assert.equal(s.db, join(out, 'cartography.sqlite'));
  assert.equal(s.status, 'written', 'a fresh store with the new report');
  for (const f of ['index.html', 'results.json', 'cartography.sqlite', OUTPUT_MARKER])
    assert.ok(existsSync(join(out, f)), f);
  assert.ok(!existsSync(join(out, 'stale.txt')), 'the earlier report was replaced, not merged');
  assert.deepEqual(JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8')), {
    tool: 'cartography',
    kind: 'report',
    version: (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string })
      .version,
  });
  // Only the report folder changed: no cartography.sqlite, staging or old folder in the working folder.
  const outside = changed(before, snapshot(root)).filter(
    (p) => !p.startsWith(relative(root, out) + '/') && p !== relative(root, out),
  );
  assert.deepEqual(outside, []);
  assert.deepEqual(readdirSync(work).sort(), ['.git', 'carto-report', 'notes.txt']);
});

test('carto run --db inside --out is refused (replacing the report would delete the store)', async () => {
  const out = join(root, 'report-db');
  cpSync(earlierReport, out, { recursive: true });
  const db = join(out, 'kept.sqlite');
  writeFileSync(db, 'not really a database\n');
  const before = snapshot(root);
  const r = await cli(registerRun, ['run', bundle, '--out', out, '--db', db]);
  assertRefused(r, out, /is or contains the input .*kept\.sqlite/);
  assert.deepEqual(changed(before, snapshot(root)), []);
});

test('carto run over a Cartography output of another kind is refused; untouched', async () => {
  const demo = join(root, 'a-demo');
  mkdirSync(join(demo, 'report'), { recursive: true });
  writeFileSync(join(demo, OUTPUT_MARKER), '{ "tool": "cartography", "kind": "demo", "version": "0.1.0" }\n');
  writeFileSync(join(demo, 'report', 'index.html'), '<p>demo</p>\n');
  const before = snapshot(root);
  const r = await cli(registerRun, ['run', bundle, '--out', demo]);
  assertRefused(r, demo, /holds a Cartography demo, not a report/);
  assert.deepEqual(changed(before, snapshot(root)), []);
});

test('a failing run leaves the earlier report byte-identical and no staging folder behind', async () => {
  const out = join(root, 'report-fail');
  cpSync(earlierReport, out, { recursive: true });
  const bad = join(root, 'bad-bundle');
  cpSync(bundle, bad, { recursive: true });
  writeFileSync(join(bad, 'toxicity.csv'), 'patient_id,crs_grade,icans_grade\nP99,0,0\n');
  const before = snapshot(root);
  const r = await cli(registerRun, ['run', bad, '--out', out]);
  assert.equal(r.code, 2);
  assert.match(r.err, /toxicity\.csv, row 1, field patient_id: unknown patient/);
  assert.deepEqual(changed(before, snapshot(root)), []);
  assert.deepEqual(stagingLeft(root), []);
});

test('writeOutputFolder: a failure after files were written removes the staging folder; earlier output intact', async () => {
  const out = join(root, 'unit-fail');
  await writeOutputFolder(out, { kind: 'report', option: '--out' }, (dir) => {
    writeFileSync(join(dir, 'results.json'), '{"v":1}\n');
  });
  const before = snapshot(root);
  await assert.rejects(
    writeOutputFolder(out, { kind: 'report', option: '--out' }, (dir) => {
      writeFileSync(join(dir, 'results.json'), '{"v":2}\n');
      mkdirSync(join(dir, 'figures'));
      throw new Error('disk full (simulated)');
    }),
    /disk full/,
  );
  assert.deepEqual(changed(before, snapshot(root)), []);
  assert.equal(readFileSync(join(out, 'results.json'), 'utf8'), '{"v":1}\n');
  // An empty folder is accepted; a marker that is not JSON is not a marker.
  const empty = join(root, 'unit-empty');
  mkdirSync(empty);
  await writeOutputFolder(empty, { kind: 'bundle', option: '--out' }, (dir) =>
    writeFileSync(join(dir, 'study.json'), '{}\n'),
  );
  assert.deepEqual(readdirSync(empty).sort(), [OUTPUT_MARKER, 'study.json']);
  writeFileSync(join(empty, OUTPUT_MARKER), 'garbage');
  await assert.rejects(
    writeOutputFolder(empty, { kind: 'bundle', option: '--out' }, () => undefined),
    (e: unknown) => e instanceof InputError && /no valid \.cartography-output\.json/.test(e.message),
  );
  assert.deepEqual(stagingLeft(root), []);
});

test('carto simulate: refuses a foreign folder and a report; replaces an earlier bundle', async () => {
  const mine = userFolder('sim-mine');
  const report = join(root, 'sim-report');
  cpSync(earlierReport, report, { recursive: true });
  const before = snapshot(root);
  const small = ['--patients', '3', '--voxel-mm', '12', '--json'];
  assertRefused(
    await cli(registerSimulate, ['simulate', '--out', mine, ...small]),
    mine,
    /is not empty and is not an earlier Cartography bundle/,
  );
  assertRefused(
    await cli(registerSimulate, ['simulate', '--out', report, ...small]),
    report,
    /holds a Cartography report, not a bundle/,
  );
  assert.deepEqual(changed(before, snapshot(root)), []);
  const out = join(root, 'sim-bundle');
  assert.equal((await cli(registerSimulate, ['simulate', '--out', out, '--seed', '4', ...small])).code, 0);
  writeFileSync(join(out, 'stale.csv'), 'x\n');
  const r = await cli(registerSimulate, ['simulate', '--out', out, '--seed', '5', ...small]);
  assert.equal(r.code, 0, r.err);
  assert.ok(!existsSync(join(out, 'stale.csv')), 'replaced');
  assert.equal((JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as { seed: number }).seed, 5);
  assert.equal(
    (JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8')) as { kind: string }).kind,
    'bundle',
  );
  assert.deepEqual(stagingLeft(root), []);
});

test('carto demo --out . through bin/carto.js exits 2 naming --out; the working folder is untouched', () => {
  const work = userFolder('demo-dot');
  const before = snapshot(root);
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'carto.js'), 'demo', '--out', '.'], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^error: option --out: is the working folder or contains it/m);
  assert.ok(r.stderr.includes(JSON.stringify(work)));
  assert.deepEqual(changed(before, snapshot(root)), []);
});

test('carto demo: refuses a foreign folder; a failure mid-write leaves an earlier demo intact, no staging', async () => {
  const mine = userFolder('demo-mine');
  const demo = join(root, 'demo-earlier');
  mkdirSync(join(demo, 'report'), { recursive: true });
  writeFileSync(join(demo, OUTPUT_MARKER), '{ "tool": "cartography", "kind": "demo", "version": "0.1.0" }\n');
  writeFileSync(join(demo, 'report', 'index.html'), '<p>earlier demo</p>\n');
  const before = snapshot(root);
  assertRefused(
    await cli(registerRun, ['demo', '--out', mine]),
    mine,
    /is not empty and is not an earlier Cartography demo/,
  );
  // 2 patients cannot be simulated: the error comes after the staging folders were made.
  const r = await cli(registerRun, ['demo', '--out', demo, '--patients', '2']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /patients/);
  assert.deepEqual(changed(before, snapshot(root)), []);
  assert.deepEqual(stagingLeft(root), []);
});

test('carto registry export --format bundle refuses a foreign folder before opening the registry', async () => {
  const mine = userFolder('export-mine');
  const db = join(root, 'registry-never.sqlite');
  const before = snapshot(root);
  const r = await cli(registerRegistry, [
    'registry',
    'export',
    '--format',
    'bundle',
    '--out',
    mine,
    '--as',
    'admin',
    '--db',
    db,
  ]);
  assertRefused(r, mine, /is not empty and is not an earlier Cartography bundle/);
  assert.ok(!existsSync(db), 'the registry database was not created');
  assert.deepEqual(changed(before, snapshot(root)), []);
});

test('carto registry export --format bundle writes a marked bundle and replaces an earlier one', async () => {
  const db = join(root, 'registry.sqlite');
  const w = await seedWorld(await RegistryStore.open(db));
  const a = w.store.as(w.dmA);
  const fx = (f: string): string => join(projectRoot, 'test', 'registry', 'fixtures', 'redcap', f);
  await importRedcap(a, {
    dictionary: fx('dictionary.csv'),
    records: fx('records.csv'),
    mapping: fx('mapping.json'),
  });
  const p = (await a.listPatients()).items.find((x) => x['pseudonym'] === 'RC-001');
  await a.createRow('follow-ups', String(p?.['id']), { followUpDate: '2024-08-19' });
  // The bundle requires an adverse event's attribution (the fixture's have none).
  for (const ae of await a.listRows('adverse-events', String(p?.['id'])))
    await a.updateEntityRow('adverse-events', String(ae['id']), {
      attribution: 'possible',
      version: ae['version'],
      reason: 'attribution assessed',
    });
  await w.store.close();
  const out = join(root, 'export-bundle');
  const args = ['registry', 'export', '--format', 'bundle', '--as', w.dmA.username, '--db', db];
  assert.equal((await cli(registerRegistry, [...args, '--out', out])).code, 0);
  writeFileSync(join(out, 'stale.csv'), 'x\n');
  const r = await cli(registerRegistry, [...args, '--out', out, '--study-name', 'second export']);
  assert.equal(r.code, 0, r.err);
  // the user is told what the bundle does not hold
  assert.match(
    r.out,
    /^note: the registry holds no images: scans\.csv and vois\.csv have their headers only/m,
  );
  const j = await cli(registerRegistry, [...args, '--out', `${out}-json`, '--json']);
  assert.match((JSON.parse(j.out) as { note: string }).note, /holds no images/);
  assert.ok(!existsSync(join(out, 'stale.csv')), 'replaced');
  assert.equal(readBundle(out).name, 'second export');
  assert.equal(
    (JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8')) as { kind: string }).kind,
    'bundle',
  );
  assert.deepEqual(stagingLeft(root), []);
});

test('interrupted (SIGINT) while writing: the staging folder is removed, the earlier report intact', async () => {
  const out = join(root, 'report-interrupted');
  cpSync(earlierReport, out, { recursive: true });
  const script = join(root, 'interrupt.mts');
  const moduleUrl = pathToFileURL(join(projectRoot, 'src', 'io', 'output-folder.ts')).href;
  writeFileSync(
    script,
    `import { writeFileSync } from 'node:fs';\n` +
      `import { join } from 'node:path';\n` +
      `import { writeOutputFolder } from ${JSON.stringify(moduleUrl)};\n` +
      `await writeOutputFolder(${JSON.stringify(out)}, { kind: 'report', option: '--out' }, async (dir) => {\n` +
      `  writeFileSync(join(dir, 'results.json'), '{}');\n` +
      `  process.stdout.write('ready\\n');\n` +
      `  await new Promise(() => setInterval(() => undefined, 1000));\n` +
      `});\n`,
  );
  const before = snapshot(root);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) res();
    });
    child.on('exit', () => rej(new Error(`exited before writing: ${stderr}`)));
  });
  assert.equal(stagingLeft(root).length, 1, 'the staging folder exists while writing');
  const exit = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, sig) => res(sig)));
  child.kill('SIGINT');
  assert.equal(await exit, 'SIGINT');
  assert.deepEqual(stagingLeft(root), []);
  assert.deepEqual(changed(before, snapshot(root)), []);
});

test('file outputs: carto mip / registry export --out naming a folder or a missing folder exits 2', async () => {
  const folder = join(root, 'a-folder');
  mkdirSync(folder);
  writeFileSync(join(folder, 'keep.txt'), 'keep\n');
  const missing = join(root, 'no-such-folder', 'mip.png');
  const before = snapshot(root);
  const image = join(bundle, 'pt');
  assertRefused(await cli(registerImaging, ['mip', image, '--out', folder]), folder, /is a folder/);
  assertRefused(
    await cli(registerImaging, ['mip', image, '--out', missing]),
    missing,
    /no-such-folder does not exist/,
  );
  const db = join(root, 'registry-never-2.sqlite');
  const r = await cli(registerRegistry, [
    'registry',
    'export',
    '--format',
    'csv',
    '--out',
    folder,
    '--as',
    'admin',
    '--db',
    db,
  ]);
  assertRefused(r, folder, /is a folder/);
  assert.ok(!existsSync(db), 'the registry database was not created');
  assert.deepEqual(changed(before, snapshot(root)), []);
});

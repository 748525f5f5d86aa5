/**
 * CLI start-up from the build (issue 18 item 1): the command manifest rebuilds every command exactly
 * (help text and parse settings) and maps each top-level command to all the modules that register
 * it; the built CLI (scripts/build.mjs into a temporary package root) prints the version, the same
 * help as the sources, runs commands through their own modules, maps stack traces to the TypeScript,
 * and bin/carto.js falls back to the sources, with a notice, when they are newer than the build.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  addCommandFromSpec,
  commandSpec,
  manifestEntry,
  type CommandManifest,
} from '../../src/cli/manifest.js';
import { baseProgram, buildProgram, commandManifest, invokedCommand } from '../../src/cli/program.js';
import { projectRoot } from '../helpers/shared-data.js';

const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/** Help of `cmd` as `carto … --help` prints it (texts added before/after included), 80 columns. */
function helpOf(cmd: Command): string {
  let out = '';
  const all: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) all.push(c);
  for (const c of all) {
    c.configureOutput({
      writeOut: (s) => (out += s),
      getOutHelpWidth: () => 80,
      getOutHasColors: () => false,
    });
  }
  cmd.outputHelp();
  return out;
}

/** Every command below `cmd`, depth first, with its path (`stats km`). */
function allCommands(cmd: Command, path: string[] = []): { path: string; cmd: Command }[] {
  return cmd.commands.flatMap((c) => [
    { path: [...path, c.name()].join(' '), cmd: c },
    ...allCommands(c, [...path, c.name()]),
  ]);
}

/** The command tree rebuilt from `manifest` (no command module imported). */
function programFrom(manifest: CommandManifest): Command {
  const program = baseProgram();
  for (const { spec } of manifest.commands) addCommandFromSpec(program, spec, () => Promise.resolve());
  return program;
}

test('the manifest rebuilds every command: same help text and same parse settings as the modules', async () => {
  const real = await buildProgram();
  const rebuilt = programFrom(await commandManifest());
  const realCommands = allCommands(real);
  const rebuiltCommands = allCommands(rebuilt);
  assert.deepEqual(
    rebuiltCommands.map((c) => c.path),
    realCommands.map((c) => c.path),
  );
  assert.ok(realCommands.some((c) => c.path === 'stats km'));
  assert.equal(helpOf(rebuilt), helpOf(real));
  for (const [i, { path, cmd }] of realCommands.entries()) {
    const twin = rebuiltCommands[i]!.cmd;
    assert.equal(helpOf(twin), helpOf(cmd), `help of carto ${path}`);
    assert.deepEqual(commandSpec(twin), commandSpec(cmd), `spec of carto ${path}`);
  }
});

test('the manifest maps each top-level command to every module that registers it', async () => {
  const manifest = await commandManifest();
  const real = await buildProgram();
  assert.deepEqual(
    manifest.commands.map((c) => c.spec.name),
    real.commands.map((c) => c.name()),
  );
  assert.deepEqual(manifestEntry(manifest, 'stats')?.files, [
    'stats-analysis',
    'stats-lmm',
    'stats-survival',
  ]);
  for (const { spec, files } of manifest.commands) {
    const partial = await buildProgram(files);
    const cmd = partial.commands.find((c) => c.name() === spec.name);
    assert.ok(cmd, `${spec.name} registered by ${files.join(', ')}`);
    assert.deepEqual(commandSpec(cmd), spec, `carto ${spec.name} from ${files.join(', ')} alone`);
  }
});

test('invokedCommand: the top-level command and whether help is asked', () => {
  assert.deepEqual(invokedCommand(['stats', 'km', '--help']), { name: 'stats', help: true });
  assert.deepEqual(invokedCommand(['--debug', 'suv', 'x', '-h']), { name: 'suv', help: true });
  assert.deepEqual(invokedCommand(['help', 'stats']), { name: 'help', help: true });
  assert.deepEqual(invokedCommand(['--version']), { name: undefined, help: false });
  assert.deepEqual(invokedCommand(['run', 'b', '--', '--help']), { name: 'run', help: false });
});

// The built CLI: a package root in a temporary folder with bin/ (carto.js and its modules), package.json, the build in
// dist/ (made here, so the test never depends on the state of the checkout's dist/) and links to
// src/ and node_modules/.
let root = '';
const distManifest = () => join(root, 'dist', 'cli-manifest.json');

before(() => {
  root = mkdtempSync(join(tmpdir(), 'carto-startup-'));
  mkdirSync(join(root, 'bin'));
  for (const f of readdirSync(join(projectRoot, 'bin')))
    copyFileSync(join(projectRoot, 'bin', f), join(root, 'bin', f));
  copyFileSync(join(projectRoot, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(projectRoot, 'src'), join(root, 'src'));
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
  const r = spawnSync(process.execPath, [join(projectRoot, 'scripts', 'build.mjs'), join(root, 'dist')], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `build failed:\n${r.stdout}\n${r.stderr}`);
});

after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function carto(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'carto.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CARTO_FROM_SOURCE: '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('built: carto --version prints the package version, from the build (no notice)', () => {
  const r = carto(['--version']);
  assert.deepEqual(r, { code: 0, out: `${version}\n`, err: '' });
});

test('built: carto --help lists every command as the sources do', async () => {
  const r = carto(['--help']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  for (const c of (await buildProgram()).commands)
    assert.match(r.out, new RegExp(`\\n  ${c.name()}\\b`), c.name());
  const fromSource = carto(['--help'], { CARTO_FROM_SOURCE: '1' });
  assert.equal(fromSource.err, '');
  assert.equal(r.out, fromSource.out);
});

test('built: carto stats km --help shows km options, as the sources do', () => {
  const r = carto(['stats', 'km', '--help']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Usage: carto stats km \[options\]/);
  for (const option of ['--data <file>', '--time <col>', '--status <col>', '--conf-type <t>', '--reverse']) {
    assert.ok(r.out.includes(option), option);
  }
  assert.equal(r.out, carto(['stats', 'km', '--help'], { CARTO_FROM_SOURCE: '1' }).out);
});

test('built: a command runs through its modules; bad input is exit 2 naming the file', () => {
  const missing = join(root, 'no-such.csv');
  for (const args of [
    ['stats', 'km', '--data', missing, '--time', 't', '--status', 's'],
    // `-h` as an option's value: the manifest tree reaches km's action, which hands over to the modules.
    ['stats', 'km', '--data', missing, '--time', '-h', '--status', 's'],
  ]) {
    const r = carto(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.ok(r.err.includes('no-such.csv'), r.err);
  }
  // A usage error is an input error: exit 2, like every other (src/cli/shared.ts).
  const unknown = carto(['stats', 'kmm']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command 'kmm'/);
});

test('built: a stack trace from the build names the TypeScript source (source maps)', () => {
  const saved = readFileSync(distManifest(), 'utf8');
  try {
    writeFileSync(distManifest(), '{"version": 0}\n');
    const r = carto(['--debug', 'grade', '--help']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /cli-manifest\.json: not a command manifest/);
    assert.match(r.err, /src\/cli\/manifest\.ts:\d+:\d+/, r.err);
  } finally {
    writeFileSync(distManifest(), saved);
  }
});

test('bin/carto.js runs the sources, with a one-line notice, when src/ is newer than the build', () => {
  const old = new Date('2000-01-01T00:00:00Z');
  utimesSync(distManifest(), old, old);
  try {
    const r = carto(['--version']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${version}\n`);
    assert.equal(
      r.err,
      'carto: running from source, src/ is newer than dist/ (`npm run build` for a fast start)\n',
    );
  } finally {
    const now = new Date();
    utimesSync(distManifest(), now, now);
  }
  assert.equal(carto(['--version']).err, '');
});

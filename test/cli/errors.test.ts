/**
 * Set-up mistakes and messages (issue 12, items 7 and 10): every bad option, path or file is ONE line
 * `error: …` naming the option/file and the value, exit 2; an unexpected error is one line with a
 * pointer to --debug, exit 1; --debug prints the stack. Commands run in-process through `runCli`
 * (the real top-level handler) with every command module registered; two cases spawn the real binary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { describeError, formatSeconds, formatTable, runCli } from '../../src/cli/shared.js';
import { intOption, parseIntOption, parseNumberOption, separatorOption } from '../../src/cli/options.js';
import { formatMessage, InputError } from '../../src/errors.js';
import { parseCsv } from '../../src/io/csv.js';
import { parseGatingMl, readGatingMl } from '../../src/io/gatingml.js';
import { parseFlowJoWorkspace } from '../../src/io/flowjo.js';
import { parseCrsWindow, parseIcansWindow } from '../../src/registry/grading/astct.js';
import { openRegistryDb } from '../../src/registry/db.js';
import { openStudyStore } from '../../src/study/store.js';
import { projectRoot } from '../helpers/shared-data.js';

type Register = (p: Command) => void;
const commandsDir = join(projectRoot, 'src', 'cli', 'commands');
const registers: Register[] = [];
for (const f of readdirSync(commandsDir)
  .filter((n) => n.endsWith('.ts'))
  .sort()) {
  const mod = (await import(pathToFileURL(join(commandsDir, f)).href)) as { register: Register };
  registers.push(mod.register);
}

/** The whole `carto` program, output captured, commander's own exits turned into exceptions. */
function program(out: { text: string }): Command {
  const p = new Command('carto')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out.text += s), writeErr: (s) => (out.text += s) });
  for (const r of registers) r(p);
  return p;
}

/** Runs `carto …args` in-process through runCli; returns exit code and captured stdout/stderr. */
async function carto(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const captured = { text: '' };
  const prog = program(captured);
  let out = '';
  let err = '';
  const argv = process.argv;
  const write = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  const previous = process.exitCode;
  process.exitCode = undefined;
  process.argv = ['node', 'carto', ...args];
  process.stdout.write = (c: string | Uint8Array): boolean => ((out += String(c)), true);
  process.stderr.write = (c: string | Uint8Array): boolean => ((err += String(c)), true);
  let code: number;
  try {
    await runCli(async () => {
      await prog.parseAsync(process.argv);
    });
    code = Number(process.exitCode ?? 0);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.argv = argv;
    process.exitCode = previous;
  }
  return { code, out: out + captured.text, err };
}

/** The one-line error: exactly one line, starting `error: `, matching `re`; exit 2. */
function assertSetupError(r: { code: number; err: string }, re: RegExp): void {
  assert.equal(r.code, 2, r.err);
  const lines = r.err.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.err}`);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, re);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
}

const bundle = join(projectRoot, 'examples', 'sts-001');
const tmp = mkdtempSync(join(tmpdir(), 'carto-cli-errors-'));

test('--db in a folder that does not exist: one line naming --db, the folder and the path, exit 2', async () => {
  const r = await carto('import', bundle, '--db', '/nonexistent/dir/x.sqlite');
  assertSetupError(
    r,
    /option --db: folder \/nonexistent\/dir does not exist.*\(value: "\/nonexistent\/dir\/x\.sqlite"\)/,
  );
  const users = await carto(
    'users',
    'add-centre',
    '--code',
    'A',
    '--name',
    'B',
    '--db',
    '/nonexistent/dir/r.sqlite',
  );
  assertSetupError(users, /option --db: folder \/nonexistent\/dir does not exist/);
});

test('--db that is a folder (import, run, serve, registry export): one line naming --db, exit 2', async () => {
  assertSetupError(
    await carto('import', bundle, '--db', tmp),
    /option --db: is a folder.*\(value: ".*carto-cli-errors-/,
  );
  assertSetupError(await carto('run', bundle, '--db', tmp), /option --db: is a folder/);
  assertSetupError(await carto('serve', '--db', tmp), /option --db: is a folder/);
  assertSetupError(
    await carto(
      'registry',
      'export',
      '--format',
      'csv',
      '--out',
      join(tmp, 'x.csv'),
      '--as',
      'a',
      '--db',
      tmp,
    ),
    /option --db: is a folder/,
  );
});

test('--db not writable, and a file that is not a SQLite database: the open functions name --db', () => {
  const notDb = join(tmp, 'not-a-db.sqlite');
  writeFileSync(notDb, 'this is a text file, not SQLite, and long enough to have a header '.repeat(4));
  assert.throws(
    () => openRegistryDb(notDb),
    (e: unknown) =>
      e instanceof InputError &&
      /option --db: cannot open as a SQLite database: file is not a database/.test(e.message),
  );
  return assert.rejects(
    openStudyStore(notDb),
    /option --db: cannot open as a SQLite database: file is not a database/,
  );
});

test('the open functions check the path too (callers that pass no option name get --db)', async () => {
  assert.throws(() => openRegistryDb(tmp), /option --db: is a folder/);
  await assert.rejects(
    openStudyStore('/nonexistent/dir/s.sqlite'),
    /option --db: folder \/nonexistent\/dir does not exist/,
  );
  await assert.rejects(openStudyStore(tmp, '--out'), /option --out: is a folder/);
  assert.throws(() => openRegistryDb('mysql://x'), /option --db: unsupported database URL.*"mysql:\/\/x"/);
});

test('integer and number options: one line naming the option, the range and the value, exit 2', async () => {
  assertSetupError(
    await carto('demo', '--patients', 'abc'),
    /^error: option --patients: must be an integer from 3 to 200 \(value: "abc"\)$/,
  );
  assertSetupError(
    await carto('simulate', '--out', join(tmp, 'sim'), '--voxel-mm', '50'),
    /option --voxel-mm: must be a number from 2 to 12 \(value: "50"\)/,
  );
  assertSetupError(
    await carto('simulate', '--out', join(tmp, 'sim'), '--seed', '1.5'),
    /option --seed: must be an integer \(value: "1\.5"\)/,
  );
  assertSetupError(
    await carto('serve', '--port', '70000'),
    /option --port: must be an integer from 0 to 65535 \(value: "70000"\)/,
  );
  assertSetupError(
    await carto('fcs', 'events', 'x.fcs', '--limit', '-1'),
    /option --limit: must be an integer ≥ 0 \(value: "-1"\)/,
  );
  assertSetupError(
    await carto('stats', 'km', '--data', 'x.csv', '--time', 't', '--status', 's', '--sep', ':'),
    /option --sep: must be ',', ';', '\|' or tab \(value: ":"\)/,
  );
});

test('a commander usage mistake exits 2 (with exitOverride), --help exits 0', async () => {
  const unknown = await carto('demo', '--bogus');
  assert.equal(unknown.code, 2);
  assert.match(unknown.out, /error: unknown option '--bogus'/);
  assert.equal(unknown.err, '');
  const missing = await carto('grade', 'crs');
  assert.equal(missing.code, 2);
  assert.match(missing.out, /missing required argument 'file'/);
  const help = await carto('grade', 'crs', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /Fields \(all required\) and allowed values/);
});

test('parseIntOption / parseNumberOption: every rejected form names the option and the value', () => {
  for (const [v, re] of [
    ['', /must be an integer \(value: ""\)/],
    ['  ', /must be an integer/],
    ['1.5', /must be an integer/],
    ['Infinity', /must be an integer/],
    ['0x', /must be an integer/],
  ] as const)
    assert.throws(
      () => parseIntOption(v, '--n'),
      (e: unknown) => e instanceof InputError && re.test(e.message) && /option --n/.test(e.message),
    );
  assert.equal(parseIntOption(' 7 ', '--n', { min: 3, max: 200 }), 7);
  assert.equal(parseIntOption('1e3', '--n'), 1000);
  assert.equal(intOption('--n', { min: 0 })('0'), 0);
  assert.throws(
    () => parseNumberOption('1', '--level', { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }),
    /must be a number > 0 and < 1 \(value: "1"\)/,
  );
  assert.equal(
    parseNumberOption('0.95', '--level', { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }),
    0.95,
  );
  assert.throws(() => parseNumberOption('NaN', '--x'), /option --x: must be a number \(value: "NaN"\)/);
  assert.equal(separatorOption()('tab'), '\t');
});

test('an unexpected error: one line with a pointer to --debug, exit 1; --debug prints the stack', async () => {
  const plain = describeError(new TypeError('x.map is not a function\nmore detail'), ['node', 'carto']);
  assert.equal(plain.exitCode, 1);
  assert.equal(plain.message, 'TypeError: x.map is not a function (run with --debug for the stack trace)');
  const debug = describeError(new TypeError('boom'), ['node', 'carto'], true);
  assert.equal(debug.exitCode, 1);
  assert.match(debug.message, /^TypeError: boom\nTypeError: boom\n\s+at /);
  // Through runCli: --debug is taken off the command line (commander never sees it) and turns the stack on.
  let err = '';
  const write = process.stderr.write.bind(process.stderr);
  const argv = process.argv;
  const previous = process.exitCode;
  process.argv = ['node', 'carto', 'demo', '--debug'];
  process.stderr.write = (c: string | Uint8Array): boolean => ((err += String(c)), true);
  let seen: string[] = [];
  try {
    await runCli(() => {
      seen = [...process.argv];
      return Promise.reject(new RangeError('internal'));
    });
    assert.equal(process.exitCode, 1);
  } finally {
    process.stderr.write = write;
    process.argv = argv;
    process.exitCode = previous;
  }
  assert.deepEqual(seen, ['node', 'carto', 'demo']);
  assert.match(err, /^error: RangeError: internal\nRangeError: internal\n\s+at /);
});

test('a Node system error of a set-up mistake names the option that gave the path, exit 2', () => {
  const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/data/x.csv'"), {
    code: 'ENOENT',
    path: '/data/x.csv',
    syscall: 'open',
  });
  const d = describeError(enoent, ['node', 'carto', 'stats', 'km', '--data', '/data/x.csv']);
  assert.deepEqual(d, { exitCode: 2, message: 'option --data, /data/x.csv: no such file or folder (open)' });
  const eisdir = Object.assign(new Error('EISDIR'), { code: 'EISDIR', path: '/tmp', syscall: 'read' });
  assert.equal(
    describeError(eisdir, ['node', 'carto', 'x', '--mask=/tmp']).message,
    'option --mask, /tmp: is a folder, not a file (read)',
  );
  const refused = Object.assign(new Error('connect ECONNREFUSED'), {
    code: 'ECONNREFUSED',
    address: '127.0.0.1',
    port: 5432,
  });
  assert.deepEqual(describeError(refused, []), {
    exitCode: 2,
    message: '127.0.0.1:5432: connection refused (is the server running?)',
  });
});

test('the real binary: exit 2 and one line for --db /tmp; --debug is accepted', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'src/cli/main.ts'), ...args], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
  const r = run('serve', '--db', '/tmp');
  assert.equal(r.status, 2, r.stderr);
  assert.equal(
    r.stderr,
    'error: option --db: is a folder; give a database file path such as study.sqlite inside it (value: "/tmp")\n',
  );
  const d = run('demo', '--patients', 'abc', '--debug');
  assert.equal(d.status, 2, d.stderr);
  assert.match(
    d.stderr,
    /^error: option --patients: must be an integer from 3 to 200 \(value: "abc"\)\nInputError/,
  );
});

test('Gating-ML and FlowJo parse errors name the file, line and column (never "undefined")', () => {
  const bad = join(tmp, 'bad-gates.xml');
  writeFileSync(bad, '<Gating-ML>\n  <RectangleGate id="R">\n</Gating-ML>\n');
  assert.throws(
    () => readGatingMl(bad),
    (e: unknown) =>
      e instanceof InputError &&
      e.message ===
        `${bad}: not well-formed XML at line 3, column 1: Expected closing tag 'RectangleGate' (opened in line 2, col 3) instead of closing tag 'Gating-ML'`,
  );
  assert.throws(
    () => parseGatingMl('', 'empty.xml'),
    /^InputError: empty\.xml: not well-formed XML: the file is empty$/,
  );
  assert.throws(
    () => parseGatingMl('hello', 'g.xml'),
    (e: unknown) =>
      e instanceof Error &&
      /g\.xml: not well-formed XML at line 1, column 1/.test(e.message) &&
      !/undefined/.test(e.message),
  );
  assert.throws(
    () => parseFlowJoWorkspace('<Workspace><a></Workspace>', 'w.wsp'),
    /w\.wsp: not well-formed XML at line 1, column 15/,
  );
});

test('messages: NaN and Infinity shown as such, not null; an option field is called "option"', () => {
  assert.equal(formatMessage('not finite', { field: 'x', value: NaN }), 'field x: not finite (value: NaN)');
  assert.equal(formatMessage('m', { value: [1, -Infinity] }), 'm (value: [1,"-Infinity"])');
  assert.equal(formatMessage('m', { field: '--seed', value: '1.5' }), 'option --seed: m (value: "1.5")');
});

test('users add: a short password is one message naming --password-env (no doubled "field")', async () => {
  const db = join(tmp, 'users.sqlite');
  process.env['CARTO_TEST_PW'] = 'short';
  try {
    const r = await carto(
      'users',
      'add',
      '--username',
      'dm-x',
      '--role',
      'admin',
      '--db',
      db,
      '--password-env',
      'CARTO_TEST_PW',
    );
    assertSetupError(r, /^error: option --password-env: password must have at least 10 characters$/);
    const missing = await carto(
      'users',
      'add',
      '--username',
      'dm-x',
      '--role',
      'admin',
      '--db',
      db,
      '--password-env',
      'CARTO_TEST_NONE',
    );
    assertSetupError(
      missing,
      /^error: option --password-env: no password: set CARTO_TEST_NONE or use --password-stdin$/,
    );
  } finally {
    delete process.env['CARTO_TEST_PW'];
  }
});

const crs = {
  maxTemperatureC: 39,
  feverMaskedByTreatment: false,
  hypotension: false,
  fluidsOnly: false,
  vasopressors: [],
  oxygenDevice: 'none',
  oxygenLPerMin: null,
  diedOfCrs: false,
};

test('schema errors: a type error says expected/got with the value; only an absent field is "missing"', () => {
  assert.throws(
    () => parseCrsWindow({ ...crs, maxTemperatureC: 'abc' }, 'w.json'),
    /^InputError: w\.json, field maxTemperatureC: expected number, got string \(value: "abc"\)$/,
  );
  const { diedOfCrs: _d, ...noDeath } = crs;
  assert.throws(
    () => parseCrsWindow(noDeath, 'w.json'),
    /w\.json, field diedOfCrs: required field is missing \(expected boolean\)$/,
  );
  assert.throws(
    () => parseCrsWindow({ ...crs, vasopressors: ['x', 3] }),
    /field vasopressors\.1: expected string, got number \(value: 3\)/,
  );
  assert.throws(
    () => parseCrsWindow({ ...crs, oxygenDevice: 'mask' }),
    /field oxygenDevice: must be one of "none", .*"mechanical-ventilation" \(value: "mask"\)/,
  );
  assert.throws(() => parseCrsWindow({ ...crs, extra: 1 }), /field extra: unknown field\(s\): extra/);
  assert.throws(
    () => parseCrsWindow({ ...crs, maxTemperatureC: 50 }),
    /field maxTemperatureC: .*45.*\(value: 50\)/,
  );
  assert.throws(
    () => parseIcansWindow({ iceScore: null }),
    /field iceNotPossible: required field is missing/,
  );
});

test('grade crs --help lists every field with its allowed values', async () => {
  for (const [cmd, expected] of [
    [
      'crs',
      [
        /maxTemperatureC\s+number 25–45/,
        /oxygenDevice\s+none\|low-flow-nasal-cannula\|blow-by\|.*\|mechanical-ventilation/,
        /oxygenLPerMin\s+number 0–100 or null/,
        /vasopressors\s+\[string, …\]/,
      ],
    ],
    [
      'icans',
      [
        /iceScore\s+integer 0–10 or null/,
        /consciousness\s+awake\|awakens-to-voice\|.*\|coma/,
        /cerebralOedema\s+none\|focal\|diffuse/,
      ],
    ],
  ] as const) {
    const captured = { text: '' };
    await assert.rejects(program(captured).parseAsync(['node', 'carto', 'grade', cmd, '--help']), {
      code: 'commander.helpDisplayed',
    });
    for (const re of expected) assert.match(captured.text, re);
  }
});

test('a semicolon CSV read as comma-separated: the hint names ";" and --sep; with --sep ";" it reads', async () => {
  assert.throws(
    () => parseCsv('time;status\n1;0\n', 'a.csv'),
    /^InputError: a\.csv, row 0: the header is a single column; the file seems to use ';' as separator, not ',': save it with ',' separators \(value: "time;status"\)$/,
  );
  const semi = join(tmp, 'km-semi.csv');
  writeFileSync(semi, 'time;status\n5;1\n8;0\n12;1\n20;1\n');
  assertSetupError(
    await carto('stats', 'km', '--data', semi, '--time', 'time', '--status', 'status'),
    /km-semi\.csv, row 0: .*seems to use ';' as separator.*pass --sep ';'/,
  );
  const ok = await carto(
    'stats',
    'km',
    '--data',
    semi,
    '--time',
    'time',
    '--status',
    'status',
    '--sep',
    ';',
    '--json',
  );
  assert.equal(ok.code, 0, ok.err);
  assert.equal((JSON.parse(ok.out) as { strata: { n: number }[] }).strata[0]!.n, 4);
  // A real one-column file is fine.
  assert.deepEqual(parseCsv('x\n1\n2\n', 'one.csv').columns, ['x']);
});

test('durations: 3 significant digits; a long reason repeated in a table is printed once as a note', () => {
  assert.equal(formatSeconds(1.234567), '1.23');
  assert.equal(formatSeconds(0.0123456), '0.0123');
  assert.equal(formatSeconds(123.456), '123');
  assert.equal(formatSeconds(4321.9), '4322');
  assert.equal(
    formatTable(['stage', 'seconds'], [['quantify', 12.3456789]]),
    '   stage  seconds\nquantify     12.3',
  );
  const reason = 'no FDG PET in the bundle: give fdg.csv to run the MATV analyses';
  const rows = Array.from({ length: 12 }, (_, i) => [`matv-${i}`, 'not-run', reason]);
  rows.push(['table1', 'ok', '']);
  const text = formatTable(['section', 'status', 'reason'], rows);
  assert.equal(text.split(reason).length - 1, 1, 'the reason appears once');
  assert.equal(text.split('see [1]').length - 1, 12);
  assert.match(text, new RegExp(`\\n\\n\\[1\\] ${reason}$`));
  // A short repeated cell stays in place.
  assert.doesNotMatch(formatTable(['a'], [['ok'], ['ok']]), /see/);
});

test('README command table lists every registered command and subcommand, and nothing else', async () => {
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Command line'),
    readme.indexOf('\n## ', readme.indexOf('## Command line') + 3),
  );
  const prog = program({ text: '' });
  const listed = new Set<string>();
  for (const line of section.split('\n')) {
    const m = /^\| `carto ([^`]*)`/.exec(line);
    if (!m) continue;
    const words = m[1]!.replace(/\\\|/g, '|').split(/\s+/);
    for (const name of words[0]!.split('|')) {
      const cmd = prog.commands.find((c) => c.name() === name);
      if (cmd && cmd.commands.length > 0)
        for (const sub of words[1]!.split('|')) listed.add(`${name} ${sub}`);
      else listed.add(name);
    }
  }
  const registered = new Set<string>();
  const walk = (c: Command, prefix: string[]): void => {
    for (const s of c.commands) {
      if (s.commands.length === 0) registered.add([...prefix, s.name()].join(' '));
      walk(s, [...prefix, s.name()]);
    }
  };
  walk(prog, []);
  assert.ok(registered.size > 30, 'the commands were registered');
  assert.deepEqual([...listed].sort(), [...registered].sort());
});

#!/usr/bin/env node
// Runs every test/**/*.test.ts file with node:test (through tsx) from an explicit file list:
// on Node 20, `node --test dir/` runs 0 tests and exits 0, so we never pass a folder.
// Fails (exit 1) on any failed test, on any skipped or todo test not listed in
// test/allowed-skips.json, and on an empty run. Prints node's summary and a closing
// `N passed, N failed` line. Usage: node scripts/run-tests.mjs [file-or-substring …]
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';

const root = new URL('..', import.meta.url).pathname;

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = walk(join(root, 'test')).sort();
const filters = process.argv.slice(2);
if (filters.length > 0) files = files.filter((f) => filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('run-tests: no test files found — refusing to report an empty run as a pass');
  process.exit(1);
}

const allowedPath = join(root, 'test', 'allowed-skips.json');
const allowed = existsSync(allowedPath) ? JSON.parse(readFileSync(allowedPath, 'utf8')) : {};

const work = mkdtempSync(join(tmpdir(), 'carto-tests-'));
const summaryFile = join(work, 'summary.json');
const args = [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=2',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts', 'summary-reporter.mjs')}`,
  `--test-reporter-destination=${summaryFile}`,
  ...files.map((f) => relative(root, f)),
];
const res = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TZ: 'UTC', CARTO_TEST: '1' },
});

let summary;
try {
  summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
} catch {
  console.error('run-tests: the test runner wrote no summary (crashed?)');
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });

const badSkips = summary.skipped.filter((name) => !(name in allowed));
console.log(`${summary.passed} passed, ${summary.failed} failed, ${summary.skipped.length} skipped`);
let ok = res.status === 0;
if (summary.passed + summary.failed === 0) {
  console.error('run-tests: 0 tests ran — an empty run is a failure');
  ok = false;
}
if (summary.failed > 0) ok = false;
if (badSkips.length > 0) {
  console.error(
    `run-tests: skipped or todo tests not in test/allowed-skips.json:\n  ${badSkips.join('\n  ')}`,
  );
  ok = false;
}
process.exit(ok ? 0 : 1);

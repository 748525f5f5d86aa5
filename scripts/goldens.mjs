#!/usr/bin/env node
// `npm run goldens`: regenerates every R golden file (docs/references/engineering.md §3). Runs each
// test/**/*.R script the way its header comment says: the first `Rscript …` in the leading comment
// block names how —
//   `Rscript name.R > name.json`  from the script's folder, standard output written to name.json;
//   `Rscript test/…/name.R`       from the repository root;
//   `Rscript name.R`              from the script's folder.
// Scripts without an `Rscript` line in their header are helpers sourced by others (not run). Every
// script that is run must record its versions (`golden_meta(…)`, test/helpers/golden-meta.R).
// Fails with a clear message when Rscript is not installed, and exits 1 if any script fails.
// Usage: node scripts/goldens.mjs [substring-of-script-path …]
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.name.endsWith('.R')) out.push(p);
  }
  return out;
}

/** How a script is run, from its header, or null for a helper. */
function runPlan(file, text) {
  const header = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    header.push(line);
  }
  const m = /Rscript\s+(\S+\.R)(?:\s*>\s*(\S+\.json))?/.exec(header.join('\n'));
  if (m === null) return null;
  const [, arg, stdoutTo] = m;
  const dir = dirname(file);
  const cwd = arg.includes('/') ? root : dir;
  if (resolve(cwd, arg) !== file) {
    throw new Error(`${relative(root, file)}: its header runs "Rscript ${arg}", which is not this file`);
  }
  return { cwd, arg, stdoutTo: stdoutTo === undefined ? null : join(dir, stdoutTo) };
}

const probe = spawnSync('Rscript', ['--version'], { encoding: 'utf8' });
if (probe.error !== undefined) {
  console.error(
    `goldens: Rscript not found (${probe.error.code ?? probe.error.message}). Install R (with lme4, ` +
      'lmerTest, survival, rms, jsonlite) to regenerate the golden files; the committed ones are used by the tests.',
  );
  process.exit(1);
}
console.log(`goldens: ${(probe.stdout || probe.stderr).trim().split('\n')[0]}`);

const filters = process.argv.slice(2);
let scripts = walk(join(root, 'test')).sort();
if (filters.length > 0) scripts = scripts.filter((f) => filters.some((s) => f.includes(s)));
if (scripts.length === 0) {
  console.error('goldens: no R scripts matched');
  process.exit(1);
}

const failed = [];
let ran = 0;
for (const file of scripts) {
  const name = relative(root, file);
  const text = readFileSync(file, 'utf8');
  let plan;
  try {
    plan = runPlan(file, text);
  } catch (e) {
    console.log(`FAIL    ${name}: ${e.message}`);
    failed.push(name);
    continue;
  }
  if (plan === null) {
    console.log(`helper  ${name} (sourced by other scripts, not run)`);
    continue;
  }
  if (!text.includes('golden_meta(')) {
    console.log(
      `FAIL    ${name}: does not record R's and the packages' versions (golden_meta, test/helpers/golden-meta.R)`,
    );
    failed.push(name);
    continue;
  }
  const started = Date.now();
  const r = spawnSync('Rscript', [plan.arg], {
    cwd: plan.cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    const tail = (r.stderr || '').trim().split('\n').slice(-8).join('\n        ');
    console.log(`FAIL    ${name} (exit ${r.status ?? r.signal}, ${seconds} s)\n        ${tail}`);
    failed.push(name);
    continue;
  }
  if (plan.stdoutTo !== null) {
    // Nothing half-written: the JSON is replaced only after the script succeeded.
    const tmp = `${plan.stdoutTo}.tmp`;
    writeFileSync(tmp, r.stdout);
    renameSync(tmp, plan.stdoutTo);
  }
  ran += 1;
  const where = plan.cwd === root ? 'from the repository root' : 'from its folder';
  const to = plan.stdoutTo === null ? '' : ` > ${relative(root, plan.stdoutTo)}`;
  console.log(`ran     ${name} (${where}${to}, ${seconds} s)`);
}
console.log(`goldens: ${ran} ran, ${failed.length} failed`);
if (failed.length > 0) {
  console.error(`goldens: failed: ${failed.join(', ')}`);
  process.exit(1);
}

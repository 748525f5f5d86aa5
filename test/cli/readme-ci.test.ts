// README.md's set-up commands and CI cannot drift: `.ci/run` runs the README's lines, in the
// README's order, in one clone; and what those commands leave in the clone (the demo folder, the
// default report folder, study stores, staging folders) is ignored by git and by the format check,
// so the second command (`npm test`) passes after the first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { projectRoot } from '../helpers/shared-data.js';

/** The commands of a shell text: comments and blank lines dropped, `a && b` split into a, b. */
function commands(sh: string): string[] {
  return sh
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '')
    .flatMap((l) => l.split('&&').map((c) => c.trim()));
}

/** The first ```sh block of README.md's "## Set-up" section. */
function readmeSetUp(): string {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const section = /^## Set-up\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  assert.ok(section, 'README.md has a "## Set-up" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the Set-up section has a ```sh block');
  return block;
}

test('README set-up: the demo first, then npm test, from one install', () => {
  const lines = readmeSetUp()
    .split('\n')
    .filter((l) => l.trim() !== '');
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.deepEqual(commands(lines[0]!), ['npm ci', 'npx carto demo --out carto-demo']);
  assert.deepEqual(commands(lines[1]!), ['npm test']);
});

test('.ci/run runs the README set-up commands in the README order, after the system set-up', () => {
  const readme = commands(readmeSetUp());
  const ci = commands(readFileSync(join(projectRoot, '.ci', 'run'), 'utf8'));
  // Each README command is a CI command, in order; nothing of the README's is left out.
  let at = ci.findIndex((c) => c.includes('.ci/setup-system'));
  assert.ok(at >= 0, 'CI still calls .ci/setup-system');
  for (const c of readme) {
    const next = ci.indexOf(c, at + 1);
    assert.ok(next > at, `CI runs "${c}" after the previous README command (CI: ${ci.join(' | ')})`);
    at = next;
  }
  // No second clone or clean-up between them: the demo's folder is still there for npm test.
  for (const c of ci) assert.doesNotMatch(c, /git clone|rm -rf|git clean/, c);
});

test('what the README commands leave in the clone is ignored by git and by prettier', async () => {
  const left = [
    'carto-demo/report/results.json',
    'carto-demo/bundle/study.json',
    'carto-demo/.cartography-output.json',
    'carto-demo/cartography.sqlite',
    'carto-demo/cartography.sqlite.images/v1/0a1b/suv.nii',
    'carto-report/results.json',
    'carto-sts-001/results.json',
    'carto-demo.cartography-staging-x1Y2z3/bundle/truth.json',
    'carto-report.cartography-old-AbC123/results.json',
    'cartography.sqlite',
    'cartography.sqlite.images/v1/0a1b/display-5.nii.gz',
  ];
  const git = spawnSync('git', ['check-ignore', '--no-index', '--verbose', ...left], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  assert.equal(git.status, 0, git.stderr);
  const ignoredByGit = git.stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t')[1]);
  assert.deepEqual(ignoredByGit, left);
  const ignorePath = [join(projectRoot, '.gitignore'), join(projectRoot, '.prettierignore')];
  for (const f of left.filter((f) => f.endsWith('.json'))) {
    const info = await prettier.getFileInfo(join(projectRoot, f), { ignorePath });
    assert.equal(info.ignored, true, `prettier ignores ${f}`);
  }
  // The project's own files are still checked (the ignore patterns are not too wide).
  for (const f of ['package.json', 'src/io/output-folder.ts', 'docs/results.schema.json']) {
    const info = await prettier.getFileInfo(join(projectRoot, f), { ignorePath });
    assert.equal(info.ignored, false, `prettier checks ${f}`);
  }
});

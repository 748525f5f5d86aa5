/**
 * bin/carto.js starts the whole-volume commands once more with glibc's huge-page tunable
 * (bin/huge-pages.mjs): which commands, how the environment is built, that the child really has it,
 * and that exit codes, output and signals pass through the launcher.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HUGE_PAGE_TUNABLE, hugePageRelaunchEnv } from '../../bin/huge-pages.mjs';
import { projectRoot } from '../helpers/shared-data.js';

const carto = join(projectRoot, 'bin', 'carto.js');

test('whole-volume commands are relaunched with the tunable; the others, services and set tunables are not', () => {
  const env = { PATH: '/usr/bin' };
  for (const cmd of ['suv', 'matv', 'mip', 'slices', 'import', 'run', 'demo', 'simulate']) {
    const e = hugePageRelaunchEnv([cmd, 'x'], env, 'linux');
    assert.equal(e?.['GLIBC_TUNABLES'], HUGE_PAGE_TUNABLE, cmd);
    assert.equal(e?.['PATH'], '/usr/bin', `${cmd}: the rest of the environment is kept`);
  }
  for (const args of [
    [],
    ['--version'],
    ['stats', 'km'],
    ['serve'],
    ['worker'],
    ['demo', '--serve'],
    ['fcs'],
  ]) {
    assert.equal(hugePageRelaunchEnv(args, env, 'linux'), null, args.join(' '));
  }
  assert.equal(hugePageRelaunchEnv(['suv'], env, 'darwin'), null, 'Linux only');
  assert.equal(hugePageRelaunchEnv(['suv'], { CARTO_HUGE_PAGES: '0' }, 'linux'), null, 'switched off');
  assert.equal(
    hugePageRelaunchEnv(['suv'], { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, 'linux'),
    null,
    "the user's own hugetlb setting stands (and the child does not relaunch again)",
  );
  assert.equal(
    hugePageRelaunchEnv(['suv'], { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux')?.['GLIBC_TUNABLES'],
    `glibc.malloc.arena_max=2:${HUGE_PAGE_TUNABLE}`,
    'other tunables are kept',
  );
});

test('exit code and error message pass through the launcher', () => {
  const r = spawnSync(
    process.execPath,
    [carto, 'suv', '/nonexistent/scan.nii', '--mask', '/nonexistent/labels.nii', '--json'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /\/nonexistent\/scan\.nii/);
});

/** The pids of the direct children of `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const f = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** The environment of process `pid` ([] once it is gone). */
function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  } catch {
    return [];
  }
}

test(
  'the child runs with the tunable, and SIGTERM to the launcher stops the child (Linux)',
  { skip: process.platform !== 'linux' ? 'Linux only' : false },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carto-hugepages-'));
    try {
      const env = { ...process.env };
      delete env['GLIBC_TUNABLES'];
      delete env['CARTO_HUGE_PAGES'];
      const p = spawn(
        process.execPath,
        [carto, 'simulate', '--out', join(dir, 'vt'), '--patients', '20', '--voxel-mm', '3'],
        {
          env,
          stdio: 'ignore',
        },
      );
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        p.on('exit', (code, signal) => resolve({ code, signal })),
      );
      // The child's /proc environ is its parent's between fork and exec: poll until the exec shows.
      const marker = `GLIBC_TUNABLES=${HUGE_PAGE_TUNABLE}`;
      let child: number | undefined;
      let environ: string[] = [];
      for (let k = 0; k < 400 && !environ.includes(marker); k++) {
        await new Promise((r) => setTimeout(r, 25));
        child = childrenOf(p.pid!)[0];
        environ = child === undefined ? [] : environOf(child);
      }
      assert.ok(child !== undefined, 'the launcher started a child');
      assert.ok(environ.includes(marker), 'the child has the tunable');
      p.kill('SIGTERM');
      const r = await exited;
      assert.equal(r.signal, 'SIGTERM', 'the launcher ends as its child did');
      // the child ends on the forwarded SIGTERM once its current synchronous step yields to its handler
      // (which removes its staging folder): up to 2.4 s on an idle 2-core machine, over 10 s seen while
      // the rest of the test suite ran beside it; this checks that it ends, not how fast
      for (let k = 0; k < 1500 && existsSync(`/proc/${child}`); k++)
        await new Promise((res) => setTimeout(res, 20));
      const state = existsSync(`/proc/${child}/stat`)
        ? readFileSync(`/proc/${child}/stat`, 'utf8').split(' ')[2]
        : 'gone';
      assert.ok(state === 'gone' || state === 'Z', `the child stopped (state ${state})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

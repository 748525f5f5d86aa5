/**
 * `carto demo` as the tests run it: through the installed entry point (bin/carto.js, what `npx carto
 * demo` runs) into a fresh temporary folder, with `--json` and CI=true (no progress output).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { projectRoot } from './shared-data.js';

/** A finished demo run: its output folder (`bundle/`, `report/`), the report folder and the JSON summary printed. */
export interface DemoRun {
  dir: string;
  report: string;
  stdout: string;
}

/**
 * Runs `carto demo --out <tmp> <args> --json`, asserts exit 0 (stderr as the message), calls `check`
 * with the run and removes the folder afterwards, whatever `check` does.
 * @param args further options, e.g. `['--patients', '4', '--seed', '3']`
 */
export function withDemo<T>(args: readonly string[], check: (run: DemoRun) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'carto-demo-'));
  try {
    const r = spawnSync(
      process.execPath,
      [join(projectRoot, 'bin', 'carto.js'), 'demo', '--out', dir, ...args, '--json'],
      { encoding: 'utf8', cwd: projectRoot, env: { ...process.env, CI: 'true' } },
    );
    assert.equal(r.status, 0, r.stderr);
    return check({ dir, report: join(dir, 'report'), stdout: r.stdout });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

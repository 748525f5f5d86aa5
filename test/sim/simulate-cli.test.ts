import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SIM_MODEL } from '../../src/sim/trial.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'carto-simulate-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function carto(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('carto simulate --json writes a bundle and prints its summary with the true values', () => {
  const out = join(work, 'vt');
  const r = carto(['simulate', '--out', out, '--patients', '3', '--voxel-mm', '12', '--seed', '4', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as {
    patients: number;
    scans: number;
    grid: { spacingMm: number[] };
    truth: { preToPostGmRatio: Record<string, number>; logHrTtpPerLogGmSuvPeak: number };
  };
  assert.equal(s.patients, 3);
  assert.equal(s.scans, 2 + 2 + 4);
  assert.deepEqual(s.grid.spacingMm, [12, 12, 12]);
  assert.equal(s.truth.preToPostGmRatio['d5'], 0.6);
  assert.equal(s.truth.logHrTtpPerLogGmSuvPeak, SIM_MODEL.outcome.logHrPerLogGmSuvPeak);
  for (const f of ['study.json', 'patients.csv', 'events.csv', 'scans.csv', 'vois.csv', 'truth.json'])
    assert.ok(existsSync(join(out, f)), f);
  assert.equal((JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as { seed: number }).seed, 4);
});

test('carto simulate: bad options exit 2 with the option named', () => {
  const r = carto(['simulate', '--out', join(work, 'bad'), '--patients', 'two']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error: option --patients: must be an integer from 3 to 200 \(value: "two"\)\n$/);
});

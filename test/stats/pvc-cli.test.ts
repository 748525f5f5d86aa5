// `carto stats rcs|pvc|corr` end to end (spawned CLI) against the same R goldens as the library tests
// (fixtures/pvc.R, fixtures/correlation.R). Tolerances as in those tests: knots 1e-10, corrected 1e-8,
// correlation 1e-10 (JSON carries full double precision).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertAllClose, assertClose } from '../helpers/assert-close.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const csv = fileURLToPath(new URL('./fixtures/pvc.csv', import.meta.url));

function carto(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface PvcVariant {
  scale: string;
  method: string;
  allRows: boolean;
  knots: number[];
  beta: number[];
  splineAtReference: number;
  corrected: number[];
}
const pvc = JSON.parse(readFileSync(new URL('./fixtures/pvc.json', import.meta.url), 'utf8')) as {
  variants: PvcVariant[];
};

test('carto stats rcs --subset gives the rms::rcs knots and one basis row per subset row', () => {
  const r = carto([
    'stats',
    'rcs',
    '--data',
    csv,
    '--x',
    'volume',
    '--subset',
    'timepoint==pre && irradiated==FALSE',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { knots: number[]; basis: number[][] };
  const v = pvc.variants.find((x) => x.method === 'ols' && x.scale === 'volume' && !x.allRows)!;
  assertAllClose(out.knots, v.knots, 1e-10, 'knots');
  assert.equal(out.basis.length, 79);
  assert.equal(out.basis[0]!.length, 3);
});

test('carto stats pvc --json equals R lm(log suv ~ rcs(volume, 4)) correction', () => {
  const r = carto([
    'stats',
    'pvc',
    '--data',
    csv,
    '--suv',
    'suvpeak',
    '--volume',
    'volume',
    '--scale',
    'log-volume',
    '--knots-from',
    'timepoint==pre && irradiated==FALSE',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    knots: number[];
    coefficients: { term: string; estimate: number; se: number }[];
    splineAtReference: number;
    corrected: number[];
  };
  const v = pvc.variants.find((x) => x.method === 'ols' && x.scale === 'log-volume' && !x.allRows)!;
  assertAllClose(out.knots, v.knots, 1e-10, 'knots');
  assertAllClose(
    out.coefficients.map((c) => c.estimate),
    v.beta,
    1e-9,
    'beta',
  );
  assertClose(out.splineAtReference, v.splineAtReference, 1e-9, 'reference');
  assertAllClose(out.corrected, v.corrected, 1e-8, 'corrected');
});

test('carto stats corr --cluster equals the Lorenz 2011 R implementation; bad column exits 2', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/correlation.json', import.meta.url), 'utf8')) as {
    clustered: { x: number[]; y: number[]; id: string[]; result: { r: number; se: number; p: number } };
  };
  const dir = mkdtempSync(join(tmpdir(), 'carto-corr-'));
  try {
    const file = join(dir, 'c.csv');
    const d = fx.clustered;
    writeFileSync(file, ['x,y,patient', ...d.x.map((x, i) => `${x},${d.y[i]},${d.id[i]}`)].join('\n'));
    const r = carto([
      'stats',
      'corr',
      '--data',
      file,
      '--x',
      'x',
      '--y',
      'y',
      '--cluster',
      'patient',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { r: number; se: number; p: number; clusters: number };
    assertClose(out.r, d.result.r, 1e-10, 'r');
    assertClose(out.se, d.result.se, 1e-10, 'se');
    assertClose(out.p, d.result.p, 1e-9, 'p');
    const bad = carto(['stats', 'corr', '--data', file, '--x', 'x', '--y', 'nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /nope/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('carto stats pvc --method lmm --group equals lme4::lmer correction (5e-7, see pvc.test.ts)', () => {
  const r = carto([
    'stats',
    'pvc',
    '--data',
    csv,
    '--suv',
    'suvpeak',
    '--volume',
    'volume',
    '--scale',
    'log-volume',
    '--group',
    'patient',
    '--method',
    'lmm',
    '--knots-from',
    'timepoint==pre && irradiated==FALSE',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { corrected: number[] };
  const v = pvc.variants.find((x) => x.method === 'lmm' && x.scale === 'log-volume' && !x.allRows)!;
  assertAllClose(out.corrected, v.corrected, 5e-7, 'corrected');
  const noGroup = carto([
    'stats',
    'pvc',
    '--data',
    csv,
    '--suv',
    'suvpeak',
    '--volume',
    'volume',
    '--method',
    'lmm',
  ]);
  assert.equal(noGroup.code, 2);
  assert.match(noGroup.stderr, /--group/);
});

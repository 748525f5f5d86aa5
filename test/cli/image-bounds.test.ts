/**
 * Numeric options of the imaging commands are bounded (issue 12 item 6), and bad image paths stop
 * with exit 2: `suv --erode-mm 1000` (was out of memory), `mip --pixel-mm 0.001` (was a crash), a
 * mask of `/dev/zero` (was read without end), a label map with fractional values, NaN and out-of-range
 * thresholds, FWHM, labels, slices and SUV overrides. Each case asserts exit 2 and the option named,
 * and the in-range neighbour of each bound gives the right result.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { suvCommand } from '../../src/cli/commands/suv.js';
import { matvCommand, mipCommand } from '../../src/cli/commands/imaging.js';
import { suvOptionsFromCli } from '../../src/cli/commands/dicom.js';
import { encodeNifti, writeNifti } from '../../src/io/nifti.js';
import { erodeLabels } from '../../src/imaging/morphology.js';
import { renderMip } from '../../src/report/images.js';
import { InputError } from '../../src/errors.js';
import type { Volume } from '../../src/imaging/volume.js';
import { projectRoot } from '../helpers/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-image-bounds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const grid = {
  size: [20, 20, 20] as [number, number, number],
  spacingMm: [2, 2, 2] as [number, number, number],
  originLps: [0, 0, 0] as [number, number, number],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ],
};
// SUV image: 1 everywhere, 5 inside the 10×10×10 cube of label 1 at i, j, k = 5…14.
const suv = new Float32Array(8000).fill(1);
const labels = new Uint8Array(8000);
for (let k = 5; k < 15; k++)
  for (let j = 5; j < 15; j++)
    for (let i = 5; i < 15; i++) {
      suv[i + 20 * (j + 20 * k)] = 5;
      labels[i + 20 * (j + 20 * k)] = 1;
    }
const image = join(dir, 'suv.nii.gz');
const mask = join(dir, 'mask.nii.gz');
writeNifti({ ...grid, data: suv, unit: 'SUV' }, image);
writeNifti({ ...grid, data: labels, unit: 'label' }, mask);

/** Runs the real CLI (src/cli/main.ts) in a child process: exit code and output. */
function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'main.ts'), ...args],
    {
      cwd: projectRoot,
      encoding: 'utf8',
    },
  );
}

/**
 * Asserts that a command function rejects with an InputError (the CLI maps every CartoError to exit 2,
 * src/cli/shared.ts) naming `field`, with messages matching `patterns`.
 */
async function refused(p: Promise<unknown> | (() => unknown), field: string | RegExp, ...patterns: RegExp[]) {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InputError, `expected InputError, got ${String(caught)}`);
  if (typeof field === 'string') assert.equal(caught.location.field, field);
  else assert.match(caught.message, field);
  for (const re of patterns) assert.match(caught.message, re);
}

test('real CLI: --erode-mm 1000, --pixel-mm 0.001 and --mask /dev/zero exit 2 naming the option or path', () => {
  const a = cli(['suv', image, '--mask', mask, '--erode-mm', '1000']);
  assert.equal(a.status, 2, a.stderr);
  assert.match(a.stderr, /--erode-mm/);
  const b = cli(['mip', image, '--out', join(dir, 'x.png'), '--pixel-mm', '0.001']);
  assert.equal(b.status, 2, b.stderr);
  assert.match(b.stderr, /--pixel-mm/);
  const c = cli(['suv', image, '--mask', '/dev/zero']);
  assert.equal(c.status, 2, c.stderr);
  assert.match(c.stderr, /\/dev\/zero.*not a regular file/);
});

describe('carto suv', () => {
  const base = { suvType: 'bw' as const, mask };
  test('--erode-mm 1000, -1, NaN, empty: refused naming --erode-mm; 2 mm erodes the 10³ cube to 8³', async () => {
    for (const v of ['1000', '-1', 'NaN', '']) {
      await refused(suvCommand(image, { ...base, erodeMm: v }), '--erode-mm', /0…50 mm/);
    }
    const res = await suvCommand(image, { ...base, erodeMm: '2' });
    assert.equal(res.vois[0]!.voxelCount, 512);
    assert.equal(res.vois[0]!.suvMean, 5);
  });

  test('--erode-mm 30 on a 40 mm volume: the sphere is wider than the volume, refused', async () => {
    await refused(suvCommand(image, { ...base, erodeMm: '30' }), '--erode-mm', /wider than the volume/);
  });

  test('erodeLabels guards its own boundary (the pipeline is protected too)', async () => {
    const v: Volume<Uint8Array> = { ...grid, data: labels, unit: 'label' };
    await refused(() => erodeLabels(v, 1000), 'radiusMm');
    const fine: Volume<Uint8Array> = {
      ...grid,
      spacingMm: [0.05, 0.05, 0.05],
      size: [1000, 1000, 1000],
      data: new Uint8Array(0),
      unit: 'label',
    };
    await refused(() => erodeLabels(fine, 10), 'radiusMm', /over the 1000000-voxel limit/);
  });

  test('--mask /dev/zero, or a .nii.gz linked to it: refused naming the path, nothing read', async () => {
    await refused(
      suvCommand(image, { suvType: 'bw', mask: '/dev/zero' }),
      /\/dev\/zero/,
      /device, not a regular file/,
    );
    const link = join(dir, 'zero.nii.gz');
    symlinkSync('/dev/zero', link);
    await refused(suvCommand(image, { suvType: 'bw', mask: link }), /zero\.nii\.gz/, /device/);
  });

  test('a mask with scl_inter 1e-30 is refused (it made the background a 70 L VOI)', async () => {
    const b = encodeNifti({ ...grid, data: labels, unit: 'label' });
    new DataView(b.buffer, b.byteOffset).setFloat32(116, 1e-30, true);
    const f = join(dir, 'inter.nii.gz');
    writeFileSync(f, gzipSync(b));
    await refused(
      suvCommand(image, { suvType: 'bw', mask: f }),
      'scl_slope/scl_inter',
      /inter\.nii\.gz/,
      /whole numbers/,
    );
  });

  test('--label 1.5 and --frame " " are refused naming the option', async () => {
    await refused(suvCommand(image, { ...base, label: ['1.5'] }), '--label');
    await refused(suvCommand(image, { ...base, frame: ' ' }), '--frame');
  });
});

describe('carto mip', () => {
  const out = join(dir, 'mip.png');
  const o = { out, axis: 'coronal' as const };
  test('--pixel-mm 0.001, 0, NaN: refused naming --pixel-mm; 4 mm gives a 10×10 picture', async () => {
    await refused(mipCommand(image, { ...o, pixelMm: '0.001' }), '--pixel-mm', /over the \d+-pixel limit/);
    await refused(mipCommand(image, { ...o, pixelMm: '0' }), '--pixel-mm', /positive/);
    await refused(mipCommand(image, { ...o, pixelMm: 'NaN' }), '--pixel-mm');
    const res = await mipCommand(image, { ...o, pixelMm: '4' });
    assert.deepEqual([res.widthPx, res.heightPx], [10, 10]);
  });

  test('--slice 1.5 and --slice 20 (of 0…19): refused naming --slice', async () => {
    await refused(mipCommand(image, { ...o, slice: '1.5' }), '--slice');
    await refused(mipCommand(image, { ...o, slice: '20' }), '--slice', /0…19/);
  });

  test('renderMip guards its own boundary: pixel size and window', async () => {
    const v = { ...grid, data: suv, unit: 'SUV' };
    await refused(() => renderMip(v, { pixelMm: 0.001 }), 'pixelMm');
    await refused(() => renderMip(v, { windowSuv: [0, NaN] }), 'windowSuv');
  });
});

describe('carto matv', () => {
  test('--percent-max 150 / 0, --threshold -1 / NaN, --filter-fwhm-mm 1e6, liver label 0: refused naming the option', async () => {
    await refused(matvCommand(image, { mask, percentMax: '150' }), '--percent-max', /\(0, 100\]/);
    await refused(matvCommand(image, { mask, percentMax: '0' }), '--percent-max');
    await refused(matvCommand(image, { mask, threshold: '-1' }), '--threshold');
    await refused(matvCommand(image, { mask, threshold: 'NaN' }), '--threshold');
    await refused(matvCommand(image, { mask, filterFwhmMm: '1e6' }), '--filter-fwhm-mm', /0…50 mm/);
    await refused(matvCommand(image, { mask, percistLiverLabel: '0' }), '--percist-liver-label');
  });

  test('in range: --percent-max 100 keeps the 1000 voxels at SUVmax 5 (8 mL)', async () => {
    const res = await matvCommand(image, { mask, percentMax: '100' });
    assert.equal(res.lesions[0]!.voxelCount, 1000);
    assert.equal(res.lesions[0]!.matvMl, 8);
  });
});

describe('carto dicom suv-factor', () => {
  test('--weight-kg 1e9, --height-m 12, --dose-bq NaN: refused naming the option; 70 kg accepted', async () => {
    await refused(() => suvOptionsFromCli({ suvType: 'bw', weightKg: '1e9' }), '--weight-kg', /≤ 700/);
    await refused(() => suvOptionsFromCli({ suvType: 'bw', heightM: '12' }), '--height-m');
    await refused(() => suvOptionsFromCli({ suvType: 'bw', doseBq: 'NaN' }), '--dose-bq');
    assert.equal(suvOptionsFromCli({ suvType: 'bw', weightKg: '70' }).weightKg, 70);
  });
});

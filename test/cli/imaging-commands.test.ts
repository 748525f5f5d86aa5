/**
 * `carto mip` and `carto matv` on STS_001: the PNG decodes to the reported size; MATV per lesion equals
 * a count written here (voxels of the VOI with SUV ≥ threshold), for fixed 2.5 and 41 % SUVmax; bad
 * options are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { matvCommand, mipCommand } from '../../src/cli/commands/imaging.js';
import { readNifti } from '../../src/io/nifti.js';
import { sharedData } from '../helpers/shared-data.js';
import { assertClose } from '../helpers/assert-close.js';

const dir = () => sharedData('imaging', 'sts-001-pet', 'nifti', 'STS_001');

test('carto mip writes a PNG of the reported size (coronal, 2 mm pixels, outlines)', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'carto-mip-'));
  try {
    const out = join(tmp, 'mip.png');
    const r = await mipCommand(join(dir(), 'PET_image.nii.gz'), {
      out,
      axis: 'coronal',
      window: '0,8',
      mask: join(dir(), 'PET_mask.nii.gz'),
      pixelMm: '2',
    });
    const png = decode(readFileSync(out));
    assert.equal(png.width, r.widthPx);
    assert.equal(png.height, r.heightPx);
    // 41 voxels × 4.6875 mm / 2 mm = 96 px wide; 59 × 3.27 / 2 = 96 px high.
    assert.deepEqual([r.widthPx, r.heightPx], [96, 96]);
    assert.deepEqual(r.windowSuv, [0, 8]);
    await assert.rejects(
      mipCommand(join(dir(), 'PET_image.nii.gz'), { out, axis: 'coronal', window: '8,0' }),
      /window hi/,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('carto matv: per-lesion MATV = voxels ≥ threshold in the VOI (fixed 2.5 and 41 % SUVmax)', async () => {
  const img = readNifti(join(dir(), 'PET_image.nii.gz')).volume;
  const mask = readNifti(join(dir(), 'PET_mask.nii.gz')).volume;
  let max = -Infinity;
  for (let q = 0; q < mask.data.length; q++) if (mask.data[q] && img.data[q]! > max) max = img.data[q]!;
  const vml = (img.spacingMm[0] * img.spacingMm[1] * img.spacingMm[2]) / 1000;
  for (const [opts, thr] of [
    [{}, 2.5],
    [{ percentMax: '41' }, 0.41 * max],
  ] as const) {
    let n = 0;
    for (let q = 0; q < mask.data.length; q++) if (mask.data[q] && img.data[q]! >= thr) n++;
    const r = await matvCommand(join(dir(), 'PET_image.nii.gz'), {
      mask: join(dir(), 'PET_mask.nii.gz'),
      ...opts,
    });
    assert.equal(r.lesions.length, 1);
    assert.equal(r.lesions[0]!.voxelCount, n);
    assertClose(r.lesions[0]!.matvMl, n * vml, 1e-12, 'MATV');
    assertClose(r.patient.totalMl, n * vml, 1e-12, 'patient');
  }
  await assert.rejects(
    matvCommand(join(dir(), 'PET_image.nii.gz'), {
      mask: join(dir(), 'PET_mask.nii.gz'),
      threshold: '2',
      percentMax: '41',
    }),
    /only one of/,
  );
});

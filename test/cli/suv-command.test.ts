/**
 * `carto suv`: the 17 IBSI SUV digital reference objects through both mask paths (NIfTI mask and
 * RTSTRUCT), the real STS_001 PET through DICOM + RTSTRUCT vs NIfTI image + mask, SUVpeak against an
 * independent calculation written here, the exact JSON shape of issue 2, and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suvCommand, suvCommandOn } from '../../src/cli/commands/suv.js';
import { loadSuvImage } from '../../src/io/imaging-inputs.js';
import { readNifti, writeNifti } from '../../src/io/nifti.js';
import { readCsv } from '../../src/io/csv.js';
import { projectRoot, sharedData } from '../helpers/shared-data.js';
import { assertClose } from '../helpers/assert-close.js';

const round2 = (x: number) => Math.round(x * 100) / 100;

test('IBSI SUV DROs (17): SUVbw min/median/max in the mask = DRO_list.csv to 2 decimals, NIfTI mask and RTSTRUCT', async () => {
  const root = sharedData('imaging', 'ibsi-suv-dro');
  const list = readCsv(join(root, 'DRO_list.csv')).rows;
  assert.equal(list.length, 17);
  for (const row of list) {
    const id = row['ID']!;
    const dir = join(root, id);
    const rs = readdirSync(join(dir, 'RS'))[0]!;
    // The series is read and converted once; both VOI paths run through the command on it.
    const image = await loadSuvImage(join(dir, 'PT'), { suvType: 'bw' });
    for (const voi of [{ mask: join(dir, 'mask', 'DRO_mask.nii.gz') }, { rtstruct: join(dir, 'RS', rs) }]) {
      const res = await suvCommandOn(join(dir, 'PT'), { ...voi, suvType: 'bw' }, image);
      assert.equal(res.vois.length, 1);
      const v = res.vois[0]!;
      // DRO_2_3 (Units CM2ML) stores values too coarsely (slope 0.01) to reach the exact SUVbw: ±0.02
      // on the 2-decimal values, as the issue allows. Every other DRO: equal to 2 decimals.
      const tol = id === 'DRO_2_3' ? 0.02 + 1e-9 : 1e-9;
      const what = `${id} ${Object.keys(voi)[0]}`;
      assertClose(round2(v.suvMin), Number(row['SUVmin_expected']), 0, `${what} min`, tol);
      assertClose(round2(v.suvMedian), Number(row['SUVmed_expected']), 0, `${what} median`, tol);
      assertClose(round2(v.suvMax), Number(row['SUVmax_expected']), 0, `${what} max`, tol);
    }
  }
});

const sts = () => sharedData('imaging', 'sts-001-pet');

/** Independent SUVpeak: brute-force search over every voxel with explicit mm distances. */
function independentPeaks(img: Float32Array, mask: ArrayLike<number>, size: number[], sp: number[]) {
  const [nx, ny, nz] = size as [number, number, number];
  const r = 10 * Math.pow(3 / (4 * Math.PI), 1 / 3);
  const ri = Math.ceil(r / sp[0]!);
  const rj = Math.ceil(r / sp[1]!);
  const rk = Math.ceil(r / sp[2]!);
  let max = -Infinity;
  for (let q = 0; q < img.length; q++) if (mask[q] && img[q]! > max) max = img[q]!;
  let glob = -Infinity;
  let local = -Infinity;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const q = i + nx * (j + ny * k);
        if (!mask[q]) continue;
        let s = 0;
        let n = 0;
        for (let c = Math.max(0, k - rk); c <= Math.min(nz - 1, k + rk); c++)
          for (let b = Math.max(0, j - rj); b <= Math.min(ny - 1, j + rj); b++)
            for (let a = Math.max(0, i - ri); a <= Math.min(nx - 1, i + ri); a++) {
              const d2 = ((a - i) * sp[0]!) ** 2 + ((b - j) * sp[1]!) ** 2 + ((c - k) * sp[2]!) ** 2;
              if (d2 <= r * r) {
                s += img[a + nx * (b + ny * c)]!;
                n++;
              }
            }
        const m = s / n;
        if (m > glob) glob = m;
        if (img[q] === max && m > local) local = m;
      }
  return { local, glob };
}

test('STS_001: DICOM + RTSTRUCT and NIfTI image + mask agree; SUVpeak equals an independent search', async () => {
  const d = await suvCommand(join(sts(), 'dicom', 'STS_001', 'PET', 'image'), {
    rtstruct: join(sts(), 'dicom', 'STS_001', 'PET', 'mask', 'RS.dcm'),
    roi: 'GTV_Mass_PET',
    suvType: 'bw',
  });
  const niiImg = join(sts(), 'nifti', 'STS_001', 'PET_image.nii.gz');
  const niiMask = join(sts(), 'nifti', 'STS_001', 'PET_mask.nii.gz');
  const n = await suvCommand(niiImg, { mask: niiMask, suvType: 'bw' });
  const a = d.vois[0]!;
  const b = n.vois[0]!;
  assert.equal(a.label, 'GTV_Mass_PET');
  assert.equal(b.label, 1);
  assert.deepEqual(d.grid.size, [41, 43, 59]);
  assert.equal(a.voxelCount, b.voxelCount);
  // The NIfTI image holds the same SUV in float32 (MIRP export): SUVmax equal to float32 precision.
  assertClose(a.suvMax, b.suvMax, 1e-6, 'SUVmax');
  assertClose(a.suvMean, b.suvMean, 0.01, 'SUVmean within 1 %');
  assertClose(a.suvPeakGlobal, b.suvPeakGlobal, 1e-6, 'SUVpeak global');
  // Independent calculation on the NIfTI image and mask.
  const img = readNifti(niiImg).volume;
  const mask = readNifti(niiMask).volume;
  const ind = independentPeaks(Float32Array.from(img.data), mask.data, img.size, img.spacingMm);
  // Same sums in another order: 1e-12 relative.
  assertClose(b.suvPeakGlobal, ind.glob, 1e-12, 'global peak vs independent');
  assertClose(b.suvPeakLocal, ind.local, 1e-12, 'local peak vs independent');
  // Eroding both VOIs by 5 mm keeps them identical (same voxels before, same rule after).
  const de = await suvCommand(join(sts(), 'dicom', 'STS_001', 'PET', 'image'), {
    rtstruct: join(sts(), 'dicom', 'STS_001', 'PET', 'mask', 'RS.dcm'),
    suvType: 'bw',
    erodeMm: '5',
  });
  const ne = await suvCommand(niiImg, { mask: niiMask, suvType: 'bw', erodeMm: '5' });
  assert.ok(de.vois[0]!.voxelCount < a.voxelCount && de.vois[0]!.voxelCount > 0);
  assert.equal(de.vois[0]!.voxelCount, ne.vois[0]!.voxelCount);
  assertClose(de.vois[0]!.suvMean, ne.vois[0]!.suvMean, 1e-6, 'eroded SUVmean');
});

test('mask on another grid: clear error without --resample, resampled (same numbers) with it; no overlap → error', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'carto-suv-'));
  try {
    const img = join(sts(), 'nifti', 'STS_001', 'PET_image.nii.gz');
    const m = readNifti(join(sts(), 'nifti', 'STS_001', 'PET_mask.nii.gz')).volume;
    // The same mask on a grid with a 2-voxel margin: a different lattice covering the same voxels.
    const [nx, ny, nz] = m.size;
    const big = new Uint8Array((nx + 4) * (ny + 4) * (nz + 4));
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++)
          big[i + 2 + (nx + 4) * (j + 2 + (ny + 4) * (k + 2))] = m.data[i + nx * (j + ny * k)]!;
    const o = m.originLps;
    const s = m.spacingMm;
    const f = join(tmp, 'big.nii.gz');
    writeNifti(
      {
        ...m,
        size: [nx + 4, ny + 4, nz + 4],
        originLps: [o[0] - 2 * s[0], o[1] - 2 * s[1], o[2] - 2 * s[2]],
        data: big,
      },
      f,
    );
    await assert.rejects(
      suvCommand(img, { mask: f, suvType: 'bw' }),
      (e: Error) =>
        e.name === 'InputError' &&
        e.message.includes('big.nii.gz') &&
        /another grid.*--resample/.test(e.message),
    );
    const r = await suvCommand(img, { mask: f, suvType: 'bw', resample: true });
    const ref = await suvCommand(img, {
      mask: join(sts(), 'nifti', 'STS_001', 'PET_mask.nii.gz'),
      suvType: 'bw',
    });
    assert.deepEqual(r.vois, ref.vois);
    // NaN inside the VOI: refused, not averaged into the statistics.
    const nanImg = readNifti(img).volume;
    const nanData = Float32Array.from(nanImg.data);
    const firstIn = Array.from(m.data).findIndex((x) => x !== 0);
    nanData[firstIn] = NaN;
    const nanFile = join(tmp, 'nan.nii.gz');
    writeNifti({ ...nanImg, data: nanData }, nanFile);
    await assert.rejects(
      suvCommand(nanFile, { mask: join(sts(), 'nifti', 'STS_001', 'PET_mask.nii.gz'), suvType: 'bw' }),
      (e: Error) => e.name === 'InputError' && /nan\.nii\.gz.*non-finite/.test(e.message),
    );
    const far = join(tmp, 'far.nii.gz');
    writeNifti({ ...m, originLps: [o[0] + 5000, o[1], o[2]] }, far);
    await assert.rejects(
      suvCommand(img, { mask: far, suvType: 'bw', resample: true }),
      (e: Error) =>
        e.name === 'InputError' && e.message.includes('far.nii.gz') && /does not overlap/.test(e.message),
    );
    await assert.rejects(
      suvCommand(img, {
        mask: join(sts(), 'nifti', 'STS_001', 'PET_mask.nii.gz'),
        label: ['7'],
        suvType: 'bw',
      }),
      /label not present/,
    );
    await assert.rejects(
      suvCommand(join(sts(), 'dicom', 'STS_001', 'PET', 'image'), {
        rtstruct: join(sts(), 'dicom', 'STS_001', 'PET', 'mask', 'RS.dcm'),
        roi: 'NoSuchRoi',
        suvType: 'bw',
      }),
      (e: Error) => /ROI not found.*GTV_Mass_PET/.test(e.message),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('CLI: `carto suv --json` prints exactly the issue-2 shape; bad input exits 2 with the file named', () => {
  const run = (args: string[]) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'main.ts'), 'suv', ...args],
      {
        cwd: projectRoot,
        encoding: 'utf8',
      },
    );
  const r = run([
    join(sts(), 'nifti', 'STS_001', 'PET_image.nii.gz'),
    '--mask',
    join(sts(), 'nifti', 'STS_001', 'PET_mask.nii.gz'),
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown> & { vois: Record<string, unknown>[] };
  assert.deepEqual(Object.keys(j), ['suvType', 'units', 'grid', 'vois']);
  assert.equal(j['suvType'], 'bw');
  assert.equal(j['units'], 'g/mL');
  assert.deepEqual(Object.keys(j['grid'] as object), ['size', 'spacingMm']);
  assert.deepEqual(Object.keys(j.vois[0]!), [
    'label',
    'voxelCount',
    'volumeMl',
    'suvMin',
    'suvMax',
    'suvMean',
    'suvMedian',
    'suvSd',
    'suvPeakLocal',
    'suvPeakGlobal',
  ]);
  const bad = run([
    join(sts(), 'nifti', 'STS_001', 'PET_image.nii.gz'),
    '--mask',
    join(projectRoot, 'nope.nii.gz'),
  ]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /nope\.nii\.gz/);
});

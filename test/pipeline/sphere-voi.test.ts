/**
 * Healthy-tissue sphere VOIs (vois.csv `sphere_center_lps_mm` + `sphere_radius_mm`, src/study/voi-sphere.ts):
 * the rasterisation on a scan grid (src/imaging/sphere.ts `sphereMaskOnGrid`) against known voxel counts
 * and an independent loop over voxel centres, the VOI's metrics through a scan job equal to an
 * independent computation on a NIfTI with a flipped, offset affine, and every bad input refused with
 * vois.csv, the row, the field and the value (or, outside the grid, vois.csv and the VOI).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { sphereMaskOnGrid } from '../../src/imaging/sphere.js';
import type { Direction3, Grid, Vec3 } from '../../src/imaging/volume.js';
import { parseNifti, writeNifti } from '../../src/io/nifti.js';
import { runScanJob, scanJobsOf } from '../../src/pipeline/scan-job.js';
import { ScanImageCache } from '../../src/pipeline/scan-images.js';
import { gunzipSync } from 'fflate';
import { readBundle } from '../../src/study/bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-sphere-voi-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Voxel centre (i, j, k) in LPS mm, written out here from the DICOM definition (PS3.3 C.7.6.2.1.1). */
function centre(g: Grid, i: number, j: number, k: number): Vec3 {
  const d = g.direction;
  const [sx, sy, sz] = g.spacingMm;
  return [0, 1, 2].map(
    (a) => g.originLps[a]! + i * sx * d[a]! + j * sy * d[3 + a]! + k * sz * d[6 + a]!,
  ) as Vec3;
}

/** Indices of the voxels whose centre lies within r of c (brute force over the whole grid). */
function inside(g: Grid, c: Vec3, r: number): number[] {
  const out: number[] = [];
  const [nx, ny, nz] = g.size;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = centre(g, i, j, k);
        if (Math.hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]) <= r + 1e-9) out.push(i + nx * (j + ny * k));
      }
  return out;
}

const ones = (m: Uint8Array): number[] => [...m.keys()].filter((q) => m[q] === 1);

describe('sphereMaskOnGrid', () => {
  const iso: Grid = {
    size: [9, 9, 9],
    spacingMm: [1, 1, 1],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  };

  test('known counts on a 1 mm grid centred on a voxel: r = 1 → 7, r = √2 → 19, r = √3 → 27, r = 2 → 33', () => {
    const c: Vec3 = [4, 4, 4];
    assert.equal(ones(sphereMaskOnGrid(iso, c, 1)).length, 7);
    assert.equal(ones(sphereMaskOnGrid(iso, c, Math.SQRT2)).length, 19);
    assert.equal(ones(sphereMaskOnGrid(iso, c, Math.sqrt(3))).length, 27);
    assert.equal(ones(sphereMaskOnGrid(iso, c, 2)).length, 33);
  });

  test('an off-voxel centre on a rotated, anisotropic, offset grid equals the brute-force voxel set', () => {
    const a = Math.PI / 6;
    const direction: Direction3 = [Math.cos(a), Math.sin(a), 0, -Math.sin(a), Math.cos(a), 0, 0, 0, 1];
    const g: Grid = { size: [20, 18, 12], spacingMm: [2, 2.5, 3.27], originLps: [-30, 12, -100], direction };
    const c: Vec3 = [-12.3, 31.7, -84.1];
    const got = ones(sphereMaskOnGrid(g, c, 9.4));
    const want = inside(g, c, 9.4);
    assert.ok(want.length > 50, `a real sphere (${want.length} voxels)`);
    assert.deepEqual(got, want);
  });

  test('clipped at the grid edge; entirely outside gives no voxel', () => {
    const c: Vec3 = [0, 0, 0];
    assert.deepEqual(ones(sphereMaskOnGrid(iso, c, 2.5)), inside(iso, c, 2.5));
    assert.equal(ones(sphereMaskOnGrid(iso, [50, 4, 4], 5)).length, 0);
  });
});

/** A flipped (−x, −y) grid with an offset origin: LPS x and y decrease as i and j grow. */
const scanGrid: Grid = {
  size: [14, 12, 10],
  spacingMm: [2, 2.5, 3],
  originLps: [40, 25, -60],
  direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1],
};
const n = scanGrid.size[0] * scanGrid.size[1] * scanGrid.size[2];
/** SUV that varies along every axis, so a wrong voxel set changes the mean. */
const suvOf = (q: number): number =>
  1 + (q % 14) * 0.1 + (Math.floor(q / 14) % 12) * 0.03 + Math.floor(q / 168) * 0.5;

/** A one-scan bundle (NIfTI SUV on `scanGrid`) whose vois.csv is `vois` (header + rows). */
function sphereBundle(name: string, vois: string): string {
  const b = join(dir, name);
  mkdirSync(b, { recursive: true });
  const suv = Float32Array.from({ length: n }, (_, q) => suvOf(q));
  writeNifti({ ...scanGrid, data: suv, unit: 'SUVbw g/mL' }, join(b, 'suv.nii.gz'));
  writeFileSync(
    join(b, 'study.json'),
    JSON.stringify({ name: 'sphere study', tracer: { name: 'FDG', nuclide: '18F', halfLifeS: 6586.2 } }),
  );
  writeFileSync(
    join(b, 'patients.csv'),
    'patient_id,cohort,age,sex,histology,bridging\nP01,1,60,F,DLBCL,none\n',
  );
  writeFileSync(join(b, 'events.csv'), 'patient_id,event,day\nP01,infusion,0\nP01,last_follow_up,100\n');
  writeFileSync(
    join(b, 'scans.csv'),
    'scan_id,patient_id,tracer,timepoint,path,format\nS1,P01,FDG,pre,suv.nii.gz,nifti-suv\n',
  );
  writeFileSync(join(b, 'vois.csv'), vois);
  writeFileSync(join(b, 'toxicity.csv'), 'patient_id,crs_grade,icans_grade\nP01,0,0\n');
  return b;
}

const HEAD = 'scan_id,kind,label,sphere_center_lps_mm,sphere_radius_mm\n';

async function quantified(
  b: string,
): Promise<Map<string, { voxelCount: number; suvMean: number; volumeMl: number; suvMax: number }>> {
  const bundle = readBundle(b);
  const [job] = scanJobsOf(bundle);
  const r = await runScanJob(job!.spec, b);
  return new Map(r.metrics);
}

describe('sphere VOIs in a bundle', () => {
  test('voxel count, volume, SUVmean and SUVmax equal an independent computation on the scan grid', async () => {
    const c: Vec3 = [21.3, 8.9, -46.2];
    const b = sphereBundle('ok', `${HEAD}S1,organ,liver,${c.join(';')},7.5\n`);
    const m = (await quantified(b)).get('S1:organ:liver');
    assert.ok(m, 'the sphere VOI is quantified');
    const want = inside(scanGrid, c, 7.5);
    const values = want.map((q) => Math.fround(suvOf(q)));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    assert.ok(want.length > 20, `a real sphere (${want.length} voxels)`);
    assert.equal(m.voxelCount, want.length);
    assert.ok(Math.abs(m.volumeMl - (want.length * 2 * 2.5 * 3) / 1000) < 1e-9);
    assert.ok(Math.abs(m.suvMean - mean) < 1e-6, `${m.suvMean} vs ${mean}`);
    assert.ok(Math.abs(m.suvMax - Math.max(...values)) < 1e-6);
  });

  test('a sphere reaching past the edge is clipped to the grid; one entirely outside is an error naming vois.csv and the VOI', async () => {
    const edge: Vec3 = centre(scanGrid, 0, 0, 0);
    const b = sphereBundle('edge', `${HEAD}S1,organ,liver,${edge.join(';')},6\n`);
    assert.equal((await quantified(b)).get('S1:organ:liver')!.voxelCount, inside(scanGrid, edge, 6).length);
    const out = sphereBundle('out', `${HEAD}S1,organ,liver,500;0;-40,15\n`);
    await assert.rejects(quantified(out), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /vois\.csv/);
      assert.match(e.message, /S1:organ:liver/);
      assert.match(e.message, /sphere_center_lps_mm/);
      assert.match(e.message, /500;0;-40/);
      return true;
    });
  });

  test('the viewer label map draws the sphere VOI on the same voxels', async () => {
    const c: Vec3 = [21.3, 8.9, -46.2];
    const b = sphereBundle('viewer', `${HEAD}S1,organ,liver,${c.join(';')},7.5\n`);
    const bundle = readBundle(b);
    const src = { scan: bundle.scans[0]!, dataRoots: [b] };
    const gz = await new ScanImageCache().scan('viewer', 't', src, bundle.vois).labelsNiftiGz();
    const labels = parseNifti(gunzipSync(gz), 'labels.nii.gz').volume.data;
    const drawn = [...labels.keys()].filter((q) => labels[q] !== 0);
    assert.deepEqual(drawn, inside(scanGrid, c, 7.5));
  });

  const bad: [string, string, RegExp][] = [
    [
      'missing coordinate',
      `${HEAD}S1,organ,liver,1;2,15\n`,
      /row 1, field sphere_center_lps_mm: needs three coordinates.*"1;2"/,
    ],
    [
      'extra coordinate',
      `${HEAD}S1,organ,liver,1;2;3;4,15\n`,
      /row 1, field sphere_center_lps_mm: needs three coordinates.*"1;2;3;4"/,
    ],
    [
      'non-numeric coordinate',
      `${HEAD}S1,organ,liver,1;abc;3,15\n`,
      /row 1, field sphere_center_lps_mm: coordinate y is not a number.*"1;abc;3"/,
    ],
    [
      'radius 0',
      `${HEAD}S1,organ,liver,1;2;3,0\n`,
      /row 1, field sphere_radius_mm: the sphere radius must be > 0 mm.*"0"/,
    ],
    [
      'negative radius',
      `${HEAD}S1,organ,liver,1;2;3,-5\n`,
      /row 1, field sphere_radius_mm: the sphere radius must be > 0 mm.*"-5"/,
    ],
    [
      'non-numeric radius',
      `${HEAD}S1,organ,liver,1;2;3,1.5cm\n`,
      /row 1, field sphere_radius_mm: not a number.*"1\.5cm"/,
    ],
    [
      'radius without centre',
      `${HEAD}S1,organ,liver,,15\n`,
      /row 1, field sphere_center_lps_mm: a sphere VOI needs its centre/,
    ],
    [
      'centre without radius',
      `${HEAD}S1,organ,liver,1;2;3,\n`,
      /row 1, field sphere_radius_mm: required number is missing/,
    ],
    [
      'a mask file beside the sphere',
      'scan_id,kind,label,mask_path,sphere_center_lps_mm,sphere_radius_mm\nS1,organ,liver,suv.nii.gz,1;2;3,15\n',
      /row 1, field mask_path: a sphere VOI has no mask.*"suv\.nii\.gz"/,
    ],
    [
      'neither a sphere nor a mask',
      'scan_id,kind,label\nS1,organ,liver\n',
      /row 1, field mask_path: required path is missing/,
    ],
  ];
  for (const [what, csv, re] of bad) {
    test(`vois.csv with ${what} is refused naming the file, row, field and value`, () => {
      const b = sphereBundle(what.replaceAll(' ', '-'), csv);
      assert.throws(
        () => readBundle(b),
        (e: unknown) => e instanceof InputError && /vois\.csv/.test(e.message) && re.test(e.message),
      );
    });
  }
});

/**
 * The viewer images of a scan (src/pipeline/scan-images.ts): the SUV and label NIfTI built from one read
 * of the image, and the cache that keeps them: a second ask is the cached build, concurrent asks share
 * one build, a rewritten image or a re-import builds anew, a missing file is an InputError naming it and
 * is not cached, and the byte budget drops the least recently used scan.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { InputError } from '../../src/errors.js';
import { IDENTITY_DIRECTION, type Vec3 } from '../../src/imaging/volume.js';
import { parseNifti, writeNifti } from '../../src/io/nifti.js';
import { ScanImageCache, scanImagesNiftiGz, type ScanSource } from '../../src/pipeline/scan-images.js';
import type { Voi } from '../../src/study/model.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-scan-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const grid = { size: [6, 5, 4] as Vec3, spacingMm: [2, 2, 3] as Vec3, originLps: [0, 0, 0] as Vec3 };

/** An SUV NIfTI (value `base` + voxel index / 100) and a label map with label 1 on voxels i ≥ 4. */
function writeScan(name: string, base: number): { src: ScanSource; vois: Voi[] } {
  const n = grid.size[0] * grid.size[1] * grid.size[2];
  const suv = Float32Array.from({ length: n }, (_, q) => base + q / 100);
  const mask = Uint8Array.from({ length: n }, (_, q) => (q % grid.size[0] >= 4 ? 1 : 0));
  const path = join(dir, `${name}.nii.gz`);
  const maskPath = join(dir, `${name}-mask.nii.gz`);
  writeNifti({ ...grid, direction: IDENTITY_DIRECTION, data: suv, unit: 'SUVbw g/mL' }, path);
  writeNifti({ ...grid, direction: IDENTITY_DIRECTION, data: mask, unit: 'label' }, maskPath);
  const scan = { scanId: name, patientId: 'P01', tracer: 'FDG', timepoint: 'pre', day: null, path };
  const voi: Voi = {
    voiId: 'L1',
    scanId: name,
    kind: 'lesion',
    label: 'L1',
    lesionId: 'L1',
    site: null,
    irradiated: null,
    maskPath,
    maskLabel: 1,
    roiName: null,
  };
  return { src: { scan: { ...scan, format: 'nifti-suv' }, dataRoots: [dir] }, vois: [voi] };
}

const read = (gz: Uint8Array) => parseNifti(gunzipSync(gz), 'x.nii.gz').volume;

describe('scan viewer images and their cache', () => {
  test('one build gives the SUV (float32, the file values) and the label map on its grid', async () => {
    const { src, vois } = writeScan('A', 1);
    const built = await scanImagesNiftiGz(src, vois);
    const suv = read(built.suv);
    const labels = read(built.labels);
    assert.deepEqual([...suv.size], grid.size);
    assert.ok(suv.data instanceof Float32Array);
    assert.ok(Math.abs(suv.data[7]! - 1.07) < 1e-6);
    assert.ok(labels.data instanceof Uint8Array);
    assert.equal(labels.data[4], 1);
    assert.equal(labels.data[3], 0);
  });

  test('cached per scan: concurrent asks share a build, a rewritten file or a re-import builds anew', async () => {
    const cache = new ScanImageCache();
    const { src, vois } = writeScan('B', 2);
    const [x, y] = await Promise.all([cache.get('b', 't1', src, vois), cache.get('b', 't1', src, vois)]);
    assert.equal(x, y);
    assert.equal(await cache.get('b', 't1', src, vois), x);
    assert.notEqual(await cache.get('b', 't2', src, vois), x, 're-import');
    writeScan('B', 5); // the same path, new values and a new mtime
    utimesSync(src.scan.path, new Date(), new Date(Date.now() + 5000));
    const z = await cache.get('b', 't2', src, vois);
    assert.ok(Math.abs(read(z.suv).data[0]! - 5) < 1e-6);
  });

  test('a missing image is an InputError naming the file; nothing is cached', async () => {
    const cache = new ScanImageCache();
    const { src, vois } = writeScan('C', 1);
    const gone = { ...src, scan: { ...src.scan, path: join(dir, 'nope.nii.gz') } };
    await assert.rejects(cache.get('c', 't', gone, vois), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /nope\.nii\.gz/);
      return true;
    });
    assert.ok(await cache.get('c', 't', src, vois));
  });

  test('the byte budget drops the least recently used scan', async () => {
    const d = writeScan('D', 1);
    const e = writeScan('E', 1);
    const one = await scanImagesNiftiGz(d.src, d.vois);
    const cache = new ScanImageCache(Math.ceil((one.suv.byteLength + one.labels.byteLength) * 1.5));
    const first = await cache.get('d', 't', d.src, d.vois);
    assert.equal(await cache.get('d', 't', d.src, d.vois), first);
    await cache.get('e', 't', e.src, e.vois); // over budget: d goes
    assert.notEqual(await cache.get('d', 't', d.src, d.vois), first);
  });
});

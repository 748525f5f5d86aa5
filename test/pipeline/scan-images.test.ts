/**
 * The viewer images of a scan (src/pipeline/scan-images.ts): the SUV volume and the label map, held as
 * their NIfTI-1 files, and the cache that keeps them: suv.nii.gz and labels.nii.gz inflate to
 * `encodeNifti` of the volumes (the bytes the server sent before the cache kept volumes), concurrent
 * asks share one build of each stage, a rewritten image or a re-import builds anew, a missing file is an
 * InputError naming it and a failed build is not kept, derived files are built once (at most `keep` of
 * a group), and the byte budget drops the least recently used scan.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { InputError } from '../../src/errors.js';
import { IDENTITY_DIRECTION, type Vec3, type Volume } from '../../src/imaging/volume.js';
import { encodeNifti, readNifti, writeNifti } from '../../src/io/nifti.js';
import {
  loadScanSuv,
  ScanImageCache,
  scanLabelMap,
  type ScanImageLoaders,
  type ScanSource,
} from '../../src/pipeline/scan-images.js';
import type { Voi } from '../../src/study/model.js';
import { countingLoaders } from '../helpers/scan-loaders.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-scan-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const grid = { size: [6, 5, 4] as Vec3, spacingMm: [2, 2, 3] as Vec3, originLps: [0, 0, 0] as Vec3 };
const N = grid.size[0] * grid.size[1] * grid.size[2];

/** An SUV NIfTI (value `base` + voxel index / 100) and a label map with label 1 on voxels i ≥ 4. */
function writeScan(name: string, base: number): { src: ScanSource; vois: Voi[] } {
  const suv = Float32Array.from({ length: N }, (_, q) => base + q / 100);
  const mask = Uint8Array.from({ length: N }, (_, q) => (q % grid.size[0] >= 4 ? 1 : 0));
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

describe('scan viewer images and their cache', () => {
  test('the SUV (float32, the file values) and the label map on its grid; the files are encodeNifti of them', async () => {
    const { src, vois } = writeScan('A', 1);
    const scan = new ScanImageCache().scan('a', 't', src, vois);
    const suv = await scan.suv();
    const labels = await scan.labels();
    assert.deepEqual([...suv.volume.size], grid.size);
    assert.ok(suv.volume.data instanceof Float32Array);
    assert.deepEqual(suv.volume.data, readNifti(src.scan.path).volume.data);
    assert.equal(suv.volume.data.buffer, suv.nifti.buffer, 'the volume is a view on its NIfTI file');
    assert.ok(labels.volume.data instanceof Uint8Array);
    assert.deepEqual(
      [...labels.volume.data],
      Array.from({ length: N }, (_, q) => (q % grid.size[0] >= 4 ? 1 : 0)),
    );
    // suv.nii.gz and labels.nii.gz inflate to the NIfTI files the server sent before (encodeNifti)
    const file = readNifti(src.scan.path).volume as Volume<Float32Array>;
    const wantSuv = encodeNifti(file, { description: 'SUV g/mL, scan A' });
    assert.deepEqual(gunzipSync(await scan.suvNiftiGz()), wantSuv);
    const wantLabels = encodeNifti(
      { ...file, data: Uint8Array.from(labels.volume.data), unit: 'label' },
      { description: 'VOI labels, scan A' },
    );
    assert.deepEqual(gunzipSync(await scan.labelsNiftiGz()), wantLabels);
    assert.equal(await scan.suvNiftiGz(), await scan.suvNiftiGz(), 'built once');
  });

  test('the SUV file is written in front of the inflated voxels (no copy), or copied: the same bytes', async () => {
    const { src, vois } = writeScan('A2', 3);
    const loaded: Volume<Float32Array>[] = [];
    const cache = (copy: boolean) =>
      new ScanImageCache({
        loaders: {
          suv: async (s) => {
            const v = await loadScanSuv(s);
            loaded.push(v);
            return copy ? { ...v, data: v.data.slice() } : v;
          },
          labels: scanLabelMap,
        },
      });
    const inPlace = await cache(false).scan('a', 't', src, vois).suv();
    assert.equal(inPlace.volume.data.buffer, loaded[0]!.data.buffer, 'the inflated buffer, taken over');
    const copied = await cache(true).scan('a', 't', src, vois).suv();
    assert.notEqual(copied.volume.data.buffer, loaded[1]!.data.buffer);
    assert.deepEqual(inPlace.nifti, copied.nifti);
    assert.deepEqual(copied.nifti, encodeNifti(loaded[1]!, { description: 'SUV g/mL, scan A2' }));
  });

  test('concurrent asks of every stage share one build; the SUV does not wait for the label map', async () => {
    const loaders = countingLoaders();
    let releaseLabels!: () => void;
    const labelsHeld = new Promise<void>((go) => (releaseLabels = go));
    const held: ScanImageLoaders = {
      suv: loaders.suv,
      labels: async (...a) => {
        await labelsHeld;
        return loaders.labels(...a);
      },
    };
    const cache = new ScanImageCache({ loaders: held });
    const { src, vois } = writeScan('B', 2);
    const at = () => cache.scan('b', 't1', src, vois);
    const labels = Promise.all([at().labels(), at().labelsNiftiGz()]);
    const suvSide = await Promise.all([at().suv(), at().suvNiftiGz(), at().suv()]);
    assert.equal(suvSide[0], suvSide[2]);
    assert.equal(loaders.calls.labels, 0, 'the SUV stage and suv.nii.gz came without the label map');
    releaseLabels();
    await labels;
    assert.deepEqual(loaders.calls, { suv: 1, labels: 1 });
  });

  test('a rewritten file or a re-import builds anew; the old build of that scan leaves the cache', async () => {
    const loaders = countingLoaders();
    const cache = new ScanImageCache({ loaders });
    const { src, vois } = writeScan('C', 2);
    const x = await cache.scan('c', 't1', src, vois).suv();
    assert.equal(await cache.scan('c', 't1', src, vois).suv(), x);
    assert.equal(loaders.calls.suv, 1);
    const bytesOne = cache.bytes;
    assert.notEqual(await cache.scan('c', 't2', src, vois).suv(), x, 're-import');
    assert.equal(cache.bytes, bytesOne, 'the stale build is no longer counted');
    writeScan('C', 5); // the same path, new values and a new mtime
    utimesSync(src.scan.path, new Date(), new Date(Date.now() + 5000));
    const z = await cache.scan('c', 't2', src, vois).suv();
    assert.ok(Math.abs(z.volume.data[0]! - 5) < 1e-6);
    assert.equal(loaders.calls.suv, 3);
  });

  test('a missing image is an InputError naming the file; a failed build is not kept', async () => {
    const cache = new ScanImageCache();
    const { src, vois } = writeScan('D', 1);
    const gone = { ...src, scan: { ...src.scan, path: join(dir, 'nope.nii.gz') } };
    assert.throws(
      () => cache.scan('d', 't', gone, vois),
      (e: unknown) => e instanceof InputError && /nope\.nii\.gz/.test(e.message),
    );
    // a loader that fails once: the next ask builds again
    let fail = true;
    const loaders = countingLoaders();
    const flaky = new ScanImageCache({
      loaders: {
        suv: (s) => {
          if (fail) {
            fail = false;
            loaders.calls.suv++;
            return Promise.reject(new InputError('cannot read file', { file: s.scan.path }));
          }
          return loaders.suv(s);
        },
        labels: loaders.labels,
      },
    });
    await assert.rejects(flaky.scan('d', 't', src, vois).suvNiftiGz(), /D\.nii\.gz: cannot read file/);
    assert.equal(flaky.bytes, 0);
    const again = await flaky.scan('d', 't', src, vois).suv();
    assert.equal(again.volume.size[0], 6);
    assert.equal(loaders.calls.suv, 2);
  });

  test('derived files: built once per name; a group keeps its last `keep` files', async () => {
    const { src, vois } = writeScan('E', 1);
    const cache = new ScanImageCache();
    const scan = cache.scan('e', 't', src, vois);
    let builds = 0;
    const file = (name: string) =>
      scan.derived(
        name,
        () => {
          builds++;
          return Promise.resolve(new Uint8Array(100));
        },
        { name: 'display', keep: 2 },
      );
    const [a] = await Promise.all([file('w1'), file('w1')]);
    assert.equal(builds, 1);
    assert.equal(cache.bytes, 100);
    await file('w2');
    await file('w3'); // w1 is dropped
    assert.equal(cache.bytes, 200);
    assert.equal(await file('w3'), await file('w3'));
    assert.equal(builds, 3);
    assert.notEqual(await file('w1'), a, 'w1 was dropped: built again');
    assert.equal(builds, 4);
    // a failed build is not kept (nor counted): the next ask builds again, the group keeps two
    const failing = () =>
      scan.derived('w4', () => Promise.reject(new Error('no')), { name: 'display', keep: 2 });
    await assert.rejects(failing(), /no/);
    await assert.rejects(failing(), /no/);
    await file('w4');
    assert.equal(builds, 5);
    assert.equal(cache.bytes, 200, 'w1 and w4');
    assert.equal(await file('w1'), await file('w1'));
    assert.equal(builds, 5, 'w1 still kept');
  });

  test('the byte budget drops the least recently used scan, never the one that grows', async () => {
    const f = writeScan('F', 1);
    const g = writeScan('G', 1);
    const h = writeScan('H', 1);
    const one = 352 + 4 * N + (352 + N); // suv.nii and labels.nii of one scan
    const loaders = countingLoaders();
    const cache = new ScanImageCache({ maxBytes: Math.ceil(one * 2.5), loaders });
    const both = (id: string, s: { src: ScanSource; vois: Voi[] }) =>
      Promise.all([cache.scan(id, 't', s.src, s.vois).suv(), cache.scan(id, 't', s.src, s.vois).labels()]);
    const first = await both('f', f);
    await both('g', g);
    assert.equal(cache.bytes, 2 * one);
    assert.equal((await both('f', f))[0], first[0], 'f used again: g is now the least recently used');
    await both('h', h); // over budget: g goes
    assert.equal(cache.bytes, 2 * one);
    assert.equal((await both('f', f))[0], first[0]);
    assert.equal(loaders.calls.suv, 3);
    await both('g', g);
    assert.equal(loaders.calls.suv, 4, 'g was built again');
    // a scan larger than the budget alone is kept while it is the one in use
    const tiny = new ScanImageCache({ maxBytes: 10 });
    const s = await tiny.scan('f', 't', f.src, f.vois).suv();
    assert.equal(await tiny.scan('f', 't', f.src, f.vois).suv(), s);
  });
});

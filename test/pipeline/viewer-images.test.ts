/**
 * The viewer's images on disk (src/pipeline/viewer-images.ts): where they go by default, the store's
 * entries (written whole or not at all, read back as views, a damaged entry removed, only job keys as
 * names), the import's jobs writing them (the same bytes the server builds from the scan), the server's
 * cache reading them on a scan's first open without decoding the scan, and writing them after it has
 * built them from the scan.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { DEFAULT_WINDOW_MAX_SUV, displayNifti } from '../../src/io/display-nifti.js';
import { niftiVoxels } from '../../src/io/nifti-voxels.js';
import { importBundle } from '../../src/pipeline/run.js';
import {
  loadScanSuv,
  ScanImageCache,
  scanLabelMap,
  type ScanSource,
} from '../../src/pipeline/scan-images.js';
import { ViewerImageStore, viewerImagesBeside, viewerImageFiles } from '../../src/pipeline/viewer-images.js';
import { openStudyStore } from '../../src/study/store.js';
import type { Voi } from '../../src/study/model.js';
import { droBundle } from '../helpers/bundles.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { register as registerRun } from '../../src/cli/commands/run.js';
import { countingLoaders } from '../helpers/scan-loaders.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-viewer-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The DRO bundle imported into a fresh SQLite database (its jobs write the viewer's images beside it). */
async function imported(
  name: string,
): Promise<{ db: string; bundle: string; keys: string[]; importedAt: string }> {
  const at = join(dir, name);
  const bundle = droBundle(at);
  const db = join(at, 'study.sqlite');
  const r = await importBundle(bundle, db);
  assert.deepEqual(r.warnings, []);
  const store = await openStudyStore(db);
  try {
    const rows = await store.selectFrom('scan_job').select(['job_key', 'state']).execute();
    assert.deepEqual(
      rows.map((j) => j.state),
      ['done'],
    );
    const study = await store.selectFrom('study').select('imported_at').executeTakeFirstOrThrow();
    return { db, bundle, keys: rows.map((j) => j.job_key), importedAt: study.imported_at };
  } finally {
    await store.destroy();
  }
}

/** The DRO bundle's scan and VOI as the server loads them. */
function droSource(bundle: string): { src: ScanSource; vois: Voi[] } {
  const scan = {
    scanId: 'S1',
    patientId: 'P01',
    tracer: 'FDG',
    timepoint: 'pre',
    day: null,
    path: join(bundle, 'pt'),
    format: 'dicom' as const,
  };
  const voi: Voi = {
    voiId: 'L1',
    scanId: 'S1',
    kind: 'lesion',
    label: 'L1',
    lesionId: 'L1',
    site: 'nodal',
    irradiated: false,
    maskPath: join(bundle, 'mask.nii.gz'),
    maskLabel: 1,
    roiName: null,
  };
  return { src: { scan, dataRoots: [bundle] }, vois: [voi] };
}

const KEY = 'a'.repeat(64);

describe("the viewer's images on disk", () => {
  test('their default folder: beside a SQLite file; none for PostgreSQL or :memory:', () => {
    assert.equal(viewerImagesBeside('x/study.sqlite'), `${resolve('x/study.sqlite')}.images`);
    assert.equal(viewerImagesBeside('postgres://carto@127.0.0.1:5432/carto'), null);
    assert.equal(viewerImagesBeside(':memory:'), null);
  });

  test('an entry is written whole, once, under a job key only; read back as views on its files', async () => {
    const { bundle } = await imported('store');
    const { src, vois } = droSource(bundle);
    const files = await viewerImageFiles(src, vois, await loadScanSuv(src));
    const store = new ViewerImageStore(join(dir, 'store-only'));
    assert.throws(() => store.entryDir('../../etc'), /not a quantification job key/);
    await assert.rejects(store.write('../x', files), /not a quantification job key/);
    assert.equal(await store.readVolumes(KEY), null);
    assert.equal(await store.write(KEY, files), 'written');
    assert.equal(await store.write(KEY, files), 'present');
    assert.deepEqual(readdirSync(join(store.dir, 'v1')), [KEY]); // no temporary folder left
    const back = (await store.readVolumes(KEY))!;
    const suv = await loadScanSuv(src);
    assert.deepEqual([...back.suv.volume.size], [...suv.size]);
    assert.deepEqual(back.suv.volume.data, suv.data);
    assert.deepEqual(back.suv.nifti, files.suvNifti);
    assert.equal(back.suv.volume.data.buffer, back.suv.nifti.buffer); // a view, not a copy
    const labels = await scanLabelMap(src, vois, suv);
    assert.deepEqual(back.labels.volume.data, labels.data);
    assert.ok(labels.data.some((v) => v === 1));
    assert.deepEqual(await store.readDisplay(KEY, DEFAULT_WINDOW_MAX_SUV), files.displayGz);
    assert.equal(await store.readDisplay(KEY, 10), null);
    // one voxel, read from the files: every voxel of the lesion and one outside it
    const lesion = labels.data.findIndex((v) => v === 1);
    for (const q of [0, lesion, suv.data.length - 1]) {
      let seen: number[] = [];
      const v = (await store.readVoxel(KEY, (size) => ((seen = [...size]), q)))!;
      assert.deepEqual(seen, [...suv.size]);
      assert.deepEqual(v, { size: [...suv.size], suv: suv.data[q], labelValue: labels.data[q] });
    }
    await assert.rejects(
      store.readVoxel(KEY, () => {
        throw new Error('outside');
      }),
      /outside/,
    );
    assert.equal(await store.readVoxel('b'.repeat(64), () => 0), null);
    // a damaged entry reads as none and is removed (the server then builds from the scan)
    truncateSync(join(store.entryDir(KEY), 'suv.nii'), 1000);
    assert.equal(await store.readVolumes(KEY), null);
    assert.equal(existsSync(store.entryDir(KEY)), false);
  });

  test("the import's jobs write each scan's entry: the images the server builds from the scan", async () => {
    const { db, bundle, keys } = await imported('import');
    const store = new ViewerImageStore(viewerImagesBeside(db)!);
    const { src, vois } = droSource(bundle);
    const suv = await loadScanSuv(src);
    const back = (await store.readVolumes(keys[0]!))!;
    assert.deepEqual(back.suv.volume.data, suv.data);
    assert.deepEqual(back.labels.volume.data, (await scanLabelMap(src, vois, suv)).data);
    const display = gunzipSync((await store.readDisplay(keys[0]!, DEFAULT_WINDOW_MAX_SUV))!);
    const built = new Uint8Array(
      displayNifti(niftiVoxels('suv.nii', back.suv.nifti), DEFAULT_WINDOW_MAX_SUV),
    );
    assert.deepEqual(display, built);
  });

  test("a scan's first open reads its entry and decodes nothing; other windows are built from its SUV", async () => {
    const { db, bundle, keys, importedAt } = await imported('open');
    const { src, vois } = droSource(bundle);
    const loaders = countingLoaders();
    const cache = new ScanImageCache({ loaders, store: new ViewerImageStore(viewerImagesBeside(db)!) });
    const s = cache.scan('s1', importedAt, src, vois, keys[0]);
    const [suv, labels, display] = await Promise.all([
      s.suv(),
      s.labels(),
      s.display(DEFAULT_WINDOW_MAX_SUV).whole,
    ]);
    assert.deepEqual(loaders.calls, { suv: 0, labels: 0 });
    const fromScan = await loadScanSuv(src);
    assert.deepEqual(suv.volume.data, fromScan.data);
    assert.deepEqual(labels.volume.data, (await scanLabelMap(src, vois, fromScan)).data);
    const want = new Uint8Array(displayNifti(niftiVoxels('suv.nii', suv.nifti), DEFAULT_WINDOW_MAX_SUV));
    assert.deepEqual(gunzipSync(display), want);
    const q = labels.volume.data.findIndex((v) => v === 1);
    const v = await cache.scan('s1', importedAt, src, vois, keys[0]).voxel(() => q);
    assert.deepEqual(v, { size: [...suv.volume.size], suv: fromScan.data[q], labelValue: 1 });
    const ten = gunzipSync(await s.display(10).whole);
    assert.deepEqual(ten, new Uint8Array(displayNifti(niftiVoxels('suv.nii', suv.nifti), 10)));
    assert.deepEqual(loaders.calls, { suv: 0, labels: 0 });
  });

  test("a voxel's readout on a first open reads it from the entry's files and loads no volume", async () => {
    const { db, bundle, keys, importedAt } = await imported('voxel');
    const { src, vois } = droSource(bundle);
    const loaders = countingLoaders();
    const store = new ViewerImageStore(viewerImagesBeside(db)!);
    const s = new ScanImageCache({ loaders, store }).scan('s1', importedAt, src, vois, keys[0]);
    const fromScan = await loadScanSuv(src);
    const labels = await scanLabelMap(src, vois, fromScan);
    const q = labels.data.findIndex((v) => v === 1);
    const v = await s.voxel(() => q);
    assert.deepEqual(v, { size: [...fromScan.size], suv: fromScan.data[q], labelValue: 1 });
    assert.deepEqual(loaders.calls, { suv: 0, labels: 0 });
  });

  test('built from the scan (no entry), the images are written for the next server start', async () => {
    const { bundle, importedAt } = await imported('write-behind');
    const { src, vois } = droSource(bundle);
    const store = new ViewerImageStore(join(dir, 'write-behind-store'));
    const first = countingLoaders();
    const s = new ScanImageCache({ loaders: first, store }).scan('s1', importedAt, src, vois, KEY);
    const suv = await s.suv();
    assert.deepEqual(first.calls.suv, 1);
    const deadline = Date.now() + 20_000;
    while (!(await store.has(KEY)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(await store.has(KEY), 'the entry was written');
    const next = countingLoaders();
    const again = new ScanImageCache({ loaders: next, store }).scan('s1', importedAt, src, vois, KEY);
    assert.deepEqual((await again.suv()).volume.data, suv.volume.data);
    assert.deepEqual(next.calls, { suv: 0, labels: 0 });
  });

  test('a scan file changed since the import: decoded as it is now, and no entry is read or written', async () => {
    const { db, bundle, keys, importedAt } = await imported('changed');
    const { src, vois } = droSource(bundle);
    const store = new ViewerImageStore(viewerImagesBeside(db)!);
    const later = new Date(Date.parse(importedAt) + 60_000);
    utimesSync(join(bundle, 'mask.nii.gz'), later, later);
    const loaders = countingLoaders();
    const s = new ScanImageCache({ loaders, store }).scan('s1', importedAt, src, vois, keys[0]);
    await Promise.all([s.suv(), s.labels(), s.voxel(() => 0)]);
    assert.deepEqual(loaders.calls, { suv: 1, labels: 1 });
    // and with no entry, none is written under the job's key (its files are no longer those)
    rmSync(store.entryDir(keys[0]!), { recursive: true });
    const again = new ScanImageCache({ loaders, store }).scan('s1', importedAt, src, vois, keys[0]);
    await Promise.all([again.suv(), again.labels(), again.display(DEFAULT_WINDOW_MAX_SUV).whole]);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await store.has(keys[0]!), false);
  });

  test('carto import: --images DIR writes there, --no-images writes none, the default is beside the file', async () => {
    const at = join(dir, 'cli');
    const bundle = droBundle(at);
    const run = async (db: string, ...extra: string[]) => {
      const r = await runInProcess(registerRun, ['import', bundle, '--db', join(at, db), ...extra]);
      assert.equal(r.code, 0, r.err);
    };
    await run('default.sqlite');
    assert.equal(readdirSync(join(at, 'default.sqlite.images', 'v1')).length, 1);
    await run('none.sqlite', '--no-images');
    assert.equal(existsSync(join(at, 'none.sqlite.images')), false);
    await run('given.sqlite', '--images', join(at, 'elsewhere'));
    assert.equal(readdirSync(join(at, 'elsewhere', 'v1')).length, 1);
    assert.equal(existsSync(join(at, 'given.sqlite.images')), false);
  });

  test('a folder that cannot be written: the import stands, with a warning naming the folder', async () => {
    const at = join(dir, 'unwritable');
    const bundle = droBundle(at);
    const notAFolder = join(at, 'file');
    writeFileSync(notAFolder, 'x');
    const r = await importBundle(bundle, join(at, 'study.sqlite'), undefined, { viewerImages: notAFolder });
    assert.equal(r.status, 'written');
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /viewer's images of scan S1 were not written to .*unwritable\/file/);
  });
});

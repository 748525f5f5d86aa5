/**
 * The scan image routes (src/server/routes/scan-images.ts) on a cache with counting loaders, behind a
 * stand-in of the app's route table (the scope is a stub: scan `a` is in scope, any other id is not;
 * test/server/studies.test.ts runs the same routes in the real app on a real database): the viewer's
 * concurrent requests (suv, labels, two display windows, voxels) make one build of each volume; each
 * display window equals `displayNifti` of the SUV; the voxel readout equals `readNifti` of the scan's
 * SUV file and the label map (values from `voiLabelValues`); 404 outside the scope and for a file not
 * on this machine; 400 naming the field, the value and the grid.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { gunzipSync } from 'fflate';
import { InputError } from '../../src/errors.js';
import { IDENTITY_DIRECTION, type Vec3 } from '../../src/imaging/volume.js';
import { niftiVoxels } from '../../src/io/nifti-voxels.js';
import { encodeNifti, readNifti, writeNifti } from '../../src/io/nifti.js';
import {
  loadScanSuv,
  ScanImageCache,
  scanLabelMap,
  type ScanSource,
} from '../../src/pipeline/scan-images.js';
import { parseOrThrow } from '../../src/registry/validation.js';
import { NotFoundError } from '../../src/registry/store.js';
import type { RouteContext } from '../../src/server/routes/context.js';
import { registerScanImageRoutes } from '../../src/server/routes/scan-images.js';
import { DEFAULT_WINDOW_MAX_SUV, displayNifti } from '../../src/io/display-nifti.js';
import type { StudyAccess } from '../../src/study/access.js';
import type { Voi } from '../../src/study/model.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-scan-routes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const size: Vec3 = [7, 6, 5];
const N = size[0] * size[1] * size[2];
const grid = {
  size,
  spacingMm: [2, 2, 3] as Vec3,
  originLps: [-5, 3, 10] as Vec3,
  direction: IDENTITY_DIRECTION,
};
const at = (i: number, j: number, k: number) => i + size[0] * (j + size[1] * k);

/** A NIfTI SUV (noisy, a hot lesion) and one mask: label 1 the lesion, label 2 an organ slab (k = 0). */
function writeScan(): { src: ScanSource; vois: Voi[] } {
  let seed = 7;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 0.4 + 0.8;
  const suv = new Float32Array(N);
  const mask = new Uint8Array(N);
  for (let k = 0; k < size[2]; k++)
    for (let j = 0; j < size[1]; j++)
      for (let i = 0; i < size[0]; i++) {
        const lesion = Math.abs(i - 4) <= 1 && Math.abs(j - 3) <= 1 && Math.abs(k - 2) <= 1;
        suv[at(i, j, k)] = (lesion ? 9 : 1.3) * noise();
        mask[at(i, j, k)] = lesion ? 1 : k === 0 ? 2 : 0;
      }
  const path = join(dir, 'suv.nii.gz');
  const maskPath = join(dir, 'mask.nii.gz');
  writeNifti({ ...grid, data: suv, unit: 'SUVbw g/mL' }, path);
  writeNifti({ ...grid, data: mask, unit: 'label' }, maskPath);
  const voi = (voiId: string, kind: Voi['kind'], maskLabel: number): Voi => ({
    voiId,
    scanId: 'S1',
    kind,
    label: voiId,
    lesionId: kind === 'lesion' ? voiId : null,
    site: null,
    irradiated: null,
    maskPath,
    maskLabel,
    roiName: null,
  });
  const scan = { scanId: 'S1', patientId: 'P01', tracer: 'FDG', timepoint: 'pre', day: null, path };
  return {
    src: { scan: { ...scan, format: 'nifti-suv' }, dataRoots: [dir] },
    // label values (voiLabelValues): organs first → liver 1, then L1 2
    vois: [voi('L1', 'lesion', 1), voi('liver', 'organ', 2)],
  };
}

/** A cache whose loaders count their builds. */
function countingCache(): { calls: { suv: number; labels: number }; images: ScanImageCache } {
  const calls = { suv: 0, labels: 0 };
  const images = new ScanImageCache({
    loaders: {
      suv: (s) => (calls.suv++, loadScanSuv(s)),
      labels: (s, v, suv) => (calls.labels++, scanLabelMap(s, v, suv)),
    },
  });
  return { calls, images };
}

/** The scope stub: scan `a` is in scope (the written scan), any other id is not (404). */
function scopeStub(scan: { src: ScanSource; vois: Voi[] }): () => StudyAccess {
  return () =>
    ({
      scanSource: (id: string) =>
        id === 'a'
          ? Promise.resolve({ source: scan.src, vois: scan.vois, importedAt: 't' })
          : Promise.reject(new NotFoundError('scan')),
    }) as unknown as StudyAccess;
}

/** The routes behind a minimal route table: query parsing and the app's 400/404 mapping. */
async function routesApp(
  images: ScanImageCache,
  scan: { src: ScanSource; vois: Voi[] },
): Promise<FastifyInstance> {
  const app = Fastify();
  const route: RouteContext['route'] = (doc, handler) =>
    app.route({
      method: doc.method,
      url: doc.url,
      handler: async (req, reply) => {
        try {
          const query = doc.query ? parseOrThrow(doc.query, req.query ?? {}) : req.query;
          const params = req.params as Record<string, string>;
          return await handler({
            req,
            reply,
            reg: null as never,
            actor: null as never,
            body: undefined,
            query,
            params,
          });
        } catch (e) {
          if (e instanceof InputError)
            return reply.code(400).send({ error: e.message, field: e.location.field });
          if (e instanceof NotFoundError) return reply.code(404).send({ error: e.message });
          throw e;
        }
      },
    });
  registerScanImageRoutes({ route } as RouteContext, scopeStub(scan), images);
  await app.ready();
  return app;
}

describe('scan image routes on the volume cache', () => {
  const scan = writeScan();
  const { calls, images } = countingCache();
  let app: FastifyInstance;
  before(async () => (app = await routesApp(images, scan)));
  after(() => app.close());
  const get = (url: string) => app.inject({ method: 'GET', url: `/api/scans/${url}` });
  const file = readNifti(scan.src.scan.path).volume;

  test("the viewer's requests at once: one build of each volume; the display windows are displayNifti of the SUV", async () => {
    const rs = await Promise.all(
      [
        'a/display.nii.gz?windowMax=5',
        'a/voxel?i=4&j=3&k=2',
        'a/suv.nii.gz',
        'a/labels.nii.gz',
        'a/display.nii.gz?windowMax=10',
        'a/voxel?i=0&j=0&k=0',
      ].map(get),
    );
    for (const r of rs) assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(calls, { suv: 1, labels: 1 });
    assert.ok(file.data instanceof Float32Array);
    const suvNifti = encodeNifti(file, { description: 'SUV g/mL, scan S1' });
    assert.deepEqual(gunzipSync(rs[2]!.rawPayload), suvNifti, 'suv.nii.gz: encodeNifti of the SUV');
    const five = gunzipSync(rs[0]!.rawPayload);
    const ten = gunzipSync(rs[4]!.rawPayload);
    assert.notDeepEqual(five, ten);
    for (const [bytes, w] of [
      [five, 5],
      [ten, 10],
    ] as const)
      assert.deepEqual(
        bytes,
        new Uint8Array(displayNifti(niftiVoxels('suv.nii', suvNifti), w)),
        `window ${w}`,
      );
    // asked again: the same bytes, nothing built
    assert.deepEqual((await get('a/display.nii.gz?windowMax=5')).rawPayload, rs[0]!.rawPayload);
    assert.deepEqual(calls, { suv: 1, labels: 1 });
  });

  test('voxel: the SUV of the file (float32, exact) and the label value, at a lesion voxel, corners and an organ', async () => {
    const cases: [Vec3, number][] = [
      [[4, 3, 2], 2], // the lesion (L1: label value 2)
      [[0, 0, 0], 1], // a corner in the organ slab (liver: 1)
      [[6, 5, 4], 0], // the far corner: no VOI
      [[6, 0, 3], 0],
      [[3, 2, 1], 2],
    ];
    for (const [[i, j, k], labelValue] of cases) {
      const r = await get(`a/voxel?i=${i}&j=${j}&k=${k}`);
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { vox: [i, j, k], suv: file.data[at(i, j, k)], labelValue });
    }
  });

  test('voxel: 400 naming the field, the value and the grid; 404 outside the scope and when the file is gone', async () => {
    const bad: [string, string, RegExp][] = [
      ['i=1&j=1&k=5', 'k', /k = 5 is outside the grid 7×6×5/],
      ['i=7&j=1&k=1', 'i', /i = 7 is outside the grid 7×6×5/],
      ['i=-1&j=1&k=1', 'i', /field i: .*"-1"/],
      ['i=1.5&j=1&k=1', 'i', /field i: .*int.*"1\.5"/],
      ['i=&j=1&k=1', 'i', /field i: .*""/],
      ['i=1&j=1', 'k', /field k: required/],
      ['i=1&j=1&k=1&x=2', 'x', /unknown field/],
    ];
    for (const [q, field, message] of bad) {
      const r = await get(`a/voxel?${q}`);
      assert.equal(r.statusCode, 400, q);
      assert.equal(r.json<{ field: string }>().field, field, q);
      assert.match(r.json<{ error: string }>().error, message, q);
    }
    assert.equal((await get('b/voxel?i=1&j=1&k=1')).statusCode, 404);
    renameSync(scan.src.scan.path, `${scan.src.scan.path}.away`);
    try {
      for (const url of ['a/voxel?i=1&j=1&k=1', 'a/suv.nii.gz', 'a/display.nii.gz?windowMax=5']) {
        const r = await get(url);
        assert.equal(r.statusCode, 404, url);
        assert.ok(!r.body.includes(dir), 'no server path');
      }
    } finally {
      renameSync(`${scan.src.scan.path}.away`, scan.src.scan.path);
    }
  });
});

describe("a scan's first images built ahead (WarmScan, when its page is opened)", () => {
  const scan = writeScan();
  const { calls, images } = countingCache();
  let app: FastifyInstance;
  before(async () => (app = await routesApp(images, scan)));
  after(() => app.close());

  test('in scope: the SUV and the first display volume are built before any request; out of scope: nothing', async () => {
    const warm = registerScanImageRoutes(
      { route: () => undefined } as unknown as RouteContext,
      scopeStub(scan),
      images,
    );
    await warm(null as never, 'b'); // out of scope: resolves, builds nothing
    assert.deepEqual(calls, { suv: 0, labels: 0 });
    await warm(null as never, 'a');
    assert.deepEqual(calls, { suv: 1, labels: 0 }, 'the SUV only: the label map is not on the first path');
    const r = await app.inject({
      method: 'GET',
      url: `/api/scans/a/display.nii.gz?windowMax=${DEFAULT_WINDOW_MAX_SUV}`,
    });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(calls, { suv: 1, labels: 0 }, 'answered from what was built ahead');
    const suvNifti = encodeNifti(readNifti(scan.src.scan.path).volume, { description: 'SUV g/mL, scan S1' });
    assert.deepEqual(
      gunzipSync(r.rawPayload),
      new Uint8Array(displayNifti(niftiVoxels('suv.nii', suvNifti), DEFAULT_WINDOW_MAX_SUV)),
    );
  });
});

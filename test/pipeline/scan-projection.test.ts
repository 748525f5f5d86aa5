/**
 * The image data of a scan's pictures through the database (issue 13: the report builds its own
 * figures). A simulated study is imported into SQLite and into a throw-away PostgreSQL; per dialect:
 * the stored coronal MIP (float32 in a BLOB / bytea) equals the projection of the scan's SUV loaded
 * afresh, and the report's pictures drawn from the stored data equal the pictures drawn straight from
 * the volume with the masks read here; the panels come by patient, then scan day; a PET/CT plane with
 * special float values round-trips bit for bit and draws the same fused slice; an unchanged re-import
 * reads no scan and keeps the data; damaged bytes are a clear error naming the scan.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulatedBundle } from '../../src/cli/simulated-bundle.js';
import { CartoError } from '../../src/errors.js';
import { maxProjection } from '../../src/imaging/mip.js';
import type { FusedSliceData } from '../../src/imaging/fusion.js';
import { labelMapOnGrid } from '../../src/io/imaging-inputs.js';
import { scanImageRows, scanImagesFromRows, storedScanImages } from '../../src/pipeline/panels.js';
import { prepareBundle } from '../../src/pipeline/prepare.js';
import { loadSuv } from '../../src/pipeline/quantify.js';
import { importBundle } from '../../src/pipeline/run.js';
import { scanJobsOf } from '../../src/pipeline/scan-job.js';
import {
  imagePanelsSection,
  panelMip,
  PANEL_WINDOW_SUV,
  QUANTIFICATION_MIP_WINDOW_SUV,
  quantificationMipFigure,
  type ScanImageData,
} from '../../src/report/image-panels.js';
import { renderFusedSlice, renderMip } from '../../src/report/images.js';
import type { StudyBundle } from '../../src/study/bundle.js';
import { findStudy, openStudyStore } from '../../src/study/store.js';
import { startPgCluster, type PgCluster } from '../registry/pg-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-projection-'));
const bundleDir = join(dir, 'bundle');
let bundle: StudyBundle;
let cluster: Promise<PgCluster> | null = null;
let n = 0;

before(async () => {
  await writeSimulatedBundle(bundleDir, { seed: 3, patients: 3, voxelMm: 12 });
  bundle = prepareBundle(bundleDir).bundle;
});
after(async () => {
  if (cluster) (await cluster).stop();
  rmSync(dir, { recursive: true, force: true });
});

const targets: [string, () => Promise<string>][] = [
  ['sqlite', () => Promise.resolve(join(dir, `db-${++n}.sqlite`))],
  ['postgres', async () => (await (cluster ??= startPgCluster())).createDatabase(`projection_${++n}`)],
];

const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * The pictures of a scan drawn straight from its volume: the SUV loaded as the job does, each label-map
 * file's labels > 0 as one outline (first-appearance order), the first lesion VOI's own label alone.
 */
async function picturesFromVolume(
  scanId: string,
): Promise<{ panel: Buffer; quant: Buffer; values: Float32Array }> {
  const job = scanJobsOf(bundle).find((j) => j.spec.scan.scanId === scanId)!;
  const scan = bundle.scans.find((s) => s.scanId === scanId)!;
  const vois = bundle.vois.filter((v) => v.scanId === scanId);
  const opts = {
    matvThresholdSuv: job.spec.matvThresholdSuv,
    ...(job.spec.netDoseBq !== undefined ? { netDoseBq: job.spec.netDoseBq } : {}),
  };
  const { volume: suv } = await loadSuv(scan, opts);
  const files = [...new Set(vois.map((v) => v.maskPath))];
  const labels = new Map(files.map((f) => [f, labelMapOnGrid(f, suv).volume.data]));
  const outlines = files.map((f) => Uint8Array.from(labels.get(f)!, (x) => (x > 0 ? 1 : 0)));
  const lesion = vois.find((v) => v.kind === 'lesion')!;
  const lesionMask = Uint8Array.from(labels.get(lesion.maskPath)!, (x) => (x === lesion.maskLabel ? 1 : 0));
  const heightMm = suv.size[2] * suv.spacingMm[2];
  const panel = renderMip(suv, {
    axis: 'coronal',
    windowSuv: PANEL_WINDOW_SUV,
    outlines: [lesionMask],
    pixelMm: Math.min(2, heightMm / 300),
  });
  const quant = renderMip(suv, {
    axis: 'coronal',
    windowSuv: QUANTIFICATION_MIP_WINDOW_SUV,
    outlines,
    pixelMm: 2,
  });
  return {
    panel: Buffer.from(panel.png),
    quant: Buffer.from(quant.png),
    values: maxProjection(suv, { view: 'coronal' }).values as Float32Array,
  };
}

/** A PET/CT plane with values a lossy store would change: NaN, ±Infinity, a subnormal, −0, FLT_MAX. */
function specialPlane(): FusedSliceData {
  const [W, H] = [7, 5];
  const petSuv = Float32Array.from({ length: W * H }, (_, i) => (i * 0.37) % 12);
  petSuv.set([NaN, -Infinity, Infinity, 1e-40, -0, 3.4028234663852886e38], 0);
  const ctHu = Float32Array.from({ length: W * H }, (_, i) => -1000 + i * 61.3);
  const outline = Uint8Array.from({ length: W * H }, (_, i) => (i % W >= 2 && i % W <= 4 && i >= W ? 1 : 0));
  return {
    grid: {
      size: [W, H, 1],
      spacingMm: [1, 1, 3],
      originLps: [-3, 2, 10.5],
      direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1],
    },
    pointLps: [0.25, 4, 10.5],
    petSuv,
    ctHu,
    outline,
  };
}

for (const [dialect, target] of targets) {
  describe(`stored image data (${dialect})`, () => {
    test('the stored MIP is the projection of the SUV, and the pictures drawn from it equal those drawn from the volume; panels by patient, then day', async () => {
      const url = await target();
      const first = await importBundle(bundleDir, url);
      assert.equal(first.quantified, bundle.scans.length);
      const db = await openStudyStore(url);
      try {
        const { studyId } = (await findStudy(db, bundle.name))!;
        const stored = await storedScanImages(db, studyId);
        const want = [...bundle.scans]
          .sort((a, b) => (a.patientId < b.patientId ? -1 : a.patientId > b.patientId ? 1 : a.day! - b.day!))
          .map((s) => s.scanId);
        assert.ok(bundle.scans.every((s) => s.day !== null));
        assert.deepEqual(
          stored.map((s) => s.scanId),
          want,
        );
        // by patient, then day: within each patient the days ascend
        for (let i = 1; i < stored.length; i++) {
          const [a, b] = [stored[i - 1]!, stored[i]!];
          if (a.patientId === b.patientId) assert.ok(a.day! <= b.day!, `${a.scanId} before ${b.scanId}`);
          else assert.ok(a.patientId < b.patientId);
        }
        for (const scanId of [bundle.scans[0]!.scanId, bundle.scans.at(-1)!.scanId]) {
          const s = stored.find((x) => x.scanId === scanId)!;
          const direct = await picturesFromVolume(scanId);
          assert.ok(s.images.mip.values instanceof Float32Array);
          assert.ok(bytes(s.images.mip.values).equals(bytes(direct.values)), `${scanId}: MIP values`);
          assert.ok(Buffer.from(panelMip(s.images).png).equals(direct.panel), `${scanId}: panel MIP PNG`);
          const fig = quantificationMipFigure(s);
          assert.equal(fig.source.kind, 'png');
          if (fig.source.kind === 'png')
            assert.ok(
              Buffer.from(fig.source.dataBase64, 'base64').equals(direct.quant),
              `${scanId}: quantification MIP PNG`,
            );
          assert.equal(s.images.fused, undefined, 'no CT: no PET/CT plane');
        }
        const section = imagePanelsSection(stored);
        assert.equal(section.status, 'ok');
        assert.deepEqual((section.results as { scans: string[] }).scans, want);
      } finally {
        await db.destroy();
      }
      // Unchanged: nothing quantified, the data kept.
      const again = await importBundle(bundleDir, url);
      assert.equal(again.status, 'unchanged');
      assert.equal(again.quantified, 0);
      const db2 = await openStudyStore(url);
      try {
        const { studyId } = (await findStudy(db2, bundle.name))!;
        assert.equal((await storedScanImages(db2, studyId)).length, bundle.scans.length);
      } finally {
        await db2.destroy();
      }
    });

    test('a PET/CT plane round-trips bit for bit and draws the same fused slice', async () => {
      const url = await target();
      await importBundle(bundleDir, url);
      const db = await openStudyStore(url);
      try {
        const { studyId } = (await findStudy(db, bundle.name))!;
        const scanId = bundle.scans[0]!.scanId;
        const before = (await storedScanImages(db, studyId)).find((s) => s.scanId === scanId)!.images;
        const fused = specialPlane();
        const images: ScanImageData = { ...before, fused };
        await db
          .deleteFrom('scan_projection')
          .where('study_id', '=', studyId)
          .where('scan_id', '=', scanId)
          .execute();
        for (const row of scanImageRows(images))
          await db
            .insertInto('scan_projection')
            .values({ study_id: studyId, scan_id: scanId, ...row })
            .execute();
        const got = (await storedScanImages(db, studyId)).find((s) => s.scanId === scanId)!.images;
        const f = got.fused!;
        assert.deepEqual(f.grid, fused.grid);
        assert.deepEqual(f.pointLps, fused.pointLps);
        assert.ok(bytes(f.petSuv).equals(bytes(fused.petSuv)), 'PET bits');
        assert.ok(bytes(f.ctHu!).equals(bytes(fused.ctHu!)), 'CT bits');
        assert.ok(bytes(f.outline!).equals(bytes(fused.outline!)), 'outline');
        assert.ok(bytes(got.mip.values).equals(bytes(before.mip.values)), 'the MIP kept');
        assert.equal(got.lesion?.label, before.lesion?.label);
        const drawn = renderFusedSlice(f, { windowSuv: PANEL_WINDOW_SUV });
        assert.ok(
          Buffer.from(drawn.png).equals(
            Buffer.from(renderFusedSlice(fused, { windowSuv: PANEL_WINDOW_SUV }).png),
          ),
        );
        const section = imagePanelsSection([{ scanId, patientId: 'P', images: got }]);
        assert.deepEqual(
          section.figures.map((x) => x.id),
          [`fused-${scanId}`, `mip-${scanId}`],
        );
      } finally {
        await db.destroy();
      }
    });
  });
}

test('damaged stored bytes and a missing MIP row are errors naming the scan', () => {
  const images: ScanImageData = {
    mip: { view: 'coronal', columns: 2, rows: 2, pixelMm: [4, 4], values: new Float32Array([1, 2, 3, 4]) },
    voiOutlines: [new Uint8Array([0, 1, 1, 0])],
    lesion: { label: 'L01', outline: new Uint8Array([0, 1, 0, 0]) },
  };
  const rows = scanImageRows(images);
  const back = scanImagesFromRows('S1', rows);
  assert.deepEqual(Array.from(back.mip.values), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(back.voiOutlines[0]!), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(back.lesion!.outline), [0, 1, 0, 0]);
  const cut = rows.map((r) => ({ ...r, data: r.data.subarray(0, r.data.length - 1) }));
  assert.throws(
    () => scanImagesFromRows('S1', cut),
    (e: unknown) =>
      e instanceof CartoError &&
      /stored mip image data of scan S1: 23 bytes stored, the layout describes 24/.test(e.message),
  );
  assert.throws(
    () => scanImagesFromRows('S1', []),
    (e: unknown) => e instanceof CartoError && /stored mip image data of scan S1: missing/.test(e.message),
  );
});

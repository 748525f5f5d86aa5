/**
 * The report's pictures drawn from image data (src/report/images.ts, image-panels.ts): a projection's
 * display layout and its drawing (window, pixel size, outline colours, errors naming the option), a
 * fused PET/CT plane's colours at known pixels (CT grey, PET blended in the hot scale, the outline in
 * green, the radiological flips), and the image-panels section and quantification MIP built from them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from 'fast-png';
import { InputError } from '../../src/errors.js';
import type { FusedSliceData } from '../../src/imaging/fusion.js';
import { maxProjection, projectMask, type Projection } from '../../src/imaging/mip.js';
import type { Volume } from '../../src/imaging/volume.js';
import {
  imagePanelsSection,
  PANEL_WINDOW_SUV,
  quantificationMipFigure,
  type ImagePanelsResults,
  type ScanImageData,
} from '../../src/report/image-panels.js';
import { renderFusedSlice, renderMip, renderProjection } from '../../src/report/images.js';

/** 3 × 2 × 4 voxels (i → Left, j → Posterior, k → Superior), 2 × 3 × 5 mm; value 10·k + i, j = 1 hotter. */
function volume(): Volume<Float32Array> {
  const data = new Float32Array(3 * 2 * 4);
  for (let k = 0; k < 4; k++)
    for (let j = 0; j < 2; j++) for (let i = 0; i < 3; i++) data[i + 3 * (j + 2 * k)] = 10 * k + i + j;
  return {
    size: [3, 2, 4],
    spacingMm: [2, 3, 5],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data,
    unit: 'SUV',
  };
}

const rgbAt = (rgb: Uint8Array, width: number, r: number, c: number): number[] =>
  Array.from(rgb.subarray(3 * (r * width + c), 3 * (r * width + c) + 3));

test('a coronal projection: head up, patient right on the left, max over anterior–posterior; masks projected alike', () => {
  const v = volume();
  const p = maxProjection(v, { view: 'coronal' });
  assert.deepEqual([p.columns, p.rows, p.pixelMm], [3, 4, [2, 5]]);
  // row 0 = the top slice (k = 3), column 0 = the patient's right (i = 0); max over j is j = 1
  assert.deepEqual(Array.from(p.values), [31, 32, 33, 21, 22, 23, 11, 12, 13, 1, 2, 3]);
  assert.ok(p.values instanceof Float32Array, 'the volume precision kept');
  const mask = new Uint8Array(v.data.length);
  mask[2 + 3 * (0 + 2 * 0)] = 1; // i = 2 (left), k = 0 (bottom)
  assert.deepEqual(
    Array.from(projectMask(v, mask, { view: 'coronal' })),
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  );
  assert.throws(
    () => maxProjection(v, { view: 'coronal', slice: 2, sliceField: '--slice' }),
    (e: unknown) => e instanceof InputError && /--slice/.test(e.message) && /0…1/.test(e.message),
  );
});

test('a projection drawn: inverted grey in the window, square pixels of pixelMm, outlines in the palette', () => {
  const p: Projection = {
    view: 'coronal',
    columns: 2,
    rows: 2,
    pixelMm: [4, 2],
    values: new Float32Array([0, 5, 10, 20]),
  };
  const pic = renderProjection(p, { windowSuv: [0, 10], pixelMm: 2 });
  assert.deepEqual([pic.widthPx, pic.heightPx], [4, 2], 'a 4 mm column is two 2 mm pixels');
  assert.deepEqual(rgbAt(pic.rgb, 4, 0, 0), [255, 255, 255], 'SUV 0 = window low = white');
  assert.deepEqual(rgbAt(pic.rgb, 4, 0, 3), [128, 128, 128], 'SUV 5 = mid grey');
  assert.deepEqual(rgbAt(pic.rgb, 4, 1, 1), [0, 0, 0], 'SUV 10 = black');
  assert.deepEqual(rgbAt(pic.rgb, 4, 1, 3), [0, 0, 0], 'above the window = black');
  const decoded = decode(pic.png);
  assert.deepEqual([decoded.width, decoded.height, decoded.channels], [4, 2, 3]);
  assert.deepEqual(Array.from(decoded.data), Array.from(pic.rgb));
  // default window: 0 to the maximum
  assert.deepEqual(renderProjection(p).windowSuv, [0, 20]);
  // an outline: the first mask in the first colour, the second in the second
  const out = renderProjection(p, {
    windowSuv: [0, 10],
    pixelMm: 2,
    outlines: [Uint8Array.of(1, 0, 0, 0), Uint8Array.of(0, 0, 0, 1)],
  });
  assert.deepEqual(rgbAt(out.rgb, 4, 0, 0), [230, 25, 75]);
  assert.deepEqual(rgbAt(out.rgb, 4, 1, 3), [60, 180, 75]);
  assert.deepEqual(rgbAt(out.rgb, 4, 1, 0), [0, 0, 0], 'outside the masks: the grey');
  for (const [opts, field] of [
    [{ pixelMm: 0, fields: { pixelMm: '--pixel-mm' } }, '--pixel-mm'],
    [{ pixelMm: 1e-6 }, 'pixelMm'],
    [{ windowSuv: [5, 5] as [number, number], fields: { windowSuv: '--window' } }, '--window'],
  ] as const)
    assert.throws(
      () => renderProjection(p, opts),
      (e: unknown) => e instanceof InputError && e.message.includes(field),
    );
});

test('renderMip draws the projection of the volume with the projected masks', () => {
  const v = volume();
  const mask = new Uint8Array(v.data.length).fill(1);
  const a = renderMip(v, { windowSuv: [0, 40], outlines: [mask], pixelMm: 1 });
  const b = renderProjection(maxProjection(v), {
    windowSuv: [0, 40],
    outlines: [projectMask(v, mask)],
    pixelMm: 1,
  });
  assert.ok(Buffer.from(a.png).equals(Buffer.from(b.png)));
});

/** A 3 × 2 plane whose i axis points to the patient's right (flipped on display). */
function plane(ctHu: Float32Array | null): FusedSliceData {
  return {
    grid: {
      size: [3, 2, 1],
      spacingMm: [1, 1, 2],
      originLps: [0, 0, 0],
      direction: [-1, 0, 0, 0, 1, 0, 0, 0, 1],
    },
    pointLps: [0, 0, 0],
    // (i, j): SUV 0 at i = 0, 10 at i = 1, 5 at i = 2, row j = 1 all 0
    petSuv: Float32Array.of(0, 10, 5, 0, 0, 0),
    ctHu,
    outline: Uint8Array.of(0, 0, 0, 0, 0, 1),
  };
}

test('a fused plane drawn: CT grey −160…240 HU, PET at 60 % in the hot scale, outline green, patient right on the left', () => {
  const pic = renderFusedSlice(plane(Float32Array.of(40, 40, 40, -160, 240, 40)), { windowSuv: [0, 10] });
  assert.deepEqual([pic.widthPx, pic.heightPx], [3, 2]);
  const at = (r: number, c: number) => rgbAt(pic.rgb, 3, r, c);
  // column c shows i = 2 − c (i points to the patient's right)
  assert.deepEqual(at(0, 2), [128, 128, 128], 'SUV 0: CT only, 40 HU = mid grey (127.5 rounded)');
  const g = 127.5;
  assert.deepEqual(
    at(0, 1),
    [0.4 * g + 0.6 * 255, 0.4 * g + 0.6 * 255, 0.4 * g + 0.6 * 255].map(Math.round),
    'SUV 10: white',
  );
  // SUV 5: t = 0.5 → hot = (255, 127.5, 0)
  assert.deepEqual(at(0, 0), [0.4 * g + 0.6 * 255, 0.4 * g + 0.6 * 127.5, 0.4 * g].map(Math.round));
  assert.deepEqual(at(1, 2), [0, 0, 0], '−160 HU black');
  assert.deepEqual(at(1, 1), [255, 255, 255], '240 HU white');
  assert.deepEqual(at(1, 0), [60, 220, 75], 'the outline (i = 2, j = 1), on the left');
  const alone = renderFusedSlice(plane(null), { windowSuv: [0, 10] });
  assert.deepEqual(rgbAt(alone.rgb, 3, 0, 0), [128, 128, 128], 'no CT: the PET in inverted grey');
  assert.throws(
    () => renderFusedSlice(plane(null), { windowSuv: [1, 0], windowField: '--window' }),
    (e: unknown) => e instanceof InputError && /--window/.test(e.message) && /1,0/.test(e.message),
  );
});

function scanImages(fused: boolean): ScanImageData {
  return {
    mip: { view: 'coronal', columns: 4, rows: 6, pixelMm: [4, 4], values: new Float32Array(24).fill(3) },
    voiOutlines: [new Uint8Array(24).fill(1)],
    lesion: { label: 'L01 neck', outline: new Uint8Array(24) },
    ...(fused ? { fused: plane(new Float32Array(6)) } : {}),
  };
}

test('the image-panels section: scans in the order given, a fused panel before the MIP of a scan with a CT', () => {
  const none = imagePanelsSection([]);
  assert.equal(none.status, 'not-run');
  assert.equal(none.figures.length, 0);
  const s = imagePanelsSection([
    { scanId: 'P2-pre', patientId: 'P2', images: scanImages(false) },
    { scanId: 'P1-d7', patientId: 'P1', images: scanImages(true) },
  ]);
  assert.equal(s.status, 'ok');
  const r = s.results as ImagePanelsResults;
  assert.deepEqual(r.scans, ['P2-pre', 'P1-d7']);
  assert.deepEqual(r.windowSuv, PANEL_WINDOW_SUV);
  assert.deepEqual(r.fused, [{ scanId: 'P1-d7', lesion: 'L01 neck', pointLps: [0, 0, 0] }]);
  assert.deepEqual(
    s.figures.map((f) => f.id),
    ['mip-P2-pre', 'fused-P1-d7', 'mip-P1-d7'],
  );
  const mip = s.figures[0]!.source;
  // 24 mm high: drawn at 24 / 300 mm pixels, 300 pixels high
  assert.ok(mip.kind === 'png' && mip.heightPx === 300 && mip.widthPx === 200);
  assert.match(s.figures[1]!.caption!, /SUV window 0–10 g\/mL over CT −160…240 HU/);
});

test('the quantification MIP: 2 mm pixels, window 0–8, every VOI outlined', () => {
  const f = quantificationMipFigure({ scanId: 'S1', patientId: 'P1', images: scanImages(false) });
  assert.equal(f.id, 'mip');
  assert.match(f.title, /scan S1/);
  assert.equal(f.caption, 'SUV window 0–8 g/mL; VOI outlines in colour.');
  assert.ok(f.source.kind === 'png');
  if (f.source.kind !== 'png') return;
  assert.deepEqual([f.source.widthPx, f.source.heightPx], [8, 12]);
  const png = decode(Buffer.from(f.source.dataBase64, 'base64'));
  const data = png.data as Uint8Array;
  assert.deepEqual(Array.from(data.subarray(0, 3)), [230, 25, 75], 'the VOI outline at the border');
  const centre = 3 * (6 * 8 + 4);
  const grey = Math.round(255 * (1 - 3 / 8));
  assert.deepEqual(Array.from(data.subarray(centre, centre + 3)), [grey, grey, grey], 'SUV 3 in 0–8 inside');
});

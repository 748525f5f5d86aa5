/**
 * web/src/viewer/nv-passes.ts against niivue itself, in chromium (WebGL on SwiftShader, as in the other
 * browser tests): the back volume's colour texture that niivue builds with its own shaders and the one it
 * builds with the viewer's lean passes (lean colour pass, gradient passes skipped, texture kept across
 * rebuilds, shaders warmed up on a 2×2×2 volume first) are compared texel for texel, for each of the
 * viewer's windows and colour maps, on a grid that is not in RAS order (niivue's colour pass then reads
 * through a permutation with flips) and whose voxels take every 8-bit value; so are the multiplanar
 * slices each draws on its canvas, the viewer's niivue being attached without its volume-render
 * programs (`attachWithoutVolumeRender`), with which no draw is made (and one of the 3D render, which
 * the viewer never shows, is counted). A page of its own loads niivue's module and nv-passes.ts
 * (transpiled, it imports niivue's types only).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ts from 'typescript';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from './harness.js';
import { projectRoot } from '../helpers/shared-data.js';

const root = projectRoot;

/** The page: two niivue instances (niivue's own passes, the viewer's) and `window.compare`. */
const PAGE = `<!doctype html><html><body>
<canvas id="own" width="320" height="240"></canvas><canvas id="lean" width="320" height="240"></canvas>
<script type="module">
import { Niivue, NVImage, SHOW_RENDER } from '/niivue.js';
import { attachWithoutVolumeRender, keepVolumeTexture, leanOrientPass, reserveVolumeTexture, skipGradientPasses, volumeRenderDraws, warmUp } from '/nv-passes.js';
const opts = { backColor: [0, 0, 0, 1], isColorbar: false, multiplanarShowRender: SHOW_RENDER.NEVER };
// a 37×29×23 uint8 grid, i along -y, j along +z, k along -x (not RAS), voxels 0..255 in turn
const DIMS = [37, 29, 23];
function nifti(slope) {
  const n = DIMS[0] * DIMS[1] * DIMS[2];
  const buf = new ArrayBuffer(352 + n);
  const v = new DataView(buf);
  v.setInt32(0, 348, true);
  [3, ...DIMS, 1, 1, 1, 1].forEach((d, i) => v.setInt16(40 + 2 * i, d, true));
  v.setInt16(70, 2, true);
  v.setInt16(72, 8, true);
  [1, 2, 3, 4, 1, 1, 1, 1].forEach((d, i) => v.setFloat32(76 + 4 * i, d, true));
  v.setFloat32(108, 352, true);
  v.setFloat32(112, slope, true);
  v.setInt16(254, 1, true);
  [0, 0, -4, 50, -2, 0, 0, 40, 0, 3, 0, -30].forEach((x, i) => v.setFloat32(280 + 4 * i, x, true));
  new Uint8Array(buf, 344, 4).set([0x6e, 0x2b, 0x31, 0]);
  const img = new Uint8Array(buf, 352);
  for (let q = 0; q < n; q++) img[q] = (q * 7 + (q >> 8)) & 255;
  return buf;
}
/** Every texel of niivue's back volume texture (RGBA, slice after slice). */
function readVolumeTexture(nv) {
  const gl = nv.gl;
  const [, x, y, z] = nv.back.dims;
  gl.useProgram(null);
  const fb = gl.createFramebuffer();
  gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
  const out = new Uint8Array(x * y * z * 4);
  for (let k = 0; k < z; k++) {
    gl.framebufferTextureLayer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, nv.volumeTexture, 0, k);
    gl.readPixels(0, 0, x, y, gl.RGBA, gl.UNSIGNED_BYTE, out.subarray(k * x * y * 4, (k + 1) * x * y * 4));
  }
  gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  gl.deleteFramebuffer(fb);
  return out;
}
// the grid as the scan routes give it: voxel axes i, j, k along LPS y, z and x
const GRID = { size: DIMS, direction: [0, 1, 0, 0, 0, 1, 1, 0, 0] };
/** The canvas's pixels as drawn (RGBA, bottom row first). */
function readCanvas(nv) {
  const gl = nv.gl;
  gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  const out = new Uint8Array(gl.drawingBufferWidth * gl.drawingBufferHeight * 4);
  gl.readPixels(0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight, gl.RGBA, gl.UNSIGNED_BYTE, out);
  return out;
}
async function niivue(id, lean, reserveGrid) {
  const nv = new Niivue(opts);
  // the viewer's niivue: attached without its volume-render programs; niivue's own: as niivue does
  if (lean) await attachWithoutVolumeRender(nv, document.getElementById(id));
  else await nv.attachToCanvas(document.getElementById(id));
  nv.setSliceType(nv.sliceTypeMultiplanar);
  if (!lean) return { nv, count: null };
  // the RGBA8 textures allocated on unit 0 (niivue's back volume unit), and whether each was deleted
  const made = [];
  const gone = new Set();
  const gl = nv.gl;
  const texStorage3D = gl.texStorage3D.bind(gl);
  gl.texStorage3D = (t, l, format, w, h, d) => {
    if (format === gl.RGBA8 && gl.getParameter(gl.ACTIVE_TEXTURE) === gl.TEXTURE0)
      made.push({ size: [w, h, d].join('x'), texture: gl.getParameter(gl.TEXTURE_BINDING_3D) });
    texStorage3D(t, l, format, w, h, d);
  };
  const deleteTexture = gl.deleteTexture.bind(gl);
  gl.deleteTexture = (t) => {
    gone.add(t);
    deleteTexture(t);
  };
  skipGradientPasses(nv);
  const count = leanOrientPass(nv);
  keepVolumeTexture(nv);
  await warmUp(nv, NVImage);
  const reserved = reserveGrid ? reserveVolumeTexture(nv, reserveGrid) : false;
  const allocations = () => made.map((m) => m.size + (gone.has(m.texture) ? ' deleted' : ''));
  return { nv, count, reserved, allocations };
}
/** Shows a volume in look 0, then rebuilds it in each later look; the textures of each look. */
async function build(nv, looks) {
  const first = looks[0];
  const vol = await NVImage.loadFromUrl({ url: nifti(first.slope), name: 'v.nii', colormap: first.colormap });
  const textures = [];
  const canvases = [];
  const ids = [];
  const windows = [];
  for (const [i, look] of looks.entries()) {
    // as the viewer's applyLook: the colour map first (its setter recomputes the range), then the window
    vol.hdr.scl_slope = look.slope;
    vol.hdr.cal_min = 0;
    vol.hdr.cal_max = look.calMax;
    vol.colormap = look.colormap;
    vol.colormapInvert = look.invert;
    vol.cal_min = 0;
    vol.cal_max = look.calMax;
    Object.assign(vol, look.extra ?? {});
    if (i === 0) {
      nv.volumes = [vol];
      nv.setVolume(vol, 0);
    } else nv.updateGLVolume();
    nv.drawScene();
    canvases.push(readCanvas(nv));
    textures.push(readVolumeTexture(nv));
    ids.push(nv.volumeTexture);
    windows.push(vol.cal_max);
  }
  return { textures, canvases, ids, windows };
}
// the lean niivue drawing its 3D render (which the viewer never shows): the draws with its emptied
// volume-render programs, counted
window.renderDraws = async () => {
  const lean = await niivue('lean', true, null);
  const vol = await NVImage.loadFromUrl({ url: nifti(1), name: 'v.nii', colormap: 'gray' });
  lean.nv.volumes = [vol];
  lean.nv.setVolume(vol, 0);
  const before = volumeRenderDraws(lean.nv);
  lean.nv.setSliceType(lean.nv.sliceTypeRender);
  lean.nv.drawScene();
  return [before, volumeRenderDraws(lean.nv)];
};
window.compare = async (looks, reserve) => {
  const own = await niivue('own', false);
  const lean = await niivue('lean', true, reserve === 'grid' ? GRID : reserve === 'other' ? { size: [5, 6, 7], direction: GRID.direction } : null);
  const a = await build(own.nv, looks);
  const b = await build(lean.nv, looks);
  return looks.map((look, i) => {
    let differing = 0;
    let firstAt = -1;
    for (let q = 0; q < a.textures[i].length; q++)
      if (a.textures[i][q] !== b.textures[i][q]) {
        differing++;
        if (firstAt < 0) firstAt = q;
      }
    const distinct = new Set(new Uint32Array(a.textures[i].buffer)).size;
    let canvasDiffering = 0;
    for (let q = 0; q < a.canvases[i].length; q++) if (a.canvases[i][q] !== b.canvases[i][q]) canvasDiffering++;
    return {
      canvasBytes: [a.canvases[i].length, b.canvases[i].length],
      canvasDiffering,
      canvasColours: new Set(new Uint32Array(a.canvases[i].buffer)).size,
      volumeRenderDraws: volumeRenderDraws(lean.nv),
      texels: a.textures[i].length / 4,
      distinct,
      differing,
      firstAt,
      sameTextureAsFirst: b.ids[i] === b.ids[0],
      calMax: b.windows[i],
      leanRefreshes: lean.count.leanRefreshes,
      reserved: lean.reserved,
      rgba8Made: lean.allocations(),
    };
  });
};
</script></body></html>`;

/** What `window.compare` gives for each look. */
interface Comparison {
  /** The canvases' bytes (RGBA; niivue's own, the lean one) after the multiplanar slices are drawn, and how many differ. */
  canvasBytes: [number, number];
  canvasDiffering: number;
  /** The colours on niivue's own canvas (the slices drawn, not a blank). */
  canvasColours: number;
  /** The lean niivue's draws with a volume-render program bound (`attachWithoutVolumeRender`). */
  volumeRenderDraws: number;
  texels: number;
  distinct: number;
  differing: number;
  firstAt: number;
  sameTextureAsFirst: boolean;
  /** The window's upper end niivue built the look in. */
  calMax: number;
  leanRefreshes: number;
  /** Whether `reserveVolumeTexture` allocated a texture before the builds. */
  reserved: boolean;
  /**
   * The RGBA8 3D textures the lean niivue allocated on unit 0, in order: their sizes ("XxYxZ"), each
   * followed by " deleted" when it was deleted afterwards.
   */
  rgba8Made: string[];
}

/** nv-passes.ts as a browser module (its niivue import is of types only and goes). */
function passesModule(): string {
  const src = readFileSync(join(root, 'web/src/viewer/nv-passes.ts'), 'utf8');
  const out = ts.transpileModule(src, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  assert.doesNotMatch(out.outputText, /from ['"]@niivue/, 'nv-passes.ts may import niivue types only');
  return out.outputText;
}

describe('niivue passes: the lean passes colour the volume as niivue does', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  before(async () => {
    const files: Record<string, string> = {
      '/': PAGE,
      '/niivue.js': readFileSync(join(root, 'node_modules/@niivue/niivue/dist/index.js'), 'utf8'),
      '/nv-passes.js': passesModule(),
    };
    server = createServer((req, res) => {
      const body = files[req.url ?? ''];
      res.writeHead(body === undefined ? 404 : 200, {
        'content-type': `${req.url === '/' ? 'text/html' : 'text/javascript'}; charset=utf-8`,
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'compare' in window, undefined, { timeout: 30_000 });
    assert.deepEqual(errors, []);
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  test("every window and colour map of the viewer: the same texels as niivue's shaders", async () => {
    // the viewer's looks: windows 5, 10 and 30 g/mL (display slope window/255), grey, inverted, hot
    const looks = [
      { calMax: 5, slope: 5 / 255, colormap: 'gray', invert: true },
      { calMax: 10, slope: 10 / 255, colormap: 'gray', invert: true },
      { calMax: 30, slope: 30 / 255, colormap: 'gray', invert: false },
      { calMax: 5, slope: 5 / 255, colormap: 'hot', invert: false },
      // a window narrower than the data (values past cal_max) and a slope of 1
      { calMax: 100, slope: 1, colormap: 'hot', invert: false },
    ];
    const results = await page.evaluate<Comparison[]>(`window.compare(${JSON.stringify(looks)}, null)`);
    for (const [i, r] of results.entries()) {
      assert.equal(r.texels, 37 * 29 * 23, `look ${i}`);
      assert.ok(r.distinct > 30, `look ${i}: the texture has ${r.distinct} colours (a real ramp)`);
      assert.equal(r.differing, 0, `look ${i}: ${r.differing} bytes differ, the first at byte ${r.firstAt}`);
      // the slices on the canvas, without niivue's volume-render programs: the same pixels
      assert.equal(r.canvasBytes[1], r.canvasBytes[0], `look ${i}: canvases of one size`);
      assert.ok(r.canvasColours > 30, `look ${i}: the canvas has ${r.canvasColours} colours (slices drawn)`);
      assert.equal(r.canvasDiffering, 0, `look ${i}: ${r.canvasDiffering} canvas bytes differ`);
      assert.equal(r.volumeRenderDraws, 0, `look ${i}`);
      // a rebuild at the same grid draws into the texture it has
      assert.equal(r.sameTextureAsFirst, true, `look ${i}`);
      assert.equal(r.calMax, looks[i]!.calMax, `look ${i}: built in its window`);
    }
    // each look was coloured by the lean pass (the warm-up's too: one more)
    assert.equal(results[0]!.leanRefreshes, looks.length + 1);
  });

  test("outside the lean case (a threshold type, a negative colour map, a modulation) niivue's own shader runs", async () => {
    const looks = [
      { calMax: 5, slope: 5 / 255, colormap: 'gray', invert: false, extra: { colormapType: 1 } },
      {
        calMax: 5,
        slope: 5 / 255,
        colormap: 'gray',
        invert: false,
        extra: { colormapType: 0, colormapNegative: 'winter' },
      },
      // modulated by volume 0 (itself): an index, and 0 is one
      {
        calMax: 5,
        slope: 5 / 255,
        colormap: 'gray',
        invert: false,
        extra: { colormapNegative: '', modulationImage: 0 },
      },
    ];
    const results = await page.evaluate<Comparison[]>(`window.compare(${JSON.stringify(looks)}, null)`);
    for (const r of results) assert.deepEqual([r.differing, r.canvasDiffering], [0, 0]);
    // only the warm-up was lean
    assert.equal(results[0]!.leanRefreshes, 1);
  });

  test('a texture reserved at the grid (rasGridSize of the scan record) is the one built into', async () => {
    const looks = [
      { calMax: 5, slope: 5 / 255, colormap: 'gray', invert: true },
      { calMax: 10, slope: 10 / 255, colormap: 'hot', invert: false },
    ];
    const results = await page.evaluate<Comparison[]>(`window.compare(${JSON.stringify(looks)}, 'grid')`);
    for (const r of results) assert.equal(r.differing, 0);
    const r = results[0]!;
    assert.equal(r.reserved, true);
    // the warm-up's 2×2×2 (gone), the reserve at the RAS size (x: k, y: i, z: j), and no other
    // allocation: both builds drew into the reserved texture
    assert.deepEqual(r.rgba8Made, ['2x2x2 deleted', '23x37x29']);
    assert.equal(r.sameTextureAsFirst, true);
  });

  test("a draw with the emptied volume-render programs is counted (niivue's 3D render, never shown)", async () => {
    const [before, after] = await page.evaluate<[number, number]>('window.renderDraws()');
    assert.equal(before, 0, 'none while the slices are drawn');
    assert.ok(after > 0, `the 3D render drew with them ${after} times`);
  });

  test('a texture reserved at another size is freed, and the build allocates its own', async () => {
    const looks = [{ calMax: 5, slope: 5 / 255, colormap: 'gray', invert: true }];
    const [r] = await page.evaluate<Comparison[]>(`window.compare(${JSON.stringify(looks)}, 'other')`);
    assert.equal(r!.differing, 0);
    assert.equal(r!.reserved, true);
    // the warm-up's texture and the unused reserve go; the build's own stays
    assert.deepEqual(r!.rgba8Made, ['2x2x2 deleted', '7x5x6 deleted', '23x37x29']);
  });
});

/**
 * Timing of the PET viewer (issue 14 item 6: a 200×200×400 scan opens in under 3 s on loopback). A study
 * whose scans (six, all of one file) are a 200×200×400 SUV NIfTI (float32, 64 MB; noisy like PET, so it
 * compresses as PET does) with a lesion label map is run with `carto run --db` into the harness's
 * database (its jobs write the viewer's images beside it: src/pipeline/viewer-images.ts); chromium then
 * opens /scans/<id> through the real server: three scans once each (cold: the server's first open of
 * the scan since it started, read from the viewer's images on disk), then one of them three times
 * more (warm: answered from the server's memory). Each open reports, in ms since the navigation started:
 * - slices: the display volume (display.nii.gz, 8 bits) fetched and parsed, niivue's texture built from
 *   it and the first frame drawn (a fence waits for the GPU; in headless chromium the GPU is SwiftShader,
 *   a software renderer on the CPU);
 * - readout: the first crosshair readout in, with its source: the server's voxel route
 *   (GET /api/scans/{id}/voxel, asked as soon as the page has the scan's grid) or the float data;
 * - ready: both in, the viewer is usable (the target's "opens": full-resolution slices and an exact
 *   readout, the float32 value of the file);
 * - data: the float SUV and the label map (fetched once the slices are drawn) in and read in the browser;
 * - overlay: the VOI overlay and the coronal MIP drawn (built from the float data);
 * and the pane's phases (display fetch, display parse, slices, data, overlay, mip: durations in ms), with
 * the median of each three, and when the display volume and the first voxel were asked for and in. The same opens (three other scans cold, then warm) are then timed in a
 * second chromium whose WebGL runs on Mesa's llvmpipe (ANGLE over EGL) instead of SwiftShader, when
 * the machine has it: both are software renderers on the CPU; on a GPU niivue's texture passes take
 * milliseconds. Last, the slowest case: a scan opened as the first page after sign-in of freshly
 * launched chromiums, each with a new profile (no compiled shader, no code cache: a browser's first
 * WebGL page), CARTO_BENCH_VIEWER_FRESH of them per renderer (default 4), with how many took 3 s or
 * more. Prints the machine's load (uptime) beside the figures.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register as registerRun } from '../src/cli/commands/run.js';
import { IDENTITY_DIRECTION } from '../src/imaging/volume.js';
import { writeNifti } from '../src/io/nifti.js';
import { runInProcess } from '../test/helpers/cli-in-process.js';
import { chromium, type Page, type Request } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, newPage, signIn, startHarness, type Harness } from '../test/e2e/harness.js';
import { uniforms } from '../test/helpers/uniforms.js';

const SIZE: [number, number, number] = [200, 200, 400];
/** The bundle's scans (all of one SUV file): three cold opens in each chromium. */
const SCANS = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
const dir = mkdtempSync(join(tmpdir(), 'carto-bench-viewer-'));
/** The bench scan's SUV (file voxel order), once built. */
let SUV: Float32Array | null = null;

/**
 * A one-scan study bundle whose scan is a 200×200×400 SUV NIfTI; returns the bundle and the SUV array.
 * The SUV looks like a PET scan to a compressor: air (0) around an elliptic body whose voxels carry
 * noise (about 20 % of the value, every float bit random), so the gzip NIfTI is about half the size of
 * the plain one, as real PET is (1.3–2×), not a few hundred kB as a smooth pattern would be.
 */
function bigScanBundle(): { bundle: string; suv: Float32Array } {
  const [nx, ny, nz] = SIZE;
  const suv = new Float32Array(nx * ny * nz);
  const labels = new Uint8Array(nx * ny * nz);
  const u = uniforms(14);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const q = i + nx * (j + ny * k);
        const lesion = (i - 120) ** 2 + (j - 90) ** 2 + (k - 250) ** 2 < 100;
        const body = ((i - 100) / 98) ** 2 + ((j - 100) / 90) ** 2 < 1;
        const noise = 1 + 0.35 * (u() + u() + u() - 1.5); // about N(1, 0.2²)
        suv[q] = lesion ? 8 * noise : body ? noise : 0;
        labels[q] = lesion ? 1 : 0;
      }
  const grid = {
    size: SIZE,
    spacingMm: [2, 2, 2] as [number, number, number],
    originLps: [0, 0, 0] as [number, number, number],
    direction: IDENTITY_DIRECTION,
  };
  const b = join(dir, 'bundle');
  mkdirSync(b, { recursive: true });
  writeNifti({ ...grid, data: suv, unit: 'SUVbw g/mL' }, join(b, 'suv.nii.gz'));
  writeNifti({ ...grid, data: labels, unit: 'label' }, join(b, 'mask.nii.gz'));
  const files: Record<string, string> = {
    'study.json': JSON.stringify({
      name: 'Viewer bench',
      tracer: { name: 'FDG', nuclide: '18F', halfLifeS: 6586.2 },
    }),
    'patients.csv': 'patient_id,cohort,age,sex,histology,bridging\nP01,1,60,F,DLBCL,none\n',
    'events.csv': 'patient_id,event,day\nP01,infusion,0\nP01,last_follow_up,100\n',
    // SCANS scans of the same file: each one's first open is cold (the server builds its images)
    'scans.csv':
      'scan_id,patient_id,tracer,timepoint,path,format\n' +
      SCANS.map((s) => `${s},P01,FDG,${s},suv.nii.gz,nifti-suv\n`).join(''),
    'vois.csv':
      'scan_id,kind,label,lesion_id,site,irradiated,mask_path,mask_label\n' +
      SCANS.map((s) => `${s},lesion,L1,L1,nodal,no,mask.nii.gz,1\n`).join(''),
    'toxicity.csv': 'patient_id,crs_grade,icans_grade\nP01,0,0\n',
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(b, f), text);
  return { bundle: b, suv };
}

/** chromium's flags for WebGL on Mesa's llvmpipe (ANGLE's OpenGL ES backend over EGL). */
const LLVMPIPE = ['--use-gl=angle', '--use-angle=gl-egl', '--ignore-gpu-blocklist'];

/** One open's moments (ms since navigation), the first readout's source and the pane's phases. */
interface Open {
  slices: number;
  readout: number;
  ready: number;
  data: number;
  overlay: number;
  source: string;
  line: string;
}
type Moment = 'slices' | 'readout' | 'ready' | 'data' | 'overlay';
const MOMENTS: Moment[] = ['slices', 'readout', 'ready', 'data', 'overlay'];

/** Opens the scan in the viewer; its times since the navigation started (see module doc). */
async function openTimed(page: Page, id: string): Promise<Open> {
  await page.goto('about:blank');
  // when the display volume and the first voxel were asked for and in (ms since navigation)
  const requests: string[] = [];
  const onFinished = (r: Request): void => {
    const m = /\/api\/scans\/[0-9a-f]+\/(display|voxel)/.exec(r.url());
    if (!m) return;
    const t = r.timing();
    requests.push(`${m[1]} ${Math.round(t.startTime - t0)}–${Math.round(t.startTime - t0 + t.responseEnd)}`);
  };
  page.on('requestfinished', onFinished);
  const t0 = Date.now();
  await page.goto(`/scans/${id}`);
  await page.locator('.viewer[data-status="ready"]').waitFor({ timeout: 300_000 });
  const wall = Date.now() - t0;
  // the readout at ready (the crosshair's first voxel) is the file's value
  const first = page.getByTestId('readout-suv');
  const [vox, shown] = [await first.getAttribute('data-vox'), await first.getAttribute('data-value')];
  const [i, j, k] = vox!.split(',').map(Number) as [number, number, number];
  assert.equal(Number(shown), SUV![i + SIZE[0] * (j + SIZE[1] * k)], `readout at ready, voxel ${vox}`);
  await page.locator('.viewer[data-overlay-at]').waitFor({ timeout: 300_000 });
  const v = page.locator('.viewer');
  const at = async (name: string) => Number(await v.getAttribute(name));
  const o = {
    slices: await at('data-render-at'),
    readout: await at('data-readout-at'),
    ready: await at('data-load-ms'),
    data: await at('data-data-at'),
    overlay: await at('data-overlay-at'),
    source: (await v.getAttribute('data-readout-source')) ?? '?',
  };
  page.off('requestfinished', onFinished);
  const line =
    `requests ${requests.join(', ')} ms; slices ${o.slices} ms, readout (${o.source}) ${o.readout} ms, ready ${o.ready} ms, data ${o.data} ms, ` +
    `overlay ${o.overlay} ms since navigation (wall to ready ${wall} ms; pane: ${await v.getAttribute('data-phases')})`;
  return { ...o, line };
}

/** Each open's line, then the medians of `opens` (labelled `what`). */
function report(what: string, opens: Open[]): string[] {
  const median = (k: Moment) => {
    const v = opens.map((o) => o[k]).sort((a, b) => a - b);
    return v[v.length >> 1]!;
  };
  return [
    ...opens.map((o) => `  ${what}: ${o.line}`),
    `  ${what}, median of ${opens.length}: ${MOMENTS.map((k) => `${k} ${median(k)} ms`).join(', ')}`,
  ];
}

/** Three cold opens (scans `cold`, each opened the first time) and three warm ones (of `cold[0]`). */
async function coldAndWarm(page: Page, what: string, cold: string[]): Promise<string[]> {
  const c: Open[] = [];
  for (const id of cold) c.push(await openTimed(page, id));
  const w: Open[] = [];
  for (let r = 0; r < 3; r++) w.push(await openTimed(page, cold[0]!));
  return [...report(`${what}, cold`, c), ...report(`${what}, warm`, w)];
}

/** The harness's chromium flags (SwiftShader: no GPU) and the llvmpipe ones, for a freshly launched one. */
const FLAGS = {
  SwiftShader: CHROMIUM_ARGS,
  llvmpipe: [...CHROMIUM_ARGS.filter((f) => f !== '--disable-gpu'), ...LLVMPIPE],
};

/**
 * How many freshly launched chromiums (each with a new profile: no compiled shader, no code cache) open
 * a scan as their first page, per renderer (env CARTO_BENCH_VIEWER_FRESH, default 4).
 */
const FRESH = Number(process.env.CARTO_BENCH_VIEWER_FRESH ?? 4);

/**
 * The first open of a scan in each of `FRESH` freshly launched chromiums on `renderer` (signed in
 * first, as a user is): the slowest case of the viewer, the one a browser's caches do not help.
 */
async function firstPages(h: Harness, renderer: keyof typeof FLAGS, ids: string[]): Promise<string[]> {
  const opens: Open[] = [];
  for (let r = 0; r < FRESH; r++) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS[renderer] });
    try {
      const context = await browser.newContext({ baseURL: h.url, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await signIn(page, 'admin');
      opens.push(await openTimed(page, ids[r % ids.length]!));
    } finally {
      await browser.close();
    }
  }
  const over = opens.filter((o) => o.ready >= 3000).length;
  const ready = opens.map((o) => o.ready).sort((a, b) => a - b);
  return [
    ...report(`${renderer}, a fresh chromium's first page`, opens),
    `  ${renderer}, fresh chromiums' first pages: ready ${ready.join(', ')} ms (${over} of ${opens.length} at 3 s or over)`,
  ];
}

describe('PET viewer timing (chromium)', { timeout: 900_000 }, () => {
  let h: Harness;
  let suv: Float32Array;
  before(async () => {
    const built = bigScanBundle();
    suv = built.suv;
    SUV = suv;
    h = await startHarness({
      prepare: async (dbFile) => {
        const r = await runInProcess(registerRun, [
          'run',
          built.bundle,
          '--db',
          dbFile,
          '--out',
          join(dir, 'report'),
        ]);
        assert.equal(r.code, 0, r.err);
        // the import's writes (the viewer's images: ~0.5 GB) flushed to disk before chromium starts, as
        // they are long done when a user opens a scan (else the kernel's write-back shares the two cores
        // with the first open)
        execFileSync('sync');
      },
    });
  });
  after(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a 200×200×400 scan opens in the viewer; the readout is the file value', async () => {
    const [nx, ny] = SIZE;
    const { context, page } = await newPage(h);
    await signIn(page, 'admin');
    const scans = (await (await page.request.get('/api/studies/Viewer%20bench/scans')).json()) as {
      id: string;
    }[];
    const ids = scans.map((s) => s.id);
    const id = ids[0]!;
    const lines = await coldAndWarm(page, 'SwiftShader', ids.slice(0, 3));
    // what the server sends: the gzip NIfTI's size (the same bytes go out with Content-Encoding gzip)
    const gz = await page.request.get(`/api/scans/${id}/suv.nii.gz`, {
      headers: { 'accept-encoding': 'identity' },
    });
    const plainBytes = suv.length * 4 + 352;
    const gzBytes = (await gz.body()).length;
    lines.unshift(
      `  suv.nii ${plainBytes} bytes, gzip ${gzBytes} bytes (${(plainBytes / gzBytes).toFixed(2)}×)`,
    );
    // the same app in chromium on Mesa's llvmpipe (ANGLE over EGL), when this machine has it: the same
    // GPU work on another software renderer
    const llvmpipe = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS.llvmpipe });
    try {
      const context2 = await llvmpipe.newContext({ baseURL: h.url, viewport: { width: 1280, height: 900 } });
      const page2 = await context2.newPage();
      const renderer = await page2.evaluate(`(() => {
        const gl = document.createElement('canvas').getContext('webgl2');
        const ext = gl && gl.getExtension('WEBGL_debug_renderer_info');
        return ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : 'no WebGL2';
      })()`);
      if (/llvmpipe/.test(String(renderer))) {
        await signIn(page2, 'admin');
        lines.push(...(await coldAndWarm(page2, 'llvmpipe', ids.slice(3, 6))));
      } else lines.push(`  llvmpipe: not available here (${String(renderer)})`);
      await context2.close();
    } finally {
      await llvmpipe.close();
    }
    lines.push(...(await firstPages(h, 'SwiftShader', ids)));
    if (!lines.some((l) => l.includes('llvmpipe: not available')))
      lines.push(...(await firstPages(h, 'llvmpipe', ids)));
    const load = execFileSync('uptime', { encoding: 'utf8' }).trim();
    console.log(
      `viewer, ${SIZE.join('×')} float32 SUV + uint8 labels through the server (load: ${load}):\n${lines.join('\n')}`,
    );
    // the readout at a voxel of the lesion is the file's value there
    const [i, j, k] = [123, 88, 251];
    await page.evaluate(
      (p) =>
        (
          window as unknown as { __cartoViewer: { moveToVoxel: (i: number, j: number, k: number) => void } }
        ).__cartoViewer.moveToVoxel(p.i, p.j, p.k),
      { i, j, k },
    );
    await page.getByTestId('readout-voxel').getByText(`${i}, ${j}, ${k}`, { exact: true }).waitFor();
    const dd = page.locator('[data-testid="readout-suv"]:not([data-state="pending"])');
    await dd.waitFor();
    const shown = Number(await dd.getAttribute('data-value'));
    assert.ok(Math.abs(shown - suv[i + nx * (j + ny * k)]!) < 1e-6, `${shown}`);
    assert.equal(await page.getByTestId('readout-voi').textContent(), 'L1');
    await context.close();
  });
});

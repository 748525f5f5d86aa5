/**
 * The studies pages and the PET viewer end to end (issue 14 items 5 and 6) in the Debian chromium: the
 * DRO study (one lesion VOI; P01 linked to an AMC registry patient, P02 linked to none) is run with
 * `carto run --db` into the harness's registry database. The studies list and the study page (report
 * sections, findings, tables, SVG figures) are axe-clean; a centre's data manager sees the polite note
 * instead of the report and only P01's scan; the viewer opens a scan, its SUV readout under the
 * crosshair equals the volume's value at that voxel (read with the project's NIfTI reader), the VOI row
 * moves the crosshair to the VOI's SUVmax voxel, and the window preset changes the colour bar. P01's
 * post-CART scan S3 (an SUV NIfTI on a shifted grid) opens beside S1: a crosshair move in either pane
 * lands the other on the same patient coordinate (mm, LPS), on the voxel the NIfTI affines give, and
 * shows that scan's own SUV there (computed here from the volume); outside its grid it says so.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { register as registerRun } from '../../src/cli/commands/run.js';
import { IDENTITY_DIRECTION, ijkToLps, lpsToIjk, type Vec3 } from '../../src/imaging/volume.js';
import { parseNifti, writeNifti } from '../../src/io/nifti.js';
import { twoPatientBundle } from '../helpers/bundles.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import {
  newPage,
  PASSWORD,
  screenshot,
  seriousViolations,
  signIn,
  startHarness,
  type Harness,
} from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-e2e-studies-'));

/**
 * P01's post-CART scan S3 (SUV NIfTI) on another grid than the DRO's (256×256×20, 4 mm, origin 0): 4 mm
 * voxels, 200×180×16, origin (40, 80, 8) mm LPS — its voxel (i, j, k) is the DRO's (i+10, j+20, k+2) —
 * with values that differ from voxel to voxel, and a lesion label map.
 */
function writePostScan(b: string): void {
  const size: [number, number, number] = [200, 180, 16];
  const [nx, ny, nz] = size;
  const suv = new Float32Array(nx * ny * nz);
  const mask = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const q = i + nx * (j + ny * k);
        const lesion = (i - 100) ** 2 + (j - 90) ** 2 + (k - 8) ** 2 < 16;
        suv[q] = (lesion ? 6 : 0.2) + ((i * 7 + j * 13 + k * 31) % 23) / 5;
        mask[q] = lesion ? 1 : 0;
      }
  const grid = {
    size,
    spacingMm: [4, 4, 4] as Vec3,
    originLps: [40, 80, 8] as Vec3,
    direction: IDENTITY_DIRECTION,
  };
  writeNifti({ ...grid, data: suv, unit: 'SUVbw g/mL' }, join(b, 'post-suv.nii.gz'));
  writeNifti({ ...grid, data: mask, unit: 'label' }, join(b, 'post-mask.nii.gz'));
}

/** The two-patient DRO bundle with P01's post-CART scan S3 (an SUV NIfTI on a shifted grid). */
function twoPatientBundleWithPost(at: string): string {
  const b = twoPatientBundle(at, {
    scans: 'S3,P01,FDG,post,post-suv.nii.gz,nifti-suv\n',
    vois: 'S3,lesion,L1,L1,nodal,no,post-mask.nii.gz,1\n',
  });
  writePostScan(b);
  return b;
}

async function assertAccessible(page: Page, what: string): Promise<void> {
  assert.deepEqual(await seriousViolations(page), [], `${what}: serious/critical axe violations`);
}

type Hook = '__cartoViewer' | '__cartoCompareViewer';

/** Moves a pane's crosshair to the file's voxel through its test hook (src/viewer/useScanPane.ts). */
async function moveTo(page: Page, hook: Hook, vox: Vec3): Promise<void> {
  await page.evaluate(
    (a) =>
      (window as unknown as Record<string, { moveToVoxel: (i: number, j: number, k: number) => void }>)[
        a.hook
      ]!.moveToVoxel(...a.vox),
    { hook, vox },
  );
}

/** A scan's SUV volume as the server sends it, read with the project's NIfTI reader (LPS grid). */
async function suvVolume(page: Page, scanId: string) {
  const bytes = await (await page.request.get(`/api/scans/${scanId}/suv.nii.gz`)).body();
  return parseNifti(new Uint8Array(bytes), 'suv.nii.gz').volume;
}

/**
 * The SUV a pane's readout shows (exact, from data-value) once it is in for the crosshair's voxel (the
 * readout is pending while the server's voxel route answers); fails when it is an error.
 */
async function settledSuv(page: Page, prefix = ''): Promise<number> {
  const dd = page.locator(`[data-testid="${prefix}readout-suv"]:not([data-state="pending"])`);
  await dd.waitFor();
  assert.equal(await dd.getAttribute('data-state'), 'ok', (await dd.textContent()) ?? '');
  return Number(await dd.getAttribute('data-value'));
}

/** The viewer's readout once in: voxel, SUV (exact, from data-value), VOI and its source. */
async function readout(page: Page): Promise<{ vox: string; suv: number; voi: string; source: string }> {
  const suv = await settledSuv(page);
  return {
    vox: (await page.getByTestId('readout-voxel').textContent()) ?? '',
    suv,
    voi: (await page.getByTestId('readout-voi').textContent()) ?? '',
    source: (await page.getByTestId('readout-suv').getAttribute('data-source')) ?? '',
  };
}

describe('studies and the PET viewer (chromium)', { timeout: 300_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      prepare: async (dbFile, store, actors) => {
        await store.as(actors.admin).createPatient({
          centre: 'AMC',
          pseudonym: 'P01',
          ageAtReferral: 60,
          referralDate: '2024-01-10',
          lineOfTherapy: 3,
          histology: 'DLBCL',
        });
        const bundle = twoPatientBundleWithPost(join(dir, 'dro'));
        const r = await runInProcess(registerRun, [
          'run',
          bundle,
          '--db',
          dbFile,
          '--out',
          join(dir, 'report'),
        ]);
        assert.equal(r.code, 0, r.err);
      },
    });
  });
  after(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the admin sees the studies list and the study page with its report; both axe-clean', async () => {
    const { context, page } = await newPage(h);
    await signIn(page, 'admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Studies' }).click();
    const row = page.locator('table.studies tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.match((await row.textContent()) ?? '', /DRO study.*FDG \(18F\)\s*23/);
    await assertAccessible(page, 'studies list');
    await screenshot(page, 'studies-list');
    await page.getByRole('link', { name: 'DRO study' }).click();
    await page.getByRole('heading', { name: 'Study DRO study' }).waitFor();
    await page.locator('.report-section').first().waitFor();
    // every section of results.json, in its order, with its status
    const results = (await (await page.request.get('/api/studies/DRO%20study/results')).json()) as {
      sectionOrder: string[];
      sections: Record<string, { title: string; status: string; figures: string[]; tables: string[] }>;
    };
    const titles = await page.locator('.report-section h3').allTextContents();
    assert.deepEqual(
      titles,
      results.sectionOrder.map((id) => {
        const s = results.sections[id]!;
        return `${s.title} ${s.status === 'ok' ? 'run' : 'not run'}`;
      }),
    );
    // the figures are the report's SVGs, drawn; the tables are the report's CSVs
    const figures = Object.values(results.sections).flatMap((s) => s.figures);
    assert.ok(figures.length > 0);
    assert.equal(await page.locator('.report-section figure img').count(), figures.length);
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.report-section img')].every((i) => i.complete),
    );
    const widths = await page
      .locator('.report-section figure img')
      .evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    assert.ok(
      widths.every((w) => w > 0),
      `every figure drawn: ${widths.join(',')}`,
    );
    const voiTable = page.locator('.report-table table', { hasText: 'Table voi-metrics' });
    await voiTable.waitFor();
    assert.match((await voiTable.locator('tbody').textContent()) ?? '', /P02/);
    // both patients with their scans, each a link into the viewer
    assert.deepEqual(await page.locator('table.study-scans tbody th').allTextContents(), ['P01', 'P02']);
    assert.equal(await page.locator('.scan-links a').count(), 3);
    // the quantification jobs: every scan done by carto run
    assert.equal(
      await page.getByTestId('job-counts').textContent(),
      'Quantification: 3 done, 0 pending, 0 running, 0 failed',
    );
    await assertAccessible(page, 'study page');
    await screenshot(page, 'study');
    await context.close();
  });

  test("a centre's data manager sees only the linked patient's scan and a note instead of the report", async () => {
    const { context, page } = await newPage(h);
    await signIn(page, 'dm-amc');
    await page.goto('/studies/DRO%20study');
    await page.getByTestId('report-restricted').waitFor();
    assert.equal(await page.locator('.report-section').count(), 0);
    assert.deepEqual(await page.locator('table.study-scans tbody th').allTextContents(), ['P01']);
    assert.deepEqual(await page.locator('.scan-links a').allTextContents(), ['S1 (pre)', 'S3 (post)']);
    assert.equal(
      await page.getByTestId('job-counts').textContent(),
      'Quantification: 2 done, 0 pending, 0 running, 0 failed',
    );
    await assertAccessible(page, 'study page (centre role)');
    // the other centre does not have the study at all
    const other = await newPage(h);
    await signIn(other.page, 'dm-umcg');
    await other.page.goto('/studies');
    await other.page.getByText('No study is stored with patients you may see.').waitFor();
    await other.context.close();
    await context.close();
  });

  test('the viewer: SUV readout equals the volume at the crosshair, VOI row → SUVmax voxel, window presets', () =>
    viewerReadout(h));

  test('before the float SUV is in: the readout is exact from the voxel route, a late answer never overwrites a newer position, a failed one shows its error', () =>
    readoutBeforeData(h));

  test('opened at a scan address before signing in: the request made ahead fails (401), the viewer asks again after sign-in', () =>
    signedOutOpen(h));
  test('pre vs post side by side: linked crosshairs land on the same patient coordinate and show each scan’s SUV there', () =>
    linkedCrosshairs(h));
});

/** The viewer: SUV readout = the volume at the crosshair, VOI row → SUVmax voxel, window presets. */
async function viewerReadout(h: Harness): Promise<void> {
  const { context, page } = await newPage(h);
  await signIn(page, 'admin');
  await page.goto('/studies/DRO%20study');
  await page.getByRole('link', { name: /^S1 / }).click();
  await page.getByRole('heading', { name: 'Scan S1' }).waitFor();
  await page.locator('.viewer[data-status="ready"]').waitFor({ timeout: 60_000 });
  const scanId = new URL(page.url()).pathname.split('/').pop()!;
  const suvBytes = await (await page.request.get(`/api/scans/${scanId}/suv.nii.gz`)).body();
  const suv = parseNifti(new Uint8Array(suvBytes), 'suv.nii.gz').volume;
  const [nx, ny, nz] = suv.size;
  const at = (i: number, j: number, k: number) => suv.data[i + nx * (j + ny * k)]!;
  // the file's hottest voxel, its neighbours on each axis and voxels away from the centre: the readout
  // is the file's value at (i, j, k) (niivue orders voxels RAS: a flip or swap would show another value)
  let hot = 0;
  for (let q = 1; q < suv.data.length; q++) if (suv.data[q]! > suv.data[hot]!) hot = q;
  const hi = hot % nx;
  const hj = Math.floor(hot / nx) % ny;
  const hk = Math.floor(hot / (nx * ny));
  const voxels: [number, number, number][] = [
    [hi, hj, hk],
    [Math.max(0, hi - 3), hj, hk],
    [hi, Math.min(ny - 1, hj + 3), hk],
    [hi, hj, Math.max(0, hk - 3)],
    [Math.floor(nx / 3), Math.floor((2 * ny) / 3), Math.floor(nz / 4)],
    [1, ny - 2, nz - 3],
  ];
  assert.ok(new Set(voxels.map((v) => at(...v))).size > 1, 'the chosen voxels differ in SUV');
  for (const [i, j, k] of voxels) {
    await page.evaluate(
      (v) =>
        (
          window as unknown as { __cartoViewer: { moveToVoxel: (i: number, j: number, k: number) => void } }
        ).__cartoViewer.moveToVoxel(v.i, v.j, v.k),
      { i, j, k },
    );
    await page.getByTestId('readout-voxel').getByText(`${i}, ${j}, ${k}`, { exact: true }).waitFor();
    const r = await readout(page);
    assert.ok(
      Math.abs(r.suv - at(i, j, k)) <= 1e-6 * Math.max(1, Math.abs(at(i, j, k))),
      `SUV at ${i},${j},${k}: ${r.suv} vs ${at(i, j, k)}`,
    );
  }
  // the VOI row's button moves the crosshair to the VOI's SUVmax voxel
  const vois = (await (await page.request.get(`/api/scans/${scanId}/vois`)).json()) as {
    label: string;
    suvMax: number;
  }[];
  await page.getByRole('button', { name: 'Go to SUVmax of L1' }).click();
  await page.getByTestId('readout-voi').getByText('L1', { exact: true }).waitFor();
  const r = await readout(page);
  assert.ok(
    Math.abs(r.suv - vois[0]!.suvMax) <= 1e-5 * Math.abs(vois[0]!.suvMax),
    `${r.suv} vs ${vois[0]!.suvMax}`,
  );
  // the VOI overlay (niivue's drawing layer, built after the first usable view) holds each voxel's
  // VOI colour (label value 1, 2, … → colour 1…8, cycling; 0: none): L1's at its SUVmax voxel, none
  // at a voxel outside every VOI, as in labels.nii.gz
  await page.locator('.viewer[data-overlay-at]').waitFor({ timeout: 60_000 });
  const labelBytes = await (await page.request.get(`/api/scans/${scanId}/labels.nii.gz`)).body();
  const labels = parseNifti(new Uint8Array(labelBytes), 'labels.nii.gz').volume;
  const labelAt = (v: Vec3) => labels.data[v[0] + nx * (v[1] + ny * v[2])]!;
  const hotVox = r.vox.split(', ').map(Number) as Vec3;
  const outside = labels.data.findIndex((x) => x === 0);
  assert.notEqual(labelAt(hotVox), 0);
  assert.ok(outside >= 0);
  for (const vox of [
    hotVox,
    [outside % nx, Math.floor(outside / nx) % ny, Math.floor(outside / (nx * ny))] as Vec3,
  ]) {
    const label = labelAt(vox);
    const shown = await page.evaluate(
      (v) =>
        (
          window as unknown as {
            __cartoViewer: { overlayIndexAt: (i: number, j: number, k: number) => number | null };
          }
        ).__cartoViewer.overlayIndexAt(v[0], v[1], v[2]),
      vox,
    );
    assert.equal(shown, label === 0 ? 0 : ((label - 1) % 8) + 1, `overlay at ${vox.join(',')}`);
  }
  // window presets change the colour bar, and the window niivue draws the slices in
  type Drawn = { calMin: number; calMax: number; colormap: string; invert: boolean };
  const drawnLook = `window.__cartoViewer.drawnLook()`;
  /** niivue's look once it is `want` (the change applies after the click's render), else as it is. */
  const drawn = async (want: Drawn): Promise<Drawn> => {
    await page
      .waitForFunction(
        `JSON.stringify(${drawnLook}) === ${JSON.stringify(JSON.stringify(want))}`,
        undefined,
        {
          timeout: 5_000,
        },
      )
      .catch(() => undefined);
    return page.evaluate<Drawn>(drawnLook);
  };
  assert.equal(await page.getByTestId('colorbar-max').textContent(), '5 g/mL');
  let want: Drawn = { calMin: 0, calMax: 5, colormap: 'gray', invert: true };
  assert.deepEqual(await drawn(want), want);
  await page.getByRole('radio', { name: '0–30' }).check();
  assert.equal(await page.getByTestId('colorbar-max').textContent(), '30 g/mL');
  assert.equal(await page.getByRole('img', { name: 'SUV colour bar, 0 to 30 g/mL' }).count(), 1);
  want = { calMin: 0, calMax: 30, colormap: 'gray', invert: true };
  assert.deepEqual(await drawn(want), want, 'the slices are drawn in the 0–30 window');
  // a colour map alone keeps the window
  await page.getByLabel('Colour map').selectOption({ label: 'Hot' });
  want = { calMin: 0, calMax: 30, colormap: 'hot', invert: false };
  assert.deepEqual(await drawn(want), want, 'a colour map change keeps the window');
  await assertAccessible(page, 'viewer');
  await screenshot(page, 'viewer');
  await context.close();
}

/** Two timepoints of P01 side by side: linked crosshairs by patient coordinate (mm, LPS), both ways. */
async function linkedCrosshairs(h: Harness): Promise<void> {
  const { context, page } = await newPage(h);
  await signIn(page, 'admin');
  const scans = (await (await page.request.get('/api/studies/DRO%20study/scans')).json()) as {
    id: string;
    scanId: string;
  }[];
  const idOf = (scanId: string) => scans.find((x) => x.scanId === scanId)!.id;
  const [pre, post] = [idOf('S1'), idOf('S3')];
  await page.goto(`/scans/${pre}`);
  await page.locator('.viewer[data-status="ready"]').waitFor({ timeout: 60_000 });
  // only the same patient's other scan is offered (S2 is P02's)
  const compare = page.getByLabel('Compare with');
  assert.deepEqual(await compare.locator('option').allTextContents(), ['No other scan', 'S3 (post)']);
  await compare.selectOption({ label: 'S3 (post)' });
  await page.locator('[data-testid="compare-pane"][data-status="ready"]').waitFor({ timeout: 60_000 });
  const [a, b] = [await suvVolume(page, pre), await suvVolume(page, post)];
  const value = (v: typeof a, [i, j, k]: Vec3) => v.data[i + v.size[0] * (j + v.size[1] * k)]!;
  // the expected voxel of B at A's voxel: A's voxel centre in mm (LPS) mapped through B's affine
  const partner = (from: typeof a, to: typeof a, vox: Vec3): Vec3 =>
    lpsToIjk(to, ijkToLps(from, vox)).map((x) => Math.round(x)) as Vec3;
  for (const vox of [
    [110, 120, 10],
    [15, 25, 3],
    [200, 190, 17],
  ] as Vec3[]) {
    await moveTo(page, '__cartoViewer', vox);
    await page.getByTestId('readout-voxel').getByText(vox.join(', '), { exact: true }).waitFor();
    const expected = partner(a, b, vox);
    assert.notDeepEqual(expected, vox, 'the grids differ: the linked voxel is another index');
    await page.getByTestId('compare-readout-voxel').getByText(expected.join(', '), { exact: true }).waitFor();
    const mmA = await page.getByTestId('readout-mm').getAttribute('data-value');
    const mmB = await page.getByTestId('compare-readout-mm').getAttribute('data-value');
    // the same patient coordinate, A's voxel centre (niivue's matrices are float32: to 1 µm)
    const [mm, mmAtB] = [mmA!.split(',').map(Number), mmB!.split(',').map(Number)];
    ijkToLps(a, vox).forEach((x, d) => {
      assert.ok(Math.abs(mm[d]! - x) < 1e-3, `A at ${mm.join(',')} mm`);
      assert.ok(Math.abs(mmAtB[d]! - x) < 1e-3, `B at ${mmAtB.join(',')} mm`);
    });
    const shown = await settledSuv(page, 'compare-');
    assert.ok(
      Math.abs(shown - value(b, expected)) <= 1e-6 * Math.max(1, value(b, expected)),
      `B at ${expected.join(',')}`,
    );
    assert.notEqual(value(b, expected), value(a, vox));
  }
  // and the other way round: a move in B moves A
  const inB: Vec3 = [100, 90, 8];
  await moveTo(page, '__cartoCompareViewer', inB);
  const inA = partner(b, a, inB);
  await page.getByTestId('readout-voxel').getByText(inA.join(', '), { exact: true }).waitFor();
  const shownA = await settledSuv(page);
  await settledSuv(page, 'compare-');
  assert.ok(Math.abs(shownA - value(a, inA)) <= 1e-6 * Math.max(1, value(a, inA)), `A at ${inA.join(',')}`);
  assert.equal(await page.getByTestId('compare-readout-voi').textContent(), 'L1');
  // a position outside B's field of view: B says so instead of showing a value
  await moveTo(page, '__cartoViewer', [2, 2, 0]);
  await page.getByTestId('compare-readout-voxel').getByText('outside this scan').waitFor();
  assert.equal(await page.getByTestId('compare-readout-suv').textContent(), '—');
  await page.locator('[data-testid="compare-pane"][data-overlay-at]').waitFor({ timeout: 60_000 });
  await page.locator('.viewer[data-overlay-at]').waitFor({ timeout: 60_000 });
  await assertAccessible(page, 'viewer, two timepoints');
  await screenshot(page, 'viewer-compare');
  await context.close();
}

/**
 * The app opened at a scan's address without a session: the display volume asked for ahead is refused
 * (401); after sign-in the viewer asks for it again and opens.
 */
async function signedOutOpen(h: Harness): Promise<void> {
  const { context, page } = await newPage(h);
  await signIn(page, 'admin');
  const id = (
    (await (await page.request.get('/api/studies/DRO%20study/scans')).json()) as { id: string }[]
  )[0]!.id;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Username').waitFor();
  const statuses: number[] = [];
  page.on('response', (r) => {
    if (/\/display\.nii\.gz/.test(r.url())) statuses.push(r.status());
  });
  await page.goto(`/scans/${id}`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.viewer[data-status="ready"]').waitFor({ timeout: 60_000 });
  assert.deepEqual(statuses, [401, 200]);
  await context.close();
}

/** The file's voxel (i, j, k) of flat index `q` in a grid of `size`. */
const voxOf = (size: Vec3, q: number): Vec3 => [
  q % size[0],
  Math.floor(q / size[0]) % size[1],
  Math.floor(q / (size[0] * size[1])),
];

/**
 * The viewer while suv.nii.gz is held back (page.route): the pane is ready with the float data still
 * out, its readout at known voxels is the file's value, answered by GET /api/scans/{id}/voxel; an answer
 * for an earlier position that comes late is not shown over the newer one; a compared scan's linked
 * crosshair shows that scan's value, from its own voxel route; a failed request shows its error, no
 * value; a new window and a VOI jump wait for the data and apply when they come; then both panes read
 * their float data and ask the server nothing more.
 */
async function readoutBeforeData(h: Harness): Promise<void> {
  const { context, page } = await newPage(h);
  await signIn(page, 'admin');
  const scans = (await (await page.request.get('/api/studies/DRO%20study/scans')).json()) as {
    id: string;
    scanId: string;
  }[];
  const id = scans.find((x) => x.scanId === 'S1')!.id;
  const suv = await suvVolume(page, id);
  const at = (v: Vec3) => suv.data[v[0] + suv.size[0] * (v[1] + suv.size[1] * v[2])]!;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/api\/scans\/[^/]+\/suv\.nii\.gz/, async (route) => {
    await held;
    await route.continue();
  });
  // /voxel requests: counted; the one for `late` held until `answerLate`; the one for `broken` fails
  const voxelUrls: string[] = [];
  let answerLate: () => void = () => undefined;
  const lateHeld = new Promise<void>((resolve) => (answerLate = resolve));
  // L1's SUVmax voxel (the first in file order on ties), where its row's jump lands
  const labelBytes = await (await page.request.get(`/api/scans/${id}/labels.nii.gz`)).body();
  const labels = parseNifti(new Uint8Array(labelBytes), 'labels.nii.gz').volume;
  let hot = -1;
  for (let q = 0; q < suv.data.length; q++)
    if (labels.data[q] === 1 && (hot < 0 || suv.data[q]! > suv.data[hot]!)) hot = q;
  const hotVox = voxOf(suv.size, hot);
  const late: Vec3 = [40, 50, 6];
  const newer: Vec3 = [hotVox[0], hotVox[1], hotVox[2]];
  const broken: Vec3 = [41, 50, 6];
  const query = (v: Vec3) => `i=${v[0]}&j=${v[1]}&k=${v[2]}`;
  // the first readout's voxel (the grid's centre) is asked for ahead, before niivue has the display
  // volume: the display volume is held back until a voxel is asked for (for 10 s at most)
  let voxelAsked: () => void = () => undefined;
  const firstVoxel = new Promise<boolean>((resolve) => (voxelAsked = () => resolve(true)));
  const displayHeld: boolean[] = [];
  await page.route(/\/api\/scans\/[^/]+\/display\.nii\.gz\?/, async (route) => {
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000));
    displayHeld.push(await Promise.race([firstVoxel, timeout]));
    await route.continue();
  });
  await page.route(/\/api\/scans\/[^/]+\/voxel\?/, async (route) => {
    const url = route.request().url();
    voxelUrls.push(url);
    voxelAsked();
    if (url.endsWith(query(late))) await lateHeld;
    if (url.endsWith(query(broken))) return route.fulfill({ status: 500, json: { error: 'disk on fire' } });
    await route.continue();
  });
  // the app opened at the scan's address renders its page once the viewer's chunk is in: the
  // Suspense fallback (which React would keep for at least 300 ms) never shows, even when the chunk
  // comes after the session's answer (held back here)
  await page.route(/\/assets\/ScanViewer-[^/]+\.js$/, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await route.continue();
  });
  await page.addInitScript(`new MutationObserver(() => {
    if (document.body?.textContent?.includes('Loading the viewer')) window.__viewerFallbackShown = true;
  }).observe(document, { childList: true, subtree: true, characterData: true });`);
  // the display volume is asked for once, by the app's first chunk, before the viewer's chunk is in
  // (src/viewer/scan-files.ts: the viewer takes that request)
  const displayAsked: number[] = [];
  let chunkIn = 0;
  page.on('request', (r) => {
    if (/\/display\.nii\.gz\?windowMax=5$/.test(r.url())) displayAsked.push(Date.now());
  });
  page.on('requestfinished', (r) => {
    if (/\/assets\/ScanViewer-[^/]+\.js$/.test(r.url())) chunkIn = Date.now();
  });
  await page.goto(`/scans/${id}`);
  const viewer = page.locator('.viewer[data-status="ready"]');
  await viewer.waitFor({ timeout: 60_000 });
  assert.equal(await page.evaluate('window.__viewerFallbackShown ?? false'), false);
  assert.equal(displayAsked.length, 1, 'one request for the display volume');
  assert.ok(chunkIn > 0 && displayAsked[0]! < chunkIn, 'asked before the viewer chunk was in');
  // ready with the float data still out: the first readout came from the voxel route
  assert.equal(await viewer.getAttribute('data-data-at'), null);
  assert.equal(await viewer.getAttribute('data-readout-source'), 'voxel');
  const centre = suv.size.map((n) => n >> 1) as Vec3;
  assert.deepEqual(displayHeld, [true], 'a voxel asked for before the display volume was answered');
  assert.deepEqual(
    voxelUrls.map((u) => u.replace(/.*\?/, '')),
    [query(centre)],
    'the first readout asked the voxel route once, for the centre',
  );
  // known voxels: the file's value, from the voxel route
  for (const v of [hotVox, [10, 200, 15] as Vec3]) {
    await moveTo(page, '__cartoViewer', v);
    await page.getByTestId('readout-voxel').getByText(v.join(', '), { exact: true }).waitFor();
    const r = await readout(page);
    assert.equal(r.source, 'voxel');
    assert.ok(Math.abs(r.suv - at(v)) <= 1e-6 * Math.max(1, at(v)), `SUV at ${v.join(',')}: ${r.suv}`);
    assert.ok(
      voxelUrls.some((u) => u.endsWith(query(v))),
      `asked for ${v.join(',')}`,
    );
  }
  assert.equal((await readout(page)).voi, 'none');
  // a late answer for an earlier position does not overwrite the newer one
  const lateAnswer = page.waitForResponse((r) => r.url().endsWith(query(late)));
  await moveTo(page, '__cartoViewer', late);
  await moveTo(page, '__cartoViewer', newer);
  await page.getByTestId('readout-voxel').getByText(newer.join(', '), { exact: true }).waitFor();
  assert.equal((await readout(page)).suv, at(newer));
  answerLate();
  await lateAnswer;
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
  const after = await readout(page);
  assert.equal(after.vox, newer.join(', '));
  assert.equal(after.suv, at(newer));
  assert.equal(after.voi, 'L1');
  // linked crosshairs before the float data are in: the compared scan S3 (its suv.nii.gz held too)
  // shows its own SUV at the same patient coordinate, from its voxel route
  const post = await suvVolume(page, scans.find((x) => x.scanId === 'S3')!.id);
  const valueB = (v: Vec3) => post.data[v[0] + post.size[0] * (v[1] + post.size[1] * v[2])]!;
  const partner = (v: Vec3) => lpsToIjk(post, ijkToLps(suv, v)).map((x) => Math.round(x)) as Vec3;
  await page.getByLabel('Compare with').selectOption({ label: 'S3 (post)' });
  const comparePane = page.locator('[data-testid="compare-pane"][data-status="ready"]');
  await comparePane.waitFor({ timeout: 60_000 });
  assert.equal(await comparePane.getAttribute('data-data-at'), null);
  const linked: Vec3 = [110, 120, 10];
  await moveTo(page, '__cartoViewer', linked);
  await page
    .getByTestId('compare-readout-voxel')
    .getByText(partner(linked).join(', '), { exact: true })
    .waitFor();
  assert.equal(await settledSuv(page, 'compare-'), valueB(partner(linked)));
  assert.equal(await page.getByTestId('compare-readout-suv').getAttribute('data-source'), 'voxel');
  // a failed request shows its error, not a value
  await moveTo(page, '__cartoViewer', broken);
  const failed = page.locator('[data-testid="readout-suv"][data-state="error"]');
  await failed.waitFor();
  assert.equal(await failed.getAttribute('data-value'), null);
  assert.match((await failed.textContent()) ?? '', /voxel 41, 50, 6: HTTP 500: disk on fire/);
  // a new window and a VOI jump wait for the float data, visibly
  await page.getByRole('radio', { name: '0–10' }).check();
  await page.getByRole('button', { name: 'Go to SUVmax of L1' }).click();
  const waiting = page.getByTestId('data-status');
  assert.match(
    (await waiting.textContent()) ?? '',
    /the window 0–10 g\/mL and the jump to L1's SUVmax will apply when they are in/,
  );
  assert.equal(await page.getByTestId('readout-voxel').textContent(), broken.join(', '));
  // the data come: the jump is made, from the float data; no request per move from now on
  release();
  await page.locator('.viewer[data-data-at]').waitFor({ timeout: 60_000 });
  await page.getByTestId('readout-voxel').getByText(hotVox.join(', '), { exact: true }).waitFor();
  await waiting.waitFor({ state: 'detached' });
  const jumped = await readout(page);
  assert.equal(jumped.source, 'file');
  assert.equal(jumped.suv, at(hotVox));
  await page.locator('[data-testid="compare-pane"][data-data-at]').waitFor({ timeout: 60_000 });
  const asked = voxelUrls.length;
  await moveTo(page, '__cartoViewer', late);
  await page.getByTestId('readout-voxel').getByText(late.join(', '), { exact: true }).waitFor();
  assert.equal((await readout(page)).suv, at(late));
  // and the linked pane reads its own float data
  await page
    .getByTestId('compare-readout-voxel')
    .getByText(partner(late).join(', '), { exact: true })
    .waitFor();
  assert.equal(await settledSuv(page, 'compare-'), valueB(partner(late)));
  assert.equal(await page.getByTestId('compare-readout-suv').getAttribute('data-source'), 'file');
  assert.equal(voxelUrls.length, asked, 'no voxel request once the float data are in');
  await page.locator('.viewer[data-overlay-at]').waitFor({ timeout: 60_000 });
  // after all that (windows, a VOI jump, the overlay, a linked pane), no draw was made with niivue's
  // volume-render programs, which the viewer leaves empty (nv-passes.ts: attachWithoutVolumeRender)
  for (const hook of ['__cartoViewer', '__cartoCompareViewer'])
    assert.equal(await page.evaluate(`window.${hook}.volumeRenderDraws()`), 0, hook);
  await context.close();
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose } from '../helpers/assert-close.js';
import { gaussianBlur, ORGANS, phantomGrid, renderScan, TISSUES, anatomyMap } from '../../src/sim/phantom.js';
import type { Grid } from '../../src/imaging/volume.js';

test('phantomGrid: field of view 400 × 280 × 880 mm, identity direction', () => {
  const g = phantomGrid(5);
  assert.deepEqual(g.size, [80, 56, 176]);
  assert.deepEqual(g.direction, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  assertClose(g.originLps[0], -197.5, 0, 'origin x', 1e-12);
  const g4 = phantomGrid(4);
  assert.ok(g4.size[0] * g4.size[1] * g4.size[2] <= 100 * 70 * 220, 'the 4 mm grid stays ≤ 100×70×220');
});

test('gaussianBlur: preserves the total of an interior point source and has the right variance', () => {
  const grid: Grid = {
    size: [41, 41, 41],
    spacingMm: [2, 2, 2],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  };
  const d = new Float32Array(41 ** 3);
  const c = 20 + 41 * (20 + 41 * 20);
  d[c] = 1;
  const sigmaMm = 3;
  const b = gaussianBlur(d, grid, sigmaMm);
  let sum = 0;
  let varX = 0;
  for (let k = 0; k < 41; k++)
    for (let j = 0; j < 41; j++)
      for (let i = 0; i < 41; i++) {
        const v = b[i + 41 * (j + 41 * k)]!;
        sum += v;
        varX += v * ((i - 20) * 2) ** 2;
      }
  // Kernel normalised to 1 per axis; sampled Gaussian truncated at 3σ: variance σ² within 2 %.
  assertClose(sum, 1, 1e-5, 'sum');
  assertClose(varX, sigmaMm ** 2, 0.02, 'variance along x (mm²)');
});

test('renderScan: noise-free organ cores equal the true SUV; lesions lose uptake with the PSF (partial volume)', () => {
  const grid = phantomGrid(6);
  const organSuv = {
    spleen: 26,
    liver: 3.6,
    small_bowel: 1.6,
    bone_marrow: 2.4,
    lymph_node: 0.6,
    brain: 0.18,
    aorta: 1.5,
  };
  const small = { label: 1, centreLps: [0, -20, 520] as [number, number, number], radiusMm: 5, suv: 4 };
  const large = { label: 2, centreLps: [0, -30, 280] as [number, number, number], radiusMm: 25, suv: 4 };
  const r = renderScan(grid, {
    tissueSuv: { soft_tissue: 0.35, lung: 0.25, ...organSuv },
    lesions: [small, large],
    psfFwhmMm: 6.5,
    noiseA: 0.2,
    noiseB: 0.03,
    noiseSeed: 1,
    noiseStream: 'test',
  });
  const anat = anatomyMap(grid);
  const [nx, ny, nz] = grid.size;
  // Liver core: voxels whose 3×3×3 neighbourhood (±6 mm, ≈ 2 PSF σ) is all liver and lesion-free.
  const liver = TISSUES.indexOf('liver');
  let s = 0;
  let n = 0;
  for (let k = 1; k < nz - 1; k++)
    for (let j = 1; j < ny - 1; j++)
      for (let i = 1; i < nx - 1; i++) {
        let all = true;
        for (let c = -1; c <= 1 && all; c++)
          for (let b = -1; b <= 1 && all; b++)
            for (let a = -1; a <= 1 && all; a++)
              if (anat[i + a + nx * (j + b + ny * (k + c))] !== liver) all = false;
        if (!all) continue;
        s += r.suvNoiseFree.data[i + nx * (j + ny * k)]!;
        n++;
      }
  assert.ok(n > 500, `liver core voxels ${n}`);
  // Residual spill from 2σ away (Gaussian tail ≈ 2 % of the 3.25 contrast to soft tissue) → 1 %.
  assertClose(s / n, 3.6, 0.01, 'liver core noise-free SUV');
  // Organ label map: labels 1..7 in ORGANS order, all present.
  const present = new Set(r.organLabels.data);
  for (let g = 1; g <= ORGANS.length; g++) assert.ok(present.has(g), `organ label ${g} present`);
  // Lesion masks: both present; the small lesion's max is far below its true SUV, the large one's near it.
  let maxSmall = 0;
  let maxLarge = 0;
  let nSmall = 0;
  for (let v = 0; v < r.lesionLabels.data.length; v++) {
    if (r.lesionLabels.data[v] === 1) {
      nSmall++;
      maxSmall = Math.max(maxSmall, r.suvNoiseFree.data[v]!);
    }
    if (r.lesionLabels.data[v] === 2) maxLarge = Math.max(maxLarge, r.suvNoiseFree.data[v]!);
    if (r.lesionLabels.data[v]! > 0)
      assert.equal(r.organLabels.data[v], 0, 'lesion voxels are not organ voxels');
  }
  assert.ok(nSmall >= 1, 'a lesion smaller than a voxel still has a mask voxel');
  assert.ok(maxSmall < 0.75 * 4, `small lesion recovers < 75 % (${maxSmall})`);
  assertClose(maxLarge, 4, 0.02, 'large lesion centre recovers its SUV');
  // Noise: SD of (noisy − noise-free) in the liver core ≈ sqrt(a²·3.6 + b²) = 0.381 (±10 %).
  let d2 = 0;
  let m = 0;
  for (let v = 0; v < anat.length; v++)
    if (anat[v] === liver && r.lesionLabels.data[v] === 0) {
      d2 += (r.suv.data[v]! - r.suvNoiseFree.data[v]!) ** 2;
      m++;
    }
  assertClose(Math.sqrt(d2 / m), Math.sqrt(0.04 * 3.6 + 0.0009), 0.1, 'liver noise SD');
});

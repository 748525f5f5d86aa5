/**
 * Label erosion against an independent brute-force definition, and the TotalSegmentator v2 class table
 * (anchors from the published class map) with per-organ files combined into one label map.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { erodeLabels } from '../../src/imaging/morphology.js';
import {
  TOTALSEGMENTATOR_TOTAL_V2,
  totalSegmentatorClass,
  totalSegmentatorLabel,
} from '../../src/imaging/totalsegmentator.js';
import { writeNifti } from '../../src/io/nifti.js';
import { readPerOrganMasks } from '../../src/io/imaging-inputs.js';
import type { Volume } from '../../src/imaging/volume.js';

test('erosion by r mm = brute force (keep a voxel iff every voxel centre within r mm has its label)', () => {
  let x = 99;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const size: [number, number, number] = [16, 14, 10];
  const sp: [number, number, number] = [2, 2.5, 3];
  const data = new Uint8Array(16 * 14 * 10);
  // Blocky random labels so that erosion keeps something.
  for (let k = 0; k < 10; k++)
    for (let j = 0; j < 14; j++)
      for (let i = 0; i < 16; i++)
        data[i + 16 * (j + 14 * k)] =
          (Math.floor(i / 6) + 3 * Math.floor(j / 7) + (rnd() < 0.03 ? 1 : 0)) % 4;
  const vol: Volume<Uint8Array> = {
    size,
    spacingMm: sp,
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data,
    unit: 'label',
  };
  for (const r of [0, 2.4, 3.1, 5]) {
    const e = erodeLabels(vol, r);
    let kept = 0;
    for (let k = 0; k < 10; k++)
      for (let j = 0; j < 14; j++)
        for (let i = 0; i < 16; i++) {
          const l = data[i + 16 * (j + 14 * k)]!;
          let keep = l !== 0;
          // r ≤ 5 mm and spacing ≥ 2 mm: 3 voxels each way cover the sphere.
          for (let c = Math.max(0, k - 3); c <= Math.min(9, k + 3) && keep; c++)
            for (let b = Math.max(0, j - 3); b <= Math.min(13, j + 3) && keep; b++)
              for (let a = Math.max(0, i - 3); a <= Math.min(15, i + 3) && keep; a++)
                if (
                  Math.hypot((a - i) * sp[0], (b - j) * sp[1], (c - k) * sp[2]) <= r &&
                  data[a + 16 * (b + 14 * c)] !== l
                )
                  keep = false;
          // Voxels near the border: a lattice point within r lies outside the image → eroded.
          const out = (d: number, s: number) => (d + 1) * s <= r + 1e-9;
          if (
            keep &&
            (out(i, sp[0]) ||
              out(15 - i, sp[0]) ||
              out(j, sp[1]) ||
              out(13 - j, sp[1]) ||
              out(k, sp[2]) ||
              out(9 - k, sp[2]))
          )
            keep = false;
          assert.equal(e.data[i + 16 * (j + 14 * k)], keep ? l : 0, `r=${r} voxel ${i},${j},${k}`);
          if (keep) kept++;
        }
    if (r === 0) assert.equal(kept, data.filter((v) => v !== 0).length);
    else assert.ok(kept > 0);
  }
});

test('TotalSegmentator v2 "total": 117 distinct classes; published anchors; per-organ files → label map', () => {
  assert.equal(TOTALSEGMENTATOR_TOTAL_V2.length, 118);
  assert.equal(new Set(TOTALSEGMENTATOR_TOTAL_V2).size, 118);
  const anchors: [number, string][] = [
    [1, 'spleen'],
    [5, 'liver'],
    [18, 'small_bowel'],
    [26, 'vertebrae_S1'],
    [50, 'vertebrae_C1'],
    [51, 'heart'],
    [52, 'aorta'],
    [90, 'brain'],
    [92, 'rib_left_1'],
    [115, 'rib_right_12'],
    [117, 'costal_cartilages'],
  ];
  for (const [l, n] of anchors) {
    assert.equal(totalSegmentatorClass(l), n);
    assert.equal(totalSegmentatorLabel(n), l);
  }
  assert.equal(totalSegmentatorClass(118), undefined);
  const tmp = mkdtempSync(join(tmpdir(), 'carto-ts-'));
  try {
    const g = {
      size: [4, 3, 2] as [number, number, number],
      spacingMm: [1, 1, 1] as [number, number, number],
      originLps: [0, 0, 0] as [number, number, number],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'],
      unit: 'mask',
    };
    const a = new Uint8Array(24);
    a[0] = 1;
    a[5] = 1;
    const b = new Uint8Array(24);
    b[5] = 1;
    b[23] = 1;
    const c = new Uint8Array(24);
    c[10] = 1;
    writeNifti({ ...g, data: a }, join(tmp, 'spleen.nii.gz'));
    writeNifti({ ...g, data: b }, join(tmp, 'liver.nii.gz'));
    writeNifti({ ...g, data: c }, join(tmp, 'lymph_node_axilla.nii.gz'));
    const r = readPerOrganMasks(tmp);
    assert.deepEqual(
      [...r.classes.entries()].sort((p, q) => p[0] - q[0]),
      [
        [1, 'spleen'],
        [5, 'liver'],
        [1000, 'lymph_node_axilla'],
      ],
    );
    assert.equal(r.volume.data[0], 1);
    assert.equal(r.volume.data[23], 5);
    assert.equal(r.volume.data[10], 1000);
    assert.equal(r.volume.data[5], 1, 'overlap: the later file in name order (spleen after liver) wins');
    assert.equal(r.overlappingVoxels, 1);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

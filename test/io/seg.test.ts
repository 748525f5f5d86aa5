/**
 * DICOM SEG reader: a labelled phantom written as BINARY and FRACTIONAL SEG (dcmjs) in several
 * orientations reads back to the same label map in patient space, and gives the same VOI statistics
 * as the NIfTI label map through `carto suv`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDicomSeg } from '../../src/io/seg.js';
import { writeNifti } from '../../src/io/nifti.js';
import { maskOntoGrid } from '../../src/imaging/resample.js';
import { suvCommand } from '../../src/cli/commands/suv.js';
import type { Volume } from '../../src/imaging/volume.js';
import { allOrientations, reorient } from '../imaging/orientations.js';
import { writeSeg } from './seg-writer.js';

function phantom(): { suv: Volume<Float32Array>; labels: Volume<Uint8Array> } {
  const size: [number, number, number] = [12, 10, 7];
  const g = {
    size,
    spacingMm: [2, 2.5, 3] as [number, number, number],
    originLps: [5, -8, 40] as [number, number, number],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'],
  };
  const n = 12 * 10 * 7;
  const data = new Float32Array(n);
  const lab = new Uint8Array(n);
  for (let k = 0; k < 7; k++)
    for (let j = 0; j < 10; j++)
      for (let i = 0; i < 12; i++) {
        const q = i + 12 * (j + 10 * k);
        data[q] = 0.5 + 0.3 * i + 0.07 * j * k + (q % 5) * 0.2;
        if ((i - 3) ** 2 + (j - 4) ** 2 + (k - 3) ** 2 < 7) lab[q] = 1;
        else if (i >= 7 && i < 11 && j >= 1 && j < 8 && k >= 1 && k < 6) lab[q] = 3;
      }
  return { suv: { ...g, data, unit: 'SUV' }, labels: { ...g, data: lab, unit: 'label' } };
}

test('BINARY and FRACTIONAL SEG in 8 orientations: same label map in patient space; carto suv = NIfTI path', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'carto-seg-'));
  try {
    const { suv, labels } = phantom();
    const img = join(tmp, 'suv.nii.gz');
    writeNifti(suv, img);
    const niiMask = join(tmp, 'labels.nii.gz');
    writeNifti(labels, niiMask);
    const ref = await suvCommand(img, { mask: niiMask, suvType: 'bw' });
    assert.deepEqual(
      ref.vois.map((v) => v.label),
      [1, 3],
    );
    const dirs = allOrientations().filter((_, n) => n % 6 === 0);
    for (const [n, dir] of dirs.entries()) {
      const type = n % 2 ? 'FRACTIONAL' : 'BINARY';
      const f = join(tmp, `seg${n}.dcm`);
      writeSeg(reorient(labels, dir), f, type);
      const seg = await readDicomSeg(f);
      assert.equal(seg.segmentationType, type);
      assert.deepEqual(
        seg.segments.map((s) => s.number),
        [1, 3],
      );
      const back = maskOntoGrid(seg.volume, suv).volume;
      assert.deepEqual(Array.from(back.data), Array.from(labels.data), `orientation ${dir.join(',')}`);
      const viaSeg = await suvCommand(img, { mask: f, suvType: 'bw', resample: true });
      assert.deepEqual(
        viaSeg.vois.map((v) => v.voxelCount),
        ref.vois.map((v) => v.voxelCount),
      );
      viaSeg.vois.forEach((v, q) => {
        const r = ref.vois[q]!;
        for (const k of ['suvMin', 'suvMax', 'suvMedian'] as const) assert.equal(v[k], r[k]);
        for (const k of ['suvMean', 'suvSd', 'suvPeakLocal', 'suvPeakGlobal'] as const)
          assert.ok(Math.abs(v[k] - r[k]) <= 1e-12 * Math.abs(r[k]), k);
      });
    }
    // A SEG on the identity orientation is on the image grid: no --resample needed.
    writeSeg(labels, join(tmp, 'same.dcm'));
    const same = await suvCommand(img, { mask: join(tmp, 'same.dcm'), suvType: 'bw' });
    assert.deepEqual(
      same.vois.map((v) => v.voxelCount),
      ref.vois.map((v) => v.voxelCount),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a file that is not a SEG is refused naming SOPClassUID', async () => {
  const { sharedData } = await import('../helpers/shared-data.js');
  const rs = sharedData('imaging', 'sts-001-pet', 'dicom', 'STS_001', 'PET', 'mask', 'RS.dcm');
  await assert.rejects(
    readDicomSeg(rs),
    (e: Error) => e.name === 'InputError' && /RS\.dcm.*SOPClassUID/.test(e.message),
  );
});

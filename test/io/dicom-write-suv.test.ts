import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertClose } from '../helpers/assert-close.js';
import { writePetSeries } from '../../src/io/dicom-write.js';
import { loadPetSuv } from '../../src/io/dicom/load-pet-suv.js';
import { simulateTrial, SIM_MODEL } from '../../src/sim/trial.js';
import { ORGANS } from '../../src/sim/phantom.js';

const { noiseA: NA, noiseB: NB } = SIM_MODEL.image;
const work = mkdtempSync(join(tmpdir(), 'carto-dicom-write-suv-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('a simulated scan written as DICOM is read back by loadPetSuv: grid, header facts, SUV per voxel', async () => {
  const trial = simulateTrial({ seed: 3, patients: 3, voxelMm: 10 });
  // A cohort-3 day +7 scan: 7 days after its injection, so dates (not only times) matter.
  const acq = trial.acquisitions.find(
    (a) => a.timepoint === 'd7' && trial.patients.find((p) => p.patientId === a.patientId)!.cohort === '3',
  )!;
  const img = trial.render(acq.scanId);
  const halfLifeS = trial.study.tracer.halfLifeS;
  const decayedBq =
    acq.injectedActivityBq * Math.pow(2, -(acq.seriesMs - acq.injectionMs) / 1000 / halfLifeS);
  const factor = decayedBq / (acq.weightKg * 1000);
  const dir = join(work, acq.scanId);
  writePetSeries(
    dir,
    { ...img.suv, data: Float32Array.from(img.suv.data, (v) => v * factor), unit: 'Bq/mL' },
    {
      patientPseudonym: acq.patientId,
      patientSex: acq.sex,
      patientWeightKg: acq.weightKg,
      uidKey: `test/${acq.scanId}`,
      seriesDescription: 'test',
      radiopharmaceutical: trial.study.tracer.name,
      nuclide: '89Zr',
      halfLifeS,
      injectedDoseBq: acq.injectedActivityBq,
      injectionMs: acq.injectionMs,
      seriesMs: acq.seriesMs,
    },
  );
  const pet = await loadPetSuv(dir);
  assert.deepEqual(pet.volume.size, img.suv.size);
  assert.deepEqual(pet.volume.spacingMm, img.suv.spacingMm);
  assert.deepEqual(pet.volume.originLps, img.suv.originLps);
  assert.deepEqual(pet.volume.direction, img.suv.direction);
  assert.equal(pet.meta.units, 'BQML');
  assert.equal(pet.meta.decayCorrection, 'START');
  assert.equal(pet.meta.halfLifeS, halfLifeS);
  assertClose(pet.meta.weightKg!, acq.weightKg, 1e-12, 'weight');
  assertClose(pet.meta.doseBq!, acq.injectedActivityBq, 1e-12, 'dose');
  // Per voxel: int16 quantisation per slice (≤ slice max / 65534) plus float32 rounding.
  const [nx, ny, nz] = img.suv.size;
  for (let k = 0; k < nz; k++) {
    let max = 0;
    for (let n = 0; n < nx * ny; n++) max = Math.max(max, img.suv.data[k * nx * ny + n]!);
    for (let n = 0; n < nx * ny; n++) {
      const v = k * nx * ny + n;
      assertClose(pet.volume.data[v]!, img.suv.data[v]!, 1e-5, `voxel ${v}`, max / 65534 + 1e-6);
    }
  }
  // Organ SUVmeans of the read-back image equal the simulator's image means (same tolerance, averaged).
  const truth = trial.truth.scans.find((s) => s.scanId === acq.scanId)!;
  const sums = ORGANS.map(() => [0, 0, 0]);
  for (let v = 0; v < img.organLabels.data.length; v++) {
    const g = img.organLabels.data[v]!;
    if (g === 0) continue;
    sums[g - 1]![0]! += pet.volume.data[v]!;
    sums[g - 1]![1]! += img.suvNoiseFree.data[v]!;
    sums[g - 1]![2]!++;
  }
  ORGANS.forEach((g, i) => {
    const [s, sNf, n] = sums[i]! as [number, number, number];
    // Noise: voxel SD sqrt(a²·SUV + b²) (SIM_MODEL.image); 4 SE, doubled for PSF correlation (as in bundle-write.test).
    const se = (2 * Math.sqrt(NA ** 2 * (sNf / n) + NB ** 2)) / Math.sqrt(n);
    assertClose(s / n, sNf / n, 0, `${g} read-back mean vs noise-free expectation`, 4 * se);
    // Expected (PSF-blurred) vs the phantom's true organ SUV: partial volume on 10 mm voxels ≤ 30 %.
    assertClose(sNf / n, truth.organSuvTrue[g], 0.3, `${g} expected vs truth`);
  });
});

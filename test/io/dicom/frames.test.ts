/**
 * Dynamic series and Enhanced PET (multi-frame), built in a temporary folder from the IBSI DROs
 * with dcmjs:
 *  - dynamic: DRO_0_0 plus a second time frame (same positions, acquired 5 min later, RescaleSlope
 *    doubled, DecayCorrection START to the same series time) → picking frame 1 gives the DRO's
 *    0.20/1.00/4.00, frame 2 twice that, 'average' (equal durations) 1.5×;
 *  - Enhanced PET: DRO_1_0's 20 slices (per-slice slopes) as one multi-frame file with functional
 *    groups, frames stored in reverse order, Units only in the real-world value mapping, decay
 *    reference in DecayCorrectionDateTime → the same 0.20/1.00/4.00 as the classic series.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import dcmjs from 'dcmjs';
import { InputError } from '../../../src/errors.js';
import { loadPetSuv } from '../../../src/io/dicom/load-pet-suv.js';
import { withMetaGroupLength } from '../../../src/io/dicom/parse.js';
import { readDicomSeries } from '../../../src/io/dicom/series.js';
import { readSuvFactors } from '../../../src/io/dicom/suv-factor.js';
import { projectRoot, sharedData } from '../../helpers/shared-data.js';
import { minMedianMax, readNifti, rewriteDicom, tempDir } from './helpers.js';

const droRoot = sharedData('imaging', 'ibsi-suv-dro');
const temps: string[] = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
const round2 = (x: number): number => Math.round(x * 100) / 100;

function statsInMask(data: Float32Array, id: string): number[] {
  const mask = readNifti(join(droRoot, id, 'mask', 'DRO_mask.nii.gz'));
  const vals: number[] = [];
  for (let n = 0; n < mask.data.length; n++) if (mask.data[n]! > 0) vals.push(data[n]!);
  return minMedianMax(vals).map(round2);
}

describe('dynamic series (two time frames per slice position)', () => {
  const dir = tempDir();
  temps.push(dir);
  const src = join(droRoot, 'DRO_0_0', 'PT');
  for (const name of readdirSync(src)) {
    rewriteDicom(join(src, name), join(dir, `f1_${name}`), () => undefined);
    rewriteDicom(join(src, name), join(dir, `f2_${name}`), (ds) => {
      ds['SOPInstanceUID'] = `${String(ds['SOPInstanceUID'])}.2`;
      ds['AcquisitionTime'] = '110500.000000';
      ds['FrameReferenceTime'] = 450000;
      ds['RescaleSlope'] = Number(ds['RescaleSlope']) * 2;
    });
  }

  test('without a frame choice the reader refuses, naming the option', async () => {
    await assert.rejects(
      readDicomSeries(dir),
      (e: unknown) => e instanceof InputError && /2 time frames/.test(e.message),
    );
    await assert.rejects(
      loadPetSuv(dir),
      (e: unknown) => e instanceof InputError && /'average'/.test(e.message),
    );
  });

  test('frame 1, frame 2 and the duration-weighted average', async () => {
    const s2 = await readDicomSeries(dir, { frame: 2 });
    const s1 = await readDicomSeries(dir, { frame: 1 });
    assert.equal(s1.frameCount, 2);
    assert.equal(s2.instances[0]!.timeFrame, 2);
    for (let n = 0; n < s1.volume.data.length; n += 997)
      assert.equal(s2.volume.data[n], 2 * s1.volume.data[n]!);
    assert.deepEqual(statsInMask((await loadPetSuv(dir, { frame: 1 })).volume.data, 'DRO_0_0'), [0.2, 1, 4]);
    assert.deepEqual(statsInMask((await loadPetSuv(dir, { frame: 2 })).volume.data, 'DRO_0_0'), [0.4, 2, 8]);
    const avg = await loadPetSuv(dir, { frame: 'average' });
    assert.equal(avg.frameFactors?.length, 2);
    assert.deepEqual(statsInMask(avg.volume.data, 'DRO_0_0'), [0.3, 1.5, 6]);
  });

  test('carto suv --dicom-frame picks a frame or averages them; a bad value exits 2 naming the option', () => {
    const cli = (extra: string[]): { status: number | null; stdout: string; stderr: string } =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(projectRoot, 'src', 'cli', 'main.ts'),
          'suv',
          dir,
          '--mask',
          join(droRoot, 'DRO_0_0', 'mask', 'DRO_mask.nii.gz'),
          '--json',
          ...extra,
        ],
        { encoding: 'utf8', cwd: projectRoot },
      );
    const stats = (extra: string[]): number[] => {
      const r = cli(extra);
      assert.equal(r.status, 0, r.stderr);
      const v = (JSON.parse(r.stdout) as { vois: { suvMin: number; suvMedian: number; suvMax: number }[] })
        .vois[0]!;
      return [v.suvMin, v.suvMedian, v.suvMax].map(round2);
    };
    assert.deepEqual(stats(['--dicom-frame', '2']), [0.4, 2, 8]);
    assert.deepEqual(stats(['--dicom-frame', 'average']), [0.3, 1.5, 6]);
    const bad = cli(['--dicom-frame', '0']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--dicom-frame/);
  });

  test('suv-factor lists every instance of every frame', async () => {
    const r = await readSuvFactors(dir);
    assert.equal(r.factors.length, 40);
  });
});

describe('Enhanced PET (one multi-frame file)', () => {
  const id = 'DRO_1_0';
  const src = join(droRoot, id, 'PT');

  /** Builds the multi-frame file from the classic slices; `mutate` edits the top-level dataset. */
  function buildEnhanced(mutate: (ds: Record<string, unknown>) => void = () => undefined): string {
    const dir = tempDir();
    temps.push(dir);
    const slices = readdirSync(src)
      .sort()
      .map((name) => {
        const bytes = withMetaGroupLength(readFileSync(join(src, name)), name);
        const dict = dcmjs.data.DicomMessage.readFile(
          bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        );
        return { dict, ds: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) };
      })
      .reverse(); // stored frames in reverse slice order: the reader must sort them
    const first = slices[0]!.ds;
    const frameBytes = 256 * 256 * 2;
    const pixels = new Uint8Array(frameBytes * slices.length);
    slices.forEach((s, f) =>
      pixels.set(new Uint8Array((s.ds['PixelData'] as ArrayBuffer[])[0]!), f * frameBytes),
    );
    const keep = [
      'StudyDate',
      'SeriesDate',
      'SeriesTime',
      'Modality',
      'Manufacturer',
      'PatientSex',
      'PatientSize',
      'PatientWeight',
      'StudyInstanceUID',
      'SeriesInstanceUID',
      'FrameOfReferenceUID',
      'SamplesPerPixel',
      'PhotometricInterpretation',
      'Rows',
      'Columns',
      'BitsAllocated',
      'BitsStored',
      'HighBit',
      'PixelRepresentation',
      'RadiopharmaceuticalInformationSequence',
    ];
    const ds: Record<string, unknown> = {};
    for (const k of keep) ds[k] = first[k];
    Object.assign(ds, {
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.130',
      SOPInstanceUID: '1.2.826.0.1.3680043.10.3.1',
      NumberOfFrames: slices.length,
      DecayCorrected: 'YES',
      AttenuationCorrected: 'YES',
      DecayCorrectionDateTime: '20250101110000.000000',
      SharedFunctionalGroupsSequence: [
        {
          PlaneOrientationSequence: [{ ImageOrientationPatient: first['ImageOrientationPatient'] }],
          PixelMeasuresSequence: [{ PixelSpacing: first['PixelSpacing'], SliceThickness: 4 }],
          RealWorldValueMappingSequence: [
            {
              RealWorldValueSlope: 1,
              RealWorldValueIntercept: 0,
              LUTLabel: 'BQML',
              MeasurementUnitsCodeSequence: [
                { CodeValue: 'Bq/ml', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'Becquerels/milliliter' },
              ],
            },
          ],
        },
      ],
      PerFrameFunctionalGroupsSequence: slices.map((s) => ({
        PlanePositionSequence: [{ ImagePositionPatient: s.ds['ImagePositionPatient'] }],
        PixelValueTransformationSequence: [
          { RescaleSlope: s.ds['RescaleSlope'], RescaleIntercept: 0, RescaleType: 'BQML' },
        ],
        FrameContentSequence: [
          { FrameAcquisitionDateTime: '20250101110000.000000', FrameAcquisitionDuration: 300000 },
        ],
      })),
      PixelData: [pixels.buffer],
      _vrMap: { PixelData: 'OW' },
    });
    mutate(ds);
    const meta = { ...slices[0]!.dict.meta };
    const out = new dcmjs.data.DicomDict(meta);
    out.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
    writeFileSync(join(dir, 'enhanced.dcm'), new Uint8Array(out.write()));
    return dir;
  }

  test('geometry equals the classic series, SUVbw in the mask = 0.20 / 1.00 / 4.00', async () => {
    const dir = buildEnhanced();
    const enh = await readDicomSeries(dir);
    const classic = await readDicomSeries(src);
    assert.deepEqual(enh.volume.size, classic.volume.size);
    assert.deepEqual(enh.volume.originLps, classic.volume.originLps);
    assert.deepEqual(enh.volume.spacingMm, classic.volume.spacingMm);
    assert.deepEqual(enh.volume.data, classic.volume.data);
    assert.equal(enh.units, 'BQML');
    const suv = await loadPetSuv(dir);
    assert.equal(suv.meta.referenceTimeRule, 'decay-correction-datetime');
    assert.deepEqual(statsInMask(suv.volume.data, id), [0.2, 1, 4]);
    const f = await readSuvFactors(join(dir, 'enhanced.dcm'));
    assert.equal(f.factors.length, 20);
  });

  test('DecayCorrected NO → per-frame decay correction (NONE) from the frame times', async () => {
    const dir = buildEnhanced((ds) => {
      ds['DecayCorrected'] = 'NO';
      delete ds['DecayCorrectionDateTime'];
    });
    const suv = await loadPetSuv(dir);
    assert.equal(suv.meta.decayCorrection, 'NONE');
    // Read as not decay-corrected, each frame's values are activity during the frame that starts at
    // 11:00 = the DRO's START reference: SUV = stored·W/D·e^(λ·1 h)·λT/(1 − e^(−λT)), i.e. the DRO's
    // SUV (median 1.00) times the frame-average factor for T = 300 s. Independent closed form:
    const t12 = 6586.2;
    const x = (300 * Math.LN2) / t12;
    const expectedMedian = 1.0 * (x / (1 - Math.pow(2, -300 / t12)));
    assert.ok(Math.abs(expectedMedian - 1.0159) < 1e-4);
    assert.equal(statsInMask(suv.volume.data, id)[1], round2(expectedMedian));
  });

  test('an Enhanced file without AttenuationCorrected YES is refused for SUV', async () => {
    const dir = buildEnhanced((ds) => {
      ds['AttenuationCorrected'] = 'NO';
    });
    await assert.rejects(loadPetSuv(dir), (e: unknown) => e instanceof InputError && /ATTN/.test(e.message));
  });
});

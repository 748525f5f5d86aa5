/**
 * PET DICOM series reader: geometry and values against the NIfTI export of the same image
 * (STS_001, Implicit VR, GE), the IBSI DROs (no (0002,0000) group length), RTSTRUCT parsing, and
 * the bad-input errors (truncated file, mixed series, missing slice, non-image / non-DICOM files).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { readDicomSeries } from '../../../src/io/dicom/series.js';
import { readRtstruct } from '../../../src/io/dicom/rtstruct.js';
import { parseDicomBytes } from '../../../src/io/dicom/parse.js';
import { sharedData } from '../../helpers/shared-data.js';
import { assertClose } from '../../helpers/assert-close.js';
import { copySeries, readNifti, tempDir } from './helpers.js';

const sts = sharedData('imaging', 'sts-001-pet');
const stsDicom = join(sts, 'dicom', 'STS_001', 'PET', 'image');
const dro = (id: string): string => sharedData('imaging', 'ibsi-suv-dro', id);

const temps: string[] = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
function tmp(): string {
  const d = tempDir();
  temps.push(d);
  return d;
}

/** Asserts that `p` rejects with an InputError whose message matches every pattern. */
async function rejectsInput(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    for (const re of patterns) assert.match(err.message, re);
    return true;
  });
}

describe('readDicomSeries: STS_001 (real GE PET, Implicit VR)', () => {
  test('geometry equals the NIfTI export (LPS = RAS with x, y negated)', async () => {
    const s = await readDicomSeries(stsDicom);
    const nii = readNifti(join(sts, 'nifti', 'STS_001', 'PET_image.nii.gz'));
    assert.deepEqual(s.volume.size, nii.dims);
    assert.equal(s.units, 'GML');
    assert.equal(s.instances.length, 59);
    // Tolerance 1e-4 mm: the NIfTI header stores float32.
    for (let a = 0; a < 3; a++) assertClose(s.volume.spacingMm[a]!, nii.pixDims[a]!, 0, `spacing ${a}`, 1e-4);
    const niiOriginLps = [-nii.affine[0]![3]!, -nii.affine[1]![3]!, nii.affine[2]![3]!];
    for (let a = 0; a < 3; a++) assertClose(s.volume.originLps[a]!, niiOriginLps[a]!, 0, `origin ${a}`, 1e-4);
    assert.deepEqual(s.volume.direction, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    // Sorted along +z.
    for (let k = 1; k < 59; k++) {
      assert.ok(s.instances[k]!.positionLps[2] > s.instances[k - 1]!.positionLps[2]);
    }
  });

  test('rescaled values (per-slice RescaleSlope) equal the NIfTI image voxel by voxel', async () => {
    const s = await readDicomSeries(stsDicom);
    const nii = readNifti(join(sts, 'nifti', 'STS_001', 'PET_image.nii.gz'));
    let maxRel = 0;
    let maxV = 0;
    for (let n = 0; n < nii.data.length; n++) {
      const e = nii.data[n]!;
      maxV = Math.max(maxV, e);
      maxRel = Math.max(maxRel, Math.abs(s.volume.data[n]! - e) / Math.max(1e-3, Math.abs(e)));
    }
    // Both are float32 renderings of m·P: 1e-6 relative covers two float32 roundings.
    assert.ok(maxRel < 1e-6, `max relative difference ${maxRel}`);
    assert.ok(maxV > 20, 'the lesion is in the crop');
  });

  test('returned objects carry no direct identifiers', async () => {
    const s = await readDicomSeries(stsDicom);
    const text = JSON.stringify(s.instances);
    for (const key of [
      'PatientName',
      'PatientID',
      'PatientBirthDate',
      'AccessionNumber',
      'InstitutionName',
    ]) {
      assert.ok(!text.includes(key), `${key} leaked`);
    }
    // The file's PatientName/PatientID value is "STS_001"; it must not appear in any header value.
    assert.ok(!JSON.stringify(s.instances.map((i) => i.header)).includes('"STS_001"'));
  });
});

describe('readDicomSeries: IBSI DRO (no File Meta group length)', () => {
  test('reads DRO_1_0 with its per-slice rescale slopes', async () => {
    const s = await readDicomSeries(join(dro('DRO_1_0'), 'PT'));
    assert.deepEqual(s.volume.size, [256, 256, 20]);
    assert.deepEqual(s.volume.spacingMm, [4, 4, 4]);
    assert.equal(s.units, 'BQML');
    const slopes = new Set(s.instances.map((i) => i.rescaleSlope));
    assert.ok(slopes.size > 1, 'slopes differ per slice');
    // Value = stored × slope of that slice: re-derive slice 10's first non-zero voxel from the file.
    const first = s.instances[10]!;
    const parsed = parseDicomBytes(readFileSync(first.file), first.file);
    const px = parsed.pixelData!;
    const stored = new Int16Array(px.buffer.slice(px.byteOffset, px.byteOffset + px.byteLength));
    let n = 0;
    while (stored[n] === 0) n++;
    assert.ok(n < stored.length, 'slice 10 has uptake');
    assert.equal(s.volume.data[10 * 256 * 256 + n], Math.fround(stored[n]! * first.rescaleSlope));
  });

  test('readRtstruct: DRO and STS_001 structure sets', async () => {
    const rs = await readRtstruct(join(dro('DRO_0_0'), 'RS', 'RS_dro_0_0.dcm'));
    const s = await readDicomSeries(join(dro('DRO_0_0'), 'PT'));
    assert.equal(rs.referencedSeriesUid, s.seriesInstanceUid);
    assert.equal(rs.frameOfReferenceUid, s.frameOfReferenceUid);
    assert.ok(rs.rois.length >= 1);
    for (const roi of rs.rois) {
      for (const c of roi.contours) {
        assert.equal(c.pointsLps.length % 3, 0);
        assert.equal(c.geometricType, 'CLOSED_PLANAR');
      }
    }
    const stsRs = await readRtstruct(join(sts, 'dicom', 'STS_001', 'PET', 'mask', 'RS.dcm'));
    assert.deepEqual(
      stsRs.rois.map((r) => r.name),
      ['GTV_Mass_PET'],
    );
    assert.ok(stsRs.rois[0]!.contours.length > 10);
    const stsSeries = await readDicomSeries(stsDicom);
    assert.equal(stsRs.referencedSeriesUid, stsSeries.seriesInstanceUid);
    // Every contour is planar on a slice position of the image (z in LPS).
    const zs = stsSeries.instances.map((i) => i.positionLps[2]);
    for (const c of stsRs.rois[0]!.contours) {
      const z = c.pointsLps[2]!;
      assert.ok(
        zs.some((sz) => Math.abs(sz - z) < 0.01),
        `contour z ${z} on a slice`,
      );
    }
  });

  test('readRtstruct refuses an image file', async () => {
    await rejectsInput(readRtstruct(join(stsDicom, '000001.dcm')), /not an RT Structure Set/, /SOPClassUID/);
  });
});

describe('readDicomSeries: bad input', () => {
  const src = (): string => join(dro('DRO_0_0'), 'PT');

  test('truncated pixel data: error names the file and PixelData', async () => {
    const d = tmp();
    const names = copySeries(src(), d);
    const victim = join(d, names[5]!);
    truncateSync(victim, readFileSync(victim).length - 1000);
    await rejectsInput(readDicomSeries(d), new RegExp(names[5]!), /PixelData/, /truncated/);
  });

  test('file cut inside the header: error names the file', async () => {
    const d = tmp();
    const names = copySeries(src(), d);
    truncateSync(join(d, names[0]!), 700);
    await rejectsInput(readDicomSeries(d), new RegExp(names[0]!), /truncated file: element \(0008,103E\)/);
  });

  test('mixed SeriesInstanceUIDs', async () => {
    const d = tmp();
    copySeries(src(), d);
    copyFileSync(join(dro('DRO_1_0'), 'PT', 'pet_dro_1_0_slice_003.dcm'), join(d, 'other.dcm'));
    await rejectsInput(readDicomSeries(d), /mixes 2 series/, /SeriesInstanceUID/);
  });

  test('mixed series can be split by choosing one SeriesInstanceUID', async () => {
    const d = tmp();
    copySeries(src(), d);
    copyFileSync(join(dro('DRO_1_0'), 'PT', 'pet_dro_1_0_slice_003.dcm'), join(d, 'other.dcm'));
    const full = await readDicomSeries(src());
    const s = await readDicomSeries(d, { seriesInstanceUid: full.seriesInstanceUid });
    assert.equal(s.instances.length, 20);
  });

  test('missing slice: uneven spacing names the neighbouring files and ImagePositionPatient', async () => {
    const d = tmp();
    copySeries(src(), d, (n) => !n.endsWith('_010.dcm'));
    await rejectsInput(
      readDicomSeries(d),
      /uneven slice spacing: 8\.000 mm/,
      /slice_009\.dcm and .*slice_011\.dcm/,
      /ImagePositionPatient/,
    );
  });

  test('non-image DICOM (RTSTRUCT) in the series folder', async () => {
    const d = tmp();
    copySeries(src(), d);
    copyFileSync(join(dro('DRO_0_0'), 'RS', 'RS_dro_0_0.dcm'), join(d, 'rs.dcm'));
    await rejectsInput(readDicomSeries(d), /rs\.dcm/, /not an image/, /PixelData/);
  });

  test('non-DICOM file in the series folder', async () => {
    const d = tmp();
    copySeries(src(), d);
    writeFileSync(join(d, 'notes.txt'), 'scan notes\n');
    await rejectsInput(readDicomSeries(d), /notes\.txt/, /not a DICOM Part-10 file/);
  });

  test('empty folder and missing folder', async () => {
    await rejectsInput(readDicomSeries(tmp()), /no files/);
    await rejectsInput(readDicomSeries(join(tmp(), 'nope')), /cannot open series folder/);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import dcmjs from 'dcmjs';
import { assertClose } from '../helpers/assert-close.js';
import {
  deterministicUid,
  formatDs,
  writePetSeries,
  type PetSeriesHeader,
} from '../../src/io/dicom-write.js';
import type { Volume } from '../../src/imaging/volume.js';

const work = mkdtempSync(join(tmpdir(), 'carto-dicom-write-'));
after(() => rmSync(work, { recursive: true, force: true }));

const HALF_LIFE_S = 282276;
const injectionMs = Date.parse('2023-03-01T09:15:30Z');
const seriesMs = Date.parse('2023-03-03T10:05:00Z');
const header: PetSeriesHeader = {
  patientPseudonym: 'VT-07',
  patientSex: 'F',
  patientAgeYears: 61,
  patientWeightKg: 68.4,
  uidKey: 'test/VT-07-pre',
  seriesDescription: 'test series',
  radiopharmaceutical: '89Zr-ZED88082A',
  nuclide: '89Zr',
  halfLifeS: HALF_LIFE_S,
  injectedDoseBq: 36.9e6,
  injectionMs,
  seriesMs,
};

/** A 7×5×4 volume of SUVs with different maxima per slice, converted to Bq/mL. */
function testVolume(): { bq: Volume; suv: Float32Array; factor: number } {
  const size: [number, number, number] = [7, 5, 4];
  const n = 7 * 5 * 4;
  const suv = new Float32Array(n);
  for (let v = 0; v < n; v++) suv[v] = ((v * 37) % 101) / 10 / (1 + Math.floor(v / 35));
  const decayed = header.injectedDoseBq * Math.pow(2, -(seriesMs - injectionMs) / 1000 / HALF_LIFE_S);
  const factor = decayed / (header.patientWeightKg * 1000);
  const bq = Float32Array.from(suv, (s) => s * factor);
  return {
    bq: {
      size,
      spacingMm: [4, 3.5, 5],
      originLps: [-12, -7, 100],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      data: bq,
      unit: 'Bq/mL',
    },
    suv,
    factor,
  };
}

function readNatural(file: string): Record<string, unknown> {
  const buf = readFileSync(file);
  const dict = dcmjs.data.DicomMessage.readFile(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
  );
  return {
    ...dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta),
    ...dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict),
  };
}

test('writePetSeries: dcmjs round trip recovers geometry, PET tags and SUV within int16 quantisation', () => {
  const { bq, suv } = testVolume();
  const dir = join(work, 'a');
  const files = writePetSeries(dir, bq, header);
  assert.equal(files.length, 4);
  assert.deepEqual(readdirSync(dir).sort(), ['IM0001.dcm', 'IM0002.dcm', 'IM0003.dcm', 'IM0004.dcm']);
  const slopes = new Set<number>();
  const sopUids = new Set<string>();
  for (let k = 0; k < 4; k++) {
    const ds = readNatural(files[k]!);
    assert.equal(ds['Modality'], 'PT');
    assert.equal(ds['SOPClassUID'], '1.2.840.10008.5.1.4.1.1.128');
    assert.equal(ds['TransferSyntaxUID'], '1.2.840.10008.1.2.1');
    assert.equal(ds['Units'], 'BQML');
    assert.equal(ds['DecayCorrection'], 'START');
    assert.deepEqual(ds['CorrectedImage'], ['ATTN', 'DECY']);
    assert.equal(ds['Rows'], 5);
    assert.equal(ds['Columns'], 7);
    assert.deepEqual(ds['PixelSpacing'], [3.5, 4]);
    assert.equal(ds['SliceThickness'], 5);
    assert.deepEqual(ds['ImageOrientationPatient'], [1, 0, 0, 0, 1, 0]);
    assert.deepEqual(ds['ImagePositionPatient'], [-12, -7, 100 + 5 * k]);
    assert.equal(ds['SeriesDate'], '20230303');
    assert.equal(String(ds['SeriesTime']).trim(), '100500.000000');
    assert.equal(ds['PatientWeight'], 68.4);
    const rp = (ds['RadiopharmaceuticalInformationSequence'] as Record<string, unknown>[])[0]!;
    assert.equal(String(rp['RadiopharmaceuticalStartDateTime']).trim(), '20230301091530.000000');
    assert.equal(rp['RadionuclideTotalDose'], 36.9e6);
    assert.equal(rp['RadionuclideHalfLife'], HALF_LIFE_S);
    const code = (rp['RadionuclideCodeSequence'] as Record<string, unknown>[])[0]!;
    assert.equal(code['CodeValue'], 'C-168A4');
    // No direct identifiers: name and birth date empty, PatientID = the pseudonym.
    assert.deepEqual(ds['PatientName'], [], 'PatientName present (type 2) but empty');
    assert.equal(ds['PatientBirthDate'], '', 'PatientBirthDate empty');
    assert.equal(ds['PatientID'], 'VT-07');
    assert.equal(ds['PatientIdentityRemoved'], 'YES');
    // SUV = stored × slope × weight(g) / (dose × 2^(−Δt/T½)), Δt = series − injection.
    const slope = Number(ds['RescaleSlope']);
    assert.equal(Number(ds['RescaleIntercept']), 0);
    slopes.add(slope);
    sopUids.add(String(ds['SOPInstanceUID']));
    const stored = new Int16Array((ds['PixelData'] as ArrayBuffer[])[0]!);
    const dtS = (Date.parse('2023-03-03T10:05:00Z') - Date.parse('2023-03-01T09:15:30Z')) / 1000;
    const suvFactor = (68.4 * 1000) / (36.9e6 * Math.pow(2, -dtS / HALF_LIFE_S));
    let maxSuv = 0;
    for (let n = 0; n < 35; n++) maxSuv = Math.max(maxSuv, suv[k * 35 + n]!);
    for (let n = 0; n < 35; n++) {
      // int16 quantisation: |error| ≤ slope/2 in Bq/mL, i.e. ≤ maxSuv/65534 in SUV (+ float32 rounding).
      assertClose(
        stored[n]! * slope * suvFactor,
        suv[k * 35 + n]!,
        0,
        `slice ${k} voxel ${n}`,
        maxSuv / 65534 + 1e-5,
      );
    }
  }
  assert.equal(slopes.size, 4, 'each slice has its own RescaleSlope');
  assert.equal(sopUids.size, 4, 'SOP Instance UIDs are unique');
});

test('writePetSeries: deterministic bytes and UIDs for the same key; different UIDs for another key', () => {
  const { bq } = testVolume();
  const a = writePetSeries(join(work, 'd1'), bq, header);
  const b = writePetSeries(join(work, 'd2'), bq, header);
  const c = writePetSeries(join(work, 'd3'), bq, { ...header, uidKey: 'test/other' });
  for (let k = 0; k < a.length; k++) assert.deepEqual(readFileSync(a[k]!), readFileSync(b[k]!));
  assert.notEqual(readNatural(a[0]!)['SeriesInstanceUID'], readNatural(c[0]!)['SeriesInstanceUID']);
  const uid = deterministicUid('x');
  assert.match(uid, /^2\.25\.[1-9][0-9]{0,38}$/);
  assert.ok(uid.length <= 64);
});

test('formatDs: at most 16 characters, round-trips closely', () => {
  for (const v of [
    0, 1, -1, 282276, 36.9e6, 0.123456789012345, 1.23456789e-7, -98765.4321098, 123456789012.345,
  ]) {
    const s = formatDs(v);
    assert.ok(s.length <= 16, `${v} → ${s}`);
    assertClose(Number(s), v, 1e-9, `DS ${v}`, 1e-18);
  }
});

test('writePetSeries: refuses a missing weight, dose or an injection after the scan', () => {
  const { bq } = testVolume();
  assert.throws(
    () => writePetSeries(join(work, 'e'), bq, { ...header, patientWeightKg: 0 }),
    /PatientWeight/,
  );
  assert.throws(
    () => writePetSeries(join(work, 'e'), bq, { ...header, injectedDoseBq: 0 }),
    /RadionuclideTotalDose/,
  );
  assert.throws(
    () => writePetSeries(join(work, 'e'), bq, { ...header, injectionMs: seriesMs + 1 }),
    /injection/,
  );
});

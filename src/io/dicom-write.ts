/**
 * Writes a PET image series as DICOM Part-10 files (PET Image Storage, one file per axial slice,
 * Explicit VR Little Endian) with dcmjs: int16 pixels with a per-slice RescaleSlope, Units BQML,
 * DecayCorrection START (pixel values decay-corrected to the series start), CorrectedImage
 * ATTN\DECY, and the Radiopharmaceutical Information Sequence (start date-time, total dose in Bq,
 * half-life, radionuclide code). No direct identifiers: PatientName and PatientBirthDate are written
 * empty (type 2), PatientID carries the study pseudonym, PatientIdentityRemoved = YES.
 * Source: DICOM PS3.3 C.8.9 (PET Series, PET Isotope, PET Image modules), PS3.5 (VRs), PS3.10.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { InputError } from '../errors.js';
import type { Volume } from '../imaging/volume.js';

const { DicomDict, DicomMetaDictionary } = dcmjs.data;

/** PET Image Storage SOP class. */
export const PET_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.128';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

/** Radionuclide codes (DICOM CID 4020, SRT). */
export const RADIONUCLIDES: Record<string, { code: string; meaning: string; halfLifeS: number }> = {
  '89Zr': { code: 'C-168A4', meaning: '^89^Zirconium', halfLifeS: 282276 },
  '18F': { code: 'C-111A1', meaning: '^18^Fluorine', halfLifeS: 6586.2 },
};

/** Header facts of one PET series (times are UTC wall-clock epoch ms, written without a zone). */
export interface PetSeriesHeader {
  /** Pseudonymous patient ID (written as PatientID). */
  patientPseudonym: string;
  patientSex: 'M' | 'F' | 'O';
  patientAgeYears?: number;
  patientWeightKg: number;
  /** Seed of the deterministic UIDs (e.g. `virtual-trial/1/VT-01-pre`). */
  uidKey: string;
  studyKey?: string;
  seriesDescription: string;
  seriesNumber?: number;
  radiopharmaceutical: string;
  /** Key of `RADIONUCLIDES`. */
  nuclide: string;
  halfLifeS: number;
  injectedDoseBq: number;
  injectionMs: number;
  /** Series (and acquisition) start = the decay-correction reference time. */
  seriesMs: number;
  /** Frame duration per bed position (s); default 600. */
  frameDurationS?: number;
}

/**
 * A deterministic DICOM UID under the 2.25 root (ITU-T X.667: a 128-bit integer), derived from a
 * SHA-256 of `key`, so the same simulated scan always gets the same UIDs.
 */
export function deterministicUid(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return `2.25.${BigInt(`0x${hex}`).toString()}`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** DICOM DA (YYYYMMDD) of UTC wall-clock epoch ms. */
export function dicomDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}
/** DICOM TM (HHMMSS.ffffff) of UTC wall-clock epoch ms. */
export function dicomTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`;
}

/** A DS string of at most 16 characters that round-trips to (nearly) `v`. */
export function formatDs(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`DS value must be finite (got ${v})`);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  for (let p = 12; p >= 4; p--) {
    const s = String(Number(v.toPrecision(p)));
    if (s.length <= 16) return s;
    const e = v.toExponential(p - 1).replace('e+', 'e');
    if (e.length <= 16) return e;
  }
  return v.toExponential(3);
}

const IS_WIDTH = 12;
const DS_WIDTH = 16;

/** A 2.25 UID of exactly 43 characters (38-digit integer) from a SHA-256 of `key`. */
function fixedLengthUid(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex').slice(0, 32);
  const n = (BigInt(`0x${hex}`) % (9n * 10n ** 37n)) + 10n ** 37n;
  return `2.25.${n.toString()}`;
}

/**
 * Offset of the value of the unique explicit-VR element (group, element, VR) with the given value
 * length in `bytes`; throws when it is missing or not unique (then the template cannot be patched).
 */
function findElement(bytes: Uint8Array, group: number, element: number, vr: string, length: number): number {
  const sig = [
    group & 0xff,
    group >> 8,
    element & 0xff,
    element >> 8,
    vr.charCodeAt(0),
    vr.charCodeAt(1),
    length & 0xff,
    length >> 8,
  ];
  let found = -1;
  outer: for (let i = 0; i + sig.length <= bytes.length; i++) {
    for (let j = 0; j < sig.length; j++) if (bytes[i + j] !== sig[j]) continue outer;
    if (found >= 0)
      throw new Error(`DICOM template: element (${group.toString(16)},${element.toString(16)}) not unique`);
    found = i + sig.length;
  }
  if (found < 0)
    throw new Error(
      `DICOM template: element (${group.toString(16)},${element.toString(16)}) ${vr} not found`,
    );
  return found;
}

/** Writes `text` at `offset`, padded with `padChar` to the element's fixed width (from the template). */
function putAscii(out: Uint8Array, offset: number, text: string, padChar: string): void {
  const width = out[offset - 2]! | (out[offset - 1]! << 8);
  if (text.length > width) throw new Error(`DICOM template: value "${text}" longer than ${width}`);
  for (let i = 0; i < width; i++)
    out[offset + i] = (i < text.length ? text : padChar).charCodeAt(i < text.length ? i : 0);
}

/**
 * Writes `volume` (activity concentration in Bq/mL, axis-aligned or oblique grid) as a PET series,
 * one file per k-slice named `IM0001.dcm`, … in `dir` (created). Each slice gets its own
 * RescaleSlope = max|value| / 32767 (as a DS string; the stored integers are computed with the
 * written slope so readers recover value ≈ slope × stored), RescaleIntercept 0.
 *
 * @param dir output folder (created if missing).
 * @param volumeBqml activity concentration (Bq/mL) decay-corrected to `header.seriesMs`.
 * @param header patient pseudonym, weight (kg), dose (Bq), injection and series times, tracer.
 * @returns the written file paths, in slice order.
 * @throws InputError for an unknown nuclide, a non-positive weight or dose, or an injection after
 *   the series start.
 */
export function writePetSeries(dir: string, volumeBqml: Volume, header: PetSeriesHeader): string[] {
  const nuc = checkPetSeriesHeader(header);
  mkdirSync(dir, { recursive: true });
  const [nx, ny, nz] = volumeBqml.size;
  const sz = volumeBqml.spacingMm[2];
  const d = volumeBqml.direction;
  const { bytes, at } = encodeSliceTemplate(petSeriesAttributes(volumeBqml, header, nuc), nx, ny);
  const pixelOffset = bytes.length - nx * ny * 2;
  const files: string[] = [];
  const px = new Int16Array(nx * ny);
  const pxBytes = new Uint8Array(px.buffer);
  // step: per slice, its own RescaleSlope and pixels, UID, number and position patched into the template.
  for (let k = 0; k < nz; k++) {
    let maxAbs = 0;
    const off = k * nx * ny;
    for (let n = 0; n < nx * ny; n++) {
      const a = Math.abs(volumeBqml.data[off + n]!);
      if (a > maxAbs) maxAbs = a;
    }
    const slopeStr = formatDs(maxAbs > 0 ? maxAbs / 32767 : 1);
    const slope = Number(slopeStr);
    for (let n = 0; n < px.length; n++)
      px[n] = Math.max(-32768, Math.min(32767, Math.round(volumeBqml.data[off + n]! / slope)));
    const pos = [0, 1, 2].map((a) => formatDs(volumeBqml.originLps[a]! + k * sz * d[6 + a]!));
    const sopUid = fixedLengthUid(`sop/${header.uidKey}/${k}`);
    const out = bytes.slice();
    putAscii(out, at.mediaSop, sopUid, '\0');
    putAscii(out, at.sop, sopUid, '\0');
    putAscii(out, at.instance, String(k + 1), ' ');
    putAscii(out, at.position, pos.join('\\'), ' ');
    putAscii(out, at.location, pos[2]!, ' ');
    putAscii(out, at.slope, slopeStr, ' ');
    out[at.index] = (k + 1) & 0xff;
    out[at.index + 1] = ((k + 1) >> 8) & 0xff;
    out.set(pxBytes, pixelOffset);
    const file = join(dir, `IM${pad(k + 1, 4)}.dcm`);
    writeFileSync(file, out);
    files.push(file);
  }
  return files;
}

// step: the header's checks; returns the nuclide's code.
function checkPetSeriesHeader(header: PetSeriesHeader): { code: string; meaning: string } {
  const nuc = RADIONUCLIDES[header.nuclide];
  if (!nuc) throw new InputError('unknown radionuclide', { field: 'nuclide', value: header.nuclide });
  if (!(header.patientWeightKg > 0))
    throw new InputError('patient weight must be > 0 kg', {
      field: 'PatientWeight',
      value: header.patientWeightKg,
    });
  if (!(header.injectedDoseBq > 0))
    throw new InputError('injected dose must be > 0 Bq', {
      field: 'RadionuclideTotalDose',
      value: header.injectedDoseBq,
    });
  if (header.injectionMs > header.seriesMs)
    throw new InputError('injection is after the series start', {
      field: 'RadiopharmaceuticalStartDateTime',
    });
  return nuc;
}

// step: the attributes shared by every slice of the series (naturalised dcmjs dataset).
function petSeriesAttributes(
  volumeBqml: Volume,
  header: PetSeriesHeader,
  nuc: { code: string; meaning: string },
): Record<string, unknown> {
  const [nx, ny, nz] = volumeBqml.size;
  const [sx, sy, sz] = volumeBqml.spacingMm;
  const d = volumeBqml.direction;
  const studyUid = deterministicUid(`study/${header.studyKey ?? header.uidKey}`);
  const seriesUid = deterministicUid(`series/${header.uidKey}`);
  const forUid = deterministicUid(`for/${header.uidKey}`);
  const frameS = header.frameDurationS ?? 600;
  const lambda = Math.LN2 / header.halfLifeS;
  // Frame reference time such that the back-computed reference time (PS3.3 C.8.9.4.1.5, T_ave)
  // equals the series start: FRT = ln(λT / (1 − e^(−λT))) / λ.
  const frtMs = (Math.log((lambda * frameS) / -Math.expm1(-lambda * frameS)) / lambda) * 1000;
  const date = dicomDate(header.seriesMs);
  const time = dicomTime(header.seriesMs);
  const injDt = `${dicomDate(header.injectionMs)}${dicomTime(header.injectionMs)}`;

  return {
    SpecificCharacterSet: 'ISO_IR 100',
    ImageType: ['ORIGINAL', 'PRIMARY'],
    SOPClassUID: PET_IMAGE_STORAGE,
    StudyDate: date,
    SeriesDate: date,
    AcquisitionDate: date,
    ContentDate: date,
    StudyTime: time,
    SeriesTime: time,
    AcquisitionTime: time,
    ContentTime: time,
    AccessionNumber: '',
    Modality: 'PT',
    Manufacturer: 'Cartography',
    ManufacturerModelName: 'virtual trial phantom',
    ReferringPhysicianName: '',
    StudyDescription: 'Virtual CD8 PET',
    SeriesDescription: header.seriesDescription,
    PatientName: '',
    PatientID: header.patientPseudonym,
    PatientBirthDate: '',
    PatientSex: header.patientSex,
    ...(header.patientAgeYears !== undefined ? { PatientAge: `${pad(header.patientAgeYears, 3)}Y` } : {}),
    PatientWeight: formatDs(header.patientWeightKg),
    PatientIdentityRemoved: 'YES',
    DeidentificationMethod: 'simulated data; pseudonym only',
    SliceThickness: formatDs(sz),
    ActualFrameDuration: Math.round(frameS * 1000),
    StudyInstanceUID: studyUid,
    SeriesInstanceUID: seriesUid,
    StudyID: '1',
    SeriesNumber: header.seriesNumber ?? 1,
    FrameOfReferenceUID: forUid,
    PositionReferenceIndicator: '',
    ImageOrientationPatient: [d[0], d[1], d[2], d[3], d[4], d[5]].map(formatDs),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: ny,
    Columns: nx,
    PixelSpacing: [formatDs(sy), formatDs(sx)],
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    RescaleIntercept: '0',
    RescaleType: 'BQML',
    CorrectedImage: ['ATTN', 'DECY'],
    RadiopharmaceuticalInformationSequence: [
      {
        Radiopharmaceutical: header.radiopharmaceutical,
        RadiopharmaceuticalStartTime: dicomTime(header.injectionMs),
        RadiopharmaceuticalStartDateTime: injDt,
        RadionuclideTotalDose: formatDs(header.injectedDoseBq),
        RadionuclideHalfLife: formatDs(header.halfLifeS),
        RadionuclideCodeSequence: [
          { CodeValue: nuc.code, CodingSchemeDesignator: 'SRT', CodeMeaning: nuc.meaning },
        ],
      },
    ],
    NumberOfSlices: nz,
    SeriesType: ['WHOLE BODY', 'IMAGE'],
    Units: 'BQML',
    CountsSource: 'EMISSION',
    RandomsCorrectionMethod: 'DLYD',
    AttenuationCorrectionMethod: 'simulated',
    DecayCorrection: 'START',
    ReconstructionMethod: 'simulated phantom + Gaussian PSF',
    FrameReferenceTime: formatDs(frtMs),
    DecayFactor: formatDs(Math.pow(2, frtMs / 1000 / header.halfLifeS)),
    DoseCalibrationFactor: '1',
  };
}

// step: one template file per series (placeholders of fixed width for the per-slice values); each slice
// is that template with the per-slice values and pixels patched in place.
function encodeSliceTemplate(base: Record<string, unknown>, nx: number, ny: number) {
  const implUid = deterministicUid('cartography/implementation');
  // Fixed widths: UIDs 43 characters (+ NUL pad), IS/DS values padded with trailing spaces (PS3.5
  // §6.2 allows them in IS and DS; a multi-valued DS is padded after its last value).
  const placeholderUid = `2.25.1${'0'.repeat(37)}`;
  const template = DicomMetaDictionary.denaturalizeDataset({
    ...base,
    SOPInstanceUID: placeholderUid,
    InstanceNumber: ' '.repeat(IS_WIDTH),
    ImageIndex: 0,
    ImagePositionPatient: [0, 0, 0].map(() => ' '.repeat(DS_WIDTH)),
    SliceLocation: ' '.repeat(DS_WIDTH),
    RescaleSlope: ' '.repeat(DS_WIDTH),
    PixelData: new Int16Array(nx * ny).buffer,
    _vrMap: { PixelData: 'OW' },
  });
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: PET_IMAGE_STORAGE,
    MediaStorageSOPInstanceUID: placeholderUid,
    TransferSyntaxUID: EXPLICIT_VR_LE,
    ImplementationClassUID: implUid,
    ImplementationVersionName: 'CARTOGRAPHY_01',
  });
  const dict = new DicomDict(meta);
  dict.dict = template;
  const bytes = new Uint8Array(dict.write());
  const at = {
    mediaSop: findElement(bytes, 0x0002, 0x0003, 'UI', 44),
    sop: findElement(bytes, 0x0008, 0x0018, 'UI', 44),
    instance: findElement(bytes, 0x0020, 0x0013, 'IS', IS_WIDTH),
    position: findElement(bytes, 0x0020, 0x0032, 'DS', 3 * DS_WIDTH + 2),
    location: findElement(bytes, 0x0020, 0x1041, 'DS', DS_WIDTH),
    slope: findElement(bytes, 0x0028, 0x1053, 'DS', DS_WIDTH),
    index: findElement(bytes, 0x0054, 0x1330, 'US', 2),
  };
  return { bytes, at };
}

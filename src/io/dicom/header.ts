/**
 * The allow-list of header attributes Cartography keeps from a PET instance: what SUV conversion
 * and geometry need, and nothing that identifies the patient (no PatientName, PatientID,
 * PatientBirthDate, accession number, institution, physicians). Everything a reader returns goes
 * through `pickPetHeader`.
 */
import type { DicomHeaderRecord } from './values.js';
import type { NaturalDataset } from './parse.js';

/** Top-level keywords kept (geometry, pixel description, SUV inputs, identifiers of the series). */
export const PET_HEADER_KEYWORDS: readonly string[] = [
  'SOPClassUID',
  'SOPInstanceUID',
  'SeriesInstanceUID',
  'FrameOfReferenceUID',
  'Modality',
  'Manufacturer',
  'ManufacturerModelName',
  'ImageType',
  'SeriesType',
  'SeriesDate',
  'SeriesTime',
  'AcquisitionDate',
  'AcquisitionTime',
  'AcquisitionDateTime',
  'InstanceNumber',
  'ImageIndex',
  'NumberOfSlices',
  'NumberOfTimeSlices',
  'NumberOfFrames',
  'TemporalPositionIndex',
  'ImagePositionPatient',
  'ImageOrientationPatient',
  'PixelSpacing',
  'SliceThickness',
  'Rows',
  'Columns',
  'BitsAllocated',
  'BitsStored',
  'PixelRepresentation',
  'RescaleSlope',
  'RescaleIntercept',
  'RescaleType',
  'Units',
  'SUVType',
  'CorrectedImage',
  'DecayCorrection',
  'DecayCorrected',
  'AttenuationCorrected',
  'DecayCorrectionDateTime',
  'DecayFactor',
  'FrameReferenceTime',
  'ActualFrameDuration',
  'PatientWeight',
  'PatientSize',
  'PatientSex',
  'RadiopharmaceuticalInformationSequence',
  // Enhanced PET (multi-frame) functional groups: geometry and per-frame timing live there.
  'SharedFunctionalGroupsSequence',
  'PerFrameFunctionalGroupsSequence',
];

/** Private attributes kept, with the private creator each one must belong to (when the creator is present). */
export const PET_PRIVATE_TAGS: Readonly<
  Record<string, { creatorTag: string; creator: string; name: string }>
> = {
  '70531000': {
    creatorTag: '70530010',
    creator: 'Philips PET Private Group',
    name: 'Philips SUV Scale Factor',
  },
  '70531009': {
    creatorTag: '70530010',
    creator: 'Philips PET Private Group',
    name: 'Philips Activity Concentration Scale Factor',
  },
  '0009100D': { creatorTag: '00090010', creator: 'GEMS_PETD_01', name: 'GE PET scan start datetime' },
  '0009103B': { creatorTag: '00090010', creator: 'GEMS_PETD_01', name: 'GE administration datetime' },
  '00711022': { creatorTag: '00710010', creator: 'SIEMENS MED', name: 'Siemens Decay Correction DateTime' },
};

/** Keywords kept inside nested items (radiopharmaceutical, codes, functional groups). */
export const PET_NESTED_KEYWORDS: ReadonlySet<string> = new Set<string>([
  ...PET_HEADER_KEYWORDS,
  'Radiopharmaceutical',
  'RadiopharmaceuticalStartTime',
  'RadiopharmaceuticalStartDateTime',
  'RadionuclideTotalDose',
  'RadionuclideHalfLife',
  'RadionuclidePositronFraction',
  'RadionuclideCodeSequence',
  'CodeValue',
  'CodingSchemeDesignator',
  'CodeMeaning',
  // functional groups
  'PixelMeasuresSequence',
  'PlanePositionSequence',
  'PlaneOrientationSequence',
  'PixelValueTransformationSequence',
  'FrameContentSequence',
  'PETFrameTypeSequence',
  'PETFrameAcquisitionSequence',
  'PETFrameCorrectionFactorsSequence',
  'RealWorldValueMappingSequence',
  'FrameAcquisitionDateTime',
  'FrameReferenceDateTime',
  'FrameAcquisitionDuration',
  'StackID',
  'InStackPositionNumber',
  'DimensionIndexValues',
  'SpacingBetweenSlices',
  'FrameType',
  'RealWorldValueSlope',
  'RealWorldValueIntercept',
  'MeasurementUnitsCodeSequence',
  'LUTLabel',
]);

function pickItem(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    if (!PET_NESTED_KEYWORDS.has(k)) continue;
    out[k] =
      Array.isArray(v) && v.length > 0 && isItem(v[0])
        ? v.map((x) => pickItem(x as Record<string, unknown>))
        : v;
  }
  return out;
}

/** Private attributes read as UN (Implicit VR files) arrive as bytes: DS/DT/FD values are decoded. */
function decodeUnknown(v: unknown): unknown {
  const x: unknown = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (!(x instanceof ArrayBuffer)) return v;
  const bytes = new Uint8Array(x);
  const text = String.fromCharCode(...bytes)
    .replace(/\0/g, '')
    .trim();
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  if (bytes.length === 8) return new DataView(x).getFloat64(0, true);
  return v;
}

function isItem(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof ArrayBuffer);
}

/**
 * Copies the allow-listed attributes of a naturalised dataset into a new header record (sequences
 * are filtered recursively; private tags are kept only when their private creator, if present, is
 * the expected one).
 * @param ds a dcmjs naturalised dataset
 * @returns a record safe to keep, log or print (no direct identifiers)
 */
export function pickPetHeader(ds: NaturalDataset): DicomHeaderRecord {
  const out: Record<string, unknown> = {};
  for (const k of PET_HEADER_KEYWORDS) {
    const v = ds[k];
    if (v === undefined) continue;
    out[k] =
      Array.isArray(v) && v.length > 0 && isItem(v[0])
        ? v.map((x) => pickItem(x as Record<string, unknown>))
        : v;
  }
  for (const [tag, spec] of Object.entries(PET_PRIVATE_TAGS)) {
    const v = ds[tag];
    if (v === undefined) continue;
    const creator = ds[spec.creatorTag];
    if (typeof creator === 'string' && creator.trim() !== '' && creator.trim() !== spec.creator) continue;
    out[tag] = decodeUnknown(v);
  }
  return out;
}

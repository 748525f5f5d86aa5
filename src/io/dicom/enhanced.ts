/**
 * Enhanced PET (multi-frame, SOP class 1.2.840.10008.5.1.4.1.1.130) → one classic-style header per
 * frame, so that geometry, sorting and the SUV rules treat every frame like a single-frame slice.
 *
 * Per frame (DICOM PS3.3 C.7.6.16 functional groups; per-frame items override shared ones):
 *  - PlanePositionSequence → ImagePositionPatient; PlaneOrientationSequence → ImageOrientationPatient;
 *    PixelMeasuresSequence → PixelSpacing, SliceThickness;
 *  - PixelValueTransformationSequence → RescaleSlope/Intercept (else RealWorldValueMappingSequence
 *    slope/intercept);
 *  - FrameContentSequence → AcquisitionDateTime (FrameAcquisitionDateTime), ActualFrameDuration
 *    (FrameAcquisitionDuration, ms), TemporalPositionIndex;
 *  - PETFrameCorrectionFactorsSequence → DecayFactor.
 * Enhanced PET Corrections (C.8.22.3): DecayCorrected YES → DecayCorrection START with the
 * DecayCorrectionDateTime (0018,9701) as reference; NO → NONE. AttenuationCorrected / DecayCorrected
 * YES are expressed as CorrectedImage ATTN / DECY for the shared SUV rules. Units, when absent, come
 * from the real-world value mapping units code (Bq/ml → BQML, {SUVbw}g/ml → GML, cm2/ml → CM2ML).
 */
import { InputError } from '../../errors.js';
import type { DicomHeaderRecord } from './values.js';
import { numValue, seqItems, textValue } from './values.js';

/** Enhanced PET Image Storage SOP class. */
export const ENHANCED_PET_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.130';

const RWVM_UNITS: Record<string, { units: string; suvType?: string }> = {
  'BQ/ML': { units: 'BQML' },
  '{SUVBW}G/ML': { units: 'GML', suvType: 'BW' },
  '{SUVLBM}G/ML': { units: 'GML', suvType: 'LBM' },
  '{SUVIBW}G/ML': { units: 'GML', suvType: 'IBW' },
  '{SUVBSA}CM2/ML': { units: 'CM2ML', suvType: 'BSA' },
  'CM2/ML': { units: 'CM2ML', suvType: 'BSA' },
  '{COUNTS}': { units: 'CNTS' },
  '{PROPCOUNTS}': { units: 'PROPCNTS' },
};

/** True when the header is an Enhanced PET (or any multi-frame) image. */
export function isMultiFrame(h: DicomHeaderRecord): boolean {
  return textValue(h, 'SOPClassUID') === ENHANCED_PET_SOP_CLASS || (numValue(h, 'NumberOfFrames') ?? 1) > 1;
}

/**
 * Expands a multi-frame header into one classic-style header per frame (see module doc).
 * @param h allow-listed header of the multi-frame file
 * @param file path, for error messages
 * @returns per-frame headers, in frame order (frame f uses stored frame f of PixelData)
 * @throws InputError naming the functional group that is missing or inconsistent
 */
export function expandFrames(h: DicomHeaderRecord, file: string): DicomHeaderRecord[] {
  const src = { file };
  const n = numValue(h, 'NumberOfFrames', src) ?? 1;
  const shared = seqItems(h, 'SharedFunctionalGroupsSequence', src)[0] ?? {};
  const perFrame = seqItems(h, 'PerFrameFunctionalGroupsSequence', src);
  if (perFrame.length !== 0 && perFrame.length !== n) {
    throw new InputError(`PerFrameFunctionalGroupsSequence has ${perFrame.length} items for ${n} frames`, {
      file,
      field: 'PerFrameFunctionalGroupsSequence',
    });
  }
  const base: Record<string, unknown> = { ...h };
  delete base['SharedFunctionalGroupsSequence'];
  delete base['PerFrameFunctionalGroupsSequence'];
  base['NumberOfFrames'] = 1;

  // Units from the real-world value mapping when the Units attribute is absent.
  const group = (f: number, key: string): DicomHeaderRecord | undefined =>
    seqItems(perFrame[f] ?? {}, key, src)[0] ?? seqItems(shared, key, src)[0];
  if (textValue(h, 'Units', src) === undefined) {
    const rwvm = group(0, 'RealWorldValueMappingSequence');
    const code = rwvm ? seqItems(rwvm, 'MeasurementUnitsCodeSequence', src)[0] : undefined;
    const cv = code ? textValue(code, 'CodeValue', src)?.toUpperCase() : undefined;
    const mapped = cv !== undefined ? RWVM_UNITS[cv] : undefined;
    if (mapped) {
      base['Units'] = mapped.units;
      if (mapped.suvType && textValue(h, 'SUVType', src) === undefined) base['SUVType'] = mapped.suvType;
    }
  }
  // Corrections → CorrectedImage / DecayCorrection.
  const decayCorrected = textValue(h, 'DecayCorrected', src)?.toUpperCase();
  const attnCorrected = textValue(h, 'AttenuationCorrected', src)?.toUpperCase();
  if (base['CorrectedImage'] === undefined && (decayCorrected !== undefined || attnCorrected !== undefined)) {
    const ci: string[] = [];
    if (attnCorrected === 'YES') ci.push('ATTN');
    if (decayCorrected === 'YES') ci.push('DECY');
    base['CorrectedImage'] = ci;
  }
  if (base['DecayCorrection'] === undefined && decayCorrected !== undefined) {
    base['DecayCorrection'] = decayCorrected === 'YES' ? 'START' : 'NONE';
  }

  const out: DicomHeaderRecord[] = [];
  for (let f = 0; f < n; f++) {
    const fh: Record<string, unknown> = { ...base };
    const pos = group(f, 'PlanePositionSequence');
    const ori = group(f, 'PlaneOrientationSequence');
    const meas = group(f, 'PixelMeasuresSequence');
    const pvt = group(f, 'PixelValueTransformationSequence');
    const rwvm = group(f, 'RealWorldValueMappingSequence');
    const content = group(f, 'FrameContentSequence');
    const corr = group(f, 'PETFrameCorrectionFactorsSequence');
    if (!pos || pos['ImagePositionPatient'] === undefined) {
      throw new InputError(`frame ${f + 1}: PlanePositionSequence/ImagePositionPatient missing`, {
        file,
        field: 'PlanePositionSequence',
      });
    }
    fh['ImagePositionPatient'] = pos['ImagePositionPatient'];
    if (ori?.['ImageOrientationPatient'] !== undefined)
      fh['ImageOrientationPatient'] = ori['ImageOrientationPatient'];
    if (meas?.['PixelSpacing'] !== undefined) fh['PixelSpacing'] = meas['PixelSpacing'];
    if (meas?.['SliceThickness'] !== undefined) fh['SliceThickness'] = meas['SliceThickness'];
    if (pvt?.['RescaleSlope'] !== undefined) {
      fh['RescaleSlope'] = pvt['RescaleSlope'];
      fh['RescaleIntercept'] = pvt['RescaleIntercept'] ?? 0;
    } else if (rwvm?.['RealWorldValueSlope'] !== undefined) {
      fh['RescaleSlope'] = rwvm['RealWorldValueSlope'];
      fh['RescaleIntercept'] = rwvm['RealWorldValueIntercept'] ?? 0;
    }
    if (content) {
      if (content['FrameAcquisitionDateTime'] !== undefined) {
        fh['AcquisitionDateTime'] = content['FrameAcquisitionDateTime'];
        delete fh['AcquisitionDate'];
        delete fh['AcquisitionTime'];
      }
      if (content['FrameAcquisitionDuration'] !== undefined)
        fh['ActualFrameDuration'] = content['FrameAcquisitionDuration'];
      if (content['TemporalPositionIndex'] !== undefined)
        fh['TemporalPositionIndex'] = content['TemporalPositionIndex'];
      if (content['FrameReferenceDateTime'] !== undefined)
        fh['FrameReferenceDateTime'] = content['FrameReferenceDateTime'];
    }
    if (corr?.['DecayFactor'] !== undefined) fh['DecayFactor'] = corr['DecayFactor'];
    out.push(fh);
  }
  return out;
}

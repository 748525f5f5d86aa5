/**
 * The CT series of a PET/CT study, read through the same series code as the PET (series.ts: one
 * series per folder, slices sorted along the normal, even spacing) with Modality CT. Values are
 * Hounsfield units: RescaleSlope × stored value + RescaleIntercept per slice (DICOM PS3.3 C.11.1.1.2,
 * CT Image Module: the rescaled value of a CT image is HU).
 */
import { InputError } from '../../errors.js';
import type { Volume } from '../../imaging/volume.js';
import { readDicomSeries } from './series.js';

/** A CT series read into memory. */
export interface CtSeries {
  /** Hounsfield units (float32, i fastest) on the series grid; `unit` = 'HU'. */
  volume: Volume<Float32Array>;
  seriesInstanceUid: string;
  /** FrameOfReferenceUID (0020,0052); a PET of the same study shares it. */
  frameOfReferenceUid: string | null;
}

/**
 * Reads the CT series in `dir`.
 * @param dir folder holding one CT series (not searched recursively)
 * @returns the volume in HU and the series' UIDs
 * @throws InputError as `readDicomSeries` (unreadable file, mixed series, missing slices, …), naming
 *   the file and `Modality` for an instance that is not CT
 */
export async function readCtSeries(dir: string): Promise<CtSeries> {
  const s = await readDicomSeries(dir, { modality: 'CT' });
  if (s.frameCount !== 1)
    throw new InputError('a CT series has one frame per position', {
      file: dir,
      field: 'ImagePositionPatient',
    });
  return {
    volume: { ...s.volume, unit: 'HU' },
    seriesInstanceUid: s.seriesInstanceUid,
    frameOfReferenceUid: s.frameOfReferenceUid ?? null,
  };
}

/**
 * Checks that a CT and a PET share their frame of reference (so a patient coordinate means the same
 * point in both, DICOM PS3.3 C.7.4.1).
 * @throws InputError naming the CT folder and `FrameOfReferenceUID` when either is missing or they differ
 */
export function checkSameFrameOfReference(
  ct: { frameOfReferenceUid: string | null },
  petFrameOfReferenceUid: string | null,
  ctDir: string,
): void {
  if (ct.frameOfReferenceUid === null || petFrameOfReferenceUid === null)
    throw new InputError('the CT and the PET must both name their frame of reference to be fused', {
      file: ctDir,
      field: 'FrameOfReferenceUID',
    });
  if (ct.frameOfReferenceUid !== petFrameOfReferenceUid)
    throw new InputError(
      `the CT is in another frame of reference than the PET (${petFrameOfReferenceUid}): no registration is done`,
      { file: ctDir, field: 'FrameOfReferenceUID', value: ct.frameOfReferenceUid },
    );
}

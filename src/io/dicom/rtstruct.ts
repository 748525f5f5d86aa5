/**
 * DICOM RT Structure Set → ROI contours in patient coordinates (LPS, mm), ready to be rasterised
 * onto an image grid (done elsewhere). DICOM PS3.3 C.8.8.5 (Structure Set), C.8.8.6 (ROI Contour).
 * Nothing identifying is returned: only UIDs, ROI numbers/names and contour geometry.
 */
import { InputError } from '../../errors.js';
import { numValue, numValues, seqItems, textValue } from './values.js';
import type { DicomHeaderRecord } from './values.js';
import { readDicomFile } from './parse.js';

const RTSTRUCT_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.481.3';

/** One contour of an ROI. */
export interface RtContour {
  /** Points x0,y0,z0,x1,y1,z1,… in LPS mm (ContourData). */
  pointsLps: Float64Array;
  /** ContourGeometricType: CLOSED_PLANAR, OPEN_PLANAR, OPEN_NONPLANAR or POINT. */
  geometricType: string;
  /** SOPInstanceUID of the image the contour was drawn on (ContourImageSequence), when given. */
  referencedSopInstanceUid?: string;
}

/** One ROI of a structure set. */
export interface RtRoi {
  /** ROINumber (3006,0022). */
  number: number;
  /** ROIName (3006,0026). */
  name: string;
  /** FrameOfReferenceUID the ROI is defined in (ReferencedFrameOfReferenceUID). */
  frameOfReferenceUid?: string;
  contours: RtContour[];
}

/** A parsed RT Structure Set. */
export interface RtStructureSet {
  /** SeriesInstanceUID of the image series the structure set refers to (first referenced series). */
  referencedSeriesUid?: string;
  /** FrameOfReferenceUID of the (first) referenced frame of reference. */
  frameOfReferenceUid?: string;
  rois: RtRoi[];
}

/**
 * Reads an RTSTRUCT file.
 * @param file path of the RT Structure Set DICOM file
 * @returns referenced series / frame of reference and every ROI with its contours (LPS mm)
 * @throws InputError naming the file and tag when the file is not an RTSTRUCT or a contour is
 *   malformed (ContourData not a multiple of 3, or disagreeing with NumberOfContourPoints).
 */
export async function readRtstruct(file: string): Promise<RtStructureSet> {
  const parsed = await readDicomFile(file);
  return rtstructFromDataset(parsed.dataset, file);
}

/**
 * Extracts ROIs and contours from a naturalised RTSTRUCT dataset (see `readRtstruct`).
 * @throws InputError as `readRtstruct`.
 */
export function rtstructFromDataset(ds: DicomHeaderRecord, file: string): RtStructureSet {
  const src = { file };
  const sop = textValue(ds, 'SOPClassUID', src);
  const modality = textValue(ds, 'Modality', src);
  if (sop !== RTSTRUCT_SOP_CLASS && modality !== 'RTSTRUCT') {
    throw new InputError('not an RT Structure Set', { file, field: 'SOPClassUID', value: sop ?? modality });
  }
  let referencedSeriesUid: string | undefined;
  let frameOfReferenceUid: string | undefined;
  for (const fr of seqItems(ds, 'ReferencedFrameOfReferenceSequence', src)) {
    frameOfReferenceUid ??= textValue(fr, 'FrameOfReferenceUID', src);
    for (const st of seqItems(fr, 'RTReferencedStudySequence', src)) {
      for (const se of seqItems(st, 'RTReferencedSeriesSequence', src)) {
        referencedSeriesUid ??= textValue(se, 'SeriesInstanceUID', src);
      }
    }
  }
  const roiDefs = seqItems(ds, 'StructureSetROISequence', src);
  const contoursByRoi = new Map<number, RtContour[]>();
  for (const rc of seqItems(ds, 'ROIContourSequence', src)) {
    const ref = numValue(rc, 'ReferencedROINumber', src);
    if (ref === undefined) {
      throw new InputError('ROIContourSequence item without ReferencedROINumber', {
        file,
        field: 'ReferencedROINumber',
      });
    }
    const contours: RtContour[] = [];
    for (const c of seqItems(rc, 'ContourSequence', src)) {
      const pts = numValues(c, 'ContourData', src) ?? [];
      if (pts.length === 0) continue;
      if (pts.length % 3 !== 0) {
        throw new InputError(`ContourData of ROI ${ref} has ${pts.length} values, not a multiple of 3`, {
          file,
          field: 'ContourData',
        });
      }
      const nPts = numValue(c, 'NumberOfContourPoints', src);
      if (nPts !== undefined && nPts * 3 !== pts.length) {
        throw new InputError(
          `ROI ${ref}: NumberOfContourPoints ${nPts} disagrees with ContourData (${pts.length / 3} points)`,
          { file, field: 'NumberOfContourPoints' },
        );
      }
      const img = seqItems(c, 'ContourImageSequence', src)[0];
      const refSop = img ? textValue(img, 'ReferencedSOPInstanceUID', src) : undefined;
      contours.push({
        pointsLps: Float64Array.from(pts),
        geometricType: textValue(c, 'ContourGeometricType', src) ?? 'CLOSED_PLANAR',
        ...(refSop !== undefined ? { referencedSopInstanceUid: refSop } : {}),
      });
    }
    contoursByRoi.set(ref, [...(contoursByRoi.get(ref) ?? []), ...contours]);
  }
  const rois: RtRoi[] = roiDefs.map((r) => {
    const number = numValue(r, 'ROINumber', src);
    if (number === undefined)
      throw new InputError('StructureSetROISequence item without ROINumber', { file, field: 'ROINumber' });
    const for_ = textValue(r, 'ReferencedFrameOfReferenceUID', src);
    return {
      number,
      name: textValue(r, 'ROIName', src) ?? '',
      ...(for_ !== undefined ? { frameOfReferenceUid: for_ } : {}),
      contours: contoursByRoi.get(number) ?? [],
    };
  });
  return {
    ...(referencedSeriesUid !== undefined ? { referencedSeriesUid } : {}),
    ...(frameOfReferenceUid !== undefined ? { frameOfReferenceUid } : {}),
    rois,
  };
}

/**
 * Test helper: writes a minimal DICOM SEG (BINARY or FRACTIONAL) of a label map with dcmjs, one frame
 * per (segment, slice) holding any voxel of that segment — as exporters such as dcmqi/highdicom do.
 */
import { writeFileSync } from 'node:fs';
import dcmjs from 'dcmjs';
import type { Volume } from '../../src/imaging/volume.js';
import { ijkToLps } from '../../src/imaging/volume.js';

const SEG = '1.2.840.10008.5.1.4.1.1.66.4';

export function writeSeg(
  labels: Volume<Uint8Array>,
  file: string,
  type: 'BINARY' | 'FRACTIONAL' = 'BINARY',
): void {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const [nx, ny, nz] = labels.size;
  const segNumbers = [...new Set(Array.from(labels.data).filter((x) => x !== 0))].sort((a, b) => a - b);
  const frames: { seg: number; k: number }[] = [];
  for (const s of segNumbers)
    for (let k = 0; k < nz; k++) {
      let any = false;
      for (let q = k * nx * ny; q < (k + 1) * nx * ny && !any; q++) any = labels.data[q] === s;
      if (any) frames.push({ seg: s, k });
    }
  const per = nx * ny;
  const bytes =
    type === 'BINARY'
      ? new Uint8Array(Math.ceil((per * frames.length) / 8))
      : new Uint8Array(per * frames.length);
  frames.forEach((f, fi) => {
    for (let p = 0; p < per; p++) {
      if (labels.data[f.k * per + p] !== f.seg) continue;
      if (type === 'BINARY') {
        const bit = fi * per + p;
        bytes[bit >> 3] = bytes[bit >> 3]! | (1 << (bit & 7));
      } else bytes[fi * per + p] = 200; // fraction 200/255 ≥ 0.5
    }
  });
  const padded = bytes.length % 2 ? Uint8Array.from([...bytes, 0]) : bytes;
  const d = labels.direction;
  const uid = DicomMetaDictionary.uid();
  const dataset: Record<string, unknown> = {
    SOPClassUID: SEG,
    SOPInstanceUID: uid,
    Modality: 'SEG',
    SegmentationType: type,
    ...(type === 'FRACTIONAL'
      ? { SegmentationFractionalType: 'PROBABILITY', MaximumFractionalValue: 255 }
      : {}),
    Rows: ny,
    Columns: nx,
    NumberOfFrames: frames.length,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: type === 'BINARY' ? 1 : 8,
    BitsStored: type === 'BINARY' ? 1 : 8,
    HighBit: type === 'BINARY' ? 0 : 7,
    PixelRepresentation: 0,
    FrameOfReferenceUID: '1.2.3.4.5',
    SegmentSequence: segNumbers.map((s) => ({
      SegmentNumber: s,
      SegmentLabel: `segment ${s}`,
      SegmentAlgorithmType: 'MANUAL',
    })),
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [{ ImageOrientationPatient: [d[0], d[1], d[2], d[3], d[4], d[5]] }],
        PixelMeasuresSequence: [
          {
            PixelSpacing: [labels.spacingMm[1], labels.spacingMm[0]],
            SliceThickness: labels.spacingMm[2],
            SpacingBetweenSlices: labels.spacingMm[2],
          },
        ],
      },
    ],
    PerFrameFunctionalGroupsSequence: frames.map((f) => ({
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: f.seg }],
      PlanePositionSequence: [{ ImagePositionPatient: ijkToLps(labels, [0, 0, f.k]) }],
    })),
    PixelData: [padded.buffer],
    _vrMap: { PixelData: 'OB' },
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SEG,
    MediaStorageSOPInstanceUID: uid,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '1.2.826.0.1.3680043.9.7433.1',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  writeFileSync(file, new Uint8Array(dict.write()));
}

/**
 * DICOM Segmentation (SEG) objects → a label map (segment number per voxel) on the SEG's own grid,
 * to be put on the PET grid with `maskOntoGrid` / `labelMapOnGrid`.
 *
 * Reads BINARY (1 bit per pixel, packed LSB first across frame boundaries) and FRACTIONAL (8-bit,
 * fraction = value / MaximumFractionalValue; a voxel is in the segment when the fraction ≥ 0.5)
 * segmentations. Geometry per frame from the Per-frame / Shared Functional Groups: PlanePosition
 * (ImagePositionPatient), PlaneOrientation (ImageOrientationPatient), PixelMeasures (PixelSpacing,
 * SpacingBetweenSlices). Frames are placed by their position along the slice normal; the slice spacing
 * is the smallest gap between distinct positions (SpacingBetweenSlices when given), and empty slices
 * fill larger gaps. A voxel claimed by two segments keeps the higher segment number (reported).
 * Source: DICOM PS3.3 A.51 (Segmentation IOD), C.8.20 (Segmentation Image Module).
 */
import { InputError } from '../errors.js';
import type { Direction3, Vec3, Volume } from '../imaging/volume.js';
import { readDicomFile } from './dicom/parse.js';
import { MAX_INPUT_BYTES } from './files.js';
import type { NaturalDataset } from './dicom/parse.js';

const SEG_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';

/** One segment of a SEG object. */
export interface SegSegment {
  /** SegmentNumber (the label value in the returned map). */
  number: number;
  /** SegmentLabel. */
  label: string;
}

/** A SEG object as a label map. */
export interface DicomSeg {
  volume: Volume<Uint16Array>;
  segments: SegSegment[];
  segmentationType: 'BINARY' | 'FRACTIONAL';
  /** Voxels claimed by more than one segment. */
  overlappingVoxels: number;
  frameOfReferenceUid?: string;
}

function items(ds: NaturalDataset, key: string): NaturalDataset[] {
  const v = ds[key];
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]) as NaturalDataset[];
}
function nums(v: unknown): number[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((x) => Number(x));
  if (typeof v === 'number') return [v];
  if (typeof v === 'string') return v.split('\\').map((x) => Number(x));
  return [];
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/**
 * Reads a DICOM SEG file into a label map.
 *
 * @param file path of the SEG (Part-10) file.
 * @throws InputError naming the file and attribute when it is not a SEG, geometry is missing or
 *   oblique between frames, or PixelData is short.
 */
export async function readDicomSeg(file: string): Promise<DicomSeg> {
  const parsed = await readDicomFile(file);
  const ds = parsed.dataset;
  const { type, rows, cols, frames } = checkSegHeader(ds, file);
  const segments: SegSegment[] = items(ds, 'SegmentSequence').map((s) => ({
    number: Number(s['SegmentNumber']),
    label: str(s['SegmentLabel']),
  }));
  const shared = items(ds, 'SharedFunctionalGroupsSequence')[0] ?? {};
  const perFrame = items(ds, 'PerFrameFunctionalGroupsSequence');
  if (perFrame.length !== frames) {
    throw new InputError(
      `PerFrameFunctionalGroupsSequence has ${perFrame.length} items for ${frames} frames`,
      {
        file,
        field: 'PerFrameFunctionalGroupsSequence',
      },
    );
  }
  const group = (f: NaturalDataset, key: string): NaturalDataset | undefined =>
    items(f, key)[0] ?? items(shared, key)[0];
  const plane = framePlane(group, perFrame[0]!, file);
  const frameInfo = perFrame.map((f, n) => frameInfoOf(f, n, group, plane, file));
  const lattice = sliceLattice(frameInfo, plane.pixelMeasures, rows, cols, file);
  const { data, overlapping } = paintFrames(parsed.pixelData, frameInfo, plane, lattice, {
    type,
    rows,
    cols,
    frames,
    maxFrac: Number(ds['MaximumFractionalValue'] ?? 255),
    file,
  });
  const direction = [...plane.rowDir, ...plane.colDir, ...plane.normal] as Direction3;
  const rowSp = plane.pixelSpacing[1]!; // PixelSpacing = [row spacing (between rows), column spacing (between columns)]
  const colSp = plane.pixelSpacing[0]!;
  return {
    volume: {
      size: [cols, rows, lattice.nz],
      spacingMm: [rowSp, colSp, lattice.spacing],
      originLps: lattice.first.ipp,
      direction,
      data,
      unit: 'label',
    },
    segments,
    segmentationType: type,
    overlappingVoxels: overlapping,
    ...(typeof ds['FrameOfReferenceUID'] === 'string'
      ? { frameOfReferenceUid: ds['FrameOfReferenceUID'] }
      : {}),
  };
}

const dot = (a: readonly number[], b: readonly number[]): number =>
  a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;

// step: the SOP class, segmentation type and frame size.
function checkSegHeader(
  ds: NaturalDataset,
  file: string,
): { type: 'BINARY' | 'FRACTIONAL'; rows: number; cols: number; frames: number } {
  if (ds['SOPClassUID'] !== SEG_SOP_CLASS) {
    throw new InputError('not a DICOM Segmentation object', {
      file,
      field: 'SOPClassUID',
      value: ds['SOPClassUID'],
    });
  }
  const type = str(ds['SegmentationType']).toUpperCase();
  if (type !== 'BINARY' && type !== 'FRACTIONAL') {
    throw new InputError('unsupported SegmentationType', {
      file,
      field: 'SegmentationType',
      value: ds['SegmentationType'],
    });
  }
  const rows = Number(ds['Rows']);
  const cols = Number(ds['Columns']);
  const frames = Number(ds['NumberOfFrames'] ?? 1);
  if (!(rows > 0 && cols > 0 && frames > 0))
    throw new InputError('invalid Rows/Columns/NumberOfFrames', { file, field: 'Rows' });
  return { type, rows, cols, frames };
}

interface FramePlane {
  iop: number[];
  pixelSpacing: number[];
  pixelMeasures: NaturalDataset | undefined;
  rowDir: Vec3;
  colDir: Vec3;
  normal: Vec3;
}
type GroupOf = (f: NaturalDataset, key: string) => NaturalDataset | undefined;

// step: the plane of the frames (orientation and pixel spacing of the first frame's functional groups).
function framePlane(group: GroupOf, frame0: NaturalDataset, file: string): FramePlane {
  const iop = nums(group(frame0, 'PlaneOrientationSequence')?.['ImageOrientationPatient']);
  const pm = group(frame0, 'PixelMeasuresSequence');
  const ps = nums(pm?.['PixelSpacing']);
  if (iop.length !== 6 || ps.length !== 2) {
    throw new InputError('missing ImageOrientationPatient or PixelSpacing in the functional groups', {
      file,
      field: iop.length !== 6 ? 'ImageOrientationPatient' : 'PixelSpacing',
    });
  }
  if (!iop.every(Number.isFinite)) {
    throw new InputError('ImageOrientationPatient holds a non-number', {
      file,
      field: 'ImageOrientationPatient (0020,0037)',
      value: iop,
    });
  }
  if (!ps.every((x) => Number.isFinite(x) && x > 0)) {
    throw new InputError('pixel spacing must be > 0 mm', {
      file,
      field: 'PixelSpacing (0028,0030)',
      value: ps,
    });
  }
  const rowDir: Vec3 = [iop[0]!, iop[1]!, iop[2]!];
  const colDir: Vec3 = [iop[3]!, iop[4]!, iop[5]!];
  const normal: Vec3 = [
    rowDir[1] * colDir[2] - rowDir[2] * colDir[1],
    rowDir[2] * colDir[0] - rowDir[0] * colDir[2],
    rowDir[0] * colDir[1] - rowDir[1] * colDir[0],
  ];
  return { iop, pixelSpacing: ps, pixelMeasures: pm, rowDir, colDir, normal };
}

interface FrameInfo {
  seg: number;
  ipp: Vec3;
  /** Position along the slice normal (mm). */
  d: number;
}

// step: per frame, its segment number and position (same orientation as the first frame).
function frameInfoOf(
  f: NaturalDataset,
  n: number,
  group: GroupOf,
  plane: FramePlane,
  file: string,
): FrameInfo {
  const seg = Number(items(f, 'SegmentIdentificationSequence')[0]?.['ReferencedSegmentNumber'] ?? NaN);
  const ipp = nums(group(f, 'PlanePositionSequence')?.['ImagePositionPatient']);
  const o = nums(group(f, 'PlaneOrientationSequence')?.['ImageOrientationPatient']);
  if (!Number.isInteger(seg) || ipp.length !== 3 || !ipp.every(Number.isFinite)) {
    throw new InputError(`frame ${n + 1}: missing ReferencedSegmentNumber or ImagePositionPatient`, {
      file,
      field: 'PerFrameFunctionalGroupsSequence',
    });
  }
  if (o.length === 6 && o.some((x, q) => Math.abs(x - plane.iop[q]!) > 1e-4)) {
    throw new InputError(`frame ${n + 1}: ImageOrientationPatient differs between frames`, {
      file,
      field: 'ImageOrientationPatient',
    });
  }
  return { seg, ipp: ipp as Vec3, d: dot(ipp, plane.normal) };
}

// step: the slice lattice — spacing (SpacingBetweenSlices, else the smallest gap between frame
// positions, else SliceThickness, else 1 mm), the first frame and the number of slices (within budget).
function sliceLattice(
  frameInfo: FrameInfo[],
  pm: NaturalDataset | undefined,
  rows: number,
  cols: number,
  file: string,
): { spacing: number; first: FrameInfo; nz: number } {
  const ds0 = [...new Set(frameInfo.map((f) => Math.round(f.d * 1000) / 1000))].sort((a, b) => a - b);
  let spacing = Number(pm?.['SpacingBetweenSlices']);
  if (!(spacing > 0)) {
    spacing = Infinity;
    for (let q = 1; q < ds0.length; q++) spacing = Math.min(spacing, ds0[q]! - ds0[q - 1]!);
    if (!Number.isFinite(spacing))
      spacing = Number(pm?.['SliceThickness']) > 0 ? Number(pm?.['SliceThickness']) : 1;
  }
  const first = frameInfo.reduce((a, b) => (b.d < a.d ? b : a));
  const nz = Math.round((ds0[ds0.length - 1]! - ds0[0]!) / spacing) + 1;
  const n = rows * cols * nz;
  if (!Number.isSafeInteger(n) || 2 * n > MAX_INPUT_BYTES) {
    throw new InputError(
      `frames spread over ${nz} slices of ${cols}×${rows} at ${spacing} mm: a label map of ${2 * n} bytes, ` +
        `over the ${MAX_INPUT_BYTES}-byte budget`,
      { file, field: 'ImagePositionPatient (0020,0032)' },
    );
  }
  return { spacing, first, nz };
}

// step: each frame's pixels painted into its slice with its segment number (the highest wins where
// segments overlap; overlapping voxels are counted). BINARY frames are bit-packed; FRACTIONAL ≥ 0.5 is in.
function paintFrames(
  pix: Uint8Array | undefined,
  frameInfo: FrameInfo[],
  plane: FramePlane,
  lattice: { spacing: number; first: FrameInfo; nz: number },
  o: {
    type: 'BINARY' | 'FRACTIONAL';
    rows: number;
    cols: number;
    frames: number;
    maxFrac: number;
    file: string;
  },
): { data: Uint16Array; overlapping: number } {
  const { type, rows, cols, frames, maxFrac, file } = o;
  const { spacing, first } = lattice;
  const data = new Uint16Array(rows * cols * lattice.nz);
  const perFrameBits = rows * cols;
  const needBytes = type === 'BINARY' ? Math.ceil((perFrameBits * frames) / 8) : perFrameBits * frames;
  if (!pix || pix.length < needBytes) {
    throw new InputError(`PixelData holds ${pix?.length ?? 0} bytes, needs ${needBytes}`, {
      file,
      field: 'PixelData',
    });
  }
  let overlapping = 0;
  frameInfo.forEach((f, fi) => {
    // In-plane offset of this frame relative to the first must be zero (same column/row lattice).
    const off = [f.ipp[0] - first.ipp[0], f.ipp[1] - first.ipp[1], f.ipp[2] - first.ipp[2]];
    if (Math.abs(dot(off, plane.rowDir)) > 1e-3 || Math.abs(dot(off, plane.colDir)) > 1e-3) {
      throw new InputError(`frame ${fi + 1} is shifted in-plane relative to the others`, {
        file,
        field: 'ImagePositionPatient',
      });
    }
    const kf = (f.d - first.d) / spacing;
    const k = Math.round(kf);
    if (Math.abs(kf - k) > 0.05) {
      throw new InputError(`frame ${fi + 1} lies between slices (uneven frame spacing)`, {
        file,
        field: 'ImagePositionPatient',
      });
    }
    const base = k * perFrameBits;
    for (let p = 0; p < perFrameBits; p++) {
      let on: boolean;
      if (type === 'BINARY') {
        const bit = fi * perFrameBits + p;
        on = ((pix[bit >> 3]! >> (bit & 7)) & 1) === 1;
      } else {
        on = pix[fi * perFrameBits + p]! / maxFrac >= 0.5;
      }
      if (!on) continue;
      const q = base + p;
      if (data[q] !== 0 && data[q] !== f.seg) overlapping++;
      if (f.seg > data[q]!) data[q] = f.seg;
    }
  });
  return { data, overlapping };
}

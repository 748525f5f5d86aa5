/**
 * The image data of a scan's pictures, computed while its SUV volume is in memory (quantify.ts) and
 * stored with its quantification (table `scan_projection`, migration 0012): the coronal maximum-
 * intensity projection of SUV with the projected outlines of its VOIs and of its first lesion VOI
 * (src/imaging/mip.ts), and for a scan with a CT of the same PET/CT study (scans.csv `ct_path`) the
 * transversal PET and CT planes through that lesion's centre (src/imaging/fusion.ts). The report draws
 * the pictures from these data (src/report/image-panels.ts); nothing is drawn or encoded here.
 *
 * Storage: one row per scan and kind ('mip', 'fused'): `meta_json` (geometry, labels and the layout of
 * the arrays) and `data`, the arrays one after the other, little-endian (float32 / float64 / uint8).
 */
import { CartoError } from '../errors.js';
import { fusedSliceData, maskCentreLps, type FusedSliceData } from '../imaging/fusion.js';
import { maxProjection, projectMask, type Projection, type View } from '../imaging/mip.js';
import type { Grid, Vec3, Volume } from '../imaging/volume.js';
import { checkSameFrameOfReference, readCtSeries } from '../io/dicom/index.js';
import type { ScanImageData, ScanPanelData } from '../report/image-panels.js';
import type { Scan } from '../study/model.js';
import type { StudyStore } from '../study/store.js';

export type { ScanImageData } from '../report/image-panels.js';

/** The view of the stored MIP. */
export const MIP_VIEW: View = 'coronal';

/**
 * The image data of one scan.
 * @param suv the scan's SUV volume (g/mL); @param frameOfReferenceUid the PET's, to check the CT against
 * @param lesion the first lesion VOI of the scan as a mask on the SUV grid, with its label, or null
 * @param voiOutlines the projected VOI masks (`projectMask` of the scan's masks, view `MIP_VIEW`)
 * @throws InputError naming the CT folder for an unreadable CT or one in another frame of reference
 */
export async function scanImageData(
  scan: Scan,
  suv: Volume<Float32Array>,
  frameOfReferenceUid: string | null,
  lesion: { label: string; mask: Uint8Array } | null,
  voiOutlines: Uint8Array[],
): Promise<ScanImageData> {
  const view = { view: MIP_VIEW };
  const images: ScanImageData = {
    mip: maxProjection(suv, view),
    voiOutlines,
    lesion: lesion ? { label: lesion.label, outline: projectMask(suv, lesion.mask, view) } : null,
  };
  if (scan.ctPath !== undefined && lesion) {
    const ct = await readCtSeries(scan.ctPath);
    checkSameFrameOfReference(ct, frameOfReferenceUid, scan.ctPath);
    const outline = { ...suv, data: lesion.mask, unit: 'mask' };
    const pointLps = maskCentreLps(outline)!; // the VOI was quantified: it holds voxels
    images.fused = fusedSliceData(suv, ct.volume, pointLps, { outline });
  }
  return images;
}

type Typed = Float32Array | Float64Array | Uint8Array;
type ArrayType = 'float32' | 'float64' | 'uint8';
/** Where each array lies in a row's `data`, in order. */
type Layout = { name: string; type: ArrayType; length: number }[];
const BYTES: Record<ArrayType, number> = { float32: 4, float64: 8, uint8: 1 };

/** The arrays one after the other, little-endian, and their layout. */
function packArrays(arrays: [string, Typed][]): { layout: Layout; data: Buffer } {
  const layout: Layout = arrays.map(([name, a]) => ({
    name,
    type: a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : 'uint8',
    length: a.length,
  }));
  const data = Buffer.alloc(layout.reduce((s, l) => s + l.length * BYTES[l.type], 0));
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  arrays.forEach(([, a], n) => {
    const t = layout[n]!.type;
    if (t === 'uint8') data.set(a, o);
    else if (t === 'float32') for (let i = 0; i < a.length; i++) dv.setFloat32(o + 4 * i, a[i]!, true);
    else for (let i = 0; i < a.length; i++) dv.setFloat64(o + 8 * i, a[i]!, true);
    o += a.length * BYTES[t];
  });
  return { layout, data };
}

/**
 * The arrays of a row's `data` by name.
 * @throws CartoError naming the scan when the bytes do not match the layout
 */
function unpackArrays(layout: Layout, data: Uint8Array, where: string): Map<string, Typed> {
  const want = layout.reduce((s, l) => s + l.length * (BYTES[l.type] ?? NaN), 0);
  if (want !== data.byteLength)
    throw new CartoError(`${where}: ${data.byteLength} bytes stored, the layout describes ${want}`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Map<string, Typed>();
  let o = 0;
  for (const { name, type, length } of layout) {
    let a: Typed;
    if (type === 'uint8') a = Uint8Array.from(data.subarray(o, o + length));
    else if (type === 'float32') {
      a = new Float32Array(length);
      for (let i = 0; i < length; i++) a[i] = dv.getFloat32(o + 4 * i, true);
    } else {
      a = new Float64Array(length);
      for (let i = 0; i < length; i++) a[i] = dv.getFloat64(o + 8 * i, true);
    }
    out.set(name, a);
    o += length * BYTES[type];
  }
  return out;
}

/** One stored row of a scan's image data (table `scan_projection` without the keys). */
export interface ScanImageRow {
  kind: 'mip' | 'fused';
  meta_json: string;
  data: Buffer;
}

interface MipMeta {
  view: View;
  columns: number;
  rows: number;
  pixelMm: [number, number];
  lesionLabel: string | null;
  voiOutlines: number;
  layout: Layout;
}

interface FusedMeta {
  grid: Grid;
  pointLps: Vec3;
  layout: Layout;
}

/** A scan's image data as the rows `scan_projection` keeps. */
export function scanImageRows(images: ScanImageData): ScanImageRow[] {
  const { mip, lesion, voiOutlines, fused } = images;
  const m = packArrays([
    ['values', mip.values],
    ...(lesion ? [['lesionOutline', lesion.outline] as [string, Typed]] : []),
    ...voiOutlines.map((o, n) => [`voiOutline${n}`, o] as [string, Typed]),
  ]);
  const mipMeta: MipMeta = {
    view: mip.view,
    columns: mip.columns,
    rows: mip.rows,
    pixelMm: mip.pixelMm,
    lesionLabel: lesion?.label ?? null,
    voiOutlines: voiOutlines.length,
    layout: m.layout,
  };
  const rows: ScanImageRow[] = [{ kind: 'mip', meta_json: JSON.stringify(mipMeta), data: m.data }];
  if (fused) {
    const f = packArrays([
      ['petSuv', fused.petSuv],
      ...(fused.ctHu ? [['ctHu', fused.ctHu] as [string, Typed]] : []),
      ...(fused.outline ? [['outline', fused.outline] as [string, Typed]] : []),
    ]);
    const meta: FusedMeta = { grid: fused.grid, pointLps: fused.pointLps, layout: f.layout };
    rows.push({ kind: 'fused', meta_json: JSON.stringify(meta), data: f.data });
  }
  return rows;
}

/**
 * A scan's image data from its stored rows (`scanImageRows`).
 * @throws CartoError naming the scan when its MIP row is missing or a row's bytes do not match its layout
 */
export function scanImagesFromRows(
  scanId: string,
  rows: readonly { kind: string; meta_json: string; data: Uint8Array }[],
): ScanImageData {
  const row = (kind: string) => rows.find((r) => r.kind === kind);
  const where = (kind: string) => `stored ${kind} image data of scan ${scanId}`;
  const mipRow = row('mip');
  if (!mipRow) throw new CartoError(`${where('mip')}: missing`);
  const meta = JSON.parse(mipRow.meta_json) as MipMeta;
  const a = unpackArrays(meta.layout, mipRow.data, where('mip'));
  const mip: Projection = {
    view: meta.view,
    columns: meta.columns,
    rows: meta.rows,
    pixelMm: meta.pixelMm,
    values: a.get('values') as Float32Array | Float64Array,
  };
  const images: ScanImageData = {
    mip,
    voiOutlines: Array.from({ length: meta.voiOutlines }, (_, n) => a.get(`voiOutline${n}`) as Uint8Array),
    lesion:
      meta.lesionLabel !== null
        ? { label: meta.lesionLabel, outline: a.get('lesionOutline') as Uint8Array }
        : null,
  };
  const fusedRow = row('fused');
  if (fusedRow) {
    const f = JSON.parse(fusedRow.meta_json) as FusedMeta;
    const b = unpackArrays(f.layout, fusedRow.data, where('fused'));
    const fused: FusedSliceData = {
      grid: f.grid,
      pointLps: f.pointLps,
      petSuv: b.get('petSuv') as Float32Array,
      ctHu: (b.get('ctHu') as Float32Array | undefined) ?? null,
      outline: (b.get('outline') as Uint8Array | undefined) ?? null,
    };
    images.fused = fused;
  }
  return images;
}

/**
 * The image data the study's scans stored, ordered by patient, then scan day (scans without a day
 * last, by timepoint), then scan id — the order of the report's panels.
 * @throws CartoError as `scanImagesFromRows`
 */
export async function storedScanImages(db: StudyStore, studyId: string): Promise<(ScanPanelData & Order)[]> {
  const rows = await db
    .selectFrom('scan_projection')
    .innerJoin('scan', (j) =>
      j
        .onRef('scan.study_id', '=', 'scan_projection.study_id')
        .onRef('scan.scan_id', '=', 'scan_projection.scan_id'),
    )
    .select([
      'scan_projection.scan_id as scan_id',
      'scan.patient_id as patient_id',
      'scan.day as day',
      'scan.timepoint as timepoint',
      'scan_projection.kind as kind',
      'scan_projection.meta_json as meta_json',
      'scan_projection.data as data',
    ])
    .where('scan_projection.study_id', '=', studyId)
    .execute();
  const byScan = new Map<string, typeof rows>();
  for (const r of rows) byScan.set(r.scan_id, [...(byScan.get(r.scan_id) ?? []), r]);
  const out = [...byScan].map(([scanId, rs]) => ({
    scanId,
    patientId: rs[0]!.patient_id,
    day: rs[0]!.day,
    timepoint: rs[0]!.timepoint,
    images: scanImagesFromRows(scanId, rs),
  }));
  return out.sort(scanOrder);
}

/** What orders the scans of the report's panels. */
interface Order {
  patientId: string;
  day: number | null;
  timepoint: string;
  scanId: string;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** By patient, then scan day (no day last), then timepoint, then scan id. */
export function scanOrder(a: Order, b: Order): number {
  return (
    cmp(a.patientId, b.patientId) ||
    (a.day ?? Infinity) - (b.day ?? Infinity) ||
    cmp(a.timepoint, b.timepoint) ||
    cmp(a.scanId, b.scanId)
  );
}

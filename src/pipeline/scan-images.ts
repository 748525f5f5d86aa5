/**
 * A stored scan's images for a viewer: its SUV volume and a label map of its VOIs, both on the PET
 * grid, as gzip-compressed NIfTI-1 (`/api/scans/{id}/suv.nii.gz`, `labels.nii.gz`). The SUV image is
 * loaded exactly as the import quantified it (`loadSuv` of src/pipeline/quantify.ts: the same net
 * injected activity, the same data roots), and each mask is put on the grid by the same readers
 * (src/io/imaging-inputs.ts), so what the viewer shows is what was measured.
 */
import { gzipSync } from 'fflate';
import type { Volume } from '../imaging/volume.js';
import { encodeNifti } from '../io/nifti.js';
import { labelMapOnGrid, rtstructMaskOnGrid } from '../io/imaging-inputs.js';
import type { Scan, Voi } from '../study/model.js';
import { loadSuv } from './quantify.js';

/** Where a scan's files are and how its SUV was computed (from the stored study). */
export interface ScanSource {
  scan: Scan;
  /** Net injected activity (Bq) of the scan's tracer_injection event, when the study gave one. */
  netDoseBq?: number;
  /** The bundle folder and its data roots (NRRD `data file:` may point into them). */
  dataRoots: readonly string[];
}

/**
 * The label value of each VOI in `scanLabelMap`: organs first, then lesions, each by VOI id, numbered
 * from 1. A voxel in two VOIs carries the later one's value (a lesion inside an organ shows as the lesion).
 */
export function voiLabelValues(vois: readonly Pick<Voi, 'voiId' | 'kind'>[]): Map<string, number> {
  const order = [...vois].sort(
    (a, b) =>
      (a.kind === 'organ' ? 0 : 1) - (b.kind === 'organ' ? 0 : 1) ||
      (a.voiId < b.voiId ? -1 : a.voiId > b.voiId ? 1 : 0),
  );
  return new Map(order.map((v, i) => [v.voiId, i + 1]));
}

/**
 * The scan's SUV volume (g/mL, float32) as gzip NIfTI bytes.
 * @throws InputError naming the file when the image cannot be read (e.g. the bundle is not on this machine)
 */
export async function scanSuvNiftiGz(src: ScanSource): Promise<Uint8Array> {
  const { volume } = await loadSuv(src.scan, loadOptions(src));
  return gzipSync(encodeNifti(volume, { description: `SUV g/mL, scan ${src.scan.scanId}` }), { level: 6 });
}

/**
 * The label map of the scan's VOIs on its PET grid (values from `voiLabelValues`; uint8, or uint16 past
 * 255 VOIs) as gzip NIfTI bytes.
 * @throws InputError naming the file when an image or mask cannot be read
 */
export async function scanLabelsNiftiGz(src: ScanSource, vois: readonly Voi[]): Promise<Uint8Array> {
  const { volume: suv } = await loadSuv(src.scan, loadOptions(src));
  const n = suv.data.length;
  const data = vois.length > 255 ? new Uint16Array(n) : new Uint8Array(n);
  const values = voiLabelValues(vois);
  const ordered = [...vois].sort((a, b) => values.get(a.voiId)! - values.get(b.voiId)!);
  const roots = { dataRoots: src.dataRoots };
  const labelMaps = new Map<string, ArrayLike<number>>();
  for (const v of ordered) {
    const value = values.get(v.voiId)!;
    if (v.maskLabel !== null) {
      let labels = labelMaps.get(v.maskPath);
      if (!labels) {
        labels = labelMapOnGrid(v.maskPath, suv, roots).volume.data;
        labelMaps.set(v.maskPath, labels);
      }
      for (let q = 0; q < n; q++) if (labels[q] === v.maskLabel) data[q] = value;
    } else {
      const { mask } = await rtstructMaskOnGrid(v.maskPath, v.roiName ?? undefined, suv);
      for (let q = 0; q < n; q++) if (mask[q]) data[q] = value;
    }
  }
  const volume: Volume<Uint8Array | Uint16Array> = { ...suv, data };
  return gzipSync(encodeNifti(volume, { description: `VOI labels, scan ${src.scan.scanId}` }), { level: 6 });
}

function loadOptions(src: ScanSource) {
  return {
    matvThresholdSuv: 0, // not used for loading
    ...(src.netDoseBq !== undefined ? { netDoseBq: src.netDoseBq } : {}),
    dataRoots: src.dataRoots,
  };
}

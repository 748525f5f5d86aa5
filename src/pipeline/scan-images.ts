/**
 * A stored scan's images for a viewer: its SUV volume and a label map of its VOIs, both on the PET
 * grid, as gzip-compressed NIfTI-1 (`/api/scans/{id}/suv.nii.gz`, `labels.nii.gz`). The SUV image is
 * loaded exactly as the import quantified it (`loadSuv` of src/pipeline/quantify.ts: the same net
 * injected activity, the same data roots), and each mask is put on the grid by the same readers
 * (src/io/imaging-inputs.ts), so what the viewer shows is what was measured.
 */
import { statSync } from 'node:fs';
import { gzipSync } from 'fflate';
import { InputError } from '../errors.js';
import type { Volume } from '../imaging/volume.js';
import { encodeNifti } from '../io/nifti.js';
import { labelMapOnGrid, rtstructMaskOnGrid } from '../io/imaging-inputs.js';
import type { Scan, Voi } from '../study/model.js';
import { loadSuv, sphereVoiMask } from './quantify.js';
import { isSphereRef, voiSphere } from '../study/voi-sphere.js';

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

/** A scan's two viewer images, gzip NIfTI-1 bytes (see `scanImagesNiftiGz`). */
export interface ScanImages {
  /** SUV (g/mL), float32. */
  suv: Uint8Array;
  /** VOI label map (values from `voiLabelValues`), uint8, or uint16 past 255 VOIs. */
  labels: Uint8Array;
}

/**
 * The scan's SUV volume (g/mL, float32) and the label map of its VOIs on the PET grid (values from
 * `voiLabelValues`; uint8, or uint16 past 255 VOIs), each as gzip NIfTI bytes, from one read of the
 * image. gzip level 1: the bytes are built once per scan and cached (`ScanImageCache`); on loopback
 * their size hardly matters, the build time does (level 6 takes ~4× as long on a 64 MB volume).
 * @throws InputError naming the file when an image or mask cannot be read (e.g. the bundle is not on
 *   this machine)
 */
export async function scanImagesNiftiGz(src: ScanSource, vois: readonly Voi[]): Promise<ScanImages> {
  const { volume: suv } = await loadSuv(src.scan, loadOptions(src));
  const n = suv.data.length;
  const data = vois.length > 255 ? new Uint16Array(n) : new Uint8Array(n);
  const values = voiLabelValues(vois);
  const ordered = [...vois].sort((a, b) => values.get(a.voiId)! - values.get(b.voiId)!);
  const roots = { dataRoots: src.dataRoots };
  const labelMaps = new Map<string, ArrayLike<number>>();
  for (const v of ordered) {
    const value = values.get(v.voiId)!;
    const sphere = voiSphere(v);
    if (sphere) {
      const mask = sphereVoiMask(v, sphere, suv);
      for (let q = 0; q < n; q++) if (mask[q]) data[q] = value;
    } else if (v.maskLabel !== null) {
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
  const labelVolume: Volume<Uint8Array | Uint16Array> = { ...suv, data };
  const id = src.scan.scanId;
  return {
    suv: gzipSync(encodeNifti(suv, { description: `SUV g/mL, scan ${id}` }), { level: 1 }),
    labels: gzipSync(encodeNifti(labelVolume, { description: `VOI labels, scan ${id}` }), { level: 1 }),
  };
}

/**
 * The files a scan's images are read from, with their modification time and size: the cache key's part
 * that changes when a file is replaced, added to or removed from a DICOM folder (a folder's mtime), or
 * moved away.
 * @throws InputError naming the file when it does not exist on this machine
 */
export function scanFilesFingerprint(src: ScanSource, vois: readonly Voi[]): string {
  const files = vois.filter((v) => !isSphereRef(v.maskPath)).map((v) => v.maskPath);
  const paths = [src.scan.path, ...new Set(files)];
  return paths
    .map((p) => {
      let st;
      try {
        st = statSync(p);
      } catch {
        throw new InputError('the image is not on this machine', { file: p });
      }
      return `${p}\u0000${st.mtimeMs}\u0000${st.size}`;
    })
    .join('\u0001');
}

/**
 * The built viewer images of recently opened scans, in memory, at most `maxBytes` of gzip bytes (least
 * recently used dropped first). Keyed by the scan's API id, its import time and `scanFilesFingerprint`,
 * so a re-import or a changed file builds anew; concurrent requests for one key share one build (the
 * viewer asks for suv.nii.gz and labels.nii.gz at once).
 */
export class ScanImageCache {
  private readonly entries = new Map<string, Promise<ScanImages>>();
  private readonly sizes = new Map<string, number>();

  /** @param maxBytes the cache's budget (gzip bytes of both images of every kept scan) */
  constructor(private readonly maxBytes = 512 * 1024 * 1024) {}

  /**
   * The scan's images, built by `scanImagesNiftiGz` on a miss.
   * @throws InputError from `scanFilesFingerprint` or `scanImagesNiftiGz` (nothing is cached then)
   */
  async get(uid: string, importedAt: string, src: ScanSource, vois: readonly Voi[]): Promise<ScanImages> {
    const key = `${uid}\u0002${importedAt}\u0002${scanFilesFingerprint(src, vois)}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key); // re-insert: most recently used last
      this.entries.set(key, entry);
      return entry;
    }
    for (const k of this.entries.keys()) if (k.startsWith(`${uid}\u0002`)) this.drop(k); // stale builds
    entry = scanImagesNiftiGz(src, vois);
    this.entries.set(key, entry);
    try {
      const images = await entry;
      this.sizes.set(key, images.suv.byteLength + images.labels.byteLength);
      this.evict(key);
      return images;
    } catch (e) {
      this.drop(key);
      throw e;
    }
  }

  private drop(key: string): void {
    this.entries.delete(key);
    this.sizes.delete(key);
  }

  /** Drops least recently used builds (never `keep`) until the budget holds. */
  private evict(keep: string): void {
    let total = [...this.sizes.values()].reduce((a, b) => a + b, 0);
    for (const k of [...this.entries.keys()]) {
      if (total <= this.maxBytes) break;
      if (k === keep || !this.sizes.has(k)) continue;
      total -= this.sizes.get(k)!;
      this.drop(k);
    }
  }
}

function loadOptions(src: ScanSource) {
  return {
    matvThresholdSuv: 0, // not used for loading
    ...(src.netDoseBq !== undefined ? { netDoseBq: src.netDoseBq } : {}),
    dataRoots: src.dataRoots,
  };
}

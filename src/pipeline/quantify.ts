/**
 * Quantification of one scan: load its SUV image (DICOM series → SUVbw, from a folder or from a PACS
 * over DICOMweb; or a NIfTI SUV image), bring each VOI's mask onto the PET grid (label maps must share
 * the grid; RTSTRUCT contours are rasterised onto it), and compute the VOI metrics
 * (src/imaging/voi-stats.ts). Optionally computes the image data of the scan's pictures while its SUV
 * volume is in memory (panels.ts: the coronal MIP with its VOI outlines, the PET/CT plane).
 */
import type { PacsScanSource, Scan, Voi, VoiMetrics } from '../study/model.js';
import type { ScanQuantification } from '../study/store.js';
import { InputError } from '../errors.js';
import type { Grid, Volume } from '../imaging/volume.js';
import { sphereMaskOnGrid } from '../imaging/sphere.js';
import { isSphereRef, SPHERE_CENTER_COLUMN, voiSphere, type VoiSphere } from '../study/voi-sphere.js';
import { quantifyLabelMap, voiStatistics } from '../imaging/voi-stats.js';
import type { LoadPetSuvOptions, PetSuv } from '../io/dicom/load-pet-suv.js';
import { loadPetSuvFromPacs } from '../io/dicomweb.js';
import { labelMapOnGrid, loadSuvImage, rtstructMaskOnGrid } from '../io/imaging-inputs.js';
import { projectMask } from '../imaging/mip.js';
import { earl2ToEarl1 } from '../imaging/filter.js';
import { erodeLabels } from '../imaging/morphology.js';
import type { LabelData } from '../imaging/voi-stats.js';
import { MIP_VIEW, scanImageData, type ScanImageData } from './panels.js';

export interface QuantifyOptions {
  /** MATV threshold (SUV g/mL). */
  matvThresholdSuv: number;
  /** Net injected activity (Bq) from the study's tracer_injection event, replacing the header dose. */
  netDoseBq?: number;
  /** Compute the image data of the scan's pictures (panels.ts: MIP and VOI outlines, PET/CT plane). */
  images?: boolean;
  /**
   * Folders a header may point into (an NRRD `data file:`): the bundle folder and its `dataRoots`
   * (docs/study-bundle.md, Paths). Absent: each header's own folder only.
   */
  dataRoots?: readonly string[];
  /** study.json `quantification.earlFilter`: 'EARL2→EARL1' smooths the SUV image first (7 mm FWHM). */
  earlFilter?: EarlFilter;
  /** study.json `quantification.organErosionMm`: organ VOIs are eroded by this many mm (0: none). */
  organErosionMm?: number;
}

/** The EARL harmonisation of the SUV image before the statistics (study.json `quantification.earlFilter`). */
export type EarlFilter = 'none' | 'EARL2→EARL1';

/** Field named in errors of the organ erosion. */
const EROSION_FIELD = 'quantification.organErosionMm';

/** `labels` with organ erosion applied when asked (a copy), else `labels` itself. */
function erodedIf<T extends LabelData>(labels: Volume<T>, erodeMm: number, organ: boolean): Volume<T> {
  return organ && erodeMm > 0 ? erodeLabels(labels, erodeMm, { field: EROSION_FIELD }) : labels;
}

const NO_PACS_URL =
  'a dicomweb: scan needs a DICOMweb server: give study.json "pacs": {"url": …} or the --pacs URL option';

/**
 * Checks that every scan on a PACS (`dicomweb:` path) has a DICOMweb server URL.
 * @throws InputError naming scans.csv, the row, `path` and the value of the first scan without one
 */
export function requirePacsUrls(scans: readonly Scan[]): void {
  for (const s of scans) if (s.pacs && s.pacs.url === null) throw new InputError(NO_PACS_URL, s.pacs.at);
}

/**
 * The SUV of a scan whose series is on a DICOMweb server (src/io/dicomweb.ts).
 * @throws InputError naming scans.csv, the row and `path` when no server URL was given, or from
 *   `loadPetSuvFromPacs`
 */
function loadFromPacs(pacs: PacsScanSource, suvOpts: LoadPetSuvOptions): Promise<PetSuv> {
  if (pacs.url === null) throw new InputError(NO_PACS_URL, pacs.at);
  return loadPetSuvFromPacs(pacs.url, pacs, suvOpts, pacs.at);
}

/** Loads the scan's SUV image (g/mL) and its provenance (also used by src/pipeline/scan-images.ts). */
export async function loadSuv(
  scan: Scan,
  opts: QuantifyOptions,
): Promise<{
  volume: Volume<Float32Array>;
  provenance: Omit<ScanQuantification, 'grid'>;
  frameOfReferenceUid: string | null;
}> {
  if (scan.pacs) {
    const pet = await loadFromPacs(scan.pacs, opts.netDoseBq !== undefined ? { doseBq: opts.netDoseBq } : {});
    return {
      volume: pet.volume,
      frameOfReferenceUid: pet.meta.frameOfReferenceUid,
      provenance: dicomProvenance(pet.meta),
    };
  }
  const img = await loadSuvImage(scan.path, {
    ...(opts.dataRoots ? { dataRoots: opts.dataRoots } : {}),
    ...(scan.format === 'dicom' ? { format: 'dicom' as const } : {}),
    ...(scan.format === 'dicom' && opts.netDoseBq !== undefined ? { doseBq: opts.netDoseBq } : {}),
  });
  if (img.dicom)
    return {
      volume: img.volume,
      frameOfReferenceUid: img.dicom.frameOfReferenceUid,
      provenance: dicomProvenance(img.dicom),
    };
  return {
    volume: img.volume,
    frameOfReferenceUid: null,
    provenance: { suvUnits: `SUVbw ${img.units} (${img.source})`, decayCorrection: 'n/a', suvType: 'bw' },
  };
}

/** The stored provenance of a DICOM series' SUV conversion (no identifiers). */
function dicomProvenance(meta: PetSuv['meta']): Omit<ScanQuantification, 'grid'> {
  return { suvUnits: meta.units, decayCorrection: meta.decayCorrection, suvType: meta.suvType };
}

/**
 * The mask of a sphere VOI on the PET grid (src/imaging/sphere.ts `sphereMaskOnGrid`: voxel centres
 * within the radius, IBSI 1 rule). Not eroded: the sphere is placed inside the organ by its author.
 * @throws InputError naming vois.csv, the VOI and its centre when no voxel centre of the grid lies in
 *   the sphere (outside the scan's field of view, or smaller than a voxel between centres)
 */
export function sphereVoiMask(v: Pick<Voi, 'voiId'>, sphere: VoiSphere, grid: Grid): Uint8Array {
  const mask = sphereMaskOnGrid(grid, sphere.centerLps, sphere.radiusMm);
  if (!mask.includes(1)) {
    throw new InputError(
      `sphere VOI ${v.voiId} (radius ${sphere.radiusMm} mm) covers no voxel centre of the scan grid`,
      { file: 'vois.csv', field: SPHERE_CENTER_COLUMN, value: sphere.centerLps.join(';') },
    );
  }
  return mask;
}

/** What `quantifyScan` returns. */
export interface ScanQuantified {
  metrics: Map<string, VoiMetrics>;
  /** The scan's SUV as loaded (before any EARL filter): what the viewer shows (viewer-images.ts). */
  suv: Volume<Float32Array>;
  provenance: ScanQuantification;
  images?: ScanImageData;
}

/**
 * Quantifies every VOI of one scan.
 * @returns metrics per VOI id, the scan's SUV provenance and, when asked, its image data
 * @throws InputError naming the scan or mask file for unreadable images, a label map on another grid,
 *   an ROI missing from an RTSTRUCT, or an empty VOI (a sphere VOI: vois.csv and the VOI, `sphereVoiMask`)
 */
export async function quantifyScan(scan: Scan, vois: Voi[], opts: QuantifyOptions): Promise<ScanQuantified> {
  const loaded = await loadSuv(scan, opts);
  const { provenance, frameOfReferenceUid } = loaded;
  const suv = opts.earlFilter === 'EARL2→EARL1' ? earl2ToEarl1(loaded.volume) : loaded.volume;
  const erodeMm = opts.organErosionMm ?? 0;
  let lesion: { label: string; mask: Uint8Array } | null = null;
  const metrics = new Map<string, VoiMetrics>();
  const statsOpts = { matvThresholdSuv: opts.matvThresholdSuv };

  // Label-map VOIs: one pass per mask file over all its labels.
  const byMask = new Map<string, Voi[]>();
  for (const v of vois) {
    if (v.maskLabel !== null) byMask.set(v.maskPath, [...(byMask.get(v.maskPath) ?? []), v]);
  }
  // The VOIs' outlines on the MIP: one projected mask per mask source, in the order met.
  const outlines: Uint8Array[] = [];
  const outline = (mask: LabelData): void => {
    if (opts.images) outlines.push(projectMask(suv, mask, { view: MIP_VIEW }));
  };
  for (const [file, list] of byMask) {
    const labels = labelMapOnGrid(file, suv, opts.dataRoots ? { dataRoots: opts.dataRoots } : {}).volume;
    const organs = erodedIf(
      labels,
      erodeMm,
      list.some((v) => v.kind === 'organ'),
    );
    const statsOf = (
      on: Volume<LabelData>,
      kind: string,
    ): Map<number, ReturnType<typeof quantifyLabelMap>[0]> => {
      const of = list.filter((v) => v.kind === kind).map((v) => v.maskLabel!);
      const st = of.length > 0 ? quantifyLabelMap(suv, on, of, statsOpts) : [];
      return new Map(of.map((l, i) => [l, st[i]!]));
    };
    const organStats = statsOf(organs, 'organ');
    const lesionStats = statsOf(labels, 'lesion');
    list.forEach((v) => {
      const s = (v.kind === 'organ' ? organStats : lesionStats).get(v.maskLabel!)!;
      if (opts.images && v.kind === 'lesion')
        lesion ??= { label: v.label, mask: Uint8Array.from(labels.data, (x) => (x === v.maskLabel ? 1 : 0)) };
      if (s.voxelCount === 0) {
        throw new InputError(`label ${v.maskLabel} has no voxel in the mask`, {
          file,
          field: 'mask_label',
          value: v.maskLabel,
        });
      }
      const { label: _l, ...m } = s;
      metrics.set(v.voiId, m);
    });
    outline(labels.data); // every label of the file: one outline
  }

  // Sphere VOIs: voxel centres within the radius of the centre (LPS mm), on the PET grid.
  for (const v of vois) {
    const sphere = voiSphere(v);
    if (!sphere) continue;
    const mask = sphereVoiMask(v, sphere, suv);
    metrics.set(v.voiId, voiStatistics(suv, mask, statsOpts));
    outline(mask);
    if (v.kind === 'lesion') lesion ??= { label: v.label, mask };
  }

  // RTSTRUCT VOIs: rasterise each ROI onto the PET grid.
  for (const v of vois) {
    if (v.maskLabel !== null || isSphereRef(v.maskPath)) continue;
    const { mask: drawn } = await rtstructMaskOnGrid(v.maskPath, v.roiName ?? undefined, suv);
    const mask = erodedIf({ ...suv, data: drawn, unit: 'mask' }, erodeMm, v.kind === 'organ').data;
    const s = voiStatistics(suv, mask, statsOpts);
    if (s.voxelCount === 0) {
      throw new InputError('the ROI covers no voxel centre of the PET grid', {
        file: v.maskPath,
        field: 'roi_name',
        value: v.roiName,
      });
    }
    metrics.set(v.voiId, s);
    outline(mask);
    if (v.kind === 'lesion') lesion ??= { label: v.label, mask };
  }

  const result: ScanQuantified = {
    metrics,
    suv: loaded.volume,
    provenance: {
      ...provenance,
      grid: { size: [...suv.size], spacingMm: [...suv.spacingMm], direction: [...suv.direction] },
    },
  };
  if (opts.images) result.images = await scanImageData(scan, suv, frameOfReferenceUid, lesion, outlines);
  return result;
}

/**
 * Quantification of one scan as a job (issue 17): what the job needs (`ScanJobSpec`: the scan, its VOIs
 * and the quantification settings, with paths relative to the bundle folder so that a worker on another
 * machine resolves them against its own data root), its key (SHA-256 of the scan's files, the settings
 * and `QUANTIFICATION_CODE_VERSION`: the same job is done once however often it is submitted), and the
 * job function itself (`runScanJob`), the one used by `carto run`'s in-process pool and by `carto worker`.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { InputError } from '../errors.js';
import type { StudyBundle } from '../study/bundle.js';
import type { Scan, Voi, VoiMetrics } from '../study/model.js';
import type { ScanQuantification } from '../study/store.js';
import { filesContentHash } from './hash.js';
import { isSphereRef } from '../study/voi-sphere.js';
import { quantifyScan, type EarlFilter } from './quantify.js';
import type { ScanImageData } from './panels.js';
import { writeViewerImages } from './viewer-images.js';

/**
 * Version of the quantification code (quantify.ts and the imaging kernels it calls): part of every job
 * key, so raising it re-quantifies every scan on the next submit. Raise it with any change that can
 * change a stored number.
 */
export const QUANTIFICATION_CODE_VERSION = '2';

/** study.json `quantification` (docs/study-bundle.md), defaults filled in. */
export interface QuantificationSettings {
  earlFilter: EarlFilter;
  /** Erosion of organ VOIs (mm) before their statistics; 0 = none. */
  organErosionMm: number;
}

/** Everything one scan's job needs; paths inside the bundle are relative to it (see `relativePath`). */
export interface ScanJobSpec {
  scan: Scan;
  vois: Voi[];
  /** MATV threshold (SUV g/mL). */
  matvThresholdSuv: number;
  /** Net injected activity (Bq) of the scan's tracer_injection event, when given. */
  netDoseBq?: number;
  quantification: QuantificationSettings;
  /** study.json `dataRoots` (relative to the bundle when inside it, else absolute). */
  dataRoots: string[];
}

/** What a scan's job returns (structured-clonable: it crosses worker threads). */
export interface ScanJobResult {
  scanId: string;
  /** VOI metrics by VOI id. */
  metrics: [string, VoiMetrics][];
  provenance: ScanQuantification;
  /** The image data of the scan's pictures (panels.ts). */
  images?: ScanImageData;
  /**
   * Why the viewer's images (viewer-images.ts) could not be written, when asked for: the quantification
   * stands, and the server builds the images from the scan when it is first opened.
   */
  viewerImagesError?: string;
}

/** The study's quantification settings (study.json `quantification`, validated by study-json.ts). */
export function quantificationSettings(bundle: Pick<StudyBundle, 'settings'>): QuantificationSettings {
  const q = bundle.settings['quantification'] as Partial<QuantificationSettings> | undefined;
  return { earlFilter: q?.earlFilter ?? 'none', organErosionMm: q?.organErosionMm ?? 0 };
}

/** `path` relative to `dir` when inside it, else unchanged (absolute, or a `dicomweb:` reference). */
export function relativePath(dir: string, path: string): string {
  if (!isAbsolute(path)) return path;
  const r = relative(dir, path);
  return r === '' || r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r) ? path : r;
}

/**
 * A recorded path resolved against the worker's data root: a relative path is joined to `root` and must
 * stay inside it; an absolute path (outside the bundle at submit) is used as it is.
 * @throws InputError naming the field and value for a relative path that climbs out of the root (`..`)
 */
export function resolveUnderRoot(root: string, path: string, field: string): string {
  if (isAbsolute(path) || path.startsWith('dicomweb:')) return path;
  const n = normalize(path);
  if (n === '..' || n.startsWith(`..${sep}`) || n.split(/[\\/]/).includes('..'))
    throw new InputError('a recorded path may not leave the data root', { field, value: path });
  return join(root, n);
}

/**
 * One job per scan of a validated bundle, with its key: SHA-256 over the code version, the settings
 * (MATV threshold, net dose, `quantification`), the scan's and its VOIs' definitions (paths relative to
 * the bundle) and the content of the scan's series, CT and mask files.
 */
export function scanJobsOf(bundle: StudyBundle): { spec: ScanJobSpec; key: string }[] {
  const rel = (p: string): string => relativePath(bundle.dir, p);
  const quantification = quantificationSettings(bundle);
  return bundle.scans.map((scan) => {
    const vois = bundle.vois.filter((v) => v.scanId === scan.scanId);
    const dose = bundle.events.find((e) => e.event === 'tracer_injection' && e.scanId === scan.scanId);
    const spec: ScanJobSpec = {
      scan: {
        ...scan,
        path: rel(scan.path),
        ...(scan.ctPath !== undefined ? { ctPath: rel(scan.ctPath) } : {}),
      },
      vois: vois.map((v) => ({ ...v, maskPath: rel(v.maskPath) })),
      matvThresholdSuv: bundle.settings.matvThresholdSuv,
      ...(dose?.activityMbq != null ? { netDoseBq: dose.activityMbq * 1e6 } : {}),
      quantification,
      dataRoots: bundle.dataRoots.map(rel),
    };
    const files = [
      ...(scan.pacs ? [] : [scan.path]),
      ...(scan.ctPath !== undefined ? [scan.ctPath] : []),
      ...vois.filter((v) => !isSphereRef(v.maskPath)).map((v) => v.maskPath),
    ];
    const { pacs, ...scanDef } = spec.scan;
    const h = createHash('sha256');
    h.update(`carto-quantification ${QUANTIFICATION_CODE_VERSION}\0`);
    h.update(
      JSON.stringify({
        settings: [spec.matvThresholdSuv, spec.netDoseBq ?? null, quantification],
        scan: scanDef,
        pacs: pacs ? [pacs.studyInstanceUid, pacs.seriesInstanceUid] : null,
        vois: spec.vois,
      }),
    );
    h.update('\0');
    h.update(filesContentHash(bundle.dir, files));
    return { spec, key: h.digest('hex') };
  });
}

/** Where a job writes the viewer's images of its scan: the store's folder and the job's key. */
export interface ViewerImagesTarget {
  dir: string;
  key: string;
}

/**
 * Runs one scan's job: resolves its recorded paths against `root` (the bundle folder at submit, or a
 * worker's `--data-root`), quantifies every VOI (quantify.ts) with the study's settings, computes the
 * image data of its pictures (panels.ts) and, when given a store, writes the viewer's images of the
 * scan (viewer-images.ts; a failure there is reported in the result, not thrown).
 * @param opts.pacsUrl the DICOMweb server of a `dicomweb:` scan, overriding the recorded one
 * @param opts.viewerImages the viewer's images' folder and this job's key
 * @throws InputError from `quantifyScan` (unreadable series, mask on another grid, empty VOI, …) or for
 *   a recorded path that leaves the root
 */
export async function runScanJob(
  spec: ScanJobSpec,
  root: string,
  opts: { pacsUrl?: string; viewerImages?: ViewerImagesTarget } = {},
): Promise<ScanJobResult> {
  const s = spec.scan;
  const scan: Scan = {
    ...s,
    path: resolveUnderRoot(root, s.path, 'scans.csv path'),
    ...(s.ctPath !== undefined ? { ctPath: resolveUnderRoot(root, s.ctPath, 'scans.csv ct_path') } : {}),
    ...(s.pacs ? { pacs: { ...s.pacs, url: opts.pacsUrl ?? s.pacs.url } } : {}),
  };
  const vois = spec.vois.map((v) => ({
    ...v,
    maskPath: isSphereRef(v.maskPath) ? v.maskPath : resolveUnderRoot(root, v.maskPath, 'vois.csv mask_path'),
  }));
  const dataRoots = [root, ...spec.dataRoots.map((d) => resolveUnderRoot(root, d, 'study.json dataRoots'))];
  const dose = spec.netDoseBq !== undefined ? { netDoseBq: spec.netDoseBq } : {};
  const q = await quantifyScan(scan, vois, {
    matvThresholdSuv: spec.matvThresholdSuv,
    ...dose,
    images: true,
    dataRoots,
    earlFilter: spec.quantification.earlFilter,
    organErosionMm: spec.quantification.organErosionMm,
  });
  let viewerImagesError: string | undefined;
  if (opts.viewerImages) {
    const { dir, key } = opts.viewerImages;
    try {
      await writeViewerImages(dir, key, { scan, ...dose, dataRoots }, vois, q.suv);
    } catch (e) {
      viewerImagesError = `the viewer's images of scan ${s.scanId} were not written to ${dir}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return {
    scanId: s.scanId,
    metrics: [...q.metrics],
    provenance: q.provenance,
    ...(q.images ? { images: q.images } : {}),
    ...(viewerImagesError !== undefined ? { viewerImagesError } : {}),
  };
}

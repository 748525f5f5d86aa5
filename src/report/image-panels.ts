/**
 * The report's image figures, drawn from the image data the scans' quantification stored (issue 15
 * item 5; issue 13: the report builds its own figures): the section `image-panels` — per scan a coronal
 * MIP at a readable size and, for a scan with a CT of the same PET/CT study, a fused transversal PET/CT
 * slice through the centre of its first lesion VOI, both with a fixed SUV window — and the MIP of the
 * quantification section. Drawn by images.ts.
 */
import type { AnalysisSection, ResultFigure } from '../analysis/types.js';
import type { FusedSliceData } from '../imaging/fusion.js';
import type { Projection } from '../imaging/mip.js';
import type { Vec3 } from '../imaging/volume.js';
import { FUSED_WINDOW_HU, renderFusedSlice, renderProjection, type Picture } from './images.js';

/** Fixed SUV window of every panel (g/mL). */
export const PANEL_WINDOW_SUV: [number, number] = [0, 10];
/** SUV window of the quantification section's MIP (g/mL). */
export const QUANTIFICATION_MIP_WINDOW_SUV: [number, number] = [0, 8];
/** A panel MIP is drawn at least this many pixels high (finer pixels for small, cropped volumes). */
const MIP_MIN_HEIGHT_PX = 300;
/** Display pixel of the quantification MIP (mm): a whole-body MIP of a few hundred pixels. */
const QUANTIFICATION_MIP_PIXEL_MM = 2;

/** What a scan's quantification stores for its pictures (src/pipeline/panels.ts computes it). */
export interface ScanImageData {
  /** Coronal maximum-intensity projection of the scan's SUV (g/mL). */
  mip: Projection;
  /**
   * The projected masks of the scan's VOIs in the layout of `mip`, one per mask source (a label-map
   * file: all its labels; a sphere; an RTSTRUCT ROI), in the order the quantification met them.
   */
  voiOutlines: Uint8Array[];
  /** The scan's first lesion VOI: its label and projected mask; null for a scan without a lesion. */
  lesion: { label: string; outline: Uint8Array } | null;
  /** The PET/CT plane through the first lesion's centre, for a scan with a CT and a lesion. */
  fused?: FusedSliceData;
}

/** One scan's image data with the scan's identity, as the report receives it. */
export interface ScanPanelData {
  scanId: string;
  patientId: string;
  images: ScanImageData;
}

/** The results of the `image-panels` section. */
export interface ImagePanelsResults {
  windowSuv: [number, number];
  /** Scan ids in the order shown: by patient, then scan day. */
  scans: string[];
  fused: { scanId: string; lesion: string; pointLps: Vec3 }[];
}

const pngFigure = (id: string, title: string, caption: string, p: Picture): ResultFigure => ({
  id,
  title,
  caption,
  source: {
    kind: 'png',
    dataBase64: Buffer.from(p.png).toString('base64'),
    widthPx: p.widthPx,
    heightPx: p.heightPx,
  },
});

/** A scan's panel MIP: the panel window, its first lesion outlined, at least `MIP_MIN_HEIGHT_PX` high. */
export function panelMip(images: ScanImageData): Picture {
  const { mip, lesion } = images;
  const heightMm = mip.rows * mip.pixelMm[1];
  return renderProjection(mip, {
    windowSuv: PANEL_WINDOW_SUV,
    outlines: lesion ? [lesion.outline] : [],
    pixelMm: Math.min(2, heightMm / MIP_MIN_HEIGHT_PX),
  });
}

/**
 * The section `image-panels`: every scan's MIP, and the fused PET/CT slices of the scans with a CT, in
 * the order given (the caller orders them by patient, then scan day). Not run without a scan.
 */
export function imagePanelsSection(scans: readonly ScanPanelData[]): AnalysisSection<ImagePanelsResults> {
  const w = PANEL_WINDOW_SUV.join('–');
  const hu = FUSED_WINDOW_HU.join('…').replace('-', '−');
  const base = {
    id: 'image-panels',
    title: 'Image panels: MIP per scan, fused PET/CT through the lesion',
    description:
      `Coronal maximum-intensity projection of every scan (anterior view, patient's right on the left), and for ` +
      `scans with a CT of the same PET/CT study (same frame of reference, no registration) a transversal slice ` +
      `through the centre of the first lesion VOI: CT in grey (${hu} HU), PET over it in a hot scale, both ` +
      `sampled trilinearly on 1 mm pixels. Fixed SUV window ${w} g/mL; lesion outlined.`,
    tables: [],
  };
  if (scans.length === 0)
    return { ...base, status: 'not-run', reason: 'no scan was rendered', results: {}, figures: [] };
  const figures: ResultFigure[] = [];
  const fused: ImagePanelsResults['fused'] = [];
  for (const { scanId, patientId, images } of scans) {
    const f = images.fused;
    if (f && images.lesion) {
      fused.push({ scanId, lesion: images.lesion.label, pointLps: f.pointLps });
      figures.push(
        pngFigure(
          `fused-${scanId}`,
          `Fused PET/CT, scan ${scanId} (patient ${patientId}), through ${images.lesion.label}`,
          `Transversal slice at LPS z = ${f.pointLps[2].toFixed(1)} mm; SUV window ${w} g/mL over CT ${hu} HU.`,
          renderFusedSlice(f, { windowSuv: PANEL_WINDOW_SUV }),
        ),
      );
    }
    figures.push(
      pngFigure(
        `mip-${scanId}`,
        `MIP, scan ${scanId} (patient ${patientId})`,
        `Coronal; SUV window ${w} g/mL.`,
        panelMip(images),
      ),
    );
  }
  return {
    ...base,
    status: 'ok',
    n: { scans: scans.length },
    results: { windowSuv: PANEL_WINDOW_SUV, scans: scans.map((s) => s.scanId), fused },
    findings: [`${scans.length} MIPs; ${fused.length} fused PET/CT slices (scans with a CT).`],
    figures,
  };
}

/**
 * The quantification section's MIP figure (id `mip`): the scan's coronal MIP at 2 mm display pixels,
 * SUV window 0–8 g/mL, every VOI's outline in colour.
 */
export function quantificationMipFigure(scan: ScanPanelData): ResultFigure {
  const pic = renderProjection(scan.images.mip, {
    windowSuv: QUANTIFICATION_MIP_WINDOW_SUV,
    outlines: scan.images.voiOutlines,
    pixelMm: QUANTIFICATION_MIP_PIXEL_MM,
  });
  return pngFigure(
    'mip',
    `Maximum-intensity projection (coronal, anterior view) of scan ${scan.scanId}`,
    `SUV window ${QUANTIFICATION_MIP_WINDOW_SUV.join('–')} g/mL; VOI outlines in colour.`,
    pic,
  );
}

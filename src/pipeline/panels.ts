/**
 * The report's image panels (issue 15 item 5): per scan a coronal MIP at a readable size, and for a
 * scan with a CT of the same PET/CT study (scans.csv `ct_path`) a fused transversal PET/CT slice
 * through the centre of its first lesion VOI, both with a fixed SUV window (src/imaging/mip.ts,
 * fusion.ts). Rendered while the scan's SUV volume is in memory (quantify.ts).
 */
import type { AnalysisSection, ResultFigure } from '../analysis/types.js';
import { fusedTransversalSlice, maskCentreLps } from '../imaging/fusion.js';
import { renderMip } from '../imaging/mip.js';
import type { Vec3, Volume } from '../imaging/volume.js';
import { checkSameFrameOfReference, readCtSeries } from '../io/dicom/index.js';
import type { Scan } from '../study/model.js';

/** Fixed SUV window of every panel (g/mL). */
export const PANEL_WINDOW_SUV: [number, number] = [0, 10];
/** A MIP is drawn at least this many pixels high (finer pixels for small, cropped volumes). */
const MIP_MIN_HEIGHT_PX = 300;

/** One PNG of a panel. */
export interface PanelPng {
  png: Uint8Array;
  widthPx: number;
  heightPx: number;
}

/** The panels of one scan. */
export interface ScanPanel {
  scanId: string;
  patientId: string;
  mip: PanelPng;
  /** The fused slice, when the scan has a CT and a lesion VOI. */
  fused?: PanelPng & { lesionLabel: string; pointLps: Vec3 };
}

/**
 * Renders the panels of one scan.
 * @param suv the scan's SUV volume (g/mL); @param frameOfReferenceUid the PET's, to check the CT against
 * @param lesion the first lesion VOI of the scan as a mask on the SUV grid, with its label, or null
 * @throws InputError naming the CT folder for an unreadable CT or one in another frame of reference
 */
export async function renderScanPanel(
  scan: Scan,
  suv: Volume<Float32Array>,
  frameOfReferenceUid: string | null,
  lesion: { label: string; mask: Uint8Array } | null,
): Promise<ScanPanel> {
  const heightMm = suv.size[2] * suv.spacingMm[2];
  const mip = renderMip(suv, {
    axis: 'coronal',
    windowSuv: PANEL_WINDOW_SUV,
    outlines: lesion ? [lesion.mask] : [],
    pixelMm: Math.min(2, heightMm / MIP_MIN_HEIGHT_PX),
  });
  const panel: ScanPanel = {
    scanId: scan.scanId,
    patientId: scan.patientId,
    mip: { png: mip.png, widthPx: mip.widthPx, heightPx: mip.heightPx },
  };
  if (scan.ctPath !== undefined && lesion) {
    const ct = await readCtSeries(scan.ctPath);
    checkSameFrameOfReference(ct, frameOfReferenceUid, scan.ctPath);
    const outline = { ...suv, data: lesion.mask, unit: 'mask' };
    const pointLps = maskCentreLps(outline)!; // the VOI was quantified: it holds voxels
    const f = fusedTransversalSlice(suv, ct.volume, pointLps, { windowSuv: PANEL_WINDOW_SUV, outline });
    panel.fused = {
      png: f.picture.png,
      widthPx: f.picture.widthPx,
      heightPx: f.picture.heightPx,
      lesionLabel: lesion.label,
      pointLps,
    };
  }
  return panel;
}

const figure = (id: string, title: string, caption: string, p: PanelPng): ResultFigure => ({
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

/**
 * The report section `image-panels`: every scan's MIP, and the fused PET/CT slices of the scans with a CT.
 * Not run when no panel was drawn (the study was already stored and no scan was loaded, or no scan).
 */
export function imagePanelsSection(panels: readonly ScanPanel[]): AnalysisSection {
  const base = {
    id: 'image-panels',
    title: 'Image panels: MIP per scan, fused PET/CT through the lesion',
    description:
      `Coronal maximum-intensity projection of every scan (anterior view, patient's right on the left), and for ` +
      `scans with a CT of the same PET/CT study (same frame of reference, no registration) a transversal slice ` +
      `through the centre of the first lesion VOI: CT in grey (−160…240 HU), PET over it in a hot scale, both ` +
      `sampled trilinearly on 1 mm pixels. Fixed SUV window ${PANEL_WINDOW_SUV.join('–')} g/mL; lesion outlined.`,
    tables: [],
  };
  if (panels.length === 0)
    return { ...base, status: 'not-run', reason: 'no scan was rendered', results: {}, figures: [] };
  const w = PANEL_WINDOW_SUV.join('–');
  const figures: ResultFigure[] = [];
  for (const p of panels) {
    if (p.fused)
      figures.push(
        figure(
          `fused-${p.scanId}`,
          `Fused PET/CT, scan ${p.scanId} (patient ${p.patientId}), through ${p.fused.lesionLabel}`,
          `Transversal slice at LPS z = ${p.fused.pointLps[2].toFixed(1)} mm; SUV window ${w} g/mL over CT −160…240 HU.`,
          p.fused,
        ),
      );
    figures.push(
      figure(
        `mip-${p.scanId}`,
        `MIP, scan ${p.scanId} (patient ${p.patientId})`,
        `Coronal; SUV window ${w} g/mL.`,
        p.mip,
      ),
    );
  }
  const fused = panels.filter((p) => p.fused);
  return {
    ...base,
    status: 'ok',
    n: { scans: panels.length },
    results: {
      windowSuv: PANEL_WINDOW_SUV,
      scans: panels.map((p) => p.scanId),
      fused: fused.map((p) => ({
        scanId: p.scanId,
        lesion: p.fused!.lesionLabel,
        pointLps: p.fused!.pointLps,
      })),
    },
    findings: [`${panels.length} MIPs; ${fused.length} fused PET/CT slices (scans with a CT).`],
    figures,
  };
}

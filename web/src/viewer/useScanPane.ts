/**
 * One scan in one niivue instance (a pane of the viewer): loads the scan's volumes once, keeps the
 * crosshair readout (voxel, patient coordinate, SUV, VOI label) and applies window and colour map
 * changes. Panes are linked by patient coordinate: `onMove` hears every move of this pane's crosshair
 * made by the user (click, keyboard, VOI row, test hook), `moveToMm` moves it without telling anyone.
 */
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { Niivue, SHOW_RENDER } from '@niivue/niivue';
import { suvMaxVoxel } from '../studies/volume.js';
import {
  applyLook,
  crosshairMmLps,
  drawMip,
  checkSameGrid,
  fetchDisplay,
  fetchScanData,
  niftiGrid,
  nativeToRas,
  overlayIndexAt,
  rasToNative,
  setCrosshairMmLps,
  showSuv,
  showVoiOverlay,
  skipGradientPasses,
  type Look,
  type Phases,
  type ScanImages,
  type Vec3,
} from './nv-volume.js';

/** What the crosshair is on. */
export interface Readout {
  /** The file's voxel (i, j, k). */
  vox: Vec3;
  /** Patient coordinate (mm, LPS). */
  mmLps: Vec3;
  /** False when the position lies outside this scan's grid (then `suv` is NaN, `labelValue` 0). */
  inside: boolean;
  suv: number;
  labelValue: number;
}

/** The test hook of a pane (window.__cartoViewer, window.__cartoCompareViewer). */
export interface ViewerHook {
  moveToVoxel: (i: number, j: number, k: number) => void;
  moveToMm: (lps: Vec3) => void;
  /** The overlay's colour index at the file's voxel (see `overlayIndexAt`). */
  overlayIndexAt: (i: number, j: number, k: number) => number | null;
  size: Vec3;
}
export type HookName = '__cartoViewer' | '__cartoCompareViewer';

/**
 * When (ms since the document's navigation start) a pane's data were fetched and parsed, its slices
 * first drawn, the pane usable (crosshair readout, test hook), and its VOI overlay and MIP drawn (built
 * after the first usable view; absent until then).
 */
export interface PaneTiming {
  dataAt: number;
  renderAt: number;
  readyAt: number;
  overlayAt?: number;
  /** The same from the pane's start, with each phase's duration, for the page's data-phases. */
  phases: string;
}

/** `PaneTiming` from the moments (performance.now()) and the phases of a load started at `t0`. */
function paneTiming(
  t0: number,
  at: Omit<PaneTiming, 'phases'>,
  attachedAt: number,
  phases: Phases,
): PaneTiming {
  const ms = (t: number) => Math.round(t - t0);
  const round = Object.fromEntries(Object.entries(at).map(([k, v]) => [k, Math.round(v)]));
  return {
    ...(round as Omit<PaneTiming, 'phases'>),
    phases:
      `niivue attached at ${ms(attachedAt)} ms, data at ${ms(at.dataAt)} ms, slices at ${ms(at.renderAt)} ms, ` +
      `ready at ${ms(at.readyAt)} ms` +
      (at.overlayAt === undefined ? '' : `, overlay and MIP at ${ms(at.overlayAt)} ms`) +
      ` (${phases.map(([n, d]) => `${n} ${d}`).join(', ')} ms)`,
  };
}

export interface ScanPane {
  canvas: RefObject<HTMLCanvasElement | null>;
  mipCanvas: RefObject<HTMLCanvasElement | null>;
  /** 'loading', 'ready', or the error message. */
  status: string;
  readout: Readout | null;
  timing: PaneTiming | null;
  /** Moves the crosshair to the file's voxel (i, j, k) and tells `onMove`. */
  moveToVoxel: (i: number, j: number, k: number) => void;
  /** Moves the crosshair to the SUVmax voxel of the VOI with this label value (and tells `onMove`). */
  goToVoi: (labelValue: number) => void;
  /** Moves the crosshair to a patient coordinate (mm, LPS) without telling `onMove`. */
  moveToMm: (lps: Vec3) => void;
}

const hooks = window as unknown as Partial<Record<HookName, ViewerHook>>;

/**
 * Loads scan `scanId` into `nv` on `cv`: the volumes are fetched while niivue starts on the canvas, and
 * the slices are built from the display volume (in `look0`, fetched first) while the float SUV and the
 * label map are on their way. Returns the images and the moments (performance.now()) niivue was attached, the
 * float data were in and the slices drawn; null when `live()` turned false meanwhile.
 * @throws Error from `fetchDisplay`, `fetchScanData`, `checkSameGrid` or niivue
 */
async function loadScan(
  nv: Niivue,
  cv: HTMLCanvasElement,
  scanId: string,
  look0: Look,
  phases: Phases,
  live: () => boolean,
): Promise<{ img: ScanImages; attachedAt: number; dataAt: number; renderAt: number } | null> {
  // the display volume's bytes first (alone on the wire they come in sooner), then the float data
  // while niivue parses it and builds the slices
  let dataAt = NaN;
  let displayIn = (): void => undefined;
  const data = new Promise<void>((resolve) => (displayIn = resolve))
    .then(() => fetchScanData(scanId, phases))
    .then((d) => ((dataAt = performance.now()), d));
  data.catch(() => undefined); // handled where awaited
  const display = fetchDisplay(scanId, look0, phases, displayIn);
  await nv.attachToCanvas(cv);
  skipGradientPasses(nv);
  nv.setSliceType(nv.sliceTypeMultiplanar);
  const attachedAt = performance.now();
  const shown = await display;
  if (!live()) return null;
  await showSuv(nv, shown, phases);
  const renderAt = performance.now();
  const img = { ...(await data), display: shown };
  if (!live()) return null;
  checkSameGrid(shown, img.suv);
  return { img, attachedAt, dataAt, renderAt };
}

/**
 * The pane of scan `scanId` in look `look`. `startAt` (read once, when loaded) gives the position to
 * open at, else the volume's centre; `onMove` hears the user's moves (see module doc).
 */
export function useScanPane(
  scanId: string,
  look: Look,
  opts: { hookName: HookName; onMove?: (lps: Vec3) => void; startAt?: () => Vec3 | null },
): ScanPane {
  const canvas = useRef<HTMLCanvasElement>(null);
  const mipCanvas = useRef<HTMLCanvasElement>(null);
  const nvRef = useRef<Niivue | null>(null);
  const [status, setStatus] = useState<string>('loading');
  const [readout, setReadout] = useState<Readout | null>(null);
  const [timing, setTiming] = useState<PaneTiming | null>(null);
  const current = useRef({ look, opts });
  useEffect(() => {
    current.current = { look, opts };
  });
  const applied = useRef<Look | null>(null);

  // niivue's voxel coordinates are RAS-ordered; the readout and the hook speak the file's (native) order
  const images = useRef<ScanImages | null>(null);
  const readAt = useCallback((nv: Niivue) => {
    if (!images.current) return;
    const { suv, labels, display } = images.current;
    const ras = nv.frac2vox(nv.scene.crosshairPos);
    const vox = rasToNative(display, [ras[0], ras[1], ras[2]]);
    const size = suv.size;
    const inside = vox.every((v, a) => v >= 0 && v < size[a]!);
    const q = vox[0] + size[0] * (vox[1] + size[1] * vox[2]);
    setReadout({
      vox,
      mmLps: crosshairMmLps(nv),
      inside,
      // the float SUV of the file, not the display volume's 8-bit level
      suv: inside ? niftiGrid(suv).value(q) : NaN,
      labelValue: inside ? Math.round(niftiGrid(labels).value(q)) : 0,
    });
  }, []);
  const moveToMm = useCallback(
    (lps: Vec3) => {
      const nv = nvRef.current;
      if (!nv?.volumes[0]) return;
      setCrosshairMmLps(nv, lps);
      nv.drawScene();
      readAt(nv);
    },
    [readAt],
  );
  const moveToVoxel = useCallback(
    (i: number, j: number, k: number) => {
      const nv = nvRef.current;
      const suvVol = nv?.volumes[0];
      if (!nv || !suvVol) return;
      nv.scene.crosshairPos = nv.vox2frac(nativeToRas(suvVol, [i, j, k]));
      nv.drawScene();
      readAt(nv);
      current.current.opts.onMove?.(crosshairMmLps(nv));
    },
    [readAt],
  );
  const goToVoi = useCallback(
    (labelValue: number) => {
      const img = images.current;
      if (!img) return;
      const at = suvMaxVoxel(niftiGrid(img.suv), niftiGrid(img.labels), labelValue);
      if (at) moveToVoxel(...at);
    },
    [moveToVoxel],
  );

  // niivue on the canvas, the two volumes loaded once per scan
  useEffect(() => {
    if (!canvas.current) return;
    const t0 = performance.now();
    const nv = new Niivue({
      backColor: [0, 0, 0, 1],
      crosshairColor: [0.1, 0.6, 1, 1],
      isColorbar: false,
      dragAndDropEnabled: false,
      multiplanarShowRender: SHOW_RENDER.NEVER,
      show3Dcrosshair: false,
    });
    nvRef.current = nv;
    const { hookName } = current.current.opts;
    let live = true;
    void (async () => {
      try {
        const look0 = current.current.look;
        const phases: Phases = [];
        const loaded = await loadScan(nv, canvas.current!, scanId, look0, phases, () => live);
        if (!loaded) return;
        const { img, dataAt, renderAt, attachedAt } = loaded;
        images.current = img;
        applied.current = look0;
        nv.onLocationChange = () => {
          readAt(nv);
          current.current.opts.onMove?.(crosshairMmLps(nv));
        };
        const size = img.suv.size;
        const start = current.current.opts.startAt?.();
        if (start) moveToMm(start);
        else {
          nv.scene.crosshairPos = nv.vox2frac(
            nativeToRas(img.display, [size[0] >> 1, size[1] >> 1, size[2] >> 1]),
          );
          nv.drawScene();
          readAt(nv);
        }
        hooks[hookName] = {
          moveToVoxel,
          moveToMm,
          overlayIndexAt: (i, j, k) => overlayIndexAt(nv, [i, j, k]),
          size,
        };
        const at = { dataAt, renderAt, readyAt: performance.now() };
        setTiming(paneTiming(t0, at, attachedAt, phases));
        setStatus('ready');
        // the rest after the first usable view: the VOI overlay, then the MIP
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (!live) return;
        showVoiOverlay(nv, img, phases);
        nv.drawScene();
        const mipFrom = performance.now();
        drawMip(img, mipCanvas.current, applied.current ?? look0);
        phases.push(['mip', Math.round(performance.now() - mipFrom)]);
        setTiming(paneTiming(t0, { ...at, overlayAt: performance.now() }, attachedAt, phases));
      } catch (e) {
        if (live) setStatus(e instanceof Error ? e.message : String(e));
      }
    })();
    return () => {
      live = false;
      delete hooks[hookName];
      nvRef.current = null;
      images.current = null;
    };
  }, [scanId, readAt, moveToMm, moveToVoxel]);

  // window and colour map: niivue rebuilds its textures, so only on a change of either
  useEffect(() => {
    const nv = nvRef.current;
    const img = images.current;
    const was = applied.current;
    if (status !== 'ready' || !nv || !img || !was) return;
    if (was.windowMax === look.windowMax && was.colourMap === look.colourMap) return;
    applyLook(nv, img, look);
    applied.current = look;
    drawMip(img, mipCanvas.current, look);
  }, [status, look]);

  return { canvas, mipCanvas, status, readout, timing, moveToVoxel, goToVoi, moveToMm };
}

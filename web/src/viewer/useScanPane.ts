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
  grid,
  loadScanVolumes,
  nativeToRas,
  rasToNative,
  setCrosshairMmLps,
  type Look,
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
  size: Vec3;
}
export type HookName = '__cartoViewer' | '__cartoCompareViewer';

/** Milliseconds since the document's navigation start when the data were parsed, the first frame drawn, and the pane ready. */
export interface PaneTiming {
  dataAt: number;
  renderAt: number;
  readyAt: number;
  /** Durations from the pane's start, for the page's data-phases. */
  phases: string;
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
  const readAt = useCallback((nv: Niivue) => {
    const [suvVol, labVol] = nv.volumes;
    if (!suvVol || !labVol) return;
    const ras = nv.frac2vox(nv.scene.crosshairPos);
    const vox = rasToNative(suvVol, [ras[0], ras[1], ras[2]]);
    const g = grid(suvVol);
    const inside = vox.every((v, a) => v >= 0 && v < g.size[a]!);
    const q = vox[0] + g.size[0] * (vox[1] + g.size[1] * vox[2]);
    setReadout({
      vox,
      mmLps: crosshairMmLps(nv),
      inside,
      suv: inside ? g.value(q) : NaN,
      labelValue: inside ? Math.round(grid(labVol).value(q)) : 0,
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
      const nv = nvRef.current;
      if (!nv || nv.volumes.length < 2) return;
      const at = suvMaxVoxel(grid(nv.volumes[0]!), grid(nv.volumes[1]!), labelValue);
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
        await nv.attachToCanvas(canvas.current!);
        nv.setSliceType(nv.sliceTypeMultiplanar);
        const look0 = current.current.look;
        const t = await loadScanVolumes(nv, scanId, look0);
        if (!live) return;
        applied.current = look0;
        nv.onLocationChange = () => {
          readAt(nv);
          current.current.opts.onMove?.(crosshairMmLps(nv));
        };
        const size = grid(nv.volumes[0]!).size;
        const start = current.current.opts.startAt?.();
        if (start) moveToMm(start);
        else {
          nv.scene.crosshairPos = nv.vox2frac(
            nativeToRas(nv.volumes[0]!, [size[0] >> 1, size[1] >> 1, size[2] >> 1]),
          );
          nv.drawScene();
          readAt(nv);
        }
        drawMip(nv.volumes[0]!, mipCanvas.current, look0);
        hooks[hookName] = { moveToVoxel, moveToMm, size };
        const readyAt = performance.now();
        setTiming({
          dataAt: Math.round(t0 + t.dataMs),
          renderAt: Math.round(t0 + t.renderMs),
          readyAt: Math.round(readyAt),
          phases: `data ${Math.round(t.dataMs)} ms, first render ${Math.round(t.renderMs)} ms, ready ${Math.round(readyAt - t0)} ms`,
        });
        setStatus('ready');
      } catch (e) {
        if (live) setStatus(e instanceof Error ? e.message : String(e));
      }
    })();
    return () => {
      live = false;
      delete hooks[hookName];
      nvRef.current = null;
    };
  }, [scanId, readAt, moveToMm, moveToVoxel]);

  // window and colour map: niivue rebuilds its textures, so only on a change of either
  useEffect(() => {
    const nv = nvRef.current;
    const suvVol = nv?.volumes[0];
    const was = applied.current;
    if (status !== 'ready' || !nv || !suvVol || !was) return;
    if (was.windowMax === look.windowMax && was.colourMap === look.colourMap) return;
    applyLook(nv, look);
    applied.current = look;
    drawMip(suvVol, mipCanvas.current, look);
  }, [status, look]);

  return { canvas, mipCanvas, status, readout, timing, moveToVoxel, goToVoi, moveToMm };
}

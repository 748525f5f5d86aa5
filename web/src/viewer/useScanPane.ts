/**
 * One scan in one niivue instance (a pane of the viewer): loads the scan, keeps the crosshair readout
 * (voxel, patient coordinate, SUV, VOI label; see readout.ts) and applies window and colour map changes.
 * The pane is usable (ready) when the slices are drawn from the 8-bit display volume and the first
 * readout is in from the server's voxel route (asked for as soon as the scan's grid is known, so that
 * it is in by then: `useVoxelAhead`); the float SUV and the label map are fetched after the
 * slices are drawn, and what needs them waits for them, visibly: a new window (re-quantized from the
 * float SUV), a VOI row's jump (queued), the VOI overlay and the MIP. Panes are linked by patient
 * coordinate: `onMove` hears every move of this pane's crosshair made by the user (click, keyboard, VOI
 * row, test hook), `moveToMm` moves it without telling anyone.
 */
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import type { Niivue, NVImage } from '@niivue/niivue';
import { suvMaxVoxel } from '../studies/volume.js';
import {
  applyLook,
  crosshairMmLps,
  drawMip,
  checkSameGrid,
  fetchDisplay,
  fetchScanData,
  loadNiivue,
  niftiGrid,
  nativeToRas,
  overlayIndexAt,
  rasToNative,
  setCrosshairMmLps,
  drawnLook,
  showSuv,
  showVoiOverlay,
  type Look,
  type NiivueModule,
  type Phases,
  type Vec3,
} from './nv-volume.js';
import {
  attachWithoutVolumeRender,
  keepVolumeTexture,
  leanOrientPass,
  reserveVolumeTexture,
  skipGradientPasses,
  volumeRenderDraws,
  warmUp,
  type GridHint,
} from './nv-passes.js';
import { askVoxelAhead, ReadoutReader, type Readout, type ScanData, type VoxelAhead } from './readout.js';

export type { Readout } from './readout.js';

/** The test hook of a pane (window.__cartoViewer, window.__cartoCompareViewer). */
export interface ViewerHook {
  moveToVoxel: (i: number, j: number, k: number) => void;
  moveToMm: (lps: Vec3) => void;
  /** The overlay's colour index at the file's voxel (see `overlayIndexAt`). */
  overlayIndexAt: (i: number, j: number, k: number) => number | null;
  /** The window and colour map niivue draws the slices in (`drawnLook`). */
  drawnLook: () => ReturnType<typeof drawnLook>;
  /** The draws made with niivue's volume-render programs, which the viewer leaves empty (none expected). */
  volumeRenderDraws: () => number;
  size: Vec3;
}
export type HookName = '__cartoViewer' | '__cartoCompareViewer';

/**
 * When (ms since the document's navigation start) a pane's slices were first drawn, its first readout
 * was in (and from where), the pane usable (slices and readout; test hook), its float SUV and label map
 * were in (`dataAt`; absent until then) and its VOI overlay and MIP drawn (`overlayAt`, after the data).
 */
export interface PaneTiming {
  renderAt: number;
  readoutAt: number;
  readoutSource: Readout['source'];
  readyAt: number;
  dataAt?: number;
  overlayAt?: number;
  /** The same from the pane's start, with each phase's duration, for the page's data-phases. */
  phases: string;
}

type Moments = Omit<PaneTiming, 'phases' | 'readoutSource'>;

/** `PaneTiming` from the moments (performance.now()) and the phases of a load started at `t0`. */
function paneTiming(
  t0: number,
  at: Moments,
  source: Readout['source'],
  attachedAt: number,
  phases: Phases,
): PaneTiming {
  const ms = (t: number) => Math.round(t - t0);
  const round = Object.fromEntries(Object.entries(at).map(([k, v]) => [k, Math.round(v)])) as Moments;
  const from = source === 'voxel' ? 'voxel route' : 'float data';
  return {
    ...round,
    readoutSource: source,
    phases:
      `niivue attached at ${ms(attachedAt)} ms, slices at ${ms(at.renderAt)} ms, ` +
      `readout (${from}) at ${ms(at.readoutAt)} ms, ready at ${ms(at.readyAt)} ms` +
      (at.dataAt === undefined ? '' : `, float data at ${ms(at.dataAt)} ms`) +
      (at.overlayAt === undefined ? '' : `, overlay and MIP at ${ms(at.overlayAt)} ms`) +
      ` (${phases.map(([n, d]) => `${n} ${d}`).join(', ')} ms)`,
  };
}

export interface ScanPane {
  canvas: RefObject<HTMLCanvasElement | null>;
  mipCanvas: RefObject<HTMLCanvasElement | null>;
  /** 'loading', 'ready', or the error message. */
  status: string;
  /** The float SUV and the label map: 'loading', 'in', or the error message. */
  dataStatus: string;
  /** The window asked for (g/mL) while the slices still show another, waiting for the float SUV. */
  windowPending: number | null;
  /** The label value of a VOI whose SUVmax jump waits for the float data. */
  voiPending: number | null;
  readout: Readout | null;
  timing: PaneTiming | null;
  /** Moves the crosshair to the file's voxel (i, j, k) and tells `onMove`. */
  moveToVoxel: (i: number, j: number, k: number) => void;
  /**
   * Moves the crosshair to the SUVmax voxel of the VOI with this label value (and tells `onMove`), at
   * once when the float data are in, else when they come (unless the crosshair is moved meanwhile).
   */
  goToVoi: (labelValue: number) => void;
  /** Moves the crosshair to a patient coordinate (mm, LPS) without telling `onMove`. */
  moveToMm: (lps: Vec3) => void;
}

const hooks = window as unknown as Partial<Record<HookName, ViewerHook>>;

/** The test hook of a pane whose niivue shows `display`, with its moves. */
const paneHook = (
  nv: Niivue,
  display: NVImage,
  moves: Pick<ViewerHook, 'moveToVoxel' | 'moveToMm'>,
): ViewerHook => ({
  ...moves,
  overlayIndexAt: (i, j, k) => overlayIndexAt(nv, [i, j, k]),
  drawnLook: () => drawnLook(display),
  volumeRenderDraws: () => volumeRenderDraws(nv),
  size: gridSize(display),
});

/** The file's grid size (i, j, k) of a display volume. */
const gridSize = (display: NVImage): Vec3 => {
  const d = display.hdr!.dims;
  return [d[1]!, d[2]!, d[3]!];
};

/**
 * Opens scan `scanId`'s slices on `cv`: the display volume (in `look0`) is fetched while niivue's module
 * comes in and `makeNiivue` starts niivue on the canvas, with its passes made lean (nv-passes.ts),
 * warmed up and, when the scan's grid is known (`grid()`), the volume texture allocated; then shown.
 * `position` runs when niivue has it, once its texture is built (see `showSuv`). Returns niivue, the
 * display volume and the moments (performance.now()) niivue was attached and the slices drawn; null
 * when `live()` turned false meanwhile.
 * @throws Error from `fetchDisplay` or niivue
 */
async function openSlices(
  e: Pick<PaneEnv, 'makeNiivue' | 'cv' | 'scanId' | 'look0' | 'live' | 'grid'>,
  phases: Phases,
  position: (nv: Niivue, display: NVImage) => void,
): Promise<{ nv: Niivue; display: NVImage; attachedAt: number; renderAt: number } | null> {
  const { makeNiivue, cv, scanId, look0, live } = e;
  const fetched = fetchDisplay(scanId, look0, phases);
  fetched.catch(() => undefined); // handled where awaited
  // the request goes out when this task ends: end it before niivue compiles its shaders (0.2–0.3 s
  // of this thread), so the display volume is on its way meanwhile
  await new Promise((resolve) => setTimeout(resolve, 0));
  const m = await loadNiivue();
  if (!live()) return null;
  const nv = makeNiivue(m);
  await attachWithoutVolumeRender(nv, cv);
  skipGradientPasses(nv);
  leanOrientPass(nv);
  keepVolumeTexture(nv);
  nv.setSliceType(nv.sliceTypeMultiplanar);
  // the shaders' first use and the volume texture's zero-fill, while the display volume is on its way
  await warmUp(nv, m.NVImage);
  const grid = e.grid();
  if (grid) reserveVolumeTexture(nv, grid);
  const attachedAt = performance.now();
  const display = await fetched;
  if (!live()) return null;
  await showSuv(nv, display, () => position(nv, display), phases);
  return { nv, display, attachedAt, renderAt: performance.now() };
}

/** What `loadPane` works on: the pane's niivue, its refs and setters. */
interface PaneEnv {
  /** Makes the pane's niivue from niivue's module. */
  makeNiivue: (m: NiivueModule) => Niivue;
  cv: HTMLCanvasElement;
  scanId: string;
  look0: Look;
  live: () => boolean;
  /** The scan's grid when the page has it (read once niivue is attached), else null. */
  grid: () => GridHint | null;
  /** Called when niivue has the display volume: make the reader, place the crosshair and read. */
  onDisplay: (nv: Niivue, display: NVImage) => ReadoutReader;
  /** Resolves with the first readout that is not pending (from the reader's `show`). */
  firstReadout: Promise<Readout>;
  /** The slices and the first readout are in: hook, status and the timing so far. */
  onReady: (timing: PaneTiming) => void;
  /** The float data are in (checked against the display grid). */
  onData: (data: ScanData) => void;
  onDataError: (message: string) => void;
  /** The VOI overlay and the MIP are to be drawn now. */
  drawExtras: (phases: Phases) => void;
  setTiming: (t: PaneTiming) => void;
}

/**
 * Loads a pane: the slices, the first readout (from the voxel route), then the float data, fetched
 * once the slices are drawn so as not to slow them, then the VOI overlay and the MIP.
 * @throws Error from `openSlices` (the pane cannot show the scan)
 */
async function loadPane(e: PaneEnv): Promise<void> {
  const t0 = performance.now();
  const phases: Phases = [];
  let reader: ReadoutReader | null = null;
  const opened = await openSlices(e, phases, (nv, d) => (reader = e.onDisplay(nv, d)));
  if (!opened || !e.live()) return;
  const { display, attachedAt, renderAt } = opened;
  const data = fetchScanData(e.scanId, phases);
  data.catch(() => undefined); // handled where awaited
  const first = await e.firstReadout;
  const readoutAt = performance.now();
  if (!e.live()) return;
  const at: Moments = { renderAt, readoutAt, readyAt: performance.now() };
  e.onReady(paneTiming(t0, at, first.source, attachedAt, phases));
  try {
    const d = await data;
    if (!e.live()) return;
    checkSameGrid(display, d.suv);
    reader!.setData(d);
    at.dataAt = performance.now();
    e.onData(d);
  } catch (err) {
    if (e.live()) e.onDataError(err instanceof Error ? err.message : String(err));
    return;
  }
  e.setTiming(paneTiming(t0, at, first.source, attachedAt, phases));
  // the VOI overlay and the MIP in a task of their own: the readout from the float data shows first
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (!e.live()) return;
  e.drawExtras(phases);
  e.setTiming(paneTiming(t0, { ...at, overlayAt: performance.now() }, first.source, attachedAt, phases));
}

/** The refs a pane's moves work on (see `useScanPane`). */
type Ref<T> = { current: T };

/**
 * The crosshair moves of a pane: reading the readout at the crosshair, moves to a voxel, a patient
 * coordinate or a VOI's SUVmax voxel (queued until the float data are in; a later move drops it).
 * `onMove` hears the moves that are to be told to a linked pane.
 */
function usePaneMoves(
  nvRef: Ref<Niivue | null>,
  display: Ref<NVImage | null>,
  data: Ref<ScanData | null>,
  reader: Ref<ReadoutReader | null>,
  onMove: (lps: Vec3) => void,
) {
  const pendingVoi = useRef<number | null>(null);
  const [voiPending, setVoiPending] = useState<number | null>(null);

  // niivue's voxel coordinates are RAS-ordered; the readout and the hook speak the file's (native) order
  const readAt = useCallback((nv: Niivue) => {
    const d = display.current;
    if (!d || !reader.current) return;
    const ras = nv.frac2vox(nv.scene.crosshairPos);
    reader.current.read(rasToNative(d, [ras[0], ras[1], ras[2]]), crosshairMmLps(nv));
  }, []);
  /** A move by the user (or a linked pane) drops a VOI jump still waiting for the data. */
  const dropPendingVoi = useCallback(() => {
    pendingVoi.current = null;
    setVoiPending(null);
  }, []);
  const moveToMm = useCallback(
    (lps: Vec3) => {
      const nv = nvRef.current;
      if (!nv?.volumes[0]) return;
      dropPendingVoi();
      setCrosshairMmLps(nv, lps);
      nv.drawScene();
      readAt(nv);
    },
    [readAt, dropPendingVoi],
  );
  const moveTo = useCallback(
    (i: number, j: number, k: number) => {
      const nv = nvRef.current;
      const vol = nv?.volumes[0];
      if (!nv || !vol) return;
      nv.scene.crosshairPos = nv.vox2frac(nativeToRas(vol, [i, j, k]));
      nv.drawScene();
      readAt(nv);
      onMove(crosshairMmLps(nv));
    },
    [readAt, onMove],
  );
  const moveToVoxel = useCallback(
    (i: number, j: number, k: number) => {
      dropPendingVoi();
      moveTo(i, j, k);
    },
    [moveTo, dropPendingVoi],
  );
  const jumpToVoi = useCallback(
    (d: ScanData, labelValue: number) => {
      const at = suvMaxVoxel(niftiGrid(d.suv), niftiGrid(d.labels), labelValue);
      if (at) moveTo(...at);
    },
    [moveTo],
  );
  const goToVoi = useCallback(
    (labelValue: number) => {
      dropPendingVoi();
      if (data.current) return jumpToVoi(data.current, labelValue);
      pendingVoi.current = labelValue;
      setVoiPending(labelValue);
    },
    [jumpToVoi, dropPendingVoi],
  );
  return {
    readAt,
    moveToMm,
    moveToVoxel,
    jumpToVoi,
    goToVoi,
    dropPendingVoi,
    pendingVoi,
    voiPending,
  };
}

/**
 * The pane's first readout's voxel (the grid's centre, when the pane opens at no given position: no
 * `startAt`), asked for (`askVoxelAhead`) as soon as the scan's grid is known, before niivue has the
 * display volume. Returns what the reader made for a scan is to take (see `ReadoutReader`): the answer
 * asked for that scan, once, else null.
 */
function useVoxelAhead(
  scanId: string,
  opts: { startAt?: unknown; grid?: GridHint | null },
  reader: Ref<ReadoutReader | null>,
): (scanId: string) => VoxelAhead | null {
  // the scan asked for, and its answer until taken (asked once per scan)
  const ahead = useRef<{ scanId: string; asked: VoxelAhead | null } | null>(null);
  const size = opts.grid?.size;
  const centre = opts.startAt || size?.length !== 3 ? null : size.map((n) => n >> 1).join(',');
  useEffect(() => {
    if (centre === null || reader.current || ahead.current?.scanId === scanId) return;
    ahead.current = { scanId, asked: askVoxelAhead(scanId, centre.split(',').map(Number) as Vec3) };
  }, [scanId, centre]);
  return useCallback((id: string) => {
    if (ahead.current?.scanId !== id) return null;
    const { asked } = ahead.current;
    ahead.current.asked = null;
    return asked;
  }, []);
}

/**
 * The pane of scan `scanId` in look `look`. `startAt` (read once, when loaded) gives the position to
 * open at, else the volume's centre; `onMove` hears the user's moves (see module doc); `grid`, the
 * scan's grid when the page has it (from its scan record), lets niivue allocate the volume texture while
 * the display volume comes (an optimisation: without it the pane works the same).
 */
export function useScanPane(
  scanId: string,
  look: Look,
  opts: {
    hookName: HookName;
    onMove?: (lps: Vec3) => void;
    startAt?: () => Vec3 | null;
    grid?: GridHint | null;
  },
): ScanPane {
  const canvas = useRef<HTMLCanvasElement>(null);
  const mipCanvas = useRef<HTMLCanvasElement>(null);
  const nvRef = useRef<Niivue | null>(null);
  const [status, setStatus] = useState<string>('loading');
  const [dataStatus, setDataStatus] = useState<string>('loading');
  const [readout, setReadout] = useState<Readout | null>(null);
  const [timing, setTiming] = useState<PaneTiming | null>(null);
  const current = useRef({ look, opts });
  useEffect(() => {
    current.current = { look, opts };
  });
  // the look the slices show (a ref for the loader, a state for the page)
  const applied = useRef<Look | null>(null);
  const [shownLook, setShownLook] = useState<Look | null>(null);
  const display = useRef<NVImage | null>(null);
  const data = useRef<ScanData | null>(null);
  const reader = useRef<ReadoutReader | null>(null);
  const onMove = useCallback((lps: Vec3) => current.current.opts.onMove?.(lps), []);
  const m = usePaneMoves(nvRef, display, data, reader, onMove);
  const { readAt, moveToMm, moveToVoxel, jumpToVoi, dropPendingVoi, pendingVoi } = m;
  const takeAhead = useVoxelAhead(scanId, opts, reader);

  // niivue on the canvas, the scan loaded once
  useEffect(() => {
    if (!canvas.current) return;
    // niivue, once its module is in (the callbacks below run after that)
    let nv = null as unknown as Niivue;
    const { hookName } = current.current.opts;
    const look0 = current.current.look;
    let live = true;
    let firstIn: (r: Readout) => void = () => undefined;
    const firstReadout = new Promise<Readout>((resolve) => (firstIn = resolve));
    const show = (shown: Readout) => {
      if (!live) return;
      setReadout(shown);
      if (shown.state !== 'pending') firstIn(shown);
    };
    loadPane({
      makeNiivue: ({ Niivue, SHOW_RENDER }) => {
        nv = new Niivue({
          backColor: [0, 0, 0, 1],
          crosshairColor: [0.1, 0.6, 1, 1],
          isColorbar: false,
          dragAndDropEnabled: false,
          multiplanarShowRender: SHOW_RENDER.NEVER,
          show3Dcrosshair: false,
        });
        nvRef.current = nv;
        return nv;
      },
      cv: canvas.current,
      scanId,
      look0,
      live: () => live,
      grid: () => current.current.opts.grid ?? null,
      firstReadout,
      onDisplay: (_nv, d) => {
        display.current = d;
        applied.current = look0;
        const r = new ReadoutReader(scanId, gridSize(d), show, takeAhead(scanId));
        reader.current = r;
        const start = current.current.opts.startAt?.();
        if (start) setCrosshairMmLps(nv, start);
        else nv.scene.crosshairPos = nv.vox2frac(nativeToRas(d, gridSize(d).map((n) => n >> 1) as Vec3));
        readAt(nv);
        return r;
      },
      onReady: (t) => {
        nv.onLocationChange = () => {
          dropPendingVoi();
          readAt(nv);
          current.current.opts.onMove?.(crosshairMmLps(nv));
        };
        hooks[hookName] = paneHook(nv, display.current!, { moveToVoxel, moveToMm });
        setTiming(t);
        setShownLook(look0);
        setStatus('ready');
      },
      onData: (d) => {
        data.current = d;
        // the readout now reads the float data (an answer still out for the route is dropped)
        readAt(nv);
        if (pendingVoi.current !== null) {
          const v = pendingVoi.current;
          dropPendingVoi();
          jumpToVoi(d, v);
        }
        setDataStatus('in');
      },
      onDataError: setDataStatus,
      drawExtras: (phases) => {
        showVoiOverlay(nv, { ...data.current!, display: display.current! }, phases);
        nv.drawScene();
        const mipFrom = performance.now();
        drawMip({ ...data.current!, display: display.current! }, mipCanvas.current, applied.current!);
        phases.push(['mip', Math.round(performance.now() - mipFrom)]);
      },
      setTiming,
    }).catch((e: unknown) => {
      if (live) setStatus(e instanceof Error ? e.message : String(e));
    });
    return () => {
      live = false;
      delete hooks[hookName];
      nvRef.current = null;
      display.current = null;
      data.current = null;
      reader.current = null;
    };
  }, [scanId, readAt, moveToMm, moveToVoxel, jumpToVoi, dropPendingVoi, takeAhead]);

  // window and colour map: niivue rebuilds its textures, so only on a change of either; a new window
  // waits for the float SUV (re-quantized from it), a colour map alone applies at once
  useEffect(() => {
    const nv = nvRef.current;
    const d = display.current;
    const was = applied.current;
    if (status !== 'ready' || !nv || !d || !was) return;
    const suv = data.current?.suv ?? null;
    const to = suv ? look : { ...look, windowMax: was.windowMax };
    if (was.windowMax === to.windowMax && was.colourMap === to.colourMap) return;
    applyLook(nv, d, suv, to);
    applied.current = to;
    setShownLook(to);
    if (data.current) drawMip({ ...data.current, display: d }, mipCanvas.current, to);
  }, [status, dataStatus, look]);

  const windowPending =
    shownLook && shownLook.windowMax !== look.windowMax && dataStatus !== 'in' ? look.windowMax : null;
  return {
    canvas,
    mipCanvas,
    status,
    dataStatus,
    windowPending,
    voiPending: m.voiPending,
    readout,
    timing,
    moveToVoxel,
    goToVoi: m.goToVoi,
    moveToMm,
  };
}

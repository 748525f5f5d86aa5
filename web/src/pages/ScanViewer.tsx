/**
 * The PET viewer of one stored scan (issue 14 item 6), loaded lazily with niivue (WebGL2): the SUV
 * volume (GET /api/scans/{id}/suv.nii.gz) in three orthogonal slices with the VOI label map
 * (labels.nii.gz) as a translucent overlay, a coronal maximum-intensity projection, an SUV colour bar
 * with window presets (0–5, 0–10, 0–30 g/mL) and colour maps (inverted grey, grey, hot), the crosshair
 * readout (voxel, SUV, VOI under it) and the VOI metrics table (GET /api/scans/{id}/vois): a row's
 * button moves the crosshair to that VOI's SUVmax voxel. `window.__cartoViewer` is a test hook.
 */
import { useEffect, useRef, useState } from 'react';
import { Niivue, SHOW_RENDER, type NVImage } from '@niivue/niivue';
import { Link, useLocation } from '../router.js';
import { useApi, type VoiMetricsRow } from '../studies/api.js';
import { coronalMip, suvMaxVoxel, type Grid } from '../studies/volume.js';

const WINDOWS = [5, 10, 30] as const;
const COLOURMAPS = {
  'inverted-grey': {
    name: 'Inverted grey',
    niivue: 'gray',
    invert: true,
    css: 'linear-gradient(to right, #fff, #000)',
  },
  grey: { name: 'Grey', niivue: 'gray', invert: false, css: 'linear-gradient(to right, #000, #fff)' },
  hot: {
    name: 'Hot',
    niivue: 'hot',
    invert: false,
    css: 'linear-gradient(to right, #000, #e00 35%, #ff0 70%, #fff)',
  },
} as const;
type ColourMap = keyof typeof COLOURMAPS;
/** Distinct overlay colours for VOIs (label value 1, 2, … cycles through them). */
const VOI_COLOURS: [number, number, number][] = [
  [230, 25, 75],
  [60, 180, 75],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
];
const voiColour = (labelValue: number) => VOI_COLOURS[(labelValue - 1) % VOI_COLOURS.length]!;

interface Readout {
  vox: [number, number, number];
  suv: number;
  labelValue: number;
}

/** The test hook the e2e tests drive (window.__cartoViewer). */
export interface ViewerHook {
  moveToVoxel: (i: number, j: number, k: number) => void;
  size: [number, number, number];
}

function grid(vol: NVImage): Grid {
  const d = vol.hdr!.dims;
  const img = vol.img!;
  const slope = vol.hdr!.scl_slope || 1;
  const inter = vol.hdr!.scl_inter || 0;
  return { size: [d[1]!, d[2]!, d[3]!], value: (q) => img[q]! * slope + inter };
}

/**
 * niivue's RAS-ordered voxel → the file's voxel (i, j, k): `toRASvox` maps the former to the latter
 * (niivue's getValue does the same), a permutation with flips plus an offset.
 */
function rasToNative(vol: NVImage, ras: [number, number, number]): [number, number, number] {
  const m = vol.toRASvox;
  if (!m) return ras;
  const r = (row: number) =>
    Math.round(m[row]! * ras[0] + m[4 + row]! * ras[1] + m[8 + row]! * ras[2] + m[12 + row]!);
  return [r(0), r(1), r(2)];
}

/** The inverse of `rasToNative` (the matrix's 3×3 part is orthogonal: its inverse is its transpose). */
function nativeToRas(vol: NVImage, vox: [number, number, number]): [number, number, number] {
  const m = vol.toRASvox;
  if (!m) return vox;
  const d = [vox[0] - m[12], vox[1] - m[13], vox[2] - m[14]];
  const c = (col: number) =>
    Math.round(m[col * 4]! * d[0]! + m[col * 4 + 1]! * d[1]! + m[col * 4 + 2]! * d[2]!);
  return [c(0), c(1), c(2)];
}

export function ScanViewerPage(props: { id: string }) {
  const { query } = useLocation();
  const vois = useApi<VoiMetricsRow[]>(`/api/scans/${props.id}/vois`);
  const canvas = useRef<HTMLCanvasElement>(null);
  const mipCanvas = useRef<HTMLCanvasElement>(null);
  const nvRef = useRef<Niivue | null>(null);
  const [status, setStatus] = useState<string>('loading');
  const [windowMax, setWindowMax] = useState<number>(5);
  const [colourMap, setColourMap] = useState<ColourMap>('inverted-grey');
  const [readout, setReadout] = useState<Readout | null>(null);
  const [loadMs, setLoadMs] = useState<number | null>(null);
  const [phases, setPhases] = useState<string | null>(null);

  // niivue's voxel coordinates are RAS-ordered; the readout and the hook speak the file's (native) order
  const readAt = (nv: Niivue) => {
    const [suvVol, labVol] = nv.volumes;
    if (!suvVol || !labVol) return;
    const ras = nv.frac2vox(nv.scene.crosshairPos);
    const vox = rasToNative(suvVol, [ras[0], ras[1], ras[2]]);
    const g = grid(suvVol);
    const q = vox[0] + g.size[0] * (vox[1] + g.size[1] * vox[2]);
    setReadout({ vox, suv: g.value(q), labelValue: Math.round(grid(labVol).value(q)) });
  };
  const moveToVoxel = (i: number, j: number, k: number) => {
    const nv = nvRef.current;
    const suvVol = nv?.volumes[0];
    if (!nv || !suvVol) return;
    nv.scene.crosshairPos = nv.vox2frac(nativeToRas(suvVol, [i, j, k]));
    nv.drawScene();
    readAt(nv);
  };

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
    let live = true;
    void (async () => {
      try {
        await nv.attachToCanvas(canvas.current!);
        nv.setSliceType(nv.sliceTypeMultiplanar);
        await nv.loadVolumes([
          { url: `/api/scans/${props.id}/suv.nii.gz`, colormap: 'gray', cal_min: 0, cal_max: 5 },
          { url: `/api/scans/${props.id}/labels.nii.gz`, opacity: 0.45 },
        ]);
        const tLoaded = performance.now();
        if (!live) return;
        nv.onLocationChange = () => readAt(nv);
        const [suvVol, labVol] = nv.volumes;
        const labelMax = Math.max(1, Math.round(labVol!.global_max ?? 1));
        const I = Array.from({ length: labelMax + 1 }, (_, i) => i);
        labVol!.setColormapLabel({
          I,
          R: I.map((i) => (i === 0 ? 0 : voiColour(i)[0])),
          G: I.map((i) => (i === 0 ? 0 : voiColour(i)[1])),
          B: I.map((i) => (i === 0 ? 0 : voiColour(i)[2])),
          A: I.map((i) => (i === 0 ? 0 : 255)),
        });
        suvVol!.colormapInvert = true;
        nv.updateGLVolume();
        const size = grid(suvVol!).size;
        moveToVoxel(Math.floor(size[0] / 2), Math.floor(size[1] / 2), Math.floor(size[2] / 2));
        (window as unknown as { __cartoViewer?: ViewerHook }).__cartoViewer = { moveToVoxel, size };
        setLoadMs(Math.round(performance.now() - t0));
        setPhases(
          `volumes ${Math.round(tLoaded - t0)} ms, overlay ${Math.round(performance.now() - tLoaded)} ms`,
        );
        setStatus('ready');
      } catch (e) {
        if (live) setStatus(e instanceof Error ? e.message : String(e));
      }
    })();
    return () => {
      live = false;
      delete (window as unknown as { __cartoViewer?: ViewerHook }).__cartoViewer;
      nvRef.current = null;
    };
  }, [props.id]);

  // window and colour map
  useEffect(() => {
    const nv = nvRef.current;
    const suvVol = nv?.volumes[0];
    if (status !== 'ready' || !nv || !suvVol) return;
    const cm = COLOURMAPS[colourMap];
    suvVol.cal_min = 0;
    suvVol.cal_max = windowMax;
    suvVol.colormap = cm.niivue;
    suvVol.colormapInvert = cm.invert;
    nv.updateGLVolume();
    drawMip(nv, mipCanvas.current, windowMax, colourMap);
  }, [status, windowMax, colourMap]);

  const voiByLabel = new Map((vois.kind === 'ok' ? vois.data : []).map((v) => [v.labelValue, v]));
  const voiUnder = readout && readout.labelValue > 0 ? voiByLabel.get(readout.labelValue) : undefined;
  const title = query.get('scan') ?? props.id;
  return (
    <>
      <h1>Scan {title}</h1>
      {query.get('study') && (
        <p>
          <Link href={`/studies/${encodeURIComponent(query.get('study') ?? '')}`}>
            Back to study {query.get('study')}
          </Link>
        </p>
      )}
      {status === 'loading' && <p role="status">Loading the SUV volume and the VOI label map…</p>}
      {status !== 'loading' && status !== 'ready' && (
        <p role="alert">The scan could not be shown: {status}</p>
      )}
      <div
        className="viewer"
        data-status={status}
        data-load-ms={loadMs ?? undefined}
        data-phases={phases ?? undefined}
      >
        <div className="viewer-images">
          <canvas
            ref={canvas}
            className="viewer-canvas"
            role="img"
            aria-label="SUV volume in axial, coronal and sagittal slices with the VOI overlay; click to move the crosshair"
          />
          <figure className="mip">
            <canvas ref={mipCanvas} role="img" aria-label="Coronal maximum-intensity projection of SUV" />
            <figcaption>Coronal MIP</figcaption>
          </figure>
        </div>
        <div className="viewer-side">
          <fieldset className="window-presets">
            <legend>SUV window (g/mL)</legend>
            {WINDOWS.map((w) => (
              <label key={w}>
                <input
                  type="radio"
                  name="suv-window"
                  checked={windowMax === w}
                  onChange={() => setWindowMax(w)}
                />
                0–{w}
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor="colour-map">Colour map</label>
            <select
              id="colour-map"
              value={colourMap}
              onChange={(e) => setColourMap(e.target.value as ColourMap)}
            >
              {Object.entries(COLOURMAPS).map(([k, c]) => (
                <option key={k} value={k}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
          <div className="colour-bar" aria-label={`SUV colour bar, 0 to ${windowMax} g/mL`} role="img">
            <div className="colour-bar-ramp" style={{ background: COLOURMAPS[colourMap].css }} />
            <div className="colour-bar-labels">
              <span>0</span>
              <span data-testid="colorbar-max">{windowMax} g/mL</span>
            </div>
          </div>
          <dl className="readout" aria-live="polite">
            <div>
              <dt>Voxel (i, j, k)</dt>
              <dd data-testid="readout-voxel">{readout ? readout.vox.join(', ') : '—'}</dd>
            </div>
            <div>
              <dt>SUV</dt>
              <dd data-testid="readout-suv" data-value={readout?.suv}>
                {readout ? `${readout.suv.toPrecision(4)} g/mL` : '—'}
              </dd>
            </div>
            <div>
              <dt>VOI</dt>
              <dd data-testid="readout-voi">{voiUnder ? voiUnder.label : readout ? 'none' : '—'}</dd>
            </div>
          </dl>
          {vois.kind === 'ok' && (
            <ul className="voi-legend" aria-label="VOI legend">
              {vois.data.map((v) => (
                <li key={v.voiId}>
                  <span
                    className="swatch"
                    style={{ background: `rgb(${voiColour(v.labelValue).join(',')})` }}
                  />
                  {v.label} ({v.kind})
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      {vois.kind === 'error' && <p role="alert">The VOI metrics could not be loaded: {vois.message}</p>}
      {vois.kind === 'ok' && (
        <VoiTable
          vois={vois.data}
          onGo={(v) => {
            const nv = nvRef.current;
            if (!nv || nv.volumes.length < 2) return;
            const at = suvMaxVoxel(grid(nv.volumes[0]!), grid(nv.volumes[1]!), v.labelValue);
            if (at) moveToVoxel(...at);
          }}
          ready={status === 'ready'}
        />
      )}
    </>
  );
}

function VoiTable(props: { vois: VoiMetricsRow[]; onGo: (v: VoiMetricsRow) => void; ready: boolean }) {
  const f = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : '—');
  return (
    <table className="voi-metrics">
      <caption>
        VOI metrics (SUV in g/mL, volumes in mL); “Go” moves the crosshair to the VOI&apos;s SUVmax voxel
      </caption>
      <thead>
        <tr>
          <th scope="col">VOI</th>
          <th scope="col">Kind</th>
          <th scope="col">Site</th>
          <th scope="col">Volume</th>
          <th scope="col">SUVmax</th>
          <th scope="col">SUVmean</th>
          <th scope="col">SUVpeak</th>
          <th scope="col">MATV</th>
          <th scope="col">Crosshair</th>
        </tr>
      </thead>
      <tbody>
        {props.vois.map((v) => (
          <tr key={v.voiId} data-voi={v.label}>
            <th scope="row">{v.label}</th>
            <td>{v.kind}</td>
            <td>{v.site ?? '—'}</td>
            <td>{f(v.volumeMl)}</td>
            <td>{f(v.suvMax)}</td>
            <td>{f(v.suvMean)}</td>
            <td>{f(v.suvPeakLocal)}</td>
            <td>{f(v.matvMl)}</td>
            <td>
              <button
                type="button"
                className="secondary"
                disabled={!props.ready}
                onClick={() => props.onGo(v)}
              >
                Go to SUVmax of {v.label}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Draws the coronal MIP of the SUV volume in the current window and colour map (head at the top). */
function drawMip(nv: Niivue, cv: HTMLCanvasElement | null, windowMax: number, colourMap: ColourMap): void {
  const vol = nv.volumes[0];
  const ctx = cv?.getContext('2d');
  if (!vol || !cv || !ctx) return;
  const g = grid(vol);
  const [nx, , nz] = g.size;
  const mip = coronalMip(g);
  cv.width = nx;
  cv.height = nz;
  // millimetres, not voxels, set the shape (pixDims: spacing along i, j, k)
  const dx = vol.hdr!.pixDims[1] || 1;
  const dz = vol.hdr!.pixDims[3] || 1;
  cv.style.aspectRatio = `${nx * dx} / ${nz * dz}`;
  const img = ctx.createImageData(nx, nz);
  for (let k = 0; k < nz; k++)
    for (let i = 0; i < nx; i++) {
      const t = Math.max(0, Math.min(1, mip[k * nx + i]! / windowMax));
      const o = ((nz - 1 - k) * nx + i) * 4;
      const [r, gg, b] = colour(t, colourMap);
      img.data[o] = r;
      img.data[o + 1] = gg;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  ctx.putImageData(img, 0, 0);
}

/** The RGB of fraction `t` (0–1) of the window in a colour map (the colour bar's ramp). */
function colour(t: number, cm: ColourMap): [number, number, number] {
  if (cm === 'grey') return [t * 255, t * 255, t * 255];
  if (cm === 'inverted-grey') return [255 - t * 255, 255 - t * 255, 255 - t * 255];
  const r = Math.min(1, t / 0.35);
  const g = Math.max(0, Math.min(1, (t - 0.35) / 0.35));
  const b = Math.max(0, (t - 0.7) / 0.3);
  return [r * 255, g * 255, b * 255];
}

/**
 * The PET viewer of one stored scan (issue 14 item 6), loaded lazily with niivue (WebGL2): the SUV
 * volume (GET /api/scans/{id}/suv.nii.gz) in three orthogonal slices with the VOI label map
 * (labels.nii.gz) as a translucent overlay, a coronal maximum-intensity projection, an SUV colour bar
 * with window presets (0–5, 0–10, 0–30 g/mL) and colour maps (inverted grey, grey, hot), the crosshair
 * readout (voxel, patient coordinate, SUV, VOI under it) and the VOI metrics table (GET
 * /api/scans/{id}/vois): a row's button moves the crosshair to that VOI's SUVmax voxel. Another scan
 * of the same patient (e.g. pre- vs post-CART) opens beside it with linked crosshairs: a move in one
 * pane moves the other to the same patient coordinate (mm), each showing its own SUV there.
 * A pane is usable once its slices are drawn (from the 8-bit display volume) and the first readout is in
 * from the server (GET /api/scans/{id}/voxel); the float SUV and the label map follow, and the readout
 * then reads them (src/viewer/useScanPane.ts). The viewer's data-* attributes give, in ms since the
 * navigation started: data-render-at (slices drawn), data-readout-at (first readout in; its source in
 * data-readout-source: voxel or file), data-load-ms (ready), data-data-at (float data in) and
 * data-overlay-at (VOI overlay and MIP drawn).
 * `window.__cartoViewer` and `window.__cartoCompareViewer` are test hooks (src/viewer/useScanPane.ts).
 */
import { useEffect, useRef, useState } from 'react';
import { Link, useLocation } from '../router.js';
import { studyUrl, useApi, type ScanRecord, type StudyScan, type VoiMetricsRow } from '../studies/api.js';
import { LookControls } from '../viewer/Controls.js';
import type { Look, Vec3 } from '../viewer/nv-volume.js';
import { PaneView } from '../viewer/PaneView.js';
import { useScanPane } from '../viewer/useScanPane.js';
import { DEFAULT_WINDOW_MAX_SUV } from '../../../src/io/display-nifti.js';
import { VoiLegend, VoiTable } from '../viewer/VoiTable.js';

/** A scan's name in headings and option lists: "S1 (pre, day −7)". */
function scanName(s: { scanId: string; timepoint: string; day: number | null }): string {
  return `${s.scanId} (${s.timepoint}${s.day === null ? '' : `, day ${s.day}`})`;
}

export function ScanViewerPage(props: { id: string }) {
  const { query } = useLocation();
  const record = useApi<ScanRecord>(`/api/scans/${props.id}`);
  const vois = useApi<VoiMetricsRow[]>(`/api/scans/${props.id}/vois`);
  const rec = record.kind === 'ok' ? record.data : null;
  const studyScans = useApi<StudyScan[]>(rec ? studyUrl(rec.studyId, '/scans') : null);
  const others =
    rec && studyScans.kind === 'ok'
      ? studyScans.data.filter((s) => s.patientId === rec.patientId && s.id !== props.id)
      : [];
  const [compareId, setCompareId] = useState<string>(query.get('compare') ?? '');
  const compareScan = others.find((s) => s.id === compareId);
  const [look, setLook] = useState<Look>({
    windowMax: DEFAULT_WINDOW_MAX_SUV,
    colourMap: 'inverted-grey',
  });
  const linked = useRef<((lps: Vec3) => void) | null>(null);
  const pane = useScanPane(props.id, look, {
    hookName: '__cartoViewer',
    onMove: (lps) => linked.current?.(lps),
    grid: rec,
  });
  const title = rec ? rec.scanId : (query.get('scan') ?? props.id);
  const voiRows = vois.kind === 'ok' ? vois.data : [];
  const t = pane.timing;
  const study = rec?.studyId ?? query.get('study');
  return (
    <>
      <h1>Scan {title}</h1>
      {study && (
        <p>
          <Link href={`/studies/${encodeURIComponent(study)}`}>Back to study {study}</Link>
          {rec && ` · patient ${rec.patientId}`}
        </p>
      )}
      {pane.status === 'loading' && <p role="status">Loading the SUV slices…</p>}
      {pane.status !== 'loading' && pane.status !== 'ready' && (
        <p role="alert">The scan could not be shown: {pane.status}</p>
      )}
      <div
        className="viewer"
        data-status={pane.status}
        data-load-ms={t ? t.readyAt : undefined}
        data-data-at={t?.dataAt}
        data-render-at={t ? t.renderAt : undefined}
        data-readout-at={t ? t.readoutAt : undefined}
        data-readout-source={t ? t.readoutSource : undefined}
        data-overlay-at={t?.overlayAt}
        data-phases={t ? t.phases : undefined}
      >
        <div className={compareScan ? 'viewer-panes compare' : 'viewer-panes'}>
          <section aria-label={`Scan ${rec ? scanName(rec) : title}`}>
            {compareScan && <h2>{rec ? scanName(rec) : title}</h2>}
            <PaneView pane={pane} name={`Scan ${title}`} vois={voiRows} testIdPrefix="" />
          </section>
          {compareScan && (
            <ComparePane key={compareScan.id} scan={compareScan} look={look} main={pane} linked={linked} />
          )}
        </div>
        <div className="viewer-side">
          {others.length > 0 && (
            <div className="field">
              <label htmlFor="compare-scan">Compare with</label>
              <select id="compare-scan" value={compareId} onChange={(e) => setCompareId(e.target.value)}>
                <option value="">No other scan</option>
                {others.map((s) => (
                  <option key={s.id} value={s.id}>
                    {scanName(s)}
                  </option>
                ))}
              </select>
            </div>
          )}
          <LookControls look={look} onChange={setLook} />
          {voiRows.length > 0 && <VoiLegend vois={voiRows} label="VOI legend" />}
        </div>
      </div>
      {vois.kind === 'error' && <p role="alert">The VOI metrics could not be loaded: {vois.message}</p>}
      {vois.kind === 'ok' && (
        <VoiTable vois={vois.data} onGo={(v) => pane.goToVoi(v.labelValue)} ready={pane.status === 'ready'} />
      )}
    </>
  );
}

/**
 * The scan compared with the page's: its own niivue pane, opened at the main pane's crosshair; the
 * crosshairs are linked both ways through patient coordinates (`linked` receives this pane's
 * `moveToMm`).
 */
function ComparePane(props: {
  scan: StudyScan;
  look: Look;
  main: ReturnType<typeof useScanPane>;
  linked: { current: ((lps: Vec3) => void) | null };
}) {
  const { scan, main, linked } = props;
  const vois = useApi<VoiMetricsRow[]>(`/api/scans/${scan.id}/vois`);
  const pane = useScanPane(scan.id, props.look, {
    hookName: '__cartoCompareViewer',
    onMove: (lps) => main.moveToMm(lps),
    startAt: () => main.readout?.mmLps ?? null,
    grid: scan.grid,
  });
  const ready = pane.status === 'ready';
  useEffect(() => {
    linked.current = ready ? pane.moveToMm : null;
    return () => {
      linked.current = null;
    };
  }, [linked, ready, pane.moveToMm]);
  const name = scanName(scan);
  return (
    <section
      aria-label={`Compared scan ${name}`}
      data-testid="compare-pane"
      data-status={pane.status}
      data-data-at={pane.timing?.dataAt}
      data-overlay-at={pane.timing?.overlayAt}
    >
      <h2>{name}</h2>
      {pane.status !== 'loading' && pane.status !== 'ready' && (
        <p role="alert">The scan could not be shown: {pane.status}</p>
      )}
      <PaneView
        pane={pane}
        name={`Scan ${scan.scanId}`}
        vois={vois.kind === 'ok' ? vois.data : []}
        testIdPrefix="compare-"
      />
    </section>
  );
}

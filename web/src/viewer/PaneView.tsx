/**
 * One pane of the viewer: the scan's slices (niivue canvas), its coronal MIP and the crosshair readout
 * (voxel, patient coordinate in mm LPS, SUV, VOI). The readout's test ids carry `testIdPrefix`
 * ('' for the scan of the page, 'compare-' for the scan compared with it).
 */
import type { VoiMetricsRow } from '../studies/api.js';
import type { ScanPane } from './useScanPane.js';

export function PaneView(props: {
  pane: ScanPane;
  name: string;
  vois: VoiMetricsRow[];
  testIdPrefix: string;
}) {
  const { pane, name, testIdPrefix: p } = props;
  const r = pane.readout;
  const voi = r && r.labelValue > 0 ? props.vois.find((v) => v.labelValue === r.labelValue) : undefined;
  const mm = (x: number) => x.toFixed(1);
  const ok = r?.inside && r.state === 'ok';
  const pendingVoi = props.vois.find((v) => v.labelValue === pane.voiPending);
  return (
    <div className="viewer-pane" data-status={pane.status} data-data-status={pane.dataStatus}>
      <div className="viewer-images">
        {/* niivue sizes its canvas to this box (100 % of the parent's width and height) */}
        <div className="viewer-canvas">
          <canvas
            ref={pane.canvas}
            role="img"
            aria-label={`${name}: SUV in axial, coronal and sagittal slices with the VOI overlay; click to move the crosshair`}
          />
        </div>
        <figure className="mip">
          <canvas
            ref={pane.mipCanvas}
            role="img"
            aria-label={`${name}: coronal maximum-intensity projection of SUV`}
          />
          <figcaption>
            Coronal MIP{pane.dataStatus === 'in' ? '' : ' (drawn from the float SUV, once it is in)'}
          </figcaption>
        </figure>
      </div>
      <DataStatus pane={pane} pendingVoi={pendingVoi?.label} testIdPrefix={p} />
      <dl className="readout" aria-live="polite" aria-label={`${name}: crosshair`}>
        <div>
          <dt>Voxel (i, j, k)</dt>
          <dd data-testid={`${p}readout-voxel`}>
            {r ? (r.inside ? r.vox.join(', ') : 'outside this scan') : '—'}
          </dd>
        </div>
        <div>
          <dt>Position (mm, LPS)</dt>
          <dd data-testid={`${p}readout-mm`} data-value={r ? r.mmLps.join(',') : undefined}>
            {r ? r.mmLps.map(mm).join(', ') : '—'}
          </dd>
        </div>
        <div>
          <dt>SUV</dt>
          <dd
            data-testid={`${p}readout-suv`}
            data-vox={r ? r.vox.join(',') : undefined}
            data-state={r?.state}
            data-source={r?.source}
            data-value={ok ? r.suv : undefined}
          >
            {!r || !r.inside ? '—' : ok ? `${r.suv.toPrecision(4)} g/mL` : r.state === 'pending' ? '…' : ''}
            {r?.state === 'error' && <span role="alert">not available: {r.error}</span>}
          </dd>
        </div>
        <div>
          <dt>VOI</dt>
          <dd data-testid={`${p}readout-voi`}>
            {!r ? '—' : !r.inside ? 'none' : r.state !== 'ok' ? '…' : voi ? voi.label : 'none'}
          </dd>
        </div>
      </dl>
    </div>
  );
}

/**
 * Where the pane's float data are, and what waits for them (a new window, a VOI jump, the VOI overlay
 * and the MIP); nothing once they are in.
 */
function DataStatus(props: { pane: ScanPane; pendingVoi: string | undefined; testIdPrefix: string }) {
  const { pane, pendingVoi } = props;
  if (pane.status !== 'ready' || pane.dataStatus === 'in') return null;
  if (pane.dataStatus !== 'loading')
    return (
      <p role="alert" data-testid={`${props.testIdPrefix}data-status`}>
        The float SUV and the VOI map could not be loaded ({pane.dataStatus}): the readout asks the server; a
        new window, the VOI jumps, the VOI overlay and the MIP are not available.
      </p>
    );
  const waiting = [
    pane.windowPending !== null && `the window 0–${pane.windowPending} g/mL`,
    pendingVoi && `the jump to ${pendingVoi}'s SUVmax`,
  ].filter(Boolean);
  return (
    <p role="status" className="data-status" data-testid={`${props.testIdPrefix}data-status`}>
      Loading the float SUV and the VOI map (the readout asks the server meanwhile)
      {waiting.length > 0 ? `; ${waiting.join(' and ')} will apply when they are in` : ''}; the VOI overlay
      and the MIP follow.
    </p>
  );
}

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
  return (
    <div className="viewer-pane" data-status={pane.status}>
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
          <figcaption>Coronal MIP</figcaption>
        </figure>
      </div>
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
          <dd data-testid={`${p}readout-suv`} data-value={r?.inside ? r.suv : undefined}>
            {r?.inside ? `${r.suv.toPrecision(4)} g/mL` : '—'}
          </dd>
        </div>
        <div>
          <dt>VOI</dt>
          <dd data-testid={`${p}readout-voi`}>{voi ? voi.label : r ? 'none' : '—'}</dd>
        </div>
      </dl>
    </div>
  );
}

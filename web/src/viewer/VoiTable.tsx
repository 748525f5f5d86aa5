/** The VOI metrics table and the VOI legend of the viewer. */
import type { VoiMetricsRow } from '../studies/api.js';
import { voiColour } from './colours.js';

/** The VOI legend: each VOI's overlay colour, label and kind. */
export function VoiLegend(props: { vois: VoiMetricsRow[]; label: string }) {
  return (
    <ul className="voi-legend" aria-label={props.label}>
      {props.vois.map((v) => (
        <li key={v.voiId}>
          <span className="swatch" style={{ background: `rgb(${voiColour(v.labelValue).join(',')})` }} />
          {v.label} ({v.kind})
        </li>
      ))}
    </ul>
  );
}

/** The VOI metrics of a scan; a row's button moves the crosshair to that VOI's SUVmax voxel. */
export function VoiTable(props: { vois: VoiMetricsRow[]; onGo: (v: VoiMetricsRow) => void; ready: boolean }) {
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

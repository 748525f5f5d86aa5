/** The computed outcomes of one patient (src/registry/outcomes.ts; never typed). */
import { days } from '../labels.js';
import type { PatientOutcome } from '../scope.js';

type Tte = PatientOutcome['os'];

function tte(t: Tte, event: string): string {
  if (!t) return '—';
  return `${days(t.days)} (${t.status === 0 ? 'censored' : event})`;
}

export function Outcomes(props: { outcome: PatientOutcome }) {
  const o = props.outcome;
  const rows: [string, string][] = [
    ['Stage', o.stage],
    ['Drop-out reason', o.dropoutReason ?? '—'],
    ['Product', o.product ?? '—'],
    ['Vein-to-vein', days(o.veinToVeinDays)],
    ['Maximum CRS grade', o.maxCrs === null ? 'not observed' : String(o.maxCrs)],
    ['Maximum ICANS grade', o.maxIcans === null ? 'not observed' : String(o.maxIcans)],
    ['Best response', o.bestResponse ?? '—'],
    ['Time to progression', tte(o.ttp, 'progression')],
    ['Progression-free survival', tte(o.pfs, 'progression or death')],
    ['Overall survival', tte(o.os, 'death')],
    ['Non-relapse mortality', tte(o.nrm, 'event')],
  ];
  return (
    <dl className="outcome-list">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

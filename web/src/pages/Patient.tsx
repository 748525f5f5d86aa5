/**
 * A patient's journey: the timeline from referral to the last follow-up (GET /api/patients/{id}/timeline),
 * each entry with its kind, ISO date and day relative to infusion, toxicity entries with their CRS and
 * ICANS grade; forms to add and edit every entry; the computed outcomes beside it
 * (GET /api/patients/{id}/outcomes).
 */
import { useCallback, useEffect, useState } from 'react';
import { ENTITIES, PATIENT_FIELDS, type EntitySpec } from '../../../src/registry/model.js';
import { ApiError, get, may, type Row } from '../api.js';
import { EntryForm } from '../components/EntryForm.js';
import { gradeObservation, gradeText, ToxGradePreview } from '../components/ToxGrade.js';
import { cell, dayLabel, daysBetween } from '../labels.js';
import { navigate } from '../router.js';
import { forgetOutcome, type PatientOutcome } from '../scope.js';
import { useSession } from '../session.js';
import { Outcomes } from './PatientOutcomes.js';

type Event = Row & { kind: string; entity?: string; date: string | null };
interface Timeline {
  patient: Row;
  events: Event[];
}

export function PatientPage(props: { id: string }) {
  const { id } = props;
  const { me } = useSession();
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [outcome, setOutcome] = useState<PatientOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState<string>('');
  const base = `/api/patients/${encodeURIComponent(id)}`;

  const load = useCallback(() => {
    Promise.all([get<Timeline>(`${base}/timeline`), get<PatientOutcome>(`${base}/outcomes`)]).then(
      ([t, o]) => {
        setTimeline(t);
        setOutcome(o);
      },
      (e: unknown) =>
        setError(
          e instanceof ApiError && e.status === 404
            ? 'No such patient in your scope.'
            : e instanceof Error
              ? e.message
              : String(e),
        ),
    );
  }, [base]);
  useEffect(load, [load]);

  const saved = () => {
    forgetOutcome(id);
    setEditing(null);
    setAdding('');
    load();
  };

  if (error)
    return (
      <>
        <h1>Patient</h1>
        <p role="alert">{error}</p>
      </>
    );
  if (!timeline) return <p role="status">Loading…</p>;
  const p = timeline.patient;
  const infusion = timeline.events.find((e) => e.entity === 'infusions')?.date ?? null;
  const writer = may.write(me.role);
  const addSpec = ENTITIES.find((e) => e.path === adding);

  return (
    <>
      <div className="page-head">
        <h1>Patient {cell(p['pseudonym'])}</h1>
        {writer ? (
          <button
            type="button"
            className="secondary"
            onClick={() => setEditing(editing === 'patient' ? null : 'patient')}
          >
            Edit patient
          </button>
        ) : null}
      </div>
      <p className="patient-facts">
        Centre {cell(p['centre']) || '—'} · age {cell(p['ageAtReferral'])} at referral ·{' '}
        {cell(p['histology'])} · line {cell(p['lineOfTherapy'])}
        {infusion ? ` · infused ${infusion}` : ' · not infused'}
      </p>
      {editing === 'patient' ? (
        <EntryForm
          title="Edit patient"
          idPrefix="edit-patient"
          fields={PATIENT_FIELDS}
          row={p}
          rowUrl={base}
          onSaved={(row) => (row ? saved() : navigate('/patients'))}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <div className="journey">
        <section className="timeline" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Journey</h2>
          <ol>
            {timeline.events.map((ev) => (
              <TimelineEntry
                key={`${ev.entity ?? 'patient'}-${ev.id}`}
                ev={ev}
                infusion={infusion}
                editable={writer && ev.entity !== undefined}
                editing={editing === ev.id}
                onEdit={() => setEditing(editing === ev.id ? null : ev.id)}
                onSaved={saved}
              />
            ))}
          </ol>
          {writer ? (
            <div className="add-entry">
              <label htmlFor="add-kind">Add an entry</label>
              <select id="add-kind" value={adding} onChange={(e) => setAdding(e.target.value)}>
                <option value="">— kind of entry —</option>
                {ENTITIES.map((e) => (
                  <option key={e.path} value={e.path}>
                    {e.label}
                  </option>
                ))}
              </select>
              {addSpec ? (
                <EntryForm
                  key={addSpec.path}
                  title={`Add ${addSpec.label}`}
                  idPrefix={`add-${addSpec.path}`}
                  fields={addSpec.fields}
                  createUrl={`${base}/${addSpec.path}`}
                  preview={
                    addSpec.path === 'toxicity-observations'
                      ? (v) => <ToxGradePreview values={v} />
                      : undefined
                  }
                  onSaved={saved}
                  onCancel={() => setAdding('')}
                />
              ) : null}
            </div>
          ) : null}
        </section>
        <aside className="outcomes" aria-labelledby="outcomes-title">
          <h2 id="outcomes-title">Computed outcomes</h2>
          {outcome ? <Outcomes outcome={outcome} /> : null}
        </aside>
      </div>
    </>
  );
}

/** The fields of an entry worth a line: every recorded value except ids, dates and bookkeeping. */
function summary(spec: EntitySpec | undefined, ev: Event): string {
  if (!spec) return '';
  return spec.fields
    .filter((f) => f.name !== spec.dateField && ev[f.name] !== null && ev[f.name] !== undefined)
    .map((f) => {
      const v = ev[f.name];
      const s = Array.isArray(v)
        ? v.join(', ') || 'none'
        : typeof v === 'boolean'
          ? v
            ? 'yes'
            : 'no'
          : String(v);
      return `${f.name}: ${s}`;
    })
    .join(' · ');
}

function TimelineEntry(props: {
  ev: Event;
  infusion: string | null;
  editable: boolean;
  editing: boolean;
  onEdit: () => void;
  onSaved: () => void;
}) {
  const { ev, infusion } = props;
  const spec = ENTITIES.find((e) => e.path === ev.entity);
  let day: number | null = null;
  if (ev.date && infusion) day = daysBetween(infusion, ev.date);
  else if (ev.entity === 'biobank-samples' && typeof ev['dayRelativeToInfusion'] === 'number')
    day = ev['dayRelativeToInfusion'];
  const tox = ev.entity === 'toxicity-observations' ? gradeObservation(ev) : null;
  return (
    <li className={`entry entry-${ev.entity ?? 'referral'}`}>
      <div className="entry-head">
        <span className="kind">{ev.kind}</span>
        {ev.date ? <time dateTime={ev.date}>{ev.date}</time> : null}
        {day !== null ? <span className="day">{dayLabel(day)}</span> : null}
        {tox ? (
          <span className="grades">
            <span className={`grade grade-${'grade' in tox.crs ? tox.crs.grade : 'x'}`}>
              {'grade' in tox.crs ? `CRS grade ${tox.crs.grade}` : gradeText('CRS', tox.crs)}
            </span>{' '}
            <span className={`grade grade-${'grade' in tox.icans ? tox.icans.grade : 'x'}`}>
              {'grade' in tox.icans ? `ICANS grade ${tox.icans.grade}` : gradeText('ICANS', tox.icans)}
            </span>
          </span>
        ) : null}
        {props.editable ? (
          <button type="button" className="link" onClick={props.onEdit} aria-expanded={props.editing}>
            Edit
            <span className="visually-hidden">
              {' '}
              {ev.kind} {ev.date ?? ''}
            </span>
          </button>
        ) : null}
      </div>
      <p className="entry-summary">{summary(spec, ev)}</p>
      {props.editing && spec ? (
        <EntryForm
          title={`Edit ${spec.label}`}
          idPrefix={`edit-${ev.id}`}
          fields={spec.fields}
          row={ev}
          rowUrl={`/api/${spec.path}/${encodeURIComponent(ev.id)}`}
          preview={spec.path === 'toxicity-observations' ? (v) => <ToxGradePreview values={v} /> : undefined}
          onSaved={props.onSaved}
          onCancel={props.onEdit}
        />
      ) : null}
    </li>
  );
}

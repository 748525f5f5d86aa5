/**
 * Add, edit or delete one registry row (a patient or a journey entry) through the API: a form built
 * from the model's fields, the API's 400 message beside the field it names, the reason the API asks for
 * on every edit and delete, and on a stale edit (409) a message with both versions side by side.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import type { FieldSpec } from '../../../src/registry/model.js';
import { ApiError, request, type Row } from '../api.js';
import { createBody, Field, fieldLabel, formValues, patchBody, toText, type FormValues } from '../fields.js';

export interface EntryFormProps {
  /** Heading of the form (e.g. "Add infusion"). */
  title: string;
  /** Short id prefix for the inputs (unique on the page). */
  idPrefix: string;
  fields: FieldSpec[];
  /** The row being edited; undefined for a new row. */
  row?: Row;
  /** POST URL of a new row. */
  createUrl?: string;
  /** GET/PATCH/DELETE URL of the edited row. */
  rowUrl?: string;
  /** Extra JSON of a new row (e.g. the patient's centre). */
  extraBody?: Record<string, unknown>;
  /** Inputs shown before the model fields (given the API's message per field). */
  renderExtra?: (errors: Record<string, string>) => ReactNode;
  /** Shown live under the fields, from the current form values (e.g. the ASTCT grade). */
  preview?: (values: FormValues) => ReactNode;
  onSaved: (row: Row | null) => void;
  onCancel?: () => void;
}

interface Conflict {
  mine: FormValues;
  current: Row;
}

/** The form (see module doc). */
export function EntryForm(props: EntryFormProps) {
  const { fields, idPrefix } = props;
  const [base, setBase] = useState<Row | undefined>(props.row);
  const [values, setValues] = useState<FormValues>(() => formValues(fields, props.row));
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [busy, setBusy] = useState(false);
  const editing = base !== undefined;

  function fail(e: unknown) {
    if (e instanceof ApiError && e.status === 400 && e.field && e.field !== 'body') {
      const known = e.field === 'reason' || e.field === 'centre' || fields.some((f) => f.name === e.field);
      if (known) {
        setErrors({ [e.field]: e.message });
        return;
      }
    }
    setFormError(e instanceof Error ? e.message : String(e));
  }

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    setErrors({});
    setFormError(null);
    setBusy(true);
    try {
      if (!editing) {
        const body = { ...createBody(fields, values), ...props.extraBody };
        const { data } = await request<Row>('POST', props.createUrl ?? '', body);
        props.onSaved(data);
        return;
      }
      const patch = patchBody(fields, formValues(fields, base), values);
      if (Object.keys(patch).length === 0) {
        setFormError('Nothing changed.');
        return;
      }
      try {
        const { data } = await request<Row>('PATCH', props.rowUrl ?? '', {
          ...patch,
          version: base.version,
          reason,
        });
        props.onSaved(data);
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) {
          const { data: current } = await request<Row>('GET', props.rowUrl ?? '');
          setConflict({ mine: values, current });
        } else throw e;
      }
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!base) return;
    setErrors({});
    setFormError(null);
    if (!window.confirm('Delete this entry? The audit trail keeps its values.')) return;
    setBusy(true);
    try {
      await request('DELETE', props.rowUrl ?? '', { version: base.version, reason });
      props.onSaved(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        const { data: current } = await request<Row>('GET', props.rowUrl ?? '');
        setConflict({ mine: values, current });
      } else fail(e);
    } finally {
      setBusy(false);
    }
  }

  const headingId = `${idPrefix}-title`;
  return (
    <form className="entry-form" aria-labelledby={headingId} onSubmit={(e) => void submit(e)} noValidate>
      <h3 id={headingId}>{props.title}</h3>
      {conflict ? (
        <ConflictNotice
          fields={fields}
          conflict={conflict}
          onKeepMine={() => {
            setBase(conflict.current);
            setConflict(null);
          }}
          onTakeTheirs={() => {
            setBase(conflict.current);
            setValues(formValues(fields, conflict.current));
            setConflict(null);
          }}
        />
      ) : null}
      {props.renderExtra?.(errors)}
      <div className="fields">
        {fields.map((fs) => (
          <Field
            key={fs.name}
            fs={fs}
            idPrefix={idPrefix}
            value={values[fs.name] ?? ''}
            error={errors[fs.name] ?? null}
            onChange={(v) => setValues((old) => ({ ...old, [fs.name]: v }))}
          />
        ))}
      </div>
      {props.preview?.(values)}
      {editing ? (
        <div className="field field-reason">
          <label htmlFor={`${idPrefix}-reason`}>Reason for the change *</label>
          <input
            id={`${idPrefix}-reason`}
            name="reason"
            required
            value={reason}
            aria-invalid={errors['reason'] ? true : undefined}
            aria-describedby={errors['reason'] ? `${idPrefix}-reason-error` : undefined}
            onChange={(e) => setReason(e.target.value)}
          />
          {errors['reason'] ? (
            <span className="field-error" id={`${idPrefix}-reason-error`} role="alert">
              {errors['reason']}
            </span>
          ) : null}
        </div>
      ) : null}
      {formError ? (
        <p className="form-error" role="alert">
          {formError}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {editing ? 'Save changes' : 'Save'}
        </button>
        {props.onCancel ? (
          <button type="button" className="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
        {editing ? (
          <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
            Delete
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** The 409 message: someone else saved first; the user's edit and the saved record side by side. */
function ConflictNotice(props: {
  fields: FieldSpec[];
  conflict: Conflict;
  onKeepMine: () => void;
  onTakeTheirs: () => void;
}) {
  const { fields, conflict } = props;
  return (
    <div className="conflict" role="alert">
      <p>
        <strong>Someone else changed this record</strong> since you opened it (it is now version{' '}
        {conflict.current.version}). Nothing was saved. Compare both versions:
      </p>
      <table>
        <caption>Your edit and the saved record</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Your version</th>
            <th scope="col">Saved version</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((fs) => {
            const mine = conflict.mine[fs.name] ?? '';
            const theirs = toText(fs, conflict.current[fs.name]);
            return (
              <tr key={fs.name} className={mine !== theirs ? 'differs' : undefined}>
                <th scope="row">{fieldLabel(fs)}</th>
                <td>{mine || '—'}</td>
                <td>{theirs || '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="actions">
        <button type="button" onClick={props.onKeepMine}>
          Keep my version (save again over theirs)
        </button>
        <button type="button" className="secondary" onClick={props.onTakeTheirs}>
          Take the saved version
        </button>
      </div>
    </div>
  );
}

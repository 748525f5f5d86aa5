/**
 * Form fields driven by the registry model (src/registry/model.ts, the same FieldSpec the server
 * validates with): one labelled input per field, its value kept as text while editing, and the
 * conversion to the API's JSON values. Empty stays empty: an empty optional field is sent as null and
 * an empty required field is left out, so the API names it ("required field is missing").
 */
import type { FieldSpec } from '../../src/registry/model.js';

/** Form state: the text of each field (checkboxes: 'true' / 'false'). */
export type FormValues = Record<string, string>;

/** Human label of a field: its description with a capital letter (units included). */
export function fieldLabel(fs: FieldSpec): string {
  const d = fs.description;
  return d.charAt(0).toUpperCase() + d.slice(1);
}

/** The form text of an API value. */
export function toText(fs: FieldSpec, v: unknown): string {
  if (v === null || v === undefined) return fs.kind === 'bool' && fs.required ? 'false' : '';
  if (fs.kind === 'list') return Array.isArray(v) ? v.join(', ') : '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Form texts of a row (or of an empty form when `row` is undefined). */
export function formValues(fields: FieldSpec[], row?: Record<string, unknown>): FormValues {
  const out: FormValues = {};
  for (const fs of fields) out[fs.name] = toText(fs, row?.[fs.name]);
  return out;
}

/**
 * The API value of one field's text: null for empty, numbers for int/real (NaN text stays text so the
 * API names the field), booleans, and a list of trimmed names for a list field.
 */
export function fromText(fs: FieldSpec, s: string): unknown {
  const t = s.trim();
  if (fs.kind === 'list')
    return t === ''
      ? []
      : t
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== '');
  if (t === '') return null;
  if (fs.kind === 'bool') return t === 'true';
  if (fs.kind === 'int' || fs.kind === 'real') {
    const n = Number(t);
    return Number.isFinite(n) ? n : t;
  }
  return t;
}

/** The JSON body of a new row: every filled field; empty optional fields as null. */
export function createBody(fields: FieldSpec[], values: FormValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const fs of fields) {
    const v = fromText(fs, values[fs.name] ?? '');
    if (v === null && fs.required) continue;
    body[fs.name] = v;
  }
  return body;
}

/** The JSON patch of an edit: only the fields whose text changed. */
export function patchBody(
  fields: FieldSpec[],
  before: FormValues,
  after: FormValues,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const fs of fields)
    if ((before[fs.name] ?? '') !== (after[fs.name] ?? ''))
      body[fs.name] = fromText(fs, after[fs.name] ?? '');
  return body;
}

/** One labelled input for `fs`, with the API's (or the live check's) message beside it. */
export function Field(props: {
  fs: FieldSpec;
  idPrefix: string;
  value: string;
  error: string | null;
  onChange: (v: string) => void;
}) {
  const { fs, idPrefix, value, error, onChange } = props;
  const id = `${idPrefix}-${fs.name}`;
  const errId = `${id}-error`;
  const common = {
    id,
    name: fs.name,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? errId : undefined,
    required: fs.required && fs.kind !== 'bool' && fs.kind !== 'list' ? true : undefined,
  } as const;
  let input;
  if (fs.kind === 'bool' && fs.required)
    input = (
      <input
        type="checkbox"
        {...common}
        checked={value === 'true'}
        onChange={(e) => onChange(e.target.checked ? 'true' : 'false')}
      />
    );
  else if (fs.kind === 'bool' || fs.kind === 'enum')
    input = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{fs.required ? '— choose —' : '— not recorded —'}</option>
        {(fs.kind === 'bool' ? ['true', 'false'] : (fs.values ?? [])).map((v) => (
          <option key={v} value={v}>
            {fs.kind === 'bool' ? (v === 'true' ? 'yes' : 'no') : v}
          </option>
        ))}
      </select>
    );
  else
    input = (
      <input
        type={fs.kind === 'date' ? 'date' : fs.kind === 'int' || fs.kind === 'real' ? 'number' : 'text'}
        step={fs.kind === 'int' ? 1 : fs.kind === 'real' ? 'any' : undefined}
        min={fs.min}
        max={fs.max}
        {...common}
        value={value}
        placeholder={fs.kind === 'list' ? 'names, separated by commas' : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  return (
    <div className={`field field-${fs.kind}`}>
      <label htmlFor={id}>
        {fieldLabel(fs)}
        {fs.required && fs.kind !== 'bool' && fs.kind !== 'list' ? <span aria-hidden="true"> *</span> : null}
      </label>
      {input}
      {error ? (
        <span className="field-error" id={errId} role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}

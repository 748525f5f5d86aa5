/** "New patient": registers a referred patient (POST /api/patients) at a centre the user may write to. */
import { useEffect, useState } from 'react';
import { PATIENT_FIELDS } from '../../../src/registry/model.js';
import { get, may } from '../api.js';
import { EntryForm } from '../components/EntryForm.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';

export function NewPatientPage() {
  const { me } = useSession();
  const [centres, setCentres] = useState<{ code: string; name: string }[] | null>(null);
  const [centre, setCentre] = useState('');
  useEffect(() => {
    get<{ code: string; name: string }[]>('/api/centres').then(
      (cs) => {
        setCentres(cs);
        if (cs.length === 1 && cs[0]) setCentre(cs[0].code);
      },
      () => setCentres([]),
    );
  }, []);
  if (!may.write(me.role))
    return (
      <>
        <h1>New patient</h1>
        <p>Your role ({me.role}) reads the registry and does not add patients.</p>
      </>
    );
  return (
    <>
      <h1>New patient</h1>
      <p>A patient is a programme pseudonym and age at referral: never a name or a birth date.</p>
      {centres ? (
        <EntryForm
          title="Referral"
          idPrefix="patient"
          fields={PATIENT_FIELDS}
          createUrl="/api/patients"
          extraBody={{ centre }}
          renderExtra={(errors) => (
            <div className="field">
              <label htmlFor="patient-centre">Centre *</label>
              <select
                id="patient-centre"
                required
                value={centre}
                aria-invalid={errors['centre'] ? true : undefined}
                aria-describedby={errors['centre'] ? 'patient-centre-error' : undefined}
                onChange={(e) => setCentre(e.target.value)}
              >
                <option value="">— choose —</option>
                {centres.map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.code} — {c.name}
                  </option>
                ))}
              </select>
              {errors['centre'] ? (
                <span className="field-error" id="patient-centre-error" role="alert">
                  {errors['centre']}
                </span>
              ) : null}
            </div>
          )}
          onSaved={(row) => row && navigate(`/patients/${encodeURIComponent(row.id)}`)}
          onCancel={() => navigate('/patients')}
        />
      ) : (
        <p role="status">Loading…</p>
      )}
    </>
  );
}

/**
 * `carto registry export --format bundle` (src/registry/exchange/bundle.ts): the registry's CTCAE
 * adverse events go to adverse_events.csv with the attribution mapped from the registry's five-level
 * relation to CAR T (AE_ATTRIBUTION_MAP), read back by the study reader; an attribution that is missing
 * or off the scale, a grade-5 event without a death, or events of a patient never infused are refused
 * with an InputError naming the field and value, and nothing is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { InputError } from '../../src/errors.js';
import { RegistryStore } from '../../src/registry/store.js';
import { importRedcap } from '../../src/registry/exchange/import.js';
import { exportBundle } from '../../src/registry/exchange/bundle.js';
import type { PatientRecord } from '../../src/registry/outcomes.js';
import { readBundle } from '../../src/study/bundle.js';
import { seedWorld } from './fixtures.js';
import { projectRoot } from '../helpers/shared-data.js';

const fx = (...p: string[]) => join(projectRoot, 'test', 'registry', 'fixtures', ...p);
const redcap = {
  dictionary: fx('redcap', 'dictionary.csv'),
  records: fx('redcap', 'records.csv'),
  mapping: fx('redcap', 'mapping.json'),
};
const FIXTURE_TERMS = new Set(['Febrile neutropenia', 'Hypogammaglobulinemia']);
const opts = { name: 'registry export', tracer: { name: 'FDG', nuclide: '18F', halfLifeS: 6586.2 } };

/**
 * The REDCap fixture (RC-001 infused, RC-002 not) with the given adverse events of RC-001. The fixture's
 * own two events of RC-001 have no attribution (the REDCap mapping has none): they get `fixture`, or
 * stay without one when it is null.
 */
async function recordsWith(
  events: Record<string, unknown>[],
  fixture: string | null = 'possible',
): Promise<PatientRecord[]> {
  const w = await seedWorld(await RegistryStore.open(':memory:'));
  try {
    const a = w.store.as(w.dmA);
    await importRedcap(a, redcap);
    const p = (await a.listPatients()).items.find((x) => x['pseudonym'] === 'RC-001');
    await a.createRow('follow-ups', String(p?.['id']), { followUpDate: '2024-08-19' });
    for (const e of events) await a.createRow('adverse-events', String(p?.['id']), e);
    const records = await a.allRecords();
    if (fixture === null) return records;
    return records.map((r) => ({
      ...r,
      rows: {
        ...r.rows,
        'adverse-events': (r.rows['adverse-events'] ?? []).map((x) =>
          FIXTURE_TERMS.has(String(x['term'])) && x['attribution'] == null
            ? { ...x, attribution: fixture }
            : x,
        ),
      },
    }));
  } finally {
    await w.store.close();
  }
}

function withTmp<T>(f: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'carto-bundle-ae-'));
  try {
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('registry adverse events are written to adverse_events.csv with the mapped attribution', async () => {
  const records = await recordsWith([
    { term: 'Neutrophil count decreased', grade: 4, onsetDate: '2024-02-22', attribution: 'definite' },
    { term: 'Pyrexia', grade: 3, onsetDate: '2024-02-25', attribution: 'possible' },
    { term: 'Headache', grade: 1, onsetDate: '2024-03-01', attribution: 'unlikely' },
    { term: 'Fall', grade: 2, onsetDate: '2024-03-05', attribution: 'unrelated' },
  ]);
  withTmp((dir) => {
    exportBundle(records, dir, opts);
    const b = readBundle(dir);
    const infusion = b.events.find((e) => e.event === 'infusion')!.date!;
    const day = (iso: string) => (Date.parse(iso) - Date.parse(infusion)) / 86_400_000;
    // Rows in the registry's order (by onset); compared sorted by onset and term.
    const byOnset = (x: unknown[], y: unknown[]) =>
      `${String(x[3])}${String(x[1])}`.localeCompare(`${String(y[3])}${String(y[1])}`);
    assert.deepEqual(
      b.adverseEvents
        .map((e) => [e.patientId, e.ctcaeTerm, e.grade, e.onsetDate, e.onsetDay, e.attribution])
        .sort(byOnset),
      [
        ['RC-001', 'Febrile neutropenia', 3, '2024-02-25', day('2024-02-25'), 'car-t'],
        ['RC-001', 'Hypogammaglobulinemia', 2, '2024-03-15', day('2024-03-15'), 'car-t'],
        ['RC-001', 'Neutrophil count decreased', 4, '2024-02-22', day('2024-02-22'), 'car-t'],
        ['RC-001', 'Pyrexia', 3, '2024-02-25', day('2024-02-25'), 'car-t'],
        ['RC-001', 'Headache', 1, '2024-03-01', day('2024-03-01'), 'unrelated'],
        ['RC-001', 'Fall', 2, '2024-03-05', day('2024-03-05'), 'unrelated'],
      ].sort(byOnset),
    );
  });
});

test('an adverse event without an attribution is refused naming the field; nothing is written', async () => {
  const records = await recordsWith([{ term: 'Anemia', grade: 3, onsetDate: '2024-02-22' }], 'unlikely');
  withTmp((dir) => {
    const out = join(dir, 'out');
    assert.throws(
      () => exportBundle(records, out, opts),
      (e: unknown) =>
        e instanceof InputError &&
        e.location.field === 'attribution' &&
        e.location.value === '' &&
        /"Anemia" of RC-001 has no attribution/.test(e.message),
    );
    assert.equal(existsSync(out), false);
  });
});

test('an attribution off the registry scale is refused naming its value', async () => {
  const records = await recordsWith([
    { term: 'Anemia', grade: 3, onsetDate: '2024-02-22', attribution: 'possible' },
  ]);
  const bad = records.map((r) => ({
    ...r,
    rows: {
      ...r.rows,
      'adverse-events': (r.rows['adverse-events'] ?? []).map((x) => ({
        ...x,
        attribution: 'tracer-related',
      })),
    },
  }));
  withTmp((dir) => {
    assert.throws(
      () => exportBundle(bad, join(dir, 'out'), opts),
      (e: unknown) =>
        e instanceof InputError &&
        e.location.field === 'attribution' &&
        e.location.value === 'tracer-related' &&
        /must be one of unrelated, unlikely, possible, probable, definite/.test(e.message),
    );
  });
});

test('a grade-5 adverse event of a patient without a death is refused', async () => {
  const records = await recordsWith([
    { term: 'Sepsis', grade: 5, onsetDate: '2024-03-01', attribution: 'probable' },
  ]);
  withTmp((dir) => {
    assert.throws(
      () => exportBundle(records, join(dir, 'out'), opts),
      (e: unknown) =>
        e instanceof InputError && e.location.field === 'grade' && /no recorded death/.test(e.message),
    );
  });
});

test('adverse events of a patient never infused are refused naming the patient', async () => {
  const records = await recordsWith([]);
  const bad = records.map((r) =>
    r.patient['pseudonym'] === 'RC-002'
      ? {
          ...r,
          rows: {
            ...r.rows,
            'adverse-events': [
              { term: 'Anemia', grade: 2, onsetDate: '2024-01-10', attribution: 'unrelated' },
            ],
          },
        }
      : r,
  );
  withTmp((dir) => {
    assert.throws(
      () => exportBundle(bad, join(dir, 'out'), opts),
      (e: unknown) =>
        e instanceof InputError && e.location.value === 'RC-002' && /not infused/.test(e.message),
    );
  });
});

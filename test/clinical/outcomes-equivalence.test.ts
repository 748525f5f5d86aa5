/**
 * One definition of the clinical outcomes (issue 13 item 1): a registry with journeys with and without
 * progression, death from lymphoma and from other causes, drop-outs before infusion, a response after
 * progression and follow-up only is exported with `carto registry export --format bundle`; then
 * `carto outcomes <bundle> --json`, `GET /api/patients/{id}/outcomes` and the report's
 * tables/outcomes-per-patient.csv must give the same values for every patient — and the hand-computed
 * values below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register as registerRegistry } from '../../src/cli/commands/registry.js';
import { register as registerOutcomes } from '../../src/cli/commands/outcomes.js';
import { RegistryStore } from '../../src/registry/store.js';
import { buildApp, SESSION_COOKIE } from '../../src/server/app.js';
import { hashPassword } from '../../src/server/auth.js';
import { readCsv } from '../../src/io/csv.js';
import { runStudy } from '../../src/pipeline/run.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { patientBody, seedWorld, toxObs } from '../registry/fixtures.js';

type Rows = [string, Record<string, unknown>][];
const fever = { maxTemperatureC: 38.6 }; // CRS grade 1 (ASTCT 2019)
const infused = (infusion: string, apheresis: string): Rows => [
  ['tumorboard-decisions', { decisionDate: '2024-01-20', accepted: true }],
  ['apheresis', { apheresisDate: apheresis }],
  ['products', { product: 'axi-cel', manufacturingFailure: false }],
  ['infusions', { infusionDate: infusion }],
];

/** The journeys, and the values they must give (hand-computed from docs/outcomes.md). */
const JOURNEYS: { id: string; rows: Rows; want: Record<string, unknown> }[] = [
  {
    // PR, progression on day 92, a CR after progression (not the best response), last contact a later
    // assessment (after the last follow-up).
    id: 'EQ-PROG',
    rows: [
      ...infused('2024-03-01', '2024-02-01'),
      ['toxicity-observations', toxObs('2024-03-02', fever)],
      ['lugano-assessments', { assessmentDate: '2024-04-01', response: 'PR' }],
      ['progressions', { progressionDate: '2024-06-01' }],
      ['lugano-assessments', { assessmentDate: '2024-09-01', response: 'CR' }],
      ['follow-ups', { followUpDate: '2024-10-01' }],
      ['lugano-assessments', { assessmentDate: '2024-11-01', response: 'CR' }],
    ],
    want: {
      stage: 'evaluable',
      dropoutReason: null,
      bestResponse: 'PR',
      veinToVeinDays: 29,
      maxCrs: 1,
      maxIcans: 0,
      ttp: { days: 92, status: 1 },
      pfs: { days: 92, status: 1 },
      os: { days: 245, status: 0 },
      nrm: { days: 92, status: 2 },
    },
  },
  {
    id: 'EQ-LYMPHOMA-DEATH',
    rows: [
      ...infused('2024-03-10', '2024-02-10'),
      ['toxicity-observations', toxObs('2024-03-11')],
      ['lugano-assessments', { assessmentDate: '2024-04-10', response: 'SD' }],
      ['deaths', { deathDate: '2024-05-10', cause: 'lymphoma' }],
    ],
    want: {
      stage: 'evaluable',
      dropoutReason: null,
      bestResponse: 'SD',
      veinToVeinDays: 29,
      maxCrs: 0,
      maxIcans: 0,
      ttp: { days: 61, status: 1 },
      pfs: { days: 61, status: 1 },
      os: { days: 61, status: 1 },
      nrm: { days: 61, status: 2 },
    },
  },
  {
    id: 'EQ-OTHER-DEATH',
    rows: [
      ...infused('2024-03-05', '2024-02-20'),
      ['toxicity-observations', toxObs('2024-03-06', fever)],
      ['toxicity-observations', toxObs('2024-03-07', { iceScore: 8 })],
      ['lugano-assessments', { assessmentDate: '2024-04-05', response: 'CR' }],
      ['deaths', { deathDate: '2024-07-05', cause: 'infection' }],
    ],
    want: {
      stage: 'evaluable',
      dropoutReason: null,
      bestResponse: 'CR',
      veinToVeinDays: 14,
      maxCrs: 1,
      maxIcans: 1,
      ttp: { days: 122, status: 0 },
      pfs: { days: 122, status: 1 },
      os: { days: 122, status: 1 },
      nrm: { days: 122, status: 1 },
    },
  },
  {
    id: 'EQ-FOLLOW-UP',
    rows: [
      ...infused('2024-04-01', '2024-03-01'),
      ['toxicity-observations', toxObs('2024-04-02')],
      ['follow-ups', { followUpDate: '2024-06-30' }],
    ],
    want: {
      stage: 'infused',
      dropoutReason: null,
      bestResponse: null,
      veinToVeinDays: 31,
      maxCrs: 0,
      maxIcans: 0,
      ttp: { days: 90, status: 0 },
      pfs: { days: 90, status: 0 },
      os: { days: 90, status: 0 },
      nrm: { days: 90, status: 0 },
    },
  },
  {
    id: 'EQ-DROPOUT',
    rows: [
      ['tumorboard-decisions', { decisionDate: '2024-01-20', accepted: true }],
      ['apheresis', { apheresisDate: '2024-02-01' }],
      ['dropouts', { dropoutDate: '2024-02-25', reason: 'manufacturing-failure' }],
    ],
    want: {
      stage: 'apheresed',
      dropoutReason: 'manufacturing-failure',
      bestResponse: null,
      veinToVeinDays: null,
      maxCrs: null,
      maxIcans: null,
      ttp: null,
      pfs: null,
      os: null,
      nrm: null,
    },
  },
  {
    id: 'EQ-NOT-ACCEPTED',
    rows: [['tumorboard-decisions', { decisionDate: '2024-01-20', accepted: false }]],
    want: {
      stage: 'referred',
      dropoutReason: 'not-accepted',
      bestResponse: null,
      veinToVeinDays: null,
      maxCrs: null,
      maxIcans: null,
      ttp: null,
      pfs: null,
      os: null,
      nrm: null,
    },
  },
];

const FIELDS = Object.keys(JOURNEYS[0]!.want);

/** The per-patient CSV row of the same values (docs/outcomes.md: empty = not applicable). */
function csvRow(o: Record<string, unknown>): Record<string, string> {
  const n = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const t = (k: string) => o[k] as { days: number; status: number } | null;
  return {
    stage: n(o['stage']),
    best_response: n(o['bestResponse']),
    vein_to_vein_days: n(o['veinToVeinDays']),
    max_crs: n(o['maxCrs']),
    max_icans: n(o['maxIcans']),
    ttp_days: n(t('ttp')?.days),
    ttp_event: n(t('ttp')?.status),
    pfs_days: n(t('pfs')?.days),
    pfs_event: n(t('pfs')?.status),
    os_days: n(t('os')?.days),
    os_event: n(t('os')?.status),
    nrm_days: n(t('nrm')?.days),
    nrm_status: n(t('nrm')?.status),
  };
}

test('carto outcomes on a registry export = GET /api/patients/{id}/outcomes = the report table, for every journey', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-outcomes-eq-'));
  try {
    const db = join(dir, 'registry.sqlite');
    const store = await RegistryStore.open(db);
    const w = await seedWorld(store);
    const reg = store.as(w.dmA);
    const ids = new Map<string, string>();
    for (const j of JOURNEYS) {
      const p = await reg.createPatient(patientBody(j.id, 'AMC'));
      ids.set(j.id, String(p['id']));
      for (const [path, body] of j.rows) await reg.createRow(path, String(p['id']), body);
    }
    await store.createUser({
      username: 'eq-dm',
      passwordHash: await hashPassword('correct horse battery'),
      role: 'data_manager',
      centreCode: 'AMC',
    });
    await store.close();

    const bundle = join(dir, 'bundle');
    const ex = await runInProcess(registerRegistry, [
      'registry',
      'export',
      '--format',
      'bundle',
      '--out',
      bundle,
      '--as',
      'admin',
      '--db',
      db,
    ]);
    assert.equal(ex.code, 0, ex.err);
    const out = await runInProcess(registerOutcomes, ['outcomes', bundle, '--json']);
    assert.equal(out.code, 0, out.err);
    const cli = new Map(
      (JSON.parse(out.out) as { patients: Record<string, unknown>[] }).patients.map((p) => [
        String(p['patient']),
        p,
      ]),
    );
    assert.deepEqual([...cli.keys()].sort(), JOURNEYS.map((j) => j.id).sort(), 'every registry patient');

    const store2 = await RegistryStore.open(db);
    const app = await buildApp({ store: store2 });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'eq-dm', password: 'correct horse battery' },
      });
      assert.equal(login.statusCode, 200, login.body);
      const c = login.cookies.find((x) => x.name === SESSION_COOKIE)!;
      for (const j of JOURNEYS) {
        const r = await app.inject({
          method: 'GET',
          url: `/api/patients/${ids.get(j.id)}/outcomes`,
          headers: { cookie: `${SESSION_COOKIE}=${c.value}` },
        });
        assert.equal(r.statusCode, 200, r.body);
        const api = r.json<Record<string, unknown>>();
        const mine = cli.get(j.id)!;
        for (const f of FIELDS) {
          assert.deepEqual(mine[f], api[f], `${j.id} ${f}: carto outcomes vs the API`);
          assert.deepEqual(mine[f], j.want[f], `${j.id} ${f}: hand-computed value`);
        }
      }
    } finally {
      await app.close();
      await store2.close();
    }

    const report = join(dir, 'report');
    await runStudy(bundle, report);
    const table = readCsv(join(report, 'tables', 'outcomes-per-patient.csv'));
    assert.deepEqual(table.rows.map((r) => r['patient']).sort(), [...cli.keys()].sort());
    for (const row of table.rows) {
      const want = csvRow(cli.get(row['patient']!)!);
      for (const [k, v] of Object.entries(want))
        assert.equal(row[k], v, `${row['patient']} ${k}: report table`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

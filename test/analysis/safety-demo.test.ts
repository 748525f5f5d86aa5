// `carto demo --patients 23` (issue 15, "What it must show"): results.json has `consort-flow` with the
// never-infused patients and their reasons (the paper's Fig. 1a: SIM_MODEL.consort) and its flow diagram
// on disk, and `safety-adverse-events` with status ok, its tables on disk and its numbers unrounded.
// Large voxels (12 mm) keep the run short; nothing here depends on the image grid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withDemo } from '../helpers/demo.js';
import { parseCsv } from '../../src/io/csv.js';
import { SIM_MODEL } from '../../src/sim/trial-params.js';
import type { ConsortFlowResults } from '../../src/analysis/descriptive.js';
import type { SafetyAdverseEventsResults } from '../../src/analysis/safety.js';

interface Section<R> {
  status: string;
  reason?: string;
  results: R;
  tables: string[];
  figures: string[];
}

test('carto demo --patients 23: consort-flow and safety-adverse-events are ok, with their files', () => {
  withDemo(['--patients', '23', '--voxel-mm', '12'], ({ dir, report }) => {
    const doc = JSON.parse(readFileSync(join(report, 'results.json'), 'utf8')) as {
      sections: Record<string, Section<unknown>>;
    };

    const consort = doc.sections['consort-flow'] as Section<ConsortFlowResults>;
    assert.equal(consort.status, 'ok', consort.reason);
    const expected = SIM_MODEL.consort.notInfused.filter((x) => x.count > 0);
    assert.deepEqual(
      consort.results.dropoutReasons.map((d) => [d.stage, d.reason, d.n]),
      expected.map((x) => [x.stage, x.reason, x.count]),
    );
    // Fig. 1a: 35 assessed, 27 included, 23 infused and evaluable (7, 8, 8).
    assert.deepEqual(
      consort.results.flow.map((f) => f.all),
      [35, 27, 23, 23, 23],
    );
    assert.deepEqual(consort.results.flow[4]!.cohorts, { '1': 7, '2': 8, '3': 8 });
    assert.deepEqual(consort.figures, ['consort-flow-diagram']);
    const svg = readFileSync(join(report, 'figures', 'consort-flow-diagram.svg'), 'utf8');
    assert.match(
      svg,
      /^<svg[^>]*><title id="consort-flow-diagram-title">CONSORT flow diagram<\/title><desc /,
    );
    for (const label of [
      'Assessed for eligibility (n = 35)',
      '• withdrew-consent (n = 3)',
      'Cohort 3 (n = 8)',
    ])
      assert.ok(svg.includes(`>${label}<`), label);
    for (const t of consort.tables) assert.ok(existsSync(join(report, 'tables', `${t}.csv`)), t);

    const safety = doc.sections['safety-adverse-events'] as Section<SafetyAdverseEventsResults>;
    assert.equal(safety.status, 'ok', safety.reason);
    const bundleRows = parseCsv(readFileSync(join(dir, 'bundle', 'adverse_events.csv'), 'utf8')).rows;
    assert.equal(safety.results.adverseEvents, bundleRows.length);
    assert.equal(safety.results.infusedPatients, 23);
    // Unrounded: every percentage is exactly 100 × n / 23 as a double.
    for (const row of safety.results.grade3ByTermAndPeriod)
      assert.equal(row.percent, (100 * row.patients) / 23);
    // The paper: no tracer-related events (SIM_MODEL.adverseEvents.tracerRelatedProbabilityPerInjection = 0).
    assert.deepEqual(
      safety.results.tracerInjections.map((o) => [o.occasion, o.injections, o.tracerRelatedEvents]),
      [
        ['pre-CART', 23, 0],
        ['post-CART', 23, 0],
      ],
    );
    const combos = safety.results.treatments.slice(0, 4).reduce((s, t) => s + t.patients.n, 0);
    assert.equal(
      combos,
      safety.results.treatments[0]!.patients.of,
      'the four combinations partition the patients',
    );
    assert.equal(safety.tables.length, 4);
    for (const t of safety.tables) {
      const csv = parseCsv(readFileSync(join(report, 'tables', `${t}.csv`), 'utf8'));
      assert.ok(csv.rows.length > 0, t);
    }
  });
});

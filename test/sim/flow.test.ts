// Flow cytometry of the virtual trial (src/sim/flow.ts): FCS files written by our writer, read by our
// reader, gated with the written Gating-ML by our gating engine and phenotyped with src/flow/phenotype.ts
// recover the drawn counts exactly and the true proportions within sampling error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readFcs } from '../../src/io/fcs/reader.js';
import { encodeFcs } from '../../src/io/fcs/writer.js';
import { readGatingMl } from '../../src/io/gatingml.js';
import { applyGates } from '../../src/flow/gates.js';
import { compensate } from '../../src/flow/compensation.js';
import { memorySubsets, senescenceProfile, type MarkerThreshold } from '../../src/flow/phenotype.js';
import {
  designFlowSamples,
  FLOW_CHANNELS,
  FLOW_MODEL,
  MEMORY_SUBSETS,
  probabilityAtLeastTwo,
  SENESCENCE_TRAITS,
} from '../../src/sim/flow.js';
import { simulateTrial } from '../../src/sim/trial.js';

const work = mkdtempSync(join(tmpdir(), 'carto-sim-flow-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('flow files: gated with the written Gating-ML and phenotyped, they recover the true subsets', () => {
  const trial = simulateTrial({ seed: 8, patients: 3 });
  const flow = trial.study.flow as {
    cd4Gate: string;
    cd8Gate: string;
    populations: { label: string; gate: string }[];
    markers: Record<string, MarkerThreshold>;
    mfi: string[];
  };
  assert.deepEqual(
    flow.populations.map((p) => p.label),
    ['cd8', 'cd4'],
  );
  const gatingFile = join(work, 'gating.xml');
  writeFileSync(gatingFile, trial.gatingMl);
  const strategy = readGatingMl(gatingFile);
  assert.deepEqual(
    strategy.gates.map((g) => [g.id, g.parentId]),
    [
      ['Lymphocytes', null],
      ['CD3', 'Lymphocytes'],
      ['CD4', 'CD3'],
      ['CD8', 'CD3'],
    ],
  );
  // Product (day −5) for every patient, blood at day +7 for those alive and followed at day 7.
  assert.equal(trial.flowFiles.filter((f) => f.day === -5).length, 3);
  for (const p of trial.truth.patients)
    assert.equal(trial.flowFiles.filter((f) => f.patientId === p.patientId).length, p.os.days >= 7 ? 2 : 1);

  for (const f of trial.flowFiles) {
    const truth = trial.truth.flow.samples.find((s) => s.file === f.file)!;
    const { columns, counts } = trial.renderFlow(f.file);
    const file = join(work, f.file.replace('flow/', ''));
    writeFileSync(
      file,
      encodeFcs({
        parameters: FLOW_CHANNELS.map((c) => ({ name: c.name, stain: c.stain })),
        columns,
        spillover: FLOW_MODEL.spillover,
      }),
    );
    const ds = readFcs(file);
    assert.ok(ds.totalEvents >= 5000 && ds.totalEvents <= 10000);
    assert.deepEqual(
      ds.parameters.map((p) => p.stain),
      FLOW_CHANNELS.map((c) => c.stain),
    );
    assert.ok(ds.spillover !== null);
    const results = new Map(applyGates(ds.events!, strategy, ds.spillover).map((r) => [r.id, r]));
    const n = (id: string): number => results.get(id)!.count;
    // Plausible hierarchy; the CD3 gate holds exactly the drawn T cells (positives and negatives are
    // separated by > 8 SD at the thresholds), the scatter gate the lymphocytes within 0.5 % of events.
    assert.ok(n('CD3') <= n('Lymphocytes') && n('CD4') + n('CD8') <= n('CD3'));
    assert.equal(n('CD3'), counts.tCells, f.file);
    assert.ok(Math.abs(n('Lymphocytes') - counts.lymphocytes) <= 0.005 * ds.totalEvents, f.file);
    assert.equal(n('CD4'), counts.populations.cd4.count);
    assert.equal(n('CD8'), counts.populations.cd8.count);
    // Phenotypes on the compensated events.
    const comp = compensate(ds.events!, ds.spillover);
    const m = flow.markers;
    for (const { label, gate } of flow.populations) {
      const pop = label as 'cd4' | 'cd8';
      const member = results.get(gate)!.membership;
      const ms = memorySubsets(comp, member, {
        CD45RA: m['CD45RA']!,
        CCR7: m['CCR7']!,
        CD45RO: m['CD45RO']!,
      });
      const sen = senescenceProfile(comp, member, {
        CD28: m['CD28']!,
        CD27: m['CD27']!,
        CD57: m['CD57']!,
        KLRG1: m['KLRG1']!,
      });
      const got: Record<string, number> = {
        naive: ms.naive!.count,
        scm: ms.stemCellMemory!.count,
        cm: ms.centralMemory.count,
        em: ms.effectorMemory.count,
        te: ms.terminalEffector.count,
      };
      assert.equal(ms.unclassified.count, 0);
      const N = ms.parentCount;
      const pt = truth.populations[pop];
      // Exactly the drawn counts, and the drawn proportions within 4 binomial SDs of the truth.
      const within = (count: number, p: number, label2: string): void => {
        assert.ok(
          Math.abs(count / N - p) <= 4 * Math.sqrt((p * (1 - p)) / N),
          `${f.file} ${pop} ${label2}: ${count}/${N} vs ${p}`,
        );
      };
      for (const s of MEMORY_SUBSETS) {
        assert.equal(got[s], counts.populations[pop].subsets[s], `${f.file} ${pop} ${s}`);
        within(got[s], pt.subsets[s], s);
      }
      const senKey = { cd28lo: 'CD28lo', cd27lo: 'CD27lo', cd57pos: 'CD57+', klrg1pos: 'KLRG1+' } as const;
      for (const t of SENESCENCE_TRAITS) {
        const c = sen.markers[senKey[t]]!.count;
        assert.equal(c, counts.populations[pop].senescence[t], `${f.file} ${pop} ${t}`);
        within(c, pt.senescence[t], t);
      }
      const twoPlus = sen.coExpressed.slice(2).reduce((a, x) => a + x.count, 0);
      assert.equal(twoPlus, counts.populations[pop].senescent2plus);
      within(twoPlus, pt.senescent2plus, '≥ 2 senescence traits');
    }
    within4(
      n('CD3') / n('Lymphocytes'),
      truth.tOfLymphocytes,
      n('Lymphocytes'),
      `${f.file} T of lymphocytes`,
    );
    within4(n('CD4') / n('CD3'), truth.cd4OfT, n('CD3'), `${f.file} CD4 of T`);
  }
});

function within4(p: number, truth: number, n: number, label: string): void {
  assert.ok(Math.abs(p - truth) <= 4 * Math.sqrt((truth * (1 - truth)) / n), `${label}: ${p} vs ${truth}`);
}

test('designFlowSamples: deterministic; blood only when followed to day 7; valid probabilities', () => {
  const a = designFlowSamples(3, 'VT-01', 400);
  assert.deepEqual(designFlowSamples(3, 'VT-01', 400), a);
  assert.notDeepEqual(designFlowSamples(4, 'VT-01', 400), a);
  assert.deepEqual(
    a.map((s) => [s.kind, s.day, s.file]),
    [
      ['product', -5, 'flow/VT-01_day-5.fcs'],
      ['blood', 7, 'flow/VT-01_day7.fcs'],
    ],
  );
  assert.equal(designFlowSamples(3, 'VT-01', 6).length, 1);
  for (const s of a) {
    assert.ok(Math.abs(s.fractions.debris + s.fractions.myeloid + s.fractions.lymphocytes - 1) < 1e-5);
    for (const pop of ['cd4', 'cd8'] as const) {
      const sum = MEMORY_SUBSETS.reduce((x, k) => x + s.populations[pop].subsets[k], 0);
      assert.ok(Math.abs(sum - 1) < 1e-5);
    }
  }
  // Poisson-binomial P(≥ 2): closed forms.
  assert.ok(Math.abs(probabilityAtLeastTwo([0.5, 0.5]) - 0.25) < 1e-15);
  assert.ok(
    Math.abs(probabilityAtLeastTwo([0.1, 0.2, 0.3]) - (0.1 * 0.2 + 0.1 * 0.3 + 0.2 * 0.3 - 2 * 0.006)) <
      1e-15,
  );
});

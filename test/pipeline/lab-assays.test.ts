// Raw lab assays in a bundle — cytokines.csv, cytotoxicity.csv and flow.csv — processed at import into lab values
// per patient and day plus their detail (curves, plate QC, gate counts), stored, reloaded and reported.
// Expected values are computed here independently: cytokine wells come from a known 4PL (exact signals, so the
// back-calculated concentrations must match to 1e-6 relative: least-squares fit of exact data, stopped at the
// optimiser's tolerance), lysis from hand arithmetic (1e-12), and flow phenotypes by counting the events of the
// real Gating-ML compliance file data1.fcs directly (exact counts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { importBundle } from '../../src/pipeline/run.js';
import { loadStudy, openStudyStore } from '../../src/study/store.js';
import { cytokineSection, cytotoxicitySection, flowSection } from '../../src/analysis/lab-assays.js';
import { readFcs } from '../../src/io/fcs/reader.js';
import { InputError } from '../../src/errors.js';
import { droBundle } from '../helpers/bundles.js';
import { assertClose } from '../helpers/assert-close.js';
import { sharedData } from '../helpers/shared-data.js';

// 4PL signal = c + (d − c) / (1 + (x/e)^b)
const IL6 = { b: -1.1, c: 0.05, d: 3.2, e: 250 };
const signalOf = (x: number): number => IL6.c + (IL6.d - IL6.c) / (1 + (x / IL6.e) ** IL6.b);

function cytokinesCsv(): string {
  const rows = ['plate,role,analyte,concentration,patient_id,day,dilution,signal'];
  for (const x of [0, 7.8125, 15.625, 31.25, 62.5, 125, 250, 500, 1000]) {
    for (let rep = 0; rep < 2; rep++) rows.push(`C1,standard,IL6,${x},,,,${signalOf(x)}`);
  }
  rows.push(`C1,sample,IL6,,P01,1,,${signalOf(40)}`, `C1,sample,IL6,,P01,1,,${signalOf(40)}`);
  rows.push(`C1,sample,IL6,,P01,3,10,${signalOf(300)}`, `C1,sample,IL6,,P01,3,10,${signalOf(300)}`);
  rows.push(`C1,sample,IL6,,P01,7,,${signalOf(1)}`, `C1,sample,IL6,,P01,7,,${signalOf(1)}`);
  return `${rows.join('\n')}\n`;
}

const CYTO = `plate,target,role,patient_id,day,effector_target_ratio,cpm
X1,Raji,spontaneous,,,,300
X1,Raji,spontaneous,,,,320
X1,Raji,maximum,,,,2000
X1,Raji,maximum,,,,2040
X1,Raji,experimental,P01,-5,10,1500
X1,Raji,experimental,P01,-5,10,1400
X1,Raji,experimental,P01,-5,2.5,700
`;

// Gating on data1.fcs (FCS 2.0, no spillover): Cells = FSC-H in [50, 400); CD4 = Cells ∩ FL1-H ≥ 20;
// CD8 = Cells ∩ FL2-H ≥ 20. Markers: CD45RA = FL3-H, CCR7 = FL4-H, CD28 = FL1-H, CD57 = FL2-H.
const GML = `<?xml version="1.0" encoding="UTF-8"?>
<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
  xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
  <gating:RectangleGate gating:id="Cells">
    <gating:dimension gating:compensation-ref="uncompensated" gating:min="50" gating:max="400">
      <data-type:fcs-dimension data-type:name="FSC-H" /></gating:dimension>
  </gating:RectangleGate>
  <gating:RectangleGate gating:id="CD4" gating:parent_id="Cells">
    <gating:dimension gating:compensation-ref="FCS" gating:min="20">
      <data-type:fcs-dimension data-type:name="FL1-H" /></gating:dimension>
  </gating:RectangleGate>
  <gating:RectangleGate gating:id="CD8" gating:parent_id="Cells">
    <gating:dimension gating:compensation-ref="FCS" gating:min="20">
      <data-type:fcs-dimension data-type:name="FL2-H" /></gating:dimension>
  </gating:RectangleGate>
</gating:Gating-ML>
`;
const FLOW_SETTINGS = {
  compensate: true,
  cd4Gate: 'CD4',
  cd8Gate: 'CD8',
  populations: [{ label: 'cd8', gate: 'CD8' }],
  markers: {
    CD45RA: { channel: 'FL3-H', threshold: 10 },
    CCR7: { channel: 'FL4-H', threshold: 10 },
    CD28: { channel: 'FL1-H', threshold: 50 },
    CD57: { channel: 'FL2-H', threshold: 100 },
  },
  mfi: ['CD45RA'],
};

function withAssays(dir: string, flow: Record<string, unknown> | null = FLOW_SETTINGS): string {
  const b = droBundle(dir);
  const study = JSON.parse(readFileSync(join(b, 'study.json'), 'utf8')) as Record<string, unknown>;
  if (flow) study['flow'] = flow;
  writeFileSync(join(b, 'study.json'), JSON.stringify(study));
  writeFileSync(join(b, 'cytokines.csv'), cytokinesCsv());
  writeFileSync(join(b, 'cytotoxicity.csv'), CYTO);
  mkdirSync(join(b, 'flow'));
  copyFileSync(sharedData('flow', 'gatingml2-compliance-set1', 'data1.fcs'), join(b, 'flow', 'p01-d7.fcs'));
  writeFileSync(join(b, 'flow', 'gating.xml'), GML);
  writeFileSync(join(b, 'flow.csv'), 'patient_id,day,file,gating\nP01,7,flow/p01-d7.fcs,flow/gating.xml\n');
  return b;
}

test('cytokines, cytotoxicity and flow: lab values per patient and day, detail stored and reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-assays-'));
  try {
    const b = withAssays(dir);
    const dbFile = join(dir, 'db.sqlite');
    const r = await importBundle(b, dbFile);
    assert.equal(r.status, 'written');
    const db = await openStudyStore(dbFile);
    const study = await loadStudy(db, 'DRO study');
    await db.destroy();
    const lab = (analyte: string, day: number): number | undefined =>
      study.labs.find((l) => l.analyte === analyte && l.day === day)?.value;

    // Cytokines
    assertClose(lab('il6_pg_ml', 1)!, 40, 1e-6, 'IL-6 day 1');
    assertClose(lab('il6_pg_ml', 3)!, 3000, 1e-6, 'IL-6 day 3 (× dilution 10)');
    const curve = study.labAssays!.cytokineCurves[0]!;
    assert.equal(curve.model, '4pl');
    const e = curve.estimates[curve.parameterNames.indexOf('e')]!;
    assertClose(e, IL6.e, 1e-6, 'fitted e');
    const d7 = study.labAssays!.cytokineSamples.find((s) => s.day === 7)!;
    assert.equal(d7.flag, '<LLOQ');
    assertClose(lab('il6_pg_ml', 7)!, curve.lloqPgMl / 2, 1e-12, 'below LLOQ → LLOQ/2 (default rule)');

    // Cytotoxicity: spontaneous 310, maximum 2020
    const pct = (cpm: number): number => (100 * (cpm - 310)) / (2020 - 310);
    assertClose(lab('lysis_raji_et10_pct', -5)!, (pct(1500) + pct(1400)) / 2, 1e-12, 'lysis E:T 10');
    assertClose(lab('lysis_raji_et2p5_pct', -5)!, pct(700), 1e-12, 'lysis E:T 2.5');
    assert.equal(study.labAssays!.lysisPlates[0]!.qcPassed, true);

    // Flow: count directly on the events
    const ev = readFcs(sharedData('flow', 'gatingml2-compliance-set1', 'data1.fcs')).events!;
    const c = (n: string): Float64Array | Float32Array => ev.columns[ev.parameterNames.indexOf(n)]!;
    const [fsc, fl1, fl2, fl3, fl4] = ['FSC-H', 'FL1-H', 'FL2-H', 'FL3-H', 'FL4-H'].map(c) as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    let cells = 0;
    let cd4 = 0;
    let cd8 = 0;
    let naiveLike = 0;
    let cm = 0;
    let em = 0;
    let te = 0;
    let cd28lo = 0;
    let cd57 = 0;
    let both = 0;
    const ra: number[] = [];
    for (let i = 0; i < ev.eventCount; i++) {
      if (!(fsc[i]! >= 50 && fsc[i]! < 400)) continue;
      cells++;
      if (fl1[i]! >= 20) cd4++;
      if (!(fl2[i]! >= 20)) continue;
      cd8++;
      ra.push(fl3[i]!);
      const raPos = fl3[i]! >= 10;
      const ccr7Pos = fl4[i]! >= 10;
      if (raPos && ccr7Pos) naiveLike++;
      else if (!raPos && ccr7Pos) cm++;
      else if (!raPos && !ccr7Pos) em++;
      else te++;
      const lo28 = fl1[i]! < 50;
      const pos57 = fl2[i]! >= 100;
      if (lo28) cd28lo++;
      if (pos57) cd57++;
      if (lo28 && pos57) both++;
    }
    assert.ok(cd8 > 100 && cd4 > 100, `CD4 ${cd4}, CD8 ${cd8}`);
    assertClose(lab('flow_cd4_cd8_ratio', 7)!, cd4 / cd8, 1e-12, 'CD4/CD8');
    assert.equal(lab('flow_cd8_count', 7), cd8);
    assertClose(lab('flow_cd8_naive_like_pct', 7)!, (100 * naiveLike) / cd8, 1e-12, 'naive-like');
    assertClose(lab('flow_cd8_cm_pct', 7)!, (100 * cm) / cd8, 1e-12, 'CM');
    assertClose(lab('flow_cd8_em_pct', 7)!, (100 * em) / cd8, 1e-12, 'EM');
    assertClose(lab('flow_cd8_te_pct', 7)!, (100 * te) / cd8, 1e-12, 'TE');
    assertClose(lab('flow_cd8_cd28lo_pct', 7)!, (100 * cd28lo) / cd8, 1e-12, 'CD28lo');
    assertClose(lab('flow_cd8_cd57pos_pct', 7)!, (100 * cd57) / cd8, 1e-12, 'CD57+');
    assertClose(lab('flow_cd8_senescent2plus_pct', 7)!, (100 * both) / cd8, 1e-12, '≥ 2 markers');
    ra.sort((x, y) => x - y);
    const mid = ra.length >> 1;
    const med = ra.length % 2 ? ra[mid]! : (ra[mid - 1]! + ra[mid]!) / 2;
    assertClose(lab('flow_cd8_mfi_cd45ra', 7)!, med, 1e-12, 'MFI CD45RA');
    const fs = study.labAssays!.flowSamples;
    assert.deepEqual(fs, [
      { patientId: 'P01', day: 7, file: 'flow/p01-d7.fcs', eventCount: 13367, compensated: false },
    ]);
    assert.deepEqual(
      study.labAssays!.flowGates.map((g) => [g.gateId, g.path, g.count]),
      [
        ['Cells', 'Cells', cells],
        ['CD4', 'Cells/CD4', cd4],
        ['CD8', 'Cells/CD8', cd8],
      ],
    );

    // Report sections
    for (const [id, s] of Object.entries({
      cytokines: cytokineSection(study),
      cytotoxicity: cytotoxicitySection(study),
      flow: flowSection(study),
    })) {
      assert.equal(s.status, 'ok', `${id}: ${s.reason ?? ''}`);
      assert.ok(s.tables.every((t) => t.rows.length > 0));
    }
    assert.ok(cytokineSection(study).warnings?.some((w) => /below the LLOQ/.test(w)));
    assert.deepEqual(
      [cytokineSection(study), cytotoxicitySection(study), flowSection(study)].map((x) =>
        x.figures.map((f) => f.id),
      ),
      [['cytokine-recovery'], ['cytotoxicity-curves'], ['flow-memory-subsets']],
    );

    // Re-import of the same content writes nothing; a changed FCS file changes the content hash.
    assert.equal((await importBundle(b, dbFile)).status, 'unchanged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function refused(setup: (b: string) => void, pattern: RegExp): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'carto-assays-bad-'));
  try {
    const b = withAssays(dir);
    setup(b);
    const dbFile = join(dir, 'db.sqlite');
    await assert.rejects(importBundle(b, dbFile), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('flow.csv without a study.json flow block is refused, naming study.json and field flow', async () => {
  await refused((b) => {
    const s = JSON.parse(readFileSync(join(b, 'study.json'), 'utf8')) as Record<string, unknown>;
    delete s['flow'];
    writeFileSync(join(b, 'study.json'), JSON.stringify(s));
  }, /study\.json.*field flow/);
});

test('a study.json population naming a gate the gating lacks is refused, naming the FCS file', async () => {
  await refused((b) => {
    const s = JSON.parse(readFileSync(join(b, 'study.json'), 'utf8')) as { flow: typeof FLOW_SETTINGS };
    s.flow.populations = [{ label: 'cd8', gate: 'CD8+' }];
    writeFileSync(join(b, 'study.json'), JSON.stringify(s));
  }, /p01-d7\.fcs.*populations\[0\]\.gate.*CD8\+/);
});

test('a marker channel absent from the FCS file is refused, naming the file', async () => {
  await refused((b) => {
    const s = JSON.parse(readFileSync(join(b, 'study.json'), 'utf8')) as { flow: typeof FLOW_SETTINGS };
    s.flow.markers.CD28 = { channel: 'BV421-A', threshold: 5 };
    writeFileSync(join(b, 'study.json'), JSON.stringify(s));
  }, /p01-d7\.fcs.*BV421-A/);
});

test('a truncated FCS file is refused, naming it', async () => {
  await refused((b) => {
    const f = join(b, 'flow', 'p01-d7.fcs');
    const bytes = readFileSync(f);
    writeFileSync(f, bytes.subarray(0, bytes.length - 1000));
  }, /p01-d7\.fcs/);
});

test('a lab value both in labs.csv and computed from an assay table is refused', async () => {
  await refused((b) => {
    writeFileSync(join(b, 'labs.csv'), 'patient_id,day,analyte,value\nP01,1,il6_pg_ml,12\n');
  }, /cytokines\.csv.*il6_pg_ml of patient P01 on day 1 is both in labs\.csv/);
});

test('bad cells of the assay tables name file, row and field', async () => {
  await refused((b) => {
    writeFileSync(join(b, 'cytotoxicity.csv'), CYTO.replace('P01,-5,10,1500', 'P01,-5,ten,1500'));
  }, /cytotoxicity\.csv, row 5, field effector_target_ratio/);
  await refused((b) => {
    writeFileSync(
      join(b, 'cytokines.csv'),
      cytokinesCsv().replace('C1,sample,IL6,,P01,1,', 'C1,sample,IL6,,P09,1,'),
    );
  }, /cytokines\.csv, row \d+, field patient_id/);
  await refused((b) => {
    writeFileSync(
      join(b, 'flow.csv'),
      'patient_id,day,file,gating\nP01,7,flow/missing.fcs,flow/gating.xml\n',
    );
  }, /flow\.csv, row 1, field file/);
});

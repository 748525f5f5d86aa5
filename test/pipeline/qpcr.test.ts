// qPCR wells in a bundle (qpcr.csv) → standard curves, replicate summaries and copies per cell per
// patient and day, stored in the study store (lab values + qPCR tables) and reported. The wells are
// made from known curves (Ct = intercept + slope·log10 copies/µL), so the expected values are
// computed here in closed form; tolerance 1e-10 relative (OLS on exact points; float rounding only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { importBundle } from '../../src/pipeline/run.js';
import { loadStudy, openStudyStore } from '../../src/study/store.js';
import { qpcrSection } from '../../src/analysis/descriptive.js';
import { InputError } from '../../src/errors.js';
import { droBundle } from '../helpers/bundles.js';
import { assertClose } from '../helpers/assert-close.js';

const CAR = { slope: -3.32, intercept: 38.0 };
const GATA2 = { slope: -3.4, intercept: 37.5 };
const ct = (c: { slope: number; intercept: number }, q: number): number =>
  c.intercept + c.slope * Math.log10(q);

function qpcrCsv(withCarStandards = true): string {
  const rows = ['plate,role,target,quantity,patient_id,day,ct'];
  for (const q of [10, 100, 1e3, 1e4, 1e5, 1e6]) {
    for (let rep = 0; rep < 2; rep++) {
      if (withCarStandards) rows.push(`A,standard,FMC63,${q},,,${ct(CAR, q)}`);
      rows.push(`A,standard,GATA2,${q},,,${ct(GATA2, q)}`);
    }
  }
  // Day 7: FMC63 triplicate with one outlier (> 0.5 cycles from the median), GATA2 triplicate.
  rows.push('A,sample,FMC63,,P01,7,30.1', 'A,sample,FMC63,,P01,7,30.2', 'A,sample,FMC63,,P01,7,33.0');
  rows.push('A,sample,GATA2,,P01,7,24.0', 'A,sample,GATA2,,P01,7,24.1', 'A,sample,GATA2,,P01,7,23.9');
  // Day 28: no amplification of the transgene.
  rows.push(
    'A,sample,FMC63,,P01,28,Undetermined',
    'A,sample,FMC63,,P01,28,',
    'A,sample,FMC63,,P01,28,Undetermined',
  );
  rows.push('A,sample,GATA2,,P01,28,24.5', 'A,sample,GATA2,,P01,28,24.4', 'A,sample,GATA2,,P01,28,24.6');
  return `${rows.join('\n')}\n`;
}

test('qpcr.csv: copies per cell per patient and day stored as lab values, with curves and samples', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-qpcr-'));
  try {
    const b = droBundle(dir);
    writeFileSync(join(b, 'qpcr.csv'), qpcrCsv());
    const dbFile = join(dir, 'db.sqlite');
    await importBundle(b, dbFile);
    const db = await openStudyStore(dbFile);
    const study = await loadStudy(db, 'DRO study');
    await db.destroy();

    const qCar = 10 ** ((30.15 - CAR.intercept) / CAR.slope);
    const qRef = 10 ** ((24.0 - GATA2.intercept) / GATA2.slope);
    const d7 = study.labs.find((l) => l.analyte === 'fmc63_copies_per_cell' && l.day === 7);
    assert.ok(d7, JSON.stringify(study.labs));
    assertClose(d7.value, (2 * qCar) / qRef, 1e-10, 'copies per cell day 7');
    const d28 = study.labs.find((l) => l.analyte === 'fmc63_copies_per_cell' && l.day === 28);
    assert.equal(d28?.value, 0, 'no amplification → 0 copies per cell');

    const curves = study.qpcr!.curves;
    const car = curves.find((c) => c.target === 'FMC63')!;
    assertClose(car.slope, CAR.slope, 1e-10, 'slope');
    assertClose(car.intercept, CAR.intercept, 1e-10, 'intercept');
    assertClose(car.efficiencyPercent, (10 ** (-1 / CAR.slope) - 1) * 100, 1e-10, 'efficiency');
    assert.equal(car.acceptable, true);
    const s7 = study.qpcr!.samples.find((s) => s.target === 'FMC63' && s.day === 7)!;
    assert.equal(s7.nFlagged, 1);
    assert.equal(s7.nUsed, 2);
    assertClose(s7.meanCt, 30.15, 1e-12, 'mean Ct without the outlier');

    const section = qpcrSection(study);
    assert.equal(section.status, 'ok');
    assert.deepEqual(
      section.tables.map((t) => t.id),
      ['qpcr-curves', 'qpcr-samples'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sample whose target has no standard curve on its plate is refused, naming file, row and target', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-qpcr-'));
  try {
    const b = droBundle(dir);
    writeFileSync(join(b, 'qpcr.csv'), qpcrCsv(false));
    const dbFile = join(dir, 'db.sqlite');
    await assert.rejects(
      importBundle(b, dbFile),
      (e: unknown) =>
        e instanceof InputError &&
        /qpcr\.csv, row \d+, field target: no standard wells for target FMC63 on plate A/.test(e.message),
    );
    // A bad ct cell is refused by the bundle reader with its row.
    writeFileSync(
      join(b, 'qpcr.csv'),
      qpcrCsv().replace('A,sample,GATA2,,P01,7,24.0', 'A,sample,GATA2,,P01,7,2x4'),
    );
    await assert.rejects(
      importBundle(b, dbFile),
      (e: unknown) => e instanceof InputError && /qpcr\.csv, row \d+, field ct: not a number/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

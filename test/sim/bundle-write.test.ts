import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import dcmjs from 'dcmjs';
import { assertClose } from '../helpers/assert-close.js';
import { writeSimulatedBundle, type BundleTruth } from '../../src/cli/simulated-bundle.js';
import { parseCsv } from '../../src/io/csv.js';
import { readNifti } from '../../src/io/nifti.js';
import { readFcs } from '../../src/io/fcs/reader.js';
import { readGatingMl } from '../../src/io/gatingml.js';
import { applyGates } from '../../src/flow/gates.js';
import { readBundle } from '../../src/study/bundle.js';
import { ORGANS } from '../../src/sim/phantom.js';
import { voxelVolumeMl } from '../../src/imaging/volume.js';
import { SIM_MODEL } from '../../src/sim/trial.js';

const { noiseA: NA, noiseB: NB } = SIM_MODEL.image;
const work = mkdtempSync(join(tmpdir(), 'carto-sim-bundle-'));
after(() => rmSync(work, { recursive: true, force: true }));
// Small and quick: 3 patients (one per cohort), 10 mm voxels, with the FDG scans.
const OPTS = { seed: 21, patients: 3, voxelMm: 10, fdg: true };
let truth: BundleTruth;

before(async () => {
  truth = (await writeSimulatedBundle(join(work, 'a'), OPTS)).truth;
});

function walk(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]))
    .sort();
}
function hashes(dir: string): Map<string, string> {
  return new Map(
    walk(dir).map((f) => [relative(dir, f), createHash('sha256').update(readFileSync(f)).digest('hex')]),
  );
}
function readDicom(file: string): Record<string, unknown> {
  const b = readFileSync(file);
  const d = dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(d.dict);
}

test('writeSimulatedBundle: same seed → byte-identical files; another seed → different files', async () => {
  await writeSimulatedBundle(join(work, 'b'), OPTS);
  await writeSimulatedBundle(join(work, 'c'), { ...OPTS, seed: 22 });
  const a = hashes(join(work, 'a'));
  const b = hashes(join(work, 'b'));
  const c = hashes(join(work, 'c'));
  assert.ok(a.size > 100, `files ${a.size}`);
  assert.deepEqual([...b.entries()], [...a.entries()]);
  for (const f of [
    'truth.json',
    'patients.csv',
    'images/VT-01-pre/IM0040.dcm',
    'masks/VT-01-pre_lesions.nii.gz',
    'qpcr.csv',
    'cytokines.csv',
    'cytotoxicity.csv',
    'flow/VT-01_day-5.fcs',
  ])
    assert.notEqual(c.get(f), a.get(f), f);
  // A foreign non-empty folder is refused (an earlier simulated bundle would be replaced).
  mkdirSync(join(work, 'foreign'));
  writeFileSync(join(work, 'foreign', 'notes.txt'), 'mine');
  await assert.rejects(
    writeSimulatedBundle(join(work, 'foreign'), OPTS),
    /option --out: is not empty and is not an earlier Cartography bundle/,
  );
});

test('bundle tables have exactly the columns of docs/study-bundle.md, and the bundle reader accepts them', () => {
  const doc = readFileSync(new URL('../../docs/study-bundle.md', import.meta.url), 'utf8');
  const sections = doc.split(/^## /m).slice(1);
  let checked = 0;
  for (const s of sections) {
    // "patients.csv — …" or a titled raw-assay section "qPCR wells: qpcr.csv (optional) — …".
    const name = /^(?:[^\n:]*: )?(\w+\.csv)/.exec(s)?.[1];
    if (!name) continue;
    // The column table: the one whose header row starts with "| column" (flow.csv also has an analyte table).
    const table = /^\| column[^\n]*\n(?:\|[^\n]*\n)*/m.exec(s)?.[0] ?? '';
    const documented = [...table.matchAll(/^\|\s*`([a-z_0-9]+)`\s*\|/gm)].map((m) => m[1]!);
    const written = parseCsv(readFileSync(join(work, 'a', name), 'utf8'), name).columns;
    assert.deepEqual([...written].sort(), [...documented].sort(), name);
    checked++;
  }
  assert.equal(
    checked,
    14,
    'patients … toxicity, adverse_events, labs, biopsies, lesion_progression, radiotherapy, qpcr, cytokines, cytotoxicity, flow',
  );
  const b = readBundle(join(work, 'a'));
  assert.equal(b.patients.length, 3);
  assert.equal(b.scans.length, truth.scans.length);
  assert.equal(
    b.vois.filter((v) => v.kind === 'lesion').length,
    truth.lesions.reduce((s, l) => s + l.scans.length, 0),
  );
  assert.equal(b.tracer.halfLifeS, 282276);
});

test('flow.csv rows point at readable FCS 3.1 files and the Gating-ML file; study.json has the flow block', () => {
  const dir = join(work, 'a');
  const rows = parseCsv(readFileSync(join(dir, 'flow.csv'), 'utf8')).rows;
  assert.equal(rows.length, truth.flow.samples.length);
  assert.ok(rows.length >= 3, 'a product file per patient');
  const strategy = readGatingMl(join(dir, 'flow', 'gating.xml'));
  for (const r of rows) {
    assert.equal(r['gating'], 'flow/gating.xml');
    const ds = readFcs(join(dir, r['file']!));
    assert.equal(ds.version, 'FCS3.1');
    assert.equal(ds.keywords['CARTO_PATIENT'], r['patient_id']);
    assert.equal(ds.totalEvents, truth.flow.samples.find((s) => s.file === r['file'])!.events);
    const gates = applyGates(ds.events!, strategy, ds.spillover);
    assert.equal(gates.find((g) => g.id === 'CD3')!.count, truth.flowCounts[r['file']!]!.tCells);
  }
  const study = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8')) as { flow: { cd8Gate: string } };
  assert.equal(study.flow.cd8Gate, 'CD8');
  // The raw assay tables replace the ready-made lab values.
  const labs = parseCsv(readFileSync(join(dir, 'labs.csv'), 'utf8')).rows.map((r) => r['analyte']);
  assert.ok(!labs.includes('cd8_copies_per_cell') && !labs.includes('il6_pg_ml'));
  assert.ok(labs.includes('car_copies_per_cell'));
});

test('written images: organ SUVmeans near truth, masks on the PET grid, no direct identifiers', () => {
  const dir = join(work, 'a');
  const patientIds = new Set(
    parseCsv(readFileSync(join(dir, 'patients.csv'), 'utf8')).rows.map((r) => r['patient_id']),
  );
  for (const st of truth.scans) {
    if (st.timepoint === 'pre-ld') continue; // FDG NIfTI, checked below
    const files = walk(join(dir, 'images', st.scanId));
    const first = readDicom(files[0]!);
    const rp = (first['RadiopharmaceuticalInformationSequence'] as Record<string, unknown>[])[0]!;
    const dt = (s: string): number =>
      Date.parse(
        `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}Z`,
      );
    const seriesMs = dt(`${String(first['SeriesDate'])}${String(first['SeriesTime'])}`);
    const injMs = dt(String(rp['RadiopharmaceuticalStartDateTime']));
    // Injection 2 days before (cohort 3's d4/d7 scans: same injection as d2), within ±61 min.
    assert.ok(Math.abs((seriesMs - injMs) / 86_400_000 - st.uptakeDays) < 61 / 1440, `${st.scanId} uptake`);
    const suvPerBqml =
      (Number(first['PatientWeight']) * 1000) /
      (Number(rp['RadionuclideTotalDose']) *
        Math.pow(2, -(seriesMs - injMs) / 1000 / Number(rp['RadionuclideHalfLife'])));
    const organs = readNifti(join(dir, 'masks', `${st.scanId}_organs.nii.gz`)).volume;
    const [nx, ny, nz] = organs.size;
    assert.equal(files.length, nz);
    const sums = ORGANS.map(() => [0, 0]);
    files.forEach((f, k) => {
      const ds = k === 0 ? first : readDicom(f);
      assert.ok(patientIds.has(String(ds['PatientID'])), 'PatientID is a bundle pseudonym');
      assert.deepEqual(ds['PatientName'], []);
      assert.equal(ds['PatientBirthDate'], '');
      assert.deepEqual(ds['ImagePositionPatient'], [
        organs.originLps[0],
        organs.originLps[1],
        organs.originLps[2] + k * 10,
      ]);
      const px = new Int16Array((ds['PixelData'] as ArrayBuffer[])[0]!);
      const slope = Number(ds['RescaleSlope']);
      for (let n = 0; n < nx * ny; n++) {
        const g = organs.data[n + k * nx * ny]!;
        if (g === 0) continue;
        sums[g - 1]![0]! += px[n]! * slope * suvPerBqml;
        sums[g - 1]![1]!++;
      }
    });
    const img = truth.scanImages[st.scanId]!;
    ORGANS.forEach((g, i) => {
      const mean = sums[i]![0]! / sums[i]![1]!;
      // int16 quantisation (≤ slice max / 65534 per voxel) and float32 → 1e-3 relative or 2e-4 absolute.
      assertClose(mean, img.organSuvMeanImage[g], 1e-3, `${st.scanId} ${g} image mean`, 2e-4);
      // Noise: voxel SD σ = sqrt(a²·SUV + b²) (SIM_MODEL.image); the mean of n voxels is within
      // 4 SE of its expectation, with the SE doubled for the PSF's voxel-to-voxel correlation.
      const exp = img.organSuvMeanExpected[g];
      const se = (2 * Math.sqrt(NA ** 2 * exp + NB ** 2)) / Math.sqrt(sums[i]![1]!);
      assertClose(mean, exp, 0, `${st.scanId} ${g} vs expected`, 4 * se);
      // Expected (blurred) vs true: partial-volume loss/spill of the PSF on 10 mm voxels ≤ 30 % (brain spill-in from scalp).
      assertClose(img.organSuvMeanExpected[g], st.organSuvTrue[g], 0.3, `${st.scanId} ${g} vs truth`);
    });
  }
  // FDG NIfTI SUV images: voxels ≥ 2.5 inside the lesion masks (measured MATV) near the true MATV
  // (partial volume of the 6.5 mm PSF on 10 mm voxels trims small lesions: 0.4–1.3 × truth).
  for (const st of truth.scans.filter((s) => s.timepoint === 'pre-ld')) {
    const suv = readNifti(join(dir, 'images', `${st.scanId}.nii.gz`)).volume;
    const les = readNifti(join(dir, 'masks', `${st.scanId}_lesions.nii.gz`)).volume;
    assert.deepEqual(suv.size, les.size);
    let n = 0;
    for (let v = 0; v < suv.data.length; v++) if (les.data[v]! > 0 && suv.data[v]! >= 2.5) n++;
    const matv = n * voxelVolumeMl(suv);
    const truthMatv = truth.patients.find((p) => p.patientId === st.patientId)!.matvTrueMl!;
    assert.ok(
      matv > 0.4 * truthMatv && matv < 1.3 * truthMatv,
      `${st.scanId}: MATV ${matv} vs true ${truthMatv}`,
    );
  }
  // Lesion masks: every lesion has ≥ 1 voxel on every scan.
  for (const st of truth.scans)
    for (const [id, n] of Object.entries(truth.scanImages[st.scanId]!.lesionVoxelCount))
      assert.ok(n >= 1, `${st.scanId} ${id}`);
  // No direct identifiers in the tables or truth: no name/birth-date columns or DICOM keywords.
  for (const f of walk(dir).filter((x) => /\.(csv|json)$/.test(x))) {
    const text = readFileSync(f, 'utf8');
    assert.ok(!/PatientName|BirthDate|birth_date|patient_name/i.test(text), relative(dir, f));
  }
});

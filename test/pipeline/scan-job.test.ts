/**
 * The scan job (src/pipeline/scan-job.ts) without a database: study.json `quantification` is validated
 * with errors naming study.json, the field and the value; the settings change the job key and the
 * numbers (organ erosion shrinks organ VOIs only, the EARL filter smooths the SUV image); the recorded
 * paths are relative to the bundle, so a bundle moved to another root quantifies identically, and a
 * recorded path that climbs out of the root is refused.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { readBundle } from '../../src/study/bundle.js';
import { readStudyJson } from '../../src/study/study-json.js';
import { runScanJob, scanJobsOf, type ScanJobSpec } from '../../src/pipeline/scan-job.js';
import { droBundle } from '../helpers/bundles.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-scanjob-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Sets study.json `quantification` of bundle `b` (undefined: removes it). */
function setQuantification(b: string, q: unknown): void {
  const j = JSON.parse(readFileSync(join(b, 'study.json'), 'utf8')) as Record<string, unknown>;
  delete j['quantification'];
  writeFileSync(join(b, 'study.json'), JSON.stringify(q === undefined ? j : { ...j, quantification: q }));
}

test('study.json quantification: bad values are errors naming study.json, the field and the value', () => {
  const b = droBundle(join(dir, 'bad'));
  const cases: [unknown, string, unknown][] = [
    [{ earlFilter: 'EARL3' }, 'quantification.earlFilter', 'EARL3'],
    [{ organErosionMm: -1 }, 'quantification.organErosionMm', -1],
    [{ organErosionMm: 80 }, 'quantification.organErosionMm', 80],
    [{ organErosionMm: '4' }, 'quantification.organErosionMm', '4'],
  ];
  for (const [q, field, value] of cases) {
    setQuantification(b, q);
    assert.throws(
      () => readStudyJson(b),
      (e: unknown) =>
        e instanceof InputError &&
        e.location.file === join(b, 'study.json') &&
        e.location.field === field &&
        e.location.value === value &&
        e.message.includes(field),
      JSON.stringify(q),
    );
  }
  setQuantification(b, { organErosionMm: 4 });
  assert.deepEqual(readStudyJson(b).settings['quantification'], { earlFilter: 'none', organErosionMm: 4 });
});

test('the settings enter the job key and the numbers: erosion shrinks organs only, EARL2→EARL1 smooths', async () => {
  const b = droBundle(join(dir, 'organ'));
  // The DRO's mask label as an organ VOI and as a lesion VOI (two VOIs on the same label).
  writeFileSync(
    join(b, 'vois.csv'),
    'scan_id,kind,label,lesion_id,site,irradiated,mask_path,mask_label\n' +
      'S1,lesion,L1,L1,nodal,no,mask.nii.gz,1\nS1,organ,liver,,,,mask.nii.gz,1\n',
  );
  const run = async (
    q: unknown,
  ): Promise<{ key: string; m: Map<string, { voxelCount: number; suvMean: number }> }> => {
    setQuantification(b, q);
    const [job] = scanJobsOf(readBundle(b));
    const r = await runScanJob(job!.spec, b);
    return {
      key: job!.key,
      m: new Map(r.metrics.map(([id, m]) => [id.endsWith('L1') ? 'lesion' : 'organ', m])),
    };
  };
  const plain = await run(undefined);
  const eroded = await run({ organErosionMm: 6 });
  const earl = await run({ earlFilter: 'EARL2→EARL1' });
  assert.equal((await run({ earlFilter: 'none', organErosionMm: 0 })).key, plain.key, 'defaults = absent');
  assert.equal(new Set([plain.key, eroded.key, earl.key]).size, 3, 'each setting changes the key');
  const p = plain.m;
  assert.equal(p.get('organ')!.voxelCount, p.get('lesion')!.voxelCount);
  assert.ok(eroded.m.get('organ')!.voxelCount < p.get('organ')!.voxelCount, 'the organ is eroded');
  assert.deepEqual(eroded.m.get('lesion'), p.get('lesion'), 'the lesion is not');
  assert.notEqual(earl.m.get('lesion')!.suvMean, p.get('lesion')!.suvMean, 'the filter blurs the edges');
  assert.equal(earl.m.get('lesion')!.voxelCount, p.get('lesion')!.voxelCount);
});

test('a bundle moved to another data root quantifies identically; a path leaving the root is refused', async () => {
  const a = droBundle(join(dir, 'at-submit'));
  const [job] = scanJobsOf(readBundle(a));
  const spec = job!.spec;
  assert.equal(spec.scan.path, 'pt', 'recorded relative to the bundle');
  assert.equal(spec.vois[0]!.maskPath, 'mask.nii.gz');
  const before = await runScanJob(spec, a);
  const moved = join(dir, 'mount', 'trial');
  cpSync(a, moved, { recursive: true });
  rmSync(a, { recursive: true });
  const after = await runScanJob(spec, moved);
  assert.deepStrictEqual(after.metrics, before.metrics);
  const escaping: ScanJobSpec = { ...spec, scan: { ...spec.scan, path: '../trial/pt' } };
  await assert.rejects(
    runScanJob(escaping, moved),
    (e: unknown) =>
      e instanceof InputError && e.location.field === 'scans.csv path' && e.location.value === '../trial/pt',
  );
});

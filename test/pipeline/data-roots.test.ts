/**
 * `dataRoots` reach the image readers of the pipeline: an NRRD label map inside the bundle whose
 * detached `data file:` lies in a folder that study.json declares as a data root is read, and gives the
 * same VOI metrics as the NIfTI mask it was made from; the same header without the declaration is
 * refused, naming the header and `data file` (docs/study-bundle.md, Paths).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { droBundle } from '../helpers/bundles.js';
import { readLabelMap } from '../../src/io/imaging-inputs.js';
import { importBundle } from '../../src/pipeline/run.js';
import { InputError } from '../../src/errors.js';
import { loadStudy, openStudyStore } from '../../src/study/store.js';

/** Writes `labels` as an NRRD header at `headerFile` with raw int32 data in `dataFile` (relative path). */
function writeDetachedNrrd(headerFile: string, dataAbs: string, dataRel: string, labelsFile: string): void {
  const v = readLabelMap(labelsFile);
  const ints = Int32Array.from(v.data, (x) => x);
  writeFileSync(dataAbs, Buffer.from(ints.buffer));
  const axis = (c: number): string =>
    `(${[0, 1, 2].map((r) => v.spacingMm[c]! * v.direction[3 * c + r]!).join(',')})`;
  writeFileSync(
    headerFile,
    [
      'NRRD0004',
      'type: int32',
      'dimension: 3',
      'space: left-posterior-superior',
      `sizes: ${v.size.join(' ')}`,
      `space directions: ${axis(0)} ${axis(1)} ${axis(2)}`,
      `space origin: (${v.originLps.join(',')})`,
      'endian: little',
      'encoding: raw',
      `data file: ${dataRel}`,
      '',
    ].join('\n'),
  );
}

/** The stored VOI rows of the study (metrics), without the mask path that differs on purpose. */
async function storedVois(dbFile: string, name: string): Promise<unknown[]> {
  const db = await openStudyStore(dbFile);
  try {
    return (await loadStudy(db, name)).vois.map((v) => {
      const { maskPath: _m, ...rest } = v as unknown as Record<string, unknown>;
      return rest;
    });
  } finally {
    await db.destroy();
  }
}

test('an NRRD mask whose data file lies in a declared data root is read; undeclared it is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-dataroots-'));
  try {
    const bundle = droBundle(dir);
    const store = join(dir, 'store');
    mkdirSync(store);
    writeDetachedNrrd(
      join(bundle, 'mask.nrrd'),
      join(store, 'mask.raw'),
      '../store/mask.raw',
      join(bundle, 'mask.nii.gz'),
    );

    // Reference: the NIfTI mask.
    const ref = await importBundle(bundle, join(dir, 'ref.sqlite'));
    const refVois = await storedVois(join(dir, 'ref.sqlite'), ref.studyName);
    assert.equal(refVois.length, 1);

    writeFileSync(
      join(bundle, 'vois.csv'),
      'scan_id,kind,label,lesion_id,site,irradiated,mask_path,mask_label\nS1,lesion,L1,L1,nodal,no,mask.nrrd,1\n',
    );
    // Not declared: the header's data file points out of the bundle.
    await assert.rejects(importBundle(bundle, join(dir, 'refused.sqlite')), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /mask\.nrrd/);
      assert.match(e.message, /data file/);
      return true;
    });

    // Declared: read, with the NIfTI mask's metrics.
    const study = JSON.parse(readFileSync(join(bundle, 'study.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(bundle, 'study.json'), JSON.stringify({ ...study, dataRoots: ['../store'] }));
    const got = await importBundle(bundle, join(dir, 'nrrd.sqlite'));
    assert.deepEqual(await storedVois(join(dir, 'nrrd.sqlite'), got.studyName), refVois);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

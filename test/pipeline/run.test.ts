// The main job end to end: `carto run` on the real STS_001 bundle, transactional and idempotent
// imports, bad input leaving the database byte-for-byte unchanged, and no direct identifiers in the
// database or the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { importBundle, runStudy } from '../../src/pipeline/run.js';
import { readNifti } from '../../src/io/nifti.js';
import { voiStatistics } from '../../src/imaging/voi-stats.js';
import { InputError } from '../../src/errors.js';
import { projectRoot, sharedData } from '../helpers/shared-data.js';
import { droBundle } from '../helpers/bundles.js';

const example = join(projectRoot, 'examples', 'sts-001');

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

interface ResultsJson {
  sections: Record<string, { status: string; reason?: string; results: Record<string, unknown> }>;
}

test('carto run on the real STS_001 bundle writes a report with the lesion metrics and its MIP', async () => {
  sharedData('imaging', 'sts-001-pet');
  const dir = tmp('carto-run-');
  try {
    const out = join(dir, 'report');
    const r = await runStudy(example, out, join(dir, 'db.sqlite'));
    assert.equal(r.status, 'written');
    for (const f of ['index.html', 'results.json', 'tables/voi-metrics.csv', 'figures/mip.svg']) {
      assert.ok(existsSync(join(out, f)), `${f} written`);
    }
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsJson;
    const vois = results.sections['quantification']!.results['vois'] as Record<string, number | string>[];
    assert.equal(vois.length, 1);
    const v = vois[0]!;
    assert.equal(v['label'], 'GTV_Mass_PET');

    // Independent path: the NIfTI image + NIfTI mask of the same scan (IBSI conversion by MIRP).
    const img = readNifti(
      sharedData('imaging', 'sts-001-pet', 'nifti', 'STS_001', 'PET_image.nii.gz'),
    ).volume;
    const mask = readNifti(
      sharedData('imaging', 'sts-001-pet', 'nifti', 'STS_001', 'PET_mask.nii.gz'),
    ).volume;
    const suv = { ...img, data: Float32Array.from(img.data) };
    const m = new Uint8Array(mask.data.length);
    for (let i = 0; i < m.length; i++) m[i] = mask.data[i]! > 0 ? 1 : 0;
    const ref = voiStatistics(suv, m);
    // SUVmax equal (same voxels; float32 storage in both paths), SUVmean within 1 % (contour
    // rasterisation and the MIRP voxelisation may differ at the boundary).
    assert.ok(
      Math.abs((v['suvMax'] as number) - ref.suvMax) <= 1e-4 * ref.suvMax,
      `SUVmax ${v['suvMax']} vs ${ref.suvMax}`,
    );
    assert.ok(
      Math.abs((v['suvMean'] as number) - ref.suvMean) <= 0.01 * ref.suvMean,
      `SUVmean ${v['suvMean']} vs ${ref.suvMean}`,
    );
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(html, /GTV_Mass_PET/);
    assert.match(html, /data:image\/png;base64,/);
    assert.ok(!/<script/i.test(html), 'the report has no scripts (self-contained, static)');
    assert.ok(!/(src|href)="https?:/i.test(html), 'the report loads nothing from the network');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('importing the same bundle twice changes nothing, byte for byte', async () => {
  const dir = tmp('carto-idem-');
  try {
    const b = droBundle(dir);
    const db = join(dir, 'db.sqlite');
    const first = await importBundle(b, db);
    assert.equal(first.status, 'written');
    const bytes = readFileSync(db);
    const second = await importBundle(b, db);
    assert.equal(second.status, 'unchanged');
    assert.ok(readFileSync(db).equals(bytes), 'database file unchanged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: a clear error naming file and field, and the database byte-for-byte unchanged', async () => {
  const dir = tmp('carto-bad-');
  try {
    const good = droBundle(join(dir, 'good'));
    const db = join(dir, 'db.sqlite');
    await importBundle(good, db);
    const before = readFileSync(db);
    const cases: { name: string; make: (d: string) => string; expect: RegExp }[] = [
      {
        name: 'truncated DICOM',
        make: (d) => {
          const b = droBundle(d);
          const f = join(b, 'pt', readdirSync(join(b, 'pt')).sort()[3]!);
          truncateSync(f, Math.floor(statSync(f).size / 2));
          return b;
        },
        expect: /pet_dro_0_0_slice_003\.dcm/,
      },
      {
        name: 'missing PatientWeight',
        make: (d) => droBundle(d, (ds) => delete ds['PatientWeight']),
        expect: /PatientWeight/,
      },
      {
        name: 'missing dose',
        make: (d) =>
          droBundle(d, (ds) => {
            const seq = ds['RadiopharmaceuticalInformationSequence'] as
              Record<string, unknown>[] | Record<string, unknown>;
            const item = Array.isArray(seq) ? seq[0]! : seq;
            delete item['RadionuclideTotalDose'];
          }),
        expect: /RadionuclideTotalDose/,
      },
      {
        name: 'missing injection time',
        make: (d) =>
          droBundle(d, (ds) => {
            const seq = ds['RadiopharmaceuticalInformationSequence'] as
              Record<string, unknown>[] | Record<string, unknown>;
            const item = Array.isArray(seq) ? seq[0]! : seq;
            delete item['RadiopharmaceuticalStartTime'];
            delete item['RadiopharmaceuticalStartDateTime'];
          }),
        expect: /RadiopharmaceuticalStart(Date)?Time/,
      },
      {
        name: 'a mask on another grid',
        make: (d) => {
          const b = droBundle(d);
          // The STS_001 mask: another grid entirely.
          cpSync(
            sharedData('imaging', 'sts-001-pet', 'nifti', 'STS_001', 'PET_mask.nii.gz'),
            join(b, 'mask.nii.gz'),
          );
          return b;
        },
        expect: /mask\.nii\.gz.*grid/,
      },
      {
        name: 'a CSV row naming an unknown patient',
        make: (d) => {
          const b = droBundle(d);
          writeFileSync(join(b, 'toxicity.csv'), 'patient_id,crs_grade,icans_grade\nP99,0,0\n');
          return b;
        },
        expect: /toxicity\.csv, row 1, field patient_id: unknown patient/,
      },
      {
        name: 'a non-numeric weight',
        make: (d) => {
          const b = droBundle(d);
          writeFileSync(
            join(b, 'patients.csv'),
            'patient_id,cohort,age,sex,weight_kg,histology,bridging\nP01,1,60,F,seventy,DLBCL,none\n',
          );
          return b;
        },
        expect: /patients\.csv, row 1, field weight_kg: not a number/,
      },
    ];
    for (const c of cases) {
      const b = c.make(join(dir, c.name.replace(/\W+/g, '-')));
      await assert.rejects(
        importBundle(b, db),
        (e: unknown) => e instanceof InputError && c.expect.test(e.message),
        c.name,
      );
      assert.ok(readFileSync(db).equals(before), `${c.name}: database unchanged`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI exits non-zero with the error on stderr for bad input', () => {
  const dir = tmp('carto-cli-');
  try {
    const b = droBundle(dir);
    writeFileSync(join(b, 'toxicity.csv'), 'patient_id,crs_grade,icans_grade\nP99,0,0\n');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(projectRoot, 'src', 'cli', 'main.ts'),
        'run',
        b,
        '--out',
        join(dir, 'r'),
        '--db',
        join(dir, 'db.sqlite'),
      ],
      {
        encoding: 'utf8',
        cwd: projectRoot,
      },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /toxicity\.csv, row 1, field patient_id: unknown patient/);
    assert.ok(!existsSync(join(dir, 'r')), 'no report written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no direct identifiers from DICOM headers reach the database or the report', async () => {
  const dir = tmp('carto-ids-');
  try {
    const secrets = { name: 'Doe^Jane^Confidential', id: 'MRN-8842-XQZ', birth: '19471103' };
    const b = droBundle(dir, (ds) => {
      ds['PatientName'] = secrets.name;
      ds['PatientID'] = secrets.id;
      ds['PatientBirthDate'] = secrets.birth;
    });
    const db = join(dir, 'db.sqlite');
    const out = join(dir, 'report');
    await runStudy(b, out, db);
    const files = [db];
    const walk = (p: string): void => {
      for (const e of readdirSync(p, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(p, e.name));
        else files.push(join(p, e.name));
      }
    };
    walk(out);
    for (const f of files) {
      const text = readFileSync(f).toString('latin1');
      for (const s of [secrets.name, 'Confidential', secrets.id, secrets.birth]) {
        assert.ok(!text.includes(s), `${s} found in ${f}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

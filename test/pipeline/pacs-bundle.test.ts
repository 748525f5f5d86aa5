/**
 * The same study quantified from Orthanc over DICOMweb gives the same metrics as from its folder: a
 * small simulated trial is stored in a throw-away Orthanc (STOW-RS), and a copy of its bundle whose
 * scans.csv names every series as `dicomweb:<study>/<series>` (masks stay files) is imported; every VOI
 * metric and every scan's SUV provenance is bit-identical to the import of the folder bundle. `carto
 * run --pacs` overrides study.json `pacs.url`; an unreachable server, an unknown series and a non-PET
 * series stop the import with an error naming scans.csv, the row, `path` and the URL, and leave the
 * store unchanged.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulatedBundle } from '../../src/cli/simulated-bundle.js';
import { storeInstances, type DicomwebSeries } from '../../src/io/dicomweb.js';
import { importBundle } from '../../src/pipeline/run.js';
import { loadStudy, openStudyStore } from '../../src/study/store.js';
import { register } from '../../src/cli/commands/run.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { copySeriesEdited } from '../helpers/dicom-edit.js';
import { freePort } from '../helpers/free-port.js';
import { seriesUidsOf, startOrthanc, type OrthancServer } from '../helpers/orthanc.js';

let work: string;
let pacs: OrthancServer;
let folderBundle: string;
/** scans.csv lines of the folder bundle (header first). */
let scanLines: string[];
/** UIDs of each scan's series, by scan_id. */
const uids = new Map<string, DicomwebSeries>();
/** A PET series relabelled CT on the server. */
let ctRef: string;

const ref = (u: DicomwebSeries): string => `dicomweb:${u.studyInstanceUid}/${u.seriesInstanceUid}`;

/**
 * A copy of the folder bundle without its images, whose scans.csv names the series on the PACS
 * (`replace` changes single rows' paths) and whose study.json names `pacsUrl`.
 */
function pacsBundle(name: string, pacsUrl: string | null, replace: Record<number, string> = {}): string {
  const b = join(work, name);
  cpSync(folderBundle, b, {
    recursive: true,
    filter: (src) => !src.startsWith(join(folderBundle, 'images')),
  });
  const header = scanLines[0]!.split(',');
  const pathCol = header.indexOf('path');
  const rows = scanLines.slice(1).map((line, i) => {
    const cells = line.split(',');
    cells[pathCol] = replace[i + 1] ?? ref(uids.get(cells[0]!)!);
    return cells.join(',');
  });
  writeFileSync(join(b, 'scans.csv'), `${[scanLines[0], ...rows].join('\n')}\n`);
  const study = JSON.parse(readFileSync(join(b, 'study.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    join(b, 'study.json'),
    JSON.stringify(pacsUrl ? { ...study, pacs: { url: pacsUrl } } : study),
  );
  return b;
}

/** The stored study: VOIs (without the mask path, which differs between bundles) and scans (without path). */
async function stored(dbFile: string): Promise<{ vois: unknown[]; scans: unknown[]; paths: string[] }> {
  const db = await openStudyStore(dbFile);
  try {
    const name = (await db.selectFrom('study').select('name').executeTakeFirstOrThrow()).name;
    const s = await loadStudy(db, name);
    const scanRows = await db.selectFrom('scan').selectAll().orderBy('scan_id').execute();
    return {
      vois: s.vois.map((v) => {
        const { maskPath: _m, ...rest } = v as unknown as Record<string, unknown>;
        return rest;
      }),
      scans: scanRows.map(({ path: _p, study_id: _s, ...rest }) => rest),
      paths: scanRows.map((r) => r.path),
    };
  } finally {
    await db.destroy();
  }
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'carto-pacs-bundle-'));
  pacs = await startOrthanc();
  folderBundle = join(work, 'folder');
  await writeSimulatedBundle(folderBundle, { seed: 4, patients: 3, voxelMm: 12 });
  scanLines = readFileSync(join(folderBundle, 'scans.csv'), 'utf8').trim().split('\n');
  const at = { field: 'test' };
  for (const line of scanLines.slice(1)) {
    const scanId = line.split(',')[0]!;
    const dir = join(folderBundle, 'images', scanId);
    uids.set(scanId, await seriesUidsOf(dir));
    const files = readdirSync(dir).map((f) => new Uint8Array(readFileSync(join(dir, f))));
    await storeInstances(pacs.dicomweb, files, at);
  }
  const first = scanLines[1]!.split(',')[0]!;
  const ct = join(work, 'ct');
  const u = uids.get(first)!;
  const ctSeries = `${u.seriesInstanceUid}.9`;
  copySeriesEdited(join(folderBundle, 'images', first), ct, (ds, i) => {
    ds['Modality'] = 'CT';
    ds['SeriesInstanceUID'] = ctSeries;
    ds['SOPInstanceUID'] = `${ctSeries}.${i + 1}`;
  });
  await storeInstances(
    pacs.dicomweb,
    readdirSync(ct).map((f) => new Uint8Array(readFileSync(join(ct, f)))),
    at,
  );
  ctRef = ref({ studyInstanceUid: u.studyInstanceUid, seriesInstanceUid: ctSeries });
});

after(() => {
  pacs?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the same study quantified from Orthanc over DICOMweb gives the same metrics as from its folder', async () => {
  const fromFolder = join(work, 'folder.sqlite');
  const fromPacs = join(work, 'pacs.sqlite');
  const b = pacsBundle('pacs', pacs.dicomweb);
  const a = await importBundle(folderBundle, fromFolder);
  const p = await importBundle(b, fromPacs);
  assert.equal(p.status, 'written');
  assert.deepEqual([p.scans, p.vois], [a.scans, a.vois]);
  const x = await stored(fromFolder);
  const y = await stored(fromPacs);
  assert.ok(x.vois.length > 50, `${x.vois.length} VOIs`);
  assert.deepEqual(y.vois, x.vois); // every metric, bit for bit
  assert.deepEqual(y.scans, x.scans); // SUV units, decay correction, SUV type, grid
  assert.deepEqual(
    y.paths,
    [...uids.entries()].sort(([s], [t]) => (s < t ? -1 : 1)).map(([, u]) => ref(u)),
  );
  // Unchanged content (same scans.csv UIDs): the second import quantifies nothing.
  assert.equal((await importBundle(b, fromPacs)).status, 'unchanged');
});

test('carto run --pacs overrides study.json pacs.url; without it the unreachable server is named', async () => {
  const dead = `http://127.0.0.1:${await freePort()}/dicom-web`;
  const b = pacsBundle('dead-url', dead);
  const db = join(work, 'run.sqlite');
  const failed = await runInProcess(register, ['run', b, '--out', join(work, 'report-failed'), '--db', db]);
  assert.equal(failed.code, 2);
  const firstRef = ref(uids.get(scanLines[1]!.split(',')[0]!)!);
  const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  assert.match(
    failed.err,
    new RegExp(
      `^${esc(join(b, 'scans.csv'))}, row 1, field path: cannot reach the DICOMweb server: no answer to a ` +
        `QIDO-RS series search from ${esc(dead)}/series\\?\\S+ \\(server down, wrong host or port, or timed out\\) ` +
        `\\(value: "${esc(firstRef)}"\\)$`,
    ),
  );
  assert.ok(!existsSync(join(work, 'report-failed')), 'no report on error');
  const before = readFileSync(db);
  const ok = await runInProcess(register, [
    'run',
    b,
    '--out',
    join(work, 'report'),
    '--db',
    db,
    '--pacs',
    pacs.dicomweb,
    '--json',
  ]);
  assert.equal(ok.code, 0, ok.err);
  assert.equal((JSON.parse(ok.out) as { status: string }).status, 'written');
  assert.ok(existsSync(join(work, 'report', 'index.html')));
  assert.notDeepEqual(readFileSync(db), before);
});

test('an unknown series or a non-PET series stops carto import naming scans.csv, the row, path and the server', async () => {
  const db = join(work, 'import.sqlite');
  await importBundle(folderBundle, db);
  const before = readFileSync(db);
  const unknown = `dicomweb:${uids.values().next().value!.studyInstanceUid}/1.2.3.999`;
  for (const [row, value, message] of [
    [2, unknown, `series not found on the DICOMweb server ${pacs.dicomweb} (no series 1.2.3.999 in study`],
    [1, ctRef, `not a PET series: the DICOMweb server ${pacs.dicomweb} lists it with Modality CT`],
  ] as const) {
    const b = pacsBundle(`bad-${row}`, null, { [row]: value });
    const r = await runInProcess(register, ['import', b, '--db', db, '--pacs', pacs.dicomweb]);
    assert.equal(r.code, 2);
    assert.ok(r.err.startsWith(`${join(b, 'scans.csv')}, row ${row}, field path: ${message}`), r.err);
    assert.ok(r.err.endsWith(`(value: "${value}")`), r.err);
    assert.deepEqual(readFileSync(db), before, 'the store is unchanged');
  }
});

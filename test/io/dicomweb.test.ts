/**
 * DICOMweb against a real Orthanc (test/helpers/orthanc.ts): the simulated series of a small virtual
 * trial are stored by STOW-RS (`carto pacs store`), found by QIDO-RS (`carto pacs list`, with the
 * Modality filter and without identifying attributes), and fetched by WADO-RS into the same SUV volume
 * as from their folder; an unreachable server, an unknown series and a non-PET series are InputErrors
 * naming where the reference was written and the URL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { register } from '../../src/cli/commands/pacs.js';
import { loadPetSuv } from '../../src/io/dicom/load-pet-suv.js';
import {
  loadPetSuvFromPacs,
  parseDicomwebRef,
  parsePacsUrl,
  type DicomwebSeries,
  type PacsSeries,
} from '../../src/io/dicomweb.js';
import { writeSimulatedBundle } from '../../src/cli/simulated-bundle.js';
import { copySeriesEdited } from '../helpers/dicom-edit.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { freePort } from '../helpers/free-port.js';
import { seriesUidsOf, startOrthanc, type OrthancServer } from '../helpers/orthanc.js';

let work: string;
let pacs: OrthancServer;
/** Series folder of each simulated scan, and its UIDs. */
const series = new Map<string, { dir: string; uids: DicomwebSeries; files: number }>();
/** A copy of one PET series relabelled as CT (with an identifying PatientName that must not leak). */
let ctUids: DicomwebSeries;
let ctDir: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'carto-dicomweb-'));
  pacs = await startOrthanc();
  const bundle = join(work, 'bundle');
  await writeSimulatedBundle(bundle, { seed: 3, patients: 3, voxelMm: 12 });
  for (const scan of readdirSync(join(bundle, 'images')).sort()) {
    const dir = join(bundle, 'images', scan);
    series.set(scan, { dir, uids: await seriesUidsOf(dir), files: readdirSync(dir).length });
  }
  ctDir = join(work, 'ct');
  const first = [...series.values()][0]!;
  const ctSeries = `${first.uids.seriesInstanceUid}.9`;
  copySeriesEdited(first.dir, ctDir, (ds, i) => {
    ds['Modality'] = 'CT';
    ds['SeriesInstanceUID'] = ctSeries;
    ds['SOPInstanceUID'] = `${ctSeries}.${i + 1}`;
    ds['PatientName'] = 'Doe^Jane';
  });
  ctUids = { studyInstanceUid: first.uids.studyInstanceUid, seriesInstanceUid: ctSeries };
});

after(() => {
  pacs?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('carto pacs store sends every instance of the series folders by STOW-RS', async () => {
  const dirs = [...[...series.values()].map((s) => s.dir), ctDir];
  const r = await runInProcess(register, ['pacs', 'store', ...dirs, '--pacs', `${pacs.dicomweb}/`, '--json']);
  assert.equal(r.code, 0, r.err);
  const total = [...series.values()].reduce((n, s) => n + s.files, 0) + readdirSync(ctDir).length;
  assert.deepEqual(JSON.parse(r.out), { pacs: pacs.dicomweb, files: total, stored: total });
});

test('carto pacs list --modality PT finds exactly the PET series, with UIDs, patient and instance count', async () => {
  const r = await runInProcess(register, [
    'pacs',
    'list',
    '--pacs',
    pacs.dicomweb,
    '--modality',
    'pt',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const listed = (JSON.parse(r.out) as { series: PacsSeries[] }).series;
  const expected = [...series.entries()].map(([scan, s]) => ({
    ...s.uids,
    patientId: scan.replace(/-[^-]+$/, ''),
    modality: 'PT',
    instances: s.files,
  }));
  const got = listed.map((s) => ({
    studyInstanceUid: s.studyInstanceUid,
    seriesInstanceUid: s.seriesInstanceUid,
    patientId: s.patientId,
    modality: s.modality,
    instances: s.instances,
  }));
  const key = (s: { seriesInstanceUid: string }): string => s.seriesInstanceUid;
  assert.deepEqual(
    [...got].sort((a, b) => key(a).localeCompare(key(b))),
    [...expected].sort((a, b) => key(a).localeCompare(key(b))),
  );
  for (const s of listed) {
    assert.match(s.studyDate ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.match(s.seriesDescription ?? '', /PET/);
  }
});

test('carto pacs list without a filter shows the CT series too, and never a patient name', async () => {
  const json = await runInProcess(register, ['pacs', 'list', '--pacs', pacs.dicomweb, '--json']);
  assert.equal(json.code, 0, json.err);
  const listed = (JSON.parse(json.out) as { series: PacsSeries[] }).series;
  assert.equal(listed.length, series.size + 1);
  assert.equal(listed.find((s) => s.seriesInstanceUid === ctUids.seriesInstanceUid)?.modality, 'CT');
  const text = await runInProcess(register, ['pacs', 'list', '--pacs', pacs.dicomweb]);
  assert.equal(text.code, 0, text.err);
  for (const s of series.values()) {
    assert.ok(text.out.includes(`dicomweb:${s.uids.studyInstanceUid}/${s.uids.seriesInstanceUid}`));
  }
  assert.match(text.out, new RegExp(`${series.size + 1} series\\n$`));
  for (const out of [json.out, text.out]) assert.doesNotMatch(out, /Doe|Jane|PatientName/);
});

test('a series fetched by WADO-RS gives the bit-identical SUV volume of its folder', async () => {
  for (const s of [...series.values()].slice(0, 2)) {
    const at = { file: 'scans.csv', row: 1, field: 'path', value: 'dicomweb:…' };
    const fromPacs = await loadPetSuvFromPacs(pacs.dicomweb, s.uids, {}, at);
    const fromFolder = await loadPetSuv(s.dir);
    const bytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    assert.equal(Buffer.compare(bytes(fromPacs.volume.data), bytes(fromFolder.volume.data)), 0);
    const { data: _a, ...gridPacs } = fromPacs.volume;
    const { data: _b, ...gridFolder } = fromFolder.volume;
    assert.deepEqual(gridPacs, gridFolder);
    assert.deepEqual(fromPacs.factors, fromFolder.factors);
    assert.deepEqual(fromPacs.meta, fromFolder.meta);
  }
});

/** Where a reference was written, as the bundle reader passes it. */
const AT = { file: '/b/scans.csv', row: 3, field: 'path', value: 'dicomweb:1.2/3.4' };
const NAMES_AT = /^\/b\/scans\.csv, row 3, field path: .*\(value: "dicomweb:1\.2\/3\.4"\)$/;

test('an unknown series is an InputError naming the row and the server', async () => {
  const unknown = { studyInstanceUid: ctUids.studyInstanceUid, seriesInstanceUid: '1.2.3.4.5' };
  await assert.rejects(loadPetSuvFromPacs(pacs.dicomweb, unknown, {}, AT), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, NAMES_AT);
    assert.ok(e.message.includes(`series not found on the DICOMweb server ${pacs.dicomweb}`), e.message);
    return true;
  });
});

test('a series that is not PET is refused, naming the row, the server and the Modality', async () => {
  await assert.rejects(loadPetSuvFromPacs(pacs.dicomweb, ctUids, {}, AT), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, NAMES_AT);
    assert.ok(
      e.message.includes(`not a PET series: the DICOMweb server ${pacs.dicomweb} lists it with Modality CT`),
    );
    return true;
  });
});

test('an unreachable server is an InputError naming the row and the URL', async () => {
  const dead = `http://127.0.0.1:${await freePort()}/dicom-web`;
  await assert.rejects(loadPetSuvFromPacs(dead, ctUids, {}, AT), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, NAMES_AT);
    assert.ok(
      e.message.includes(
        `cannot reach the DICOMweb server: no answer to a QIDO-RS series search from ${dead}/series?`,
      ),
    );
    return true;
  });
  const r = await runInProcess(register, ['pacs', 'list', '--pacs', dead]);
  assert.equal(r.code, 2);
  assert.match(
    r.err,
    /^option --pacs: cannot reach the DICOMweb server: .*\(value: "http:\/\/127\.0\.0\.1:\d+\/dicom-web"\)$/,
  );
});

test('a URL that is not a DICOMweb root answers no DICOM JSON or an HTTP error: InputError naming --pacs', async () => {
  const notRoot = await runInProcess(register, ['pacs', 'list', '--pacs', `${pacs.url}/system`]);
  assert.equal(notRoot.code, 2);
  assert.match(
    notRoot.err,
    /^option --pacs: the DICOMweb server answered HTTP 404 to a QIDO-RS series search/,
  );
});

test('--pacs must be an http(s) URL without query or credentials; --modality a Modality code', async () => {
  for (const [url, why] of [
    ['ftp://pacs/dicom-web', 'must be an http:// or https:// URL'],
    ['pacs:8042', 'must be an http:// or https:// URL'],
    ['http://pacs/dicom-web?x=1', 'must not hold a query or fragment'],
    ['http://me:secret@pacs/dicom-web', 'must not hold a user name or password'],
    ['not a url', 'not a URL'],
  ] as const) {
    const r = await runInProcess(register, ['pacs', 'list', '--pacs', url]);
    assert.equal(r.code, 2, url);
    assert.equal(r.err, `option --pacs: DICOMweb server URL ${why} (value: ${JSON.stringify(url)})`);
  }
  const m = await runInProcess(register, ['pacs', 'list', '--pacs', pacs.dicomweb, '--modality', 'P T']);
  assert.equal(m.code, 2);
  assert.equal(m.err, 'option --modality: must be a DICOM Modality code such as PT or CT (value: "P T")');
  assert.equal(parsePacsUrl('https://pacs.example/dicom-web//', {}), 'https://pacs.example/dicom-web');
});

test('carto pacs store refuses a file that is not DICOM Part-10, naming it', async () => {
  const dir = join(work, 'not-dicom');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
  const r = await runInProcess(register, ['pacs', 'store', dir, '--pacs', pacs.dicomweb]);
  assert.equal(r.code, 2);
  assert.equal(
    r.err,
    `${join(dir, 'notes.txt')}: not a DICOM Part-10 file (no "DICM" after the 128-byte preamble)`,
  );
});

test('parseDicomwebRef: two DICOM UIDs after dicomweb:, else an error naming the place and value', () => {
  const at = { file: 'scans.csv', row: 2, field: 'path' };
  assert.deepEqual(parseDicomwebRef('dicomweb:1.2.840/2.25.7', at), {
    studyInstanceUid: '1.2.840',
    seriesInstanceUid: '2.25.7',
  });
  assert.throws(
    () => parseDicomwebRef('dicomweb:1.2.840', at),
    /^InputError: scans\.csv, row 2, field path: not a PACS series reference: expected dicomweb:<StudyInstanceUID>\/<SeriesInstanceUID> \(value: "dicomweb:1\.2\.840"\)$/,
  );
  assert.throws(() => parseDicomwebRef('dicomweb:1.2/3/4', at), /not a PACS series reference/);
  assert.throws(
    () => parseDicomwebRef('dicomweb:1.02/3', at),
    /field path: StudyInstanceUID "1\.02" is not a DICOM UID/,
  );
  assert.throws(
    () => parseDicomwebRef(`dicomweb:1.2/${'1.'.repeat(32)}1`, at),
    /SeriesInstanceUID "1\.1\.[0-9.]+" is not a DICOM UID \(digits and dots, at most 64 characters\)/,
  );
});

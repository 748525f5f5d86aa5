/**
 * Scans on a PACS in a study bundle, as the reader sees them (no server needed): scans.csv `path`
 * `dicomweb:<StudyInstanceUID>/<SeriesInstanceUID>` is kept as written with the UIDs and the server URL
 * (`--pacs` over study.json `pacs.url`); a bad reference, a dicomweb: scan that is not format dicom, a
 * bad `pacs` block, or no server at all are refused naming the file, row and field. The bundle's other
 * scans and masks stay files.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { droBundle } from '../helpers/bundles.js';
import { readBundle } from '../../src/study/bundle.js';
import { importBundle } from '../../src/pipeline/run.js';
import { InputError } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'carto-pacs-refs-'));
after(() => rmSync(work, { recursive: true, force: true }));

const REF = 'dicomweb:1.2.826.0.1.3680043.8.498.1/1.2.826.0.1.3680043.8.498.2';
let n = 0;

/** A DRO bundle whose scans.csv holds the folder scan S1 and the scan S2 with path `path`, format `format`. */
function bundle(path: string, format = 'dicom', study: Record<string, unknown> = {}): string {
  const b = droBundle(join(work, `case-${++n}`));
  writeFileSync(
    join(b, 'scans.csv'),
    `scan_id,patient_id,tracer,timepoint,day,path,format\nS1,P01,FDG,pre,-5,pt,dicom\nS2,P01,FDG,d7,7,${path},${format}\n`,
  );
  const p = join(b, 'study.json');
  writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), ...study }));
  return b;
}

function refused(f: () => unknown, message: string): void {
  assert.throws(f, (e: Error) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.message, message);
    return true;
  });
}

test('a dicomweb: scan keeps its reference, UIDs and the server of study.json; --pacs overrides it', () => {
  const b = bundle(REF, 'dicom', { pacs: { url: 'http://pacs.example:8042/dicom-web/' } });
  const read = readBundle(b);
  assert.equal(read.pacsUrl, 'http://pacs.example:8042/dicom-web');
  const [s1, s2] = read.scans;
  assert.equal(s1!.pacs, undefined);
  assert.equal(s1!.path, join(b, 'pt'));
  assert.equal(s2!.path, REF);
  assert.deepEqual(s2!.pacs, {
    studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
    seriesInstanceUid: '1.2.826.0.1.3680043.8.498.2',
    url: 'http://pacs.example:8042/dicom-web',
    at: { file: join(b, 'scans.csv'), row: 2, field: 'path', value: REF },
  });
  const over = readBundle(b, undefined, { pacsUrl: 'https://other.example/wado' });
  assert.equal(over.scans[1]!.pacs!.url, 'https://other.example/wado');
  assert.equal(over.pacsUrl, 'https://other.example/wado');
});

test('a malformed dicomweb: reference is refused naming scans.csv, the row and path', () => {
  const b = bundle('dicomweb:1.2.3', 'dicom', { pacs: { url: 'http://pacs/dicom-web' } });
  refused(
    () => readBundle(b),
    `${join(b, 'scans.csv')}, row 2, field path: not a PACS series reference: expected dicomweb:<StudyInstanceUID>/<SeriesInstanceUID> (value: "dicomweb:1.2.3")`,
  );
  const c = bundle('dicomweb:1.2.3/abc', 'dicom', { pacs: { url: 'http://pacs/dicom-web' } });
  refused(
    () => readBundle(c),
    `${join(c, 'scans.csv')}, row 2, field path: SeriesInstanceUID "abc" is not a DICOM UID (digits and dots, at most 64 characters); expected dicomweb:<StudyInstanceUID>/<SeriesInstanceUID> (value: "dicomweb:1.2.3/abc")`,
  );
});

test('a dicomweb: scan must be format dicom', () => {
  const b = bundle(REF, 'nifti-suv', { pacs: { url: 'http://pacs/dicom-web' } });
  refused(
    () => readBundle(b),
    `${join(b, 'scans.csv')}, row 2, field format: a dicomweb: scan is a DICOM series: format must be dicom (value: "nifti-suv")`,
  );
});

test('study.json pacs: url must be an http(s) URL, and the block is strict', () => {
  const b = bundle(REF, 'dicom', { pacs: { url: 'ftp://pacs/dicom-web' } });
  assert.throws(
    () => readBundle(b),
    (e: Error) =>
      e instanceof InputError &&
      e.message.startsWith(`${join(b, 'study.json')}, field pacs.url: `) &&
      e.message.includes('must be an http:// or https:// DICOMweb base URL') &&
      e.message.includes('ftp://pacs/dicom-web'),
  );
  const c = bundle(REF, 'dicom', { pacs: { url: 'http://pacs/dicom-web', user: 'me' } });
  refused(() => readBundle(c), `${join(c, 'study.json')}, field pacs: unknown key \`user\` (known: url)`);
});

test('a dicomweb: scan without any server is refused before anything is quantified or stored', async () => {
  const b = bundle(REF);
  assert.equal(readBundle(b).scans[1]!.pacs!.url, null); // reading alone (e.g. carto outcomes) needs no server
  const db = join(work, 'never.sqlite');
  await assert.rejects(importBundle(b, db), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.equal(
      e.message,
      `${join(b, 'scans.csv')}, row 2, field path: a dicomweb: scan needs a DICOMweb server: give study.json "pacs": {"url": …} or the --pacs URL option (value: "${REF}")`,
    );
    return true;
  });
  assert.throws(() => readFileSync(db), /ENOENT/);
});

/**
 * A throw-away Orthanc PACS with its DICOMweb plugin for tests: a generated configuration in a temporary
 * folder (storage and index there, HTTP on a free loopback port, no DICOM listener, no remote access,
 * no authentication), started as a child process, waited for on `/system`, and killed and deleted at the
 * end (also on process exit). Missing Orthanc or plugin is an error, never a skip (.ci/setup-system
 * installs the Debian packages `orthanc` and `orthanc-dicomweb`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDicomFile } from '../../src/io/dicom/parse.js';

/** A running Orthanc. */
export interface OrthancServer {
  /** Base URL of the REST API (http://127.0.0.1:PORT). */
  url: string;
  /** DICOMweb root (http://127.0.0.1:PORT/dicom-web). */
  dicomweb: string;
  stop(): void;
}

const ORTHANC_BINARIES = ['/usr/sbin/Orthanc', '/usr/bin/Orthanc'];
const DICOMWEB_PLUGINS = [
  '/usr/share/orthanc/plugins/libOrthancDicomWeb.so',
  '/usr/lib/orthanc/plugins/libOrthancDicomWeb.so',
];

function firstExisting(paths: string[], what: string): string {
  const p = paths.find((x) => existsSync(x));
  if (!p) {
    throw new Error(
      `${what} is missing (looked at ${paths.join(', ')}): install the Debian packages orthanc and ` +
        'orthanc-dicomweb (.ci/setup-system does this in CI)',
    );
  }
  return p;
}

/** Starts Orthanc with DICOMweb; call `stop()` when done (it is also killed when the process exits). */
export async function startOrthanc(): Promise<OrthancServer> {
  const bin = firstExisting(ORTHANC_BINARIES, 'Orthanc');
  const plugin = firstExisting(DICOMWEB_PLUGINS, 'the Orthanc DICOMweb plugin');
  const dir = mkdtempSync(join(tmpdir(), 'carto-orthanc-'));
  const port = await freePort();
  const config = {
    Name: 'carto-test',
    StorageDirectory: join(dir, 'db'),
    IndexDirectory: join(dir, 'db'),
    HttpPort: port,
    DicomServerEnabled: false,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    HttpCompressionEnabled: false,
    StorageCompression: false,
    Plugins: [plugin],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
  };
  const cfg = join(dir, 'orthanc.json');
  writeFileSync(cfg, JSON.stringify(config));
  const log = join(dir, 'orthanc.log');
  const out = openSync(log, 'w');
  const child: ChildProcess = spawn(bin, [cfg], { stdio: ['ignore', out, out] });
  child.unref();
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      const text = readFileSync(log, 'utf8');
      stop();
      throw new Error(`Orthanc exited with code ${child.exitCode}:\n${text}`);
    }
    try {
      const r = await fetch(`${url}/system`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const text = readFileSync(log, 'utf8');
      stop();
      throw new Error(`Orthanc did not answer on ${url}/system within 30 s:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, dicomweb: `${url}/dicom-web`, stop };
}

/** StudyInstanceUID and SeriesInstanceUID of the first file of a series folder. */
export async function seriesUidsOf(
  dir: string,
): Promise<{ studyInstanceUid: string; seriesInstanceUid: string }> {
  const first = readdirSync(dir).sort()[0]!;
  const ds = (await readDicomFile(join(dir, first))).dataset;
  return {
    studyInstanceUid: String(ds['StudyInstanceUID']),
    seriesInstanceUid: String(ds['SeriesInstanceUID']),
  };
}

/**
 * DICOMweb access to a PACS (DICOM PS3.18): QIDO-RS search for series (§10.6), WADO-RS retrieval of a
 * series' instances as Part-10 files (§10.4) and STOW-RS storage (§10.5), through the dicomweb-client
 * library (with xhr2 as Node's XMLHttpRequest, installed once on first use).
 *
 * A study bundle's scan may name a series on a PACS as `dicomweb:<StudyInstanceUID>/<SeriesInstanceUID>`
 * (docs/study-bundle.md, docs/pacs.md). Its instances go through the same reader as a series folder
 * (`parsePetImageBytes` → `assembleFrames` → `petSuvOfFrames`), so a series gives the same SUV volume
 * from the PACS as from its folder.
 *
 * Errors: an unreachable server, an HTTP error status, an answer that is not DICOMweb, an unknown
 * series or a series that is not PET are InputErrors naming where the URL or reference was given
 * (`at`: scans.csv, its row and `path`, or the `--pacs` option) with the URL in the message. Nothing
 * is retried, and nothing falls back to a folder.
 */
import type { api as DicomwebApi } from 'dicomweb-client';
import { InputError, type ErrorLocation } from '../errors.js';
import { assembleFrames } from './dicom/series.js';
import { parsePetImageBytes } from './dicom/parse.js';
import { petSuvOfFrames, type LoadPetSuvOptions, type PetSuv } from './dicom/load-pet-suv.js';

/** The scheme of a scan path that names a series on a PACS. */
export const DICOMWEB_SCHEME = 'dicomweb:';

/** One request may take this long before it counts as failed (a whole series is one request). */
const REQUEST_TIMEOUT_MS = 10 * 60 * 1000;

/** Instances per STOW-RS request (bounds the size of one request body). */
const STOW_BATCH = 50;

/** A series on a PACS, by its UIDs. */
export interface DicomwebSeries {
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

/** One series as QIDO-RS lists it (no PatientName or other identifying attributes are read). */
export interface PacsSeries {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** PatientID (0010,0020): the pseudonymous ID of the study. */
  patientId: string | null;
  /** StudyDate (0008,0020) as YYYY-MM-DD. */
  studyDate: string | null;
  /** Modality (0008,0060), e.g. PT, CT. */
  modality: string | null;
  /** SeriesDescription (0008,103E). */
  seriesDescription: string | null;
  /** NumberOfSeriesRelatedInstances (0020,1209). */
  instances: number | null;
}

/** True for a scan path naming a PACS series (`dicomweb:…`). */
export function isDicomwebRef(value: string): boolean {
  return value.startsWith(DICOMWEB_SCHEME);
}

/** A DICOM UID (PS3.5 §9.1): digits and dots, components without leading zeros, at most 64 characters. */
function isUid(s: string): boolean {
  return s.length > 0 && s.length <= 64 && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(s);
}

/**
 * Parses `dicomweb:<StudyInstanceUID>/<SeriesInstanceUID>`.
 * @param at where the value was written (file, row, field), named in errors
 * @throws InputError naming `at` and the value when the form is wrong or a UID is not a DICOM UID
 */
export function parseDicomwebRef(value: string, at: ErrorLocation): DicomwebSeries {
  const parts = value.slice(DICOMWEB_SCHEME.length).split('/');
  const form = `expected ${DICOMWEB_SCHEME}<StudyInstanceUID>/<SeriesInstanceUID>`;
  if (!isDicomwebRef(value) || parts.length !== 2) {
    throw new InputError(`not a PACS series reference: ${form}`, { ...at, value });
  }
  const [studyInstanceUid, seriesInstanceUid] = parts as [string, string];
  for (const [what, uid] of [
    ['StudyInstanceUID', studyInstanceUid],
    ['SeriesInstanceUID', seriesInstanceUid],
  ] as const) {
    if (!isUid(uid)) {
      throw new InputError(
        `${what} "${uid}" is not a DICOM UID (digits and dots, at most 64 characters); ${form}`,
        { ...at, value },
      );
    }
  }
  return { studyInstanceUid, seriesInstanceUid };
}

/**
 * Why `value` is not a DICOMweb base URL (an absolute http or https URL without query, fragment or
 * credentials), or null when it is one.
 */
export function pacsUrlProblem(value: string): string | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (u.search !== '' || u.hash !== '') return 'must not hold a query or fragment';
  if (u.username !== '' || u.password !== '') return 'must not hold a user name or password';
  return null;
}

/**
 * Checks a DICOMweb base URL (e.g. `http://pacs:8042/dicom-web`) and drops trailing slashes.
 * @throws InputError naming `at` (e.g. the `--pacs` option or study.json `pacs.url`) and the value
 */
export function parsePacsUrl(value: string, at: ErrorLocation): string {
  const problem = pacsUrlProblem(value);
  if (problem) throw new InputError(`DICOMweb server URL ${problem}`, { ...at, value });
  return value.replace(/\/+$/, '');
}

/* ------------------------------------------------------------------------------------------------ */
/* Requests                                                                                          */

type Api = typeof DicomwebApi;
type Client = InstanceType<Api['DICOMwebClient']>;

let apiPromise: Promise<Api> | undefined;

/** dicomweb-client, loaded on first use, with xhr2 as the XMLHttpRequest it needs in Node. */
function loadApi(): Promise<Api> {
  apiPromise ??= (async () => {
    const g = globalThis as { XMLHttpRequest?: unknown };
    g.XMLHttpRequest ??= (await import('xhr2')).default;
    // A CommonJS (UMD) module: Node gives its exports as `default` and as named exports, tsx as named only.
    const mod = (await import('dicomweb-client')) as { api?: Api; default?: { api?: Api } };
    const api = mod.api ?? mod.default?.api;
    if (!api) throw new Error('dicomweb-client has no `api` export');
    return api;
  })();
  return apiPromise;
}

/**
 * Runs one dicomweb-client call against `url`, turning a failure into an InputError that names `at`,
 * what was asked and the URL requested.
 */
async function request<T>(
  url: string,
  at: ErrorLocation,
  what: string,
  call: (client: Client) => Promise<T>,
): Promise<T> {
  const api = await loadApi();
  let requested = url;
  const hook = (xhr: { timeout: number }, meta: { url: string }): { timeout: number } => {
    xhr.timeout = REQUEST_TIMEOUT_MS;
    requested = meta.url;
    return xhr;
  };
  const client = new api.DICOMwebClient({ url, verbose: false, requestHooks: [hook] } as never);
  try {
    return await call(client);
  } catch (e) {
    const status = (e as { status?: unknown }).status;
    const where = { ...at, ...(at.value === undefined ? { value: url } : {}) };
    if (status === 0) {
      throw new InputError(
        `cannot reach the DICOMweb server: no answer to ${what} from ${requested} (server down, wrong host or port, or timed out)`,
        where,
      );
    }
    if (typeof status === 'number') {
      throw new InputError(`the DICOMweb server answered HTTP ${status} to ${what} (${requested})`, where);
    }
    throw new InputError(`${what} from ${requested} failed: ${(e as Error).message}`, where);
  }
}

/** A DICOM JSON dataset (PS3.18 §F.2): tag → { vr, Value }. */
type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

function firstValue(ds: DicomJson, tag: string): unknown {
  return ds[tag]?.Value?.[0];
}
function textOf(ds: DicomJson, tag: string): string | null {
  const v = firstValue(ds, tag);
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The datasets of a QIDO-RS answer, refusing anything that is not a DICOM JSON array. */
function datasetsOf(answer: unknown, url: string, at: ErrorLocation): DicomJson[] {
  if (!Array.isArray(answer) || answer.some((d) => typeof d !== 'object' || d === null)) {
    throw new InputError(`${url} did not answer a QIDO-RS search with DICOM JSON: is it a DICOMweb root?`, {
      ...at,
      ...(at.value === undefined ? { value: url } : {}),
    });
  }
  return answer as DicomJson[];
}

/**
 * QIDO-RS search for series (`GET {url}/series?…`, PS3.18 §10.6), at the server's root so no study
 * needs to be known first.
 *
 * @param url DICOMweb base URL (see `parsePacsUrl`)
 * @param query Modality (e.g. 'PT'), StudyInstanceUID and SeriesInstanceUID filters (all optional)
 * @param at where the URL was given, named in errors
 * @returns the series found, sorted by patient ID, study date and UIDs
 * @throws InputError (naming `at` and the URL) when the server cannot be reached, answers an HTTP error
 *   or answers something that is not DICOM JSON
 */
export async function searchSeries(
  url: string,
  query: { modality?: string; studyInstanceUid?: string; seriesInstanceUid?: string },
  at: ErrorLocation,
): Promise<PacsSeries[]> {
  const queryParams: Record<string, string> = {
    includefield: 'PatientID,StudyDate,Modality,SeriesDescription,NumberOfSeriesRelatedInstances',
  };
  if (query.modality !== undefined) queryParams['Modality'] = query.modality;
  if (query.studyInstanceUid !== undefined) queryParams['StudyInstanceUID'] = query.studyInstanceUid;
  if (query.seriesInstanceUid !== undefined) queryParams['SeriesInstanceUID'] = query.seriesInstanceUid;
  const answer = await request(url, at, 'a QIDO-RS series search', (c) =>
    Promise.resolve(c.searchForSeries({ queryParams }) as unknown),
  );
  const rows = datasetsOf(answer, url, at).map((ds): PacsSeries => {
    const date = textOf(ds, '00080020');
    const n = Number(firstValue(ds, '00201209'));
    return {
      studyInstanceUid: textOf(ds, '0020000D') ?? '',
      seriesInstanceUid: textOf(ds, '0020000E') ?? '',
      patientId: textOf(ds, '00100020'),
      studyDate:
        date && /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}` : date,
      modality: textOf(ds, '00080060'),
      seriesDescription: textOf(ds, '0008103E'),
      instances: firstValue(ds, '00201209') !== undefined && Number.isInteger(n) ? n : null,
    };
  });
  const key = (s: PacsSeries): string =>
    [s.patientId ?? '', s.studyDate ?? '', s.studyInstanceUid, s.seriesInstanceUid].join('\u0000');
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * WADO-RS retrieval of every instance of a series (`GET {url}/studies/{study}/series/{series}`,
 * PS3.18 §10.4) as DICOM Part-10 bytes, in the order the server sends them. The request accepts
 * `application/dicom` without naming a transfer syntax, so the server sends Explicit VR Little Endian
 * (the default of that media type), which the series reader reads.
 * @throws InputError (naming `at` and the URL) when the server cannot be reached, answers an HTTP
 *   error (404: no such series), or sends no instance
 */
export async function retrieveSeriesInstances(
  url: string,
  series: DicomwebSeries,
  at: ErrorLocation,
): Promise<Uint8Array[]> {
  const buffers = await request(url, at, 'a WADO-RS series retrieval', (c) =>
    c.retrieveSeries({
      studyInstanceUID: series.studyInstanceUid,
      seriesInstanceUID: series.seriesInstanceUid,
    } as never),
  );
  if (!Array.isArray(buffers) || buffers.length === 0) {
    throw new InputError(
      `the DICOMweb server sent no instance of series ${series.seriesInstanceUid} (${url})`,
      at,
    );
  }
  return buffers.map((b: ArrayBuffer) => new Uint8Array(b));
}

/**
 * STOW-RS storage of DICOM Part-10 instances (`POST {url}/studies`, PS3.18 §10.5), in requests of
 * up to 50 instances.
 * @param datasets whole Part-10 files
 * @returns the number of instances the server reports stored
 * @throws InputError (naming `at` and the URL) when the server cannot be reached, answers an HTTP
 *   error, or reports an instance it failed to store (FailedSOPSequence, with the failure reason)
 */
export async function storeInstances(
  url: string,
  datasets: readonly Uint8Array[],
  at: ErrorLocation,
): Promise<{ stored: number }> {
  let stored = 0;
  for (let i = 0; i < datasets.length; i += STOW_BATCH) {
    const batch = datasets
      .slice(i, i + STOW_BATCH)
      .map((d) => d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength) as ArrayBuffer);
    const answer: unknown = await request(url, at, 'a STOW-RS store', (c) =>
      c.storeInstances({ datasets: batch }),
    );
    let ds: DicomJson;
    try {
      ds = (typeof answer === 'string' ? (JSON.parse(answer) as unknown) : answer) as DicomJson;
    } catch {
      throw new InputError(`${url} did not answer a STOW-RS store with DICOM JSON`, at);
    }
    const failed = ds?.['00081198']?.Value ?? [];
    if (failed.length > 0) {
      const reason = firstValue((failed[0] ?? {}) as DicomJson, '00081197');
      throw new InputError(
        `the DICOMweb server refused ${failed.length} of ${batch.length} instances (first failure reason ${typeof reason === 'number' || typeof reason === 'string' ? reason : '?'}) (${url})`,
        at,
      );
    }
    stored += ds?.['00081199']?.Value?.length ?? 0;
  }
  return { stored };
}

/**
 * Loads a PET series from a PACS as SUV: QIDO-RS checks that the series exists and is PET (PT), WADO-RS
 * fetches its instances, and they are read exactly as the files of a series folder (`loadPetSuv`).
 *
 * @param url DICOMweb base URL
 * @param series the study and series UIDs
 * @param opts as `loadPetSuv` (SUV type, explicit dose or weight, frame of a dynamic series)
 * @param at where the reference was written (scans.csv, row, `path`), named in the errors below
 * @returns the SUV volume and the facts used, as `loadPetSuv`
 * @throws InputError naming `at` and the URL for an unreachable server, an unknown series or a series
 *   that is not PET; errors of the DICOM reader and the SUV rules name the instance (series URL and
 *   instance number) and the tag, as for a folder
 */
export async function loadPetSuvFromPacs(
  url: string,
  series: DicomwebSeries,
  opts: LoadPetSuvOptions,
  at: ErrorLocation,
): Promise<PetSuv> {
  const { studyInstanceUid: study, seriesInstanceUid: uid } = series;
  const found = await searchSeries(url, { studyInstanceUid: study, seriesInstanceUid: uid }, at);
  const hit = found.find((s) => s.studyInstanceUid === study && s.seriesInstanceUid === uid);
  if (!hit) {
    throw new InputError(
      `series not found on the DICOMweb server ${url} (no series ${uid} in study ${study})`,
      at,
    );
  }
  if (hit.modality !== 'PT') {
    throw new InputError(
      `not a PET series: the DICOMweb server ${url} lists it with Modality ${hit.modality ?? '(none)'}; a scan must be a PET (PT) series`,
      at,
    );
  }
  const seriesUrl = `${url}/studies/${study}/series/${uid}`;
  const bytes = await retrieveSeriesInstances(url, series, at);
  const parsed = bytes.map((b, i) =>
    parsePetImageBytes(b, `${seriesUrl} (instance ${i + 1} of ${bytes.length})`),
  );
  const frames = assembleFrames(parsed, seriesUrl, { ...(opts.series ?? {}), seriesInstanceUid: uid });
  return petSuvOfFrames(frames, seriesUrl, opts);
}

/**
 * The stored studies, read-only (`/api/studies/*`, `/api/scans/*`): studies, their patients and scans,
 * their quantification jobs' states (as `carto jobs --json`), a scan's VOI metrics, the latest
 * analysis run's results.json, tables and figures, and a scan's SUV volume and VOI label map as gzip
 * NIfTI for a viewer (built once per scan and kept in a bounded in-memory cache,
 * src/pipeline/scan-images.ts; see `sendGzipNifti` for how they are sent). Authorisation is the registry's, applied by
 * src/study/access.ts (scope per role; a study patient is a centre's when it links by pseudonym to one of
 * that centre's registry patients). Errors: 404 outside the scope or not stored; 403 for study-wide
 * results asked by a centre role.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { CartoError } from '../../errors.js';
import { ScanImageCache } from '../../pipeline/scan-images.js';
import { NotFoundError } from '../../registry/store.js';
import { StudyAccess } from '../../study/access.js';
import type { Handler, RouteContext } from './context.js';
import { niftiVoxels } from '../../io/nifti-voxels.js';
import { displayNifti } from './studies-display.js';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

/** The query of GET /api/scans/{id}/display.nii.gz. */
const displayQuery = z.strictObject({
  windowMax: z.coerce.number().positive().max(100_000).describe('upper end of the SUV window (g/mL)'),
});

/** How many windows' display volumes are kept per scan (the viewer's presets are three). */
const DISPLAYS_PER_SCAN = 4;

/**
 * Display volumes (gzip NIfTI, `displayNifti`) built from a scan's cached gzip SUV bytes, per window;
 * dropped with those bytes (the key) when the scan image cache lets them go.
 */
const displays = new WeakMap<Uint8Array, Map<number, Promise<Uint8Array>>>();

/**
 * The gzip display volume of the gzip SUV NIfTI `suvGz` in window [0, `windowMax`], built once per
 * window (inflating and deflating off the event loop, in zlib's thread pool).
 * @throws Error from `niftiVoxels` when the SUV bytes are not a NIfTI the viewer reads (not cached)
 */
function displayGz(suvGz: Uint8Array, windowMax: number): Promise<Uint8Array> {
  let perWindow = displays.get(suvGz);
  if (!perWindow) displays.set(suvGz, (perWindow = new Map<number, Promise<Uint8Array>>()));
  const kept = perWindow.get(windowMax);
  if (kept) return kept;
  const built = (async () => {
    const suv = niftiVoxels('suv.nii', await gunzipAsync(suvGz));
    return new Uint8Array(await gzipAsync(new Uint8Array(displayNifti(suv, windowMax)), { level: 1 }));
  })();
  const windows = perWindow;
  windows.set(windowMax, built);
  if (windows.size > DISPLAYS_PER_SCAN) windows.delete(windows.keys().next().value!);
  built.catch(() => windows.delete(windowMax));
  return built;
}

/**
 * True when an `Accept-Encoding` header (RFC 9110 §12.5.3) accepts the gzip coding: `gzip` (or
 * `x-gzip`) listed with a q-value above 0, or, when neither is listed, `*` with a q-value above 0.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const q = new Map<string, number>();
  for (const c of (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')) {
    const [name, ...params] = c.split(';').map((x) => x.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    if (name) q.set(name === 'x-gzip' ? 'gzip' : name, qParam === undefined ? 1 : Number(qParam.slice(2)));
  }
  const gzip = q.get('gzip') ?? q.get('*');
  return gzip !== undefined && gzip > 0;
}

/**
 * Sends a gzip NIfTI file (`bytes`). The same bytes go out either way; only their label differs: to a
 * client that accepts gzip content coding (a browser) as the NIfTI file with `Content-Encoding: gzip`,
 * so that its network stack inflates them (in a browser, off the page's thread, which meanwhile starts
 * the viewer); to any other client as the `.nii.gz` file itself, `application/gzip`.
 */
function sendGzipNifti(
  acceptEncoding: string | string[] | undefined,
  reply: Parameters<Handler>[0]['reply'],
  bytes: Uint8Array,
): Buffer {
  reply.header('vary', 'Accept-Encoding');
  if (acceptsGzip(acceptEncoding)) reply.header('content-encoding', 'gzip').type('application/octet-stream');
  else reply.type('application/gzip');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Registers the study and scan routes (module doc). */
export function registerStudyRoutes(ctx: RouteContext): void {
  const { route, store } = ctx;
  const access = (actor: Parameters<Handler>[0]['actor']): StudyAccess =>
    new StudyAccess(store.db as unknown as Kysely<unknown>, actor);
  const tag = 'studies';
  const images = new ScanImageCache();
  route(
    { method: 'GET', url: '/api/studies', summary: 'Stored studies in scope, by name', tag, auth: true },
    async ({ actor }) => access(actor).listStudies(),
  );
  route(
    {
      method: 'GET',
      url: '/api/studies/:id',
      summary: 'One stored study (tracer, analysis settings, counts in scope, latest analysis run)',
      tag,
      auth: true,
    },
    async ({ actor, params }) => access(actor).getStudy(params['id'] ?? ''),
  );
  route(
    {
      method: 'GET',
      url: '/api/studies/:id/patients',
      summary: "A study's patients in scope with their registry link (registryPatientId, centre)",
      tag,
      auth: true,
    },
    async ({ actor, params }) => access(actor).patients(params['id'] ?? ''),
  );
  route(
    {
      method: 'GET',
      url: '/api/studies/:id/scans',
      summary: "A study's scans in scope (`id` is the scan's API id for /api/scans/{id})",
      tag,
      auth: true,
    },
    async ({ actor, params }) => access(actor).scans(params['id'] ?? ''),
  );
  route(
    {
      method: 'GET',
      url: '/api/studies/:id/jobs',
      summary:
        "A study's quantification jobs as `carto jobs --json`: {scans: {pending, running, done, failed}, failures: [{scan, error}]} (scans in scope)",
      tag,
      auth: true,
    },
    async ({ actor, params }) => access(actor).jobs(params['id'] ?? ''),
  );
  route(
    {
      method: 'GET',
      url: '/api/studies/:id/results',
      summary: "The latest analysis run's results.json (admins and analysts; run id in X-Analysis-Run)",
      tag,
      auth: true,
      produces: 'application/json',
    },
    async ({ actor, params, reply }) => {
      const r = await access(actor).latestResults(params['id'] ?? '');
      reply.header('x-analysis-run', r.runId).type('application/json');
      return r.resultsJson;
    },
  );
  for (const [kind, folder, ext] of [
    ['table', 'tables', 'csv'],
    ['figure', 'figures', 'svg'],
  ] as const) {
    route(
      {
        method: 'GET',
        url: `/api/studies/:id/results/${folder}/:fileId`,
        summary: `A ${kind} of the latest analysis run (${folder}/<id>.${ext} of the report; admins and analysts)`,
        tag,
        auth: true,
        produces: ext === 'csv' ? 'text/csv' : 'image/svg+xml',
      },
      async ({ actor, params, reply }) => {
        const fileId = (params['fileId'] ?? '').replace(new RegExp(`\\.${ext}$`), '');
        const f = await access(actor).latestRunFile(params['id'] ?? '', kind, fileId);
        reply.header('x-analysis-run', f.runId).type(f.mediaType);
        return f.content;
      },
    );
  }
  route(
    {
      method: 'GET',
      url: '/api/scans/:id',
      summary:
        'One stored scan: study, patient pseudonym, timepoint, day, grid size (voxels), voxel size (mm), VOI count',
      tag,
      auth: true,
    },
    async ({ actor, params }) => access(actor).scan(params['id'] ?? ''),
  );
  route(
    {
      method: 'GET',
      url: '/api/scans/:id/vois',
      summary: "A scan's VOI metrics (SUV g/mL, volumes mL; labelValue = its value in labels.nii.gz)",
      tag,
      auth: true,
    },
    async ({ actor, params }) => access(actor).vois(params['id'] ?? ''),
  );
  registerScanImageRoutes(ctx, access, images);
}

/**
 * The routes of a scan's images for a viewer: suv.nii.gz, labels.nii.gz and display.nii.gz (built from
 * the scan's SUV by `images`, see the module doc).
 */
function registerScanImageRoutes(
  { route }: RouteContext,
  access: (actor: Parameters<Handler>[0]['actor']) => StudyAccess,
  images: ScanImageCache,
): void {
  const tag = 'studies';
  for (const [file, what] of [
    ['suv.nii.gz', 'SUV volume (g/mL, float32)'],
    ['labels.nii.gz', 'VOI label map on the PET grid (values: labelValue of /vois)'],
  ] as const) {
    route(
      {
        method: 'GET',
        url: `/api/scans/:id/${file}`,
        summary: `A scan's ${what} as gzip NIfTI-1, read from the study's bundle folder on the server (cached); sent as NIfTI-1 with Content-Encoding gzip to a client that accepts gzip`,
        tag,
        auth: true,
        produces: 'application/gzip',
      },
      async ({ actor, params, reply, req }) => {
        const id = params['id'] ?? '';
        const { source, vois, importedAt } = await access(actor).scanSource(id);
        let bytes: Uint8Array;
        try {
          const built = await images.get(id, importedAt, source, vois);
          bytes = file === 'suv.nii.gz' ? built.suv : built.labels;
        } catch (e) {
          if (!(e instanceof CartoError)) throw e;
          // the bundle is not (or no longer) readable here: logged with its path, never sent
          req.log.warn({ err: e }, 'scan image not readable');
          throw new NotFoundError('scan image on this server');
        }
        return sendGzipNifti(req.headers['accept-encoding'], reply, bytes);
      },
    );
  }
  route(
    {
      method: 'GET',
      url: '/api/scans/:id/display.nii.gz',
      summary:
        "A scan's SUV through the window [0, windowMax] in 8 bits (uint8 NIfTI-1, scl_slope windowMax/255: what the viewer's slices show; the readout reads suv.nii.gz), gzip, sent like suv.nii.gz",
      tag,
      auth: true,
      query: displayQuery,
      produces: 'application/gzip',
    },
    async ({ actor, params, query, reply, req }) => {
      const id = params['id'] ?? '';
      const { windowMax } = query as z.infer<typeof displayQuery>;
      const { source, vois, importedAt } = await access(actor).scanSource(id);
      let suvGz: Uint8Array;
      try {
        suvGz = (await images.get(id, importedAt, source, vois)).suv;
      } catch (e) {
        if (!(e instanceof CartoError)) throw e;
        req.log.warn({ err: e }, 'scan image not readable');
        throw new NotFoundError('scan image on this server');
      }
      return sendGzipNifti(req.headers['accept-encoding'], reply, await displayGz(suvGz, windowMax));
    },
  );
}

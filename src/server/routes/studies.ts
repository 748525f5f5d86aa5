/**
 * The stored studies, read-only (`/api/studies/*`, `/api/scans/*`): studies, their patients and scans,
 * their quantification jobs' states (as `carto jobs --json`), a scan's VOI metrics, the latest
 * analysis run's results.json, tables and figures, and a scan's images for a viewer (SUV and VOI label
 * map as gzip NIfTI, the display volume, a voxel's values: src/server/routes/scan-images.ts).
 * Authorisation is the registry's, applied by src/study/access.ts (scope per role; a study patient is a centre's when it links by pseudonym to one of
 * that centre's registry patients). Errors: 404 outside the scope or not stored; 403 for study-wide
 * results asked by a centre role.
 */
import type { Kysely } from 'kysely';
import { StudyAccess } from '../../study/access.js';
import type { Handler, RouteContext } from './context.js';
import { ScanImageCache } from '../../pipeline/scan-images.js';
import { registerScanImageRoutes, type WarmScan } from './scan-images.js';

/**
 * Registers the study and scan routes (module doc).
 * @param images the scans' image cache (one per app; tests give one with counting loaders)
 * @returns the function that builds a scan's first viewer images ahead (`WarmScan`)
 */
export function registerStudyRoutes(ctx: RouteContext, images = new ScanImageCache()): WarmScan {
  const { route, store } = ctx;
  const access = (actor: Parameters<Handler>[0]['actor']): StudyAccess =>
    new StudyAccess(store.db as unknown as Kysely<unknown>, actor);
  const tag = 'studies';
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
  return registerScanImageRoutes(ctx, access, images);
}

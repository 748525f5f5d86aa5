/**
 * The routes of a scan's images for a viewer (`/api/scans/{id}/…`): suv.nii.gz, labels.nii.gz,
 * display.nii.gz (the SUV through a window in 8 bits, src/io/display-nifti.ts) and voxel
 * (the SUV and the label value at one voxel, for the readout while the float SUV is on its way). All are
 * answered from the scan's cached volumes (`ScanImageCache`, src/pipeline/scan-images.ts; on a first
 * open, from the viewer's images on disk when the scan has them: src/pipeline/viewer-images.ts): what needs
 * only the SUV never waits for the label map, and the gzip files are deflated off the event loop, once.
 * Scope as every scan route (src/study/access.ts): 404 outside it; 404 too when the scan's files are
 * not readable on this server (logged with the path, never sent). See `sendGzipNifti` for how the
 * files are sent.
 */
import { z } from 'zod';
import { CartoError, InputError } from '../../errors.js';
import type { Readable } from 'node:stream';
import { ScanImageCache, type GzipFile, type ScanImages } from '../../pipeline/scan-images.js';
import { NotFoundError } from '../../registry/store.js';
import type { StudyAccess } from '../../study/access.js';
import type { Handler, RouteContext } from './context.js';
import { DEFAULT_WINDOW_MAX_SUV } from '../../io/display-nifti.js';

/** The query of GET /api/scans/{id}/display.nii.gz. */
const displayQuery = z.strictObject({
  windowMax: z.coerce.number().positive().max(100_000).describe('upper end of the SUV window (g/mL)'),
});

/**
 * A voxel index of the query of GET /api/scans/{id}/voxel: a non-negative integer (a number as
 * JavaScript reads it; an empty value is refused, not read as 0).
 */
const voxelIndex = (axis: string) =>
  z
    .preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().int().min(0))
    .describe(`voxel index along ${axis} (0-based, the NIfTI file's order)`);

/** The query of GET /api/scans/{id}/voxel. */
const voxelQuery = z.strictObject({ i: voxelIndex('i'), j: voxelIndex('j'), k: voxelIndex('k') });

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
 * Sends a gzip NIfTI file (`file`): the whole when it is deflated, else its bytes as they are deflated
 * (chunked). The same bytes go out either way; only their label differs: to a client that accepts gzip
 * content coding (a browser) as the NIfTI file with `Content-Encoding: gzip`, so that its network stack
 * inflates them (in a browser, off the page's thread, which meanwhile starts the viewer); to any other
 * client as the `.nii.gz` file itself, `application/gzip`.
 */
async function sendGzipNifti(
  acceptEncoding: string | string[] | undefined,
  reply: Parameters<Handler>[0]['reply'],
  file: GzipFile,
): Promise<Buffer | Readable> {
  reply.header('vary', 'Accept-Encoding');
  if (acceptsGzip(acceptEncoding)) reply.header('content-encoding', 'gzip').type('application/octet-stream');
  else reply.type('application/gzip');
  if (!file.done) return file.stream();
  const bytes = await file.whole;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * `get`'s gzip file once its bytes are in and being deflated (so that a failure to read the scan is
 * the request's error, not a broken stream).
 */
async function started(file: GzipFile): Promise<GzipFile> {
  await file.started;
  return file;
}

/** A voxel index outside the scan's grid (a 400 that names the field, not a 404 of an unreadable scan). */
class OutsideGrid extends InputError {}

/**
 * Throws InputError (`OutsideGrid`, 400) when voxel index `value` along `field` is not below the axis'
 * size `n`; the message names the field, the value and the grid.
 */
function checkIndex(field: string, value: number, n: number, size: readonly number[]): void {
  if (value < n) return;
  const grid = `${size[0]}×${size[1]}×${size[2]}`;
  throw new OutsideGrid(`${field} = ${value} is outside the grid ${grid} (0…${n - 1})`, { field, value });
}

/**
 * Builds ahead what the viewer asks for first when a scan's page is opened: the scan's SUV and its
 * display volume in the window it opens in (`DEFAULT_WINDOW_MAX_SUV`), so the build runs while the browser
 * loads the app. In the actor's scope only; best effort: nothing is sent, a scan out of scope or not
 * readable is left alone (the page's own requests answer 404), and the result is what the routes then
 * serve from the cache.
 * @returns when the build has finished or was left (never rejects)
 */
export type WarmScan = (actor: Parameters<Handler>[0]['actor'], scanId: string) => Promise<void>;

/**
 * Registers the scan image routes (module doc).
 * @param access the caller's study access (scope)
 * @param images the scans' image cache (one per app)
 * @returns the function that builds a scan's first images ahead (`WarmScan`)
 */
export function registerScanImageRoutes(
  { route }: RouteContext,
  access: (actor: Parameters<Handler>[0]['actor']) => StudyAccess,
  images: ScanImageCache = new ScanImageCache(),
): WarmScan {
  const tag = 'studies';
  /**
   * `get` of the scan's images in the caller's scope. @throws NotFoundError outside the scope, or when
   * a file is not readable here (the CartoError is logged with its path, never sent)
   */
  const readable = async <T>(
    { actor, params, req }: Parameters<Handler>[0],
    get: (scan: ScanImages) => Promise<T>,
  ): Promise<T> => {
    const id = params['id'] ?? '';
    const { source, vois, importedAt, jobKey } = await access(actor).scanSource(id);
    try {
      return await get(images.scan(id, importedAt, source, vois, jobKey));
    } catch (e) {
      if (!(e instanceof CartoError) || e instanceof OutsideGrid) throw e;
      req.log.warn({ err: e }, 'scan image not readable');
      throw new NotFoundError('scan image on this server');
    }
  };
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
      async (c) => {
        const gz = await readable(c, (s) => started(file === 'suv.nii.gz' ? s.suvGz() : s.labelsGz()));
        return sendGzipNifti(c.req.headers['accept-encoding'], c.reply, gz);
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
    async (c) => {
      const { windowMax } = c.query as z.infer<typeof displayQuery>;
      const gz = await readable(c, (s) => started(s.display(windowMax)));
      return sendGzipNifti(c.req.headers['accept-encoding'], c.reply, gz);
    },
  );
  route(
    {
      method: 'GET',
      url: '/api/scans/:id/voxel',
      summary:
        "A scan's voxel (i, j, k: 0-based, suv.nii.gz's order, i fastest): {vox: [i, j, k], suv: the float32 SUV there (g/mL, as in suv.nii.gz; null when NaN), labelValue: the label map's value there (0: no VOI)}; 400 outside the grid",
      tag,
      auth: true,
      query: voxelQuery,
    },
    async (c) => {
      const { i, j, k } = c.query as z.infer<typeof voxelQuery>;
      const { suv, labelValue } = await readable(c, (s) =>
        s.voxel((size) => {
          checkIndex('i', i, size[0], size);
          checkIndex('j', j, size[1], size);
          checkIndex('k', k, size[2], size);
          return i + size[0] * (j + size[1] * k);
        }),
      );
      return { vox: [i, j, k], suv, labelValue };
    },
  );
  return async (actor, scanId) => {
    try {
      const { source, vois, importedAt, jobKey } = await access(actor).scanSource(scanId);
      await images.scan(scanId, importedAt, source, vois, jobKey).display(DEFAULT_WINDOW_MAX_SUV).whole;
    } catch {
      // out of scope or not readable: the page's requests say so
    }
  };
}

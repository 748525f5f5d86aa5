/**
 * The registry and study HTTP API (Fastify, JSON; the stored studies read-only, src/server/routes/studies.ts). Every data route resolves the session cookie to an `Actor` and
 * calls the actor-scoped data layer (src/registry/store.ts), which enforces authorisation itself.
 *
 * Status codes: 400 bad input `{error, field}` (nothing written), 401 not authenticated, 403 role may not
 * (or CSRF token missing/wrong), 404 not found or outside the caller's scope (indistinguishable), 409
 * stale version `{error, currentVersion}`, 500 unexpected (logged, no detail returned).
 * The OpenAPI 3.1 document is built from the same zod schemas and served at `/api/openapi.json`.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import { InputError } from '../errors.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  type Actor,
  type RegistryStore,
} from '../registry/store.js';
import { parseOrThrow } from '../registry/validation.js';
import { LocalPasswordProvider, tokenHash, type IdentityProvider } from './auth.js';
import { openApiDocument } from './openapi.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAuthRoutes } from './routes/auth.js';
import {
  SESSION_COOKIE,
  UnauthenticatedError,
  type Handler,
  type RouteContext,
  type RouteDoc,
} from './routes/context.js';
import { registerPatientRoutes } from './routes/patients.js';
import { registerProgrammeRoutes } from './routes/programme.js';
import { registerStudyRoutes } from './routes/studies.js';
import { DEFAULT_THROTTLE, type ThrottlePolicy } from './throttle.js';
import { registerWebAssets, viewerScanId } from './web-assets.js';
import { ScanImageCache } from '../pipeline/scan-images.js';
import { ViewerImageStore } from '../pipeline/viewer-images.js';

export { SESSION_COOKIE } from './routes/context.js';

export interface AppOptions {
  store: RegistryStore;
  /** Identity providers tried in order at login (default: local accounts). */
  identityProviders?: IdentityProvider[];
  /** Set the Secure flag on the session cookie (behind HTTPS). Default false (loopback). */
  secureCookies?: boolean;
  /** Largest accepted JSON body in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  logger?: boolean;
  /** Sign-in throttle (default DEFAULT_THROTTLE: src/server/throttle.ts). */
  throttle?: Partial<ThrottlePolicy>;
  /** Clock in epoch milliseconds (default Date.now; tests inject one). */
  nowMs?: () => number;
  /**
   * Take the client address from X-Forwarded-For (behind a reverse proxy). Default false: the socket
   * address, so that a client cannot choose its own throttle key.
   */
  trustProxy?: boolean;
  /** The scans' viewer image cache (default: a new one; tests give one with counting loaders). */
  scanImages?: ScanImageCache;
  /**
   * The folder of the viewer's images on disk (src/pipeline/viewer-images.ts) the default cache reads
   * and writes; none when not given (every first open decodes the scan).
   */
  viewerImages?: string;
}

/** Builds the Fastify app (not listening); call `app.listen` or `app.inject`. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { store } = opts;
  const providers = opts.identityProviders ?? [new LocalPasswordProvider(store)];
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024,
    trustProxy: opts.trustProxy ?? false,
  });
  await app.register(cookie);
  const docs: RouteDoc[] = [];
  const throttle: ThrottlePolicy = { ...DEFAULT_THROTTLE, ...opts.throttle };
  const nowMs = opts.nowMs ?? Date.now;
  const atUtc = (): string => new Date(nowMs()).toISOString();

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof InputError)
      return reply.code(400).send({ error: err.message, field: err.location.field ?? null });
    if (err instanceof NotFoundError) return reply.code(404).send({ error: err.message });
    if (err instanceof ConflictError)
      return reply.code(409).send({ error: err.message, currentVersion: err.currentVersion });
    if (err instanceof ForbiddenError) return reply.code(403).send({ error: err.message });
    if (err instanceof UnauthenticatedError) return reply.code(401).send({ error: err.message });
    const fe = err as { code?: string; statusCode?: number; message?: string };
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(400).send({ error: 'request body too large', field: 'body' });
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
      return reply.code(400).send({ error: fe.message ?? 'bad request', field: 'body' });
    req.log.error(err);
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'no such route' }));

  async function sessionOf(req: FastifyRequest): Promise<{ actor: Actor; csrfToken: string; hash: string }> {
    const token = req.cookies[SESSION_COOKIE];
    if (!token) throw new UnauthenticatedError();
    const hash = tokenHash(token);
    const s = await store.session(hash);
    if (!s) throw new UnauthenticatedError();
    const u = s.user;
    return {
      actor: { userId: u.id, username: u.username, role: u.role, centreId: u.centreId },
      csrfToken: s.csrfToken,
      hash,
    };
  }

  function route(doc: RouteDoc, handler: Handler): void {
    docs.push(doc);
    app.route({
      method: doc.method,
      url: doc.url,
      handler: async (req, reply) => {
        const s = await sessionOf(req);
        if (doc.method !== 'GET') {
          const sent = req.headers['x-csrf-token'];
          if (typeof sent !== 'string' || sent !== s.csrfToken)
            throw new ForbiddenError('missing or wrong CSRF token (x-csrf-token header)');
        }
        const body = doc.body ? parseOrThrow(doc.body, req.body ?? {}) : req.body;
        const query = doc.query ? parseOrThrow(doc.query, req.query ?? {}) : req.query;
        const result = await handler({
          req,
          reply,
          reg: store.as(s.actor),
          actor: s.actor,
          body,
          query,
          params: req.params as Record<string, string>,
        });
        if (result === undefined) return reply.code(204).send();
        return result;
      },
    });
  }

  const ctx: RouteContext = {
    app,
    store,
    docs,
    route,
    sessionOf,
    providers,
    throttle,
    nowMs,
    atUtc,
    secureCookies: opts.secureCookies ?? false,
  };
  registerAuthRoutes(ctx);
  registerAdminRoutes(ctx);
  registerPatientRoutes(ctx);
  registerProgrammeRoutes(ctx);
  const warmScan = registerStudyRoutes(
    ctx,
    opts.scanImages ??
      new ScanImageCache(
        opts.viewerImages !== undefined
          ? {
              store: new ViewerImageStore(opts.viewerImages),
              onStoreError: (e) => app.log.warn({ err: e }, "the viewer's images were not written"),
            }
          : {},
      ),
  );

  const openapi = openApiDocument(docs);
  app.get('/api/openapi.json', () => Promise.resolve(openapi));
  // the viewer's page (/scans/{id}) asks first for the scan's display volume: built while the app loads
  await registerWebAssets(app, {
    onNavigate: async (req, path) => {
      const scanId = viewerScanId(path);
      if (scanId === null || !req.cookies[SESSION_COOKIE]) return;
      const { actor } = await sessionOf(req);
      await warmScan(actor, scanId);
    },
  });
  return app;
}

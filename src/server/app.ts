/**
 * The registry HTTP API (Fastify, JSON). Every data route resolves the session cookie to an `Actor` and
 * calls the actor-scoped data layer (src/registry/store.ts), which enforces authorisation itself.
 *
 * Status codes: 400 bad input `{error, field}` (nothing written), 401 not authenticated, 403 role may not
 * (or CSRF token missing/wrong), 404 not found or outside the caller's scope (indistinguishable), 409
 * stale version `{error, currentVersion}`, 500 unexpected (logged, no detail returned).
 * The OpenAPI 3.1 document is built from the same zod schemas and served at `/api/openapi.json`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import { z } from 'zod';
import { CartoError, InputError } from '../errors.js';
import { ENTITIES, PATIENT_FIELDS, ROLES, type EntitySpec } from '../registry/model.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  type Actor,
  type RegistryStore,
  type ScopedRegistry,
} from '../registry/store.js';
import { createSchema, deleteSchema, parseOrThrow, updateSchema } from '../registry/validation.js';
import {
  crsWindowSchema,
  gradeCrs,
  gradeIcans,
  icansWindowSchema,
  parseCrsWindow,
  parseIcansWindow,
} from '../registry/grading/astct.js';
import { exportCsv, exportOdm } from '../registry/exchange/export.js';
import { importRedcapText, parseMapping } from '../registry/exchange/import.js';
import { LocalPasswordProvider, hashPassword, newToken, tokenHash, type IdentityProvider } from './auth.js';
import { DEFAULT_THROTTLE, remainingDelayMs, throttleKeys, type ThrottlePolicy } from './throttle.js';

export const SESSION_COOKIE = 'carto_session';
const SESSION_HOURS = 12;
/** Recorded as the user name of a failed sign-in under a name that is no account (it may be a password typed into the wrong field). */
const UNKNOWN_USER = '(unknown user name)';

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
}

class UnauthenticatedError extends CartoError {
  constructor() {
    super('not authenticated');
    this.name = 'UnauthenticatedError';
  }
}

interface RouteDoc {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  auth: boolean;
  /** Responses beyond the common ones (status → description). */
  responses?: Record<string, string>;
}

const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  histology: z.string().optional(),
  pseudonymPrefix: z.string().max(40).optional(),
});
/** Pagination of a patient's entity rows (list order: the store's; total in the X-Total-Count header). */
const rowsPageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});
const auditQuery = z.strictObject({
  patientId: z.string().optional(),
  table: z.string().optional(),
  rowId: z.string().optional(),
});
const loginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
});
const centreBody = z.strictObject({ code: z.string(), name: z.string() });
const userBody = z.strictObject({
  username: z.string(),
  password: z.string().min(10).max(200),
  role: z.enum(ROLES),
  centre: z.string().nullable().optional(),
});
const redcapImportBody = z.strictObject({
  dictionaryCsv: z.string().min(1),
  recordsCsv: z.string().min(1),
  mapping: z.record(z.string(), z.unknown()),
});
const exportQuery = z.strictObject({ format: z.enum(['csv-long', 'csv-wide', 'odm']) });

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

  type Handler = (ctx: {
    req: FastifyRequest;
    reply: FastifyReply;
    reg: ScopedRegistry;
    actor: Actor;
    body: unknown;
    query: unknown;
    params: Record<string, string>;
  }) => Promise<unknown>;

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

  // ------------------------------------------------------------------ auth
  docs.push({
    method: 'POST',
    url: '/api/auth/login',
    summary: 'Log in; sets the session cookie and returns the CSRF token',
    tag: 'auth',
    body: loginBody,
    auth: false,
    responses: {
      '401': 'wrong user name or password',
      '429':
        'sign-in back-off running after failed sign-ins (from this client or for this user name); see Retry-After',
    },
  });
  app.post('/api/auth/login', async (req, reply) => {
    const c = parseOrThrow(loginBody, req.body ?? {});
    const keys = throttleKeys(req.ip, c.username);
    const waitMs = await remainingDelayMs(store, keys, nowMs(), throttle);
    if (waitMs > 0) {
      // neither checked nor counted: the password is not tried while the back-off runs
      reply.header('retry-after', String(Math.ceil(waitMs / 1000)));
      return reply.code(429).send({ error: 'too many failed sign-ins; try again after Retry-After seconds' });
    }
    let user = null;
    for (const p of providers) {
      user = await p.authenticate(c);
      if (user) break;
    }
    if (!user) {
      await store.recordThrottleFailure([keys.client, keys.user], nowMs(), throttle.forgetAfterMs);
      const known = await store.userByUsername(c.username);
      await store.recordAccess(
        {
          action: 'sign-in-failed',
          userId: known?.id ?? '',
          username: known?.username ?? UNKNOWN_USER,
          centreId: known?.centreId ?? null,
          rowId: known?.id ?? '',
          reason: 'failed sign-in',
          detail: { client: req.ip },
        },
        atUtc(),
      );
      throw new UnauthenticatedError();
    }
    await store.clearThrottle(keys.user);
    await store.recordAccess(
      {
        action: 'sign-in',
        userId: user.id,
        username: user.username,
        centreId: user.centreId,
        rowId: user.id,
        reason: 'signed in',
        detail: { client: req.ip },
      },
      atUtc(),
    );
    const token = newToken();
    const csrfToken = newToken();
    await store.createSession({
      tokenHash: tokenHash(token),
      userId: user.id,
      csrfToken,
      expiresAt: new Date(nowMs() + SESSION_HOURS * 3600_000).toISOString(),
    });
    reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: opts.secureCookies ?? false,
      path: '/',
      maxAge: SESSION_HOURS * 3600,
    });
    return { username: user.username, role: user.role, csrfToken };
  });
  route(
    {
      method: 'POST',
      url: '/api/auth/logout',
      summary: 'Log out (ends the session)',
      tag: 'auth',
      auth: true,
    },
    async ({ req, reply, actor }) => {
      const token = req.cookies[SESSION_COOKIE];
      if (token) await store.deleteSession(tokenHash(token));
      await store.recordAccess(
        {
          action: 'sign-out',
          userId: actor.userId,
          username: actor.username,
          centreId: actor.centreId,
          rowId: actor.userId,
          reason: 'signed out',
          detail: { client: req.ip },
        },
        atUtc(),
      );
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return undefined;
    },
  );
  route(
    {
      method: 'GET',
      url: '/api/auth/me',
      summary: 'The current user and CSRF token',
      tag: 'auth',
      auth: true,
    },
    async ({ req, actor }) => {
      const s = await sessionOf(req);
      return { username: actor.username, role: actor.role, csrfToken: s.csrfToken };
    },
  );

  // ------------------------------------------------------------------ centres and users
  route(
    {
      method: 'GET',
      url: '/api/centres',
      summary: 'Centres visible to the caller',
      tag: 'admin',
      auth: true,
    },
    async ({ actor }) => {
      const all = [...(await store.centres()).values()];
      if (actor.role === 'analyst') return all.map((c) => ({ centre: c.pseudoCode }));
      const visible = actor.role === 'admin' ? all : all.filter((c) => c.id === actor.centreId);
      return visible.map((c) => ({ id: c.id, code: c.code, name: c.name }));
    },
  );
  route(
    {
      method: 'POST',
      url: '/api/centres',
      summary: 'Create a centre (admin)',
      tag: 'admin',
      body: centreBody,
      auth: true,
    },
    async ({ actor, body, reply }) => {
      if (actor.role !== 'admin') throw new ForbiddenError('admin only');
      const c = await store.createCentre(body as z.infer<typeof centreBody>);
      reply.code(201);
      return { id: c.id, code: c.code, name: c.name };
    },
  );
  route(
    {
      method: 'POST',
      url: '/api/users',
      summary: 'Create a local user (admin)',
      tag: 'admin',
      body: userBody,
      auth: true,
    },
    async ({ actor, body, reply }) => {
      if (actor.role !== 'admin') throw new ForbiddenError('admin only');
      const b = body as z.infer<typeof userBody>;
      const u = await store.createUser({
        username: b.username,
        passwordHash: await hashPassword(b.password),
        role: b.role,
        centreCode: b.centre ?? null,
      });
      reply.code(201);
      return { id: u.id, username: u.username, role: u.role };
    },
  );

  // ------------------------------------------------------------------ patients
  const patientCreate = createSchema(PATIENT_FIELDS).extend({ centre: z.string() });
  route(
    {
      method: 'GET',
      url: '/api/patients',
      summary: 'List patients in scope (paginated, filterable)',
      tag: 'patients',
      query: pageQuery,
      auth: true,
    },
    async ({ reg, query }) => reg.listPatients(query as z.infer<typeof pageQuery>),
  );
  route(
    {
      method: 'POST',
      url: '/api/patients',
      summary: 'Register a referred patient',
      tag: 'patients',
      body: patientCreate,
      auth: true,
    },
    async ({ reg, req, reply }) => {
      const p = await reg.createPatient(req.body);
      reply.code(201);
      return p;
    },
  );
  route(
    { method: 'GET', url: '/api/patients/:id', summary: 'One patient', tag: 'patients', auth: true },
    async ({ reg, params }) => reg.getPatient(params['id'] ?? ''),
  );
  route(
    {
      method: 'PATCH',
      url: '/api/patients/:id',
      summary: 'Update a patient (version + reason required)',
      tag: 'patients',
      body: updateSchema(PATIENT_FIELDS),
      auth: true,
    },
    async ({ reg, params, req }) => reg.updatePatient(params['id'] ?? '', req.body),
  );
  route(
    {
      method: 'DELETE',
      url: '/api/patients/:id',
      summary: 'Delete a patient without journey rows',
      tag: 'patients',
      body: deleteSchema,
      auth: true,
    },
    async ({ reg, params, req }) => {
      await reg.deletePatient(params['id'] ?? '', req.body);
      return undefined;
    },
  );
  route(
    {
      method: 'GET',
      url: '/api/patients/:id/timeline',
      summary: 'Patient journey as a dated list with computed CRS/ICANS grades',
      tag: 'patients',
      auth: true,
    },
    async ({ reg, params }) => reg.timeline(params['id'] ?? ''),
  );
  route(
    {
      method: 'GET',
      url: '/api/patients/:id/outcomes',
      summary: 'Computed outcomes (grades, vein-to-vein, best response, PFS/OS/TTP/NRM)',
      tag: 'patients',
      auth: true,
    },
    async ({ reg, params }) => reg.outcome(params['id'] ?? ''),
  );

  for (const e of ENTITIES) registerEntity(e);
  function registerEntity(e: EntitySpec): void {
    route(
      {
        method: 'GET',
        url: `/api/patients/:id/${e.path}`,
        summary: `List ${e.label} rows of a patient (paginated: limit, offset; total in X-Total-Count)`,
        tag: e.path,
        query: rowsPageQuery,
        auth: true,
      },
      async ({ reg, params, query, reply }) => {
        const rows = await reg.listRows(e.path, params['id'] ?? '');
        const q = query as z.infer<typeof rowsPageQuery>;
        const offset = q.offset ?? 0;
        reply.header('x-total-count', String(rows.length));
        return rows.slice(offset, q.limit !== undefined ? offset + q.limit : undefined);
      },
    );
    route(
      {
        method: 'POST',
        url: `/api/patients/:id/${e.path}`,
        summary: `Add a ${e.label}`,
        tag: e.path,
        body: createSchema(e.fields),
        auth: true,
      },
      async ({ reg, params, req, reply }) => {
        const r = await reg.createRow(e.path, params['id'] ?? '', req.body);
        reply.code(201);
        return r;
      },
    );
    route(
      { method: 'GET', url: `/api/${e.path}/:rowId`, summary: `One ${e.label}`, tag: e.path, auth: true },
      async ({ reg, params }) => reg.getRow(e.path, params['rowId'] ?? ''),
    );
    route(
      {
        method: 'PATCH',
        url: `/api/${e.path}/:rowId`,
        summary: `Update a ${e.label} (version + reason required)`,
        tag: e.path,
        body: updateSchema(e.fields),
        auth: true,
      },
      async ({ reg, params, req }) => reg.updateEntityRow(e.path, params['rowId'] ?? '', req.body),
    );
    route(
      {
        method: 'DELETE',
        url: `/api/${e.path}/:rowId`,
        summary: `Delete a ${e.label} (version + reason required)`,
        tag: e.path,
        body: deleteSchema,
        auth: true,
      },
      async ({ reg, params, req }) => {
        await reg.deleteRow(e.path, params['rowId'] ?? '', req.body);
        return undefined;
      },
    );
  }

  // ------------------------------------------------------------------ programme views
  route(
    {
      method: 'GET',
      url: '/api/dashboard',
      summary:
        'Programme figures over the caller scope (CONSORT flow, vein-to-vein, toxicity, response, follow-up)',
      tag: 'programme',
      auth: true,
    },
    async ({ reg }) => reg.dashboard(),
  );
  route(
    {
      method: 'GET',
      url: '/api/audit',
      summary: 'Audit trail in scope (not for analysts)',
      tag: 'programme',
      query: auditQuery,
      auth: true,
    },
    async ({ reg, query }) => reg.auditLog(query as z.infer<typeof auditQuery>),
  );
  route(
    {
      method: 'GET',
      url: '/api/export',
      summary: 'Export in scope: CSV long/wide or CDISC ODM 1.3.2 with audit records',
      tag: 'programme',
      query: exportQuery,
      auth: true,
    },
    async ({ reg, query, reply, req }) => {
      const q = query as z.infer<typeof exportQuery>;
      const records = await reg.allRecords();
      const body =
        q.format === 'odm'
          ? exportOdm(records, reg.actor.role === 'analyst' ? [] : await reg.auditLog())
          : exportCsv(records, q.format === 'csv-long' ? 'long' : 'wide');
      await reg.recordExport({ format: q.format, patients: records.length, client: req.ip });
      reply.type(q.format === 'odm' ? 'application/xml' : 'text/csv');
      return body;
    },
  );
  route(
    {
      method: 'POST',
      url: '/api/grade/crs',
      summary: 'ASTCT 2019 CRS grade of one observation window',
      tag: 'grading',
      body: crsWindowSchema,
      auth: true,
    },
    ({ req }) => Promise.resolve(gradeCrs(parseCrsWindow(req.body))),
  );
  route(
    {
      method: 'POST',
      url: '/api/grade/icans',
      summary: 'ASTCT 2019 ICANS grade of one observation window',
      tag: 'grading',
      body: icansWindowSchema,
      auth: true,
    },
    ({ req }) => Promise.resolve(gradeIcans(parseIcansWindow(req.body))),
  );

  route(
    {
      method: 'POST',
      url: '/api/import/redcap',
      summary: 'Import a REDCap project (dictionary + records CSV text, mapping object); all or nothing',
      tag: 'exchange',
      body: redcapImportBody,
      auth: true,
    },
    async ({ reg, body, reply }) => {
      const b = body as z.infer<typeof redcapImportBody>;
      const summary = await importRedcapText(reg, {
        dictionary: { file: 'dictionaryCsv', text: b.dictionaryCsv },
        records: { file: 'recordsCsv', text: b.recordsCsv },
        mapping: parseMapping(b.mapping, 'mapping'),
        mappingFile: 'mapping',
      });
      reply.code(201);
      return summary;
    },
  );

  const openapi = openApiDocument(docs);
  app.get('/api/openapi.json', () => Promise.resolve(openapi));
  return app;
}

/** OpenAPI 3.1 document of the routes (zod → JSON Schema with `z.toJSONSchema`). */
function openApiDocument(docs: RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const err = (d: string) => ({
    description: d,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  for (const d of docs) {
    const url = d.url.replace(/:(\w+)/g, '{$1}');
    const params = [...d.url.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (d.query) {
      const js = z.toJSONSchema(d.query, { io: 'input', unrepresentable: 'any' }) as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(js.properties ?? {}))
        params.push({
          name,
          in: 'query',
          required: (js.required ?? []).includes(name),
          schema: schema as { type: string },
        });
    }
    const op: Record<string, unknown> = {
      summary: d.summary,
      tags: [d.tag],
      parameters: params,
      responses: {
        '200': { description: 'OK' },
        '400': err('bad input; `field` names the offending field, nothing written'),
        ...(d.auth
          ? {
              '401': err('not authenticated'),
              '403': err('role may not, or CSRF token missing'),
              '404': err('not found or outside your scope'),
            }
          : {}),
        ...(d.method === 'PATCH' || d.method === 'DELETE'
          ? { '409': err('stale version; nothing changed') }
          : {}),
        ...Object.fromEntries(Object.entries(d.responses ?? {}).map(([k, v]) => [k, err(v)])),
      },
    };
    if (d.auth) op['security'] = [{ session: [] }];
    if (d.body) {
      const schema = z.toJSONSchema(d.body, { io: 'input', unrepresentable: 'any' }) as Record<
        string,
        unknown
      >;
      delete schema['$schema'];
      op['requestBody'] = { required: true, content: { 'application/json': { schema } } };
    }
    (paths[url] ??= {})[d.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Cartography registry API',
      version: '1.0.0',
      description:
        'CAR T programme registry: patients from referral to follow-up across centres. Session cookie ' +
        `\`${SESSION_COOKIE}\` from POST /api/auth/login; state-changing requests need header x-csrf-token.`,
    },
    components: {
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            error: { type: 'string' },
            field: { type: ['string', 'null'] },
            currentVersion: { type: 'integer' },
          },
          required: ['error'],
        },
      },
    },
    paths,
  };
}

/** Patients and their journey rows (`/api/patients/*`, one route group per registry entity). */
import { z } from 'zod';
import { CONSORT_STAGES } from '../../clinical/outcomes.js';
import { ENTITIES, HISTOLOGIES, PATIENT_FIELDS, PRODUCTS, type EntitySpec } from '../../registry/model.js';
import { PATIENT_SORTS } from '../../registry/patient-list.js';
import { createSchema, deleteSchema, updateSchema } from '../../registry/validation.js';
import type { RouteContext } from './context.js';

/** An ISO date query parameter (YYYY-MM-DD). */
export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date YYYY-MM-DD');
/** GET /api/patients: paging, filters and sort (src/registry/patient-list.ts); periods inclusive. */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  pseudonymPrefix: z.string().max(40).optional().describe('case-sensitive prefix of the pseudonym'),
  histology: z.enum(HISTOLOGIES).optional(),
  centre: z
    .string()
    .max(40)
    .optional()
    .describe('centre code (analyst: pseudo-code); a centre role may give its own centre only'),
  stage: z.enum(CONSORT_STAGES).optional().describe('furthest CONSORT stage (computed)'),
  product: z.enum(PRODUCTS).optional().describe('CAR T product (computed: the last product row)'),
  referredFrom: isoDate.optional(),
  referredTo: isoDate.optional(),
  infusedFrom: isoDate.optional(),
  infusedTo: isoDate.optional(),
  sort: z.enum(PATIENT_SORTS).optional().describe('default: referralDate, newest first'),
  order: z.enum(['asc', 'desc']).optional().describe('default: asc with sort, desc without'),
});
/** Pagination of a patient's entity rows (list order: the store's; total in the X-Total-Count header). */
const rowsPageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});

/**
 * Registers the patient routes (list, create, read, update, delete, timeline, outcomes) and, per
 * registry entity, its row routes (list with pagination, add, read, update, delete).
 */
export function registerPatientRoutes(ctx: RouteContext): void {
  const { route } = ctx;
  const patientCreate = createSchema(PATIENT_FIELDS).extend({ centre: z.string() });
  route(
    {
      method: 'GET',
      url: '/api/patients',
      summary:
        'List patients in scope: filter (pseudonym, histology, centre, stage, product, referral and infusion period), sort, page; items carry stage, product, infusionDate',
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
}

/** Programme views and exchange: dashboard, audit trail, export, ASTCT grading, REDCap import. */
import { z } from 'zod';
import {
  crsWindowSchema,
  gradeCrs,
  gradeIcans,
  icansWindowSchema,
  parseCrsWindow,
  parseIcansWindow,
} from '../../registry/grading/astct.js';
import { exportCsv, exportOdm } from '../../registry/exchange/export.js';
import { importRedcapText, parseMapping } from '../../registry/exchange/import.js';
import { vegaLiteToSvg } from '../../report/figures.js';
import { DASHBOARD_FIGURES, dashboardSpec } from '../../registry/dashboard.js';
import { NotFoundError } from '../../registry/store.js';
import type { RouteContext } from './context.js';
import { pageQuery } from './patients.js';

/** The dashboard's filters: those of the patient list for centre, referral period and product. */
const dashboardQuery = pageQuery.pick({ centre: true, referredFrom: true, referredTo: true, product: true });

const auditQuery = z.strictObject({
  patientId: z.string().optional(),
  table: z.string().optional(),
  rowId: z.string().optional(),
});
const redcapImportBody = z.strictObject({
  dictionaryCsv: z.string().min(1),
  recordsCsv: z.string().min(1),
  mapping: z.record(z.string(), z.unknown()),
});
const exportQuery = z.strictObject({ format: z.enum(['csv-long', 'csv-wide', 'odm']) });

/**
 * Registers GET /api/dashboard, /api/audit, /api/export, POST /api/grade/crs, /api/grade/icans and
 * POST /api/import/redcap.
 */
export function registerProgrammeRoutes(ctx: RouteContext): void {
  const { route } = ctx;
  route(
    {
      method: 'GET',
      url: '/api/dashboard',
      summary:
        'Programme figures over the caller scope, filtered by centre, referral period and product (CONSORT flow with drop-outs per step, vein-to-vein, toxicity, response, follow-up, PFS/OS medians with 95% CI and numbers at risk by product)',
      tag: 'programme',
      query: dashboardQuery,
      auth: true,
    },
    async ({ reg, query }) => reg.dashboard(query as z.infer<typeof dashboardQuery>),
  );
  route(
    {
      method: 'GET',
      url: '/api/dashboard/figures/:name',
      summary: `A dashboard figure as SVG (name: ${DASHBOARD_FIGURES.map((n) => `${n}.svg`).join(', ')}), with the dashboard's filters`,
      tag: 'programme',
      query: dashboardQuery,
      produces: 'image/svg+xml',
      auth: true,
    },
    async ({ reg, query, params, reply }) => {
      const name = params['name'] ?? '';
      const figure = name.endsWith('.svg') ? name.slice(0, -4) : '';
      if (!(DASHBOARD_FIGURES as readonly string[]).includes(figure)) throw new NotFoundError('figure');
      const outcomes = await reg.outcomesWhere(query as z.infer<typeof dashboardQuery>);
      const svg = await vegaLiteToSvg(dashboardSpec(figure, outcomes));
      reply.type('image/svg+xml').header('cache-control', 'private, no-store');
      return svg;
    },
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
}

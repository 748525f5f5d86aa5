/** The OpenAPI 3.1 document of the registry API, built from the routes' zod schemas. */
import { z } from 'zod';
import { SESSION_COOKIE, type RouteDoc } from './routes/context.js';

/** OpenAPI 3.1 document of the routes (zod → JSON Schema with `z.toJSONSchema`). */
export function openApiDocument(docs: RouteDoc[]): Record<string, unknown> {
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
        '200': d.produces
          ? {
              description: 'OK',
              content: {
                [d.produces]: {
                  schema:
                    d.produces === 'application/json'
                      ? { type: 'object' }
                      : d.produces === 'application/gzip'
                        ? { type: 'string', contentEncoding: 'binary' }
                        : { type: 'string' },
                },
              },
            }
          : { description: 'OK' },
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
      title: 'Cartography registry and study API',
      version: '1.0.0',
      description:
        'CAR T programme registry: patients from referral to follow-up across centres; and the stored ' +
        'studies (scans, VOI metrics, analysis results), read-only. Session cookie ' +
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

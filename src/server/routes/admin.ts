/** Centres and users (`/api/centres`, `/api/users`; creation is admin only). */
import { z } from 'zod';
import { ROLES } from '../../registry/model.js';
import { ForbiddenError } from '../../registry/store.js';
import { hashPassword } from '../auth.js';
import type { RouteContext } from './context.js';

const centreBody = z.strictObject({ code: z.string(), name: z.string() });
const userBody = z.strictObject({
  username: z.string(),
  password: z.string().min(10).max(200),
  role: z.enum(ROLES),
  centre: z.string().nullable().optional(),
});

/** Registers GET/POST /api/centres (visible centres; create) and POST /api/users (create a local user). */
export function registerAdminRoutes(ctx: RouteContext): void {
  const { store, route } = ctx;
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
}

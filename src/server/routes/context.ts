/**
 * What every route module of the registry API shares: the route table (`route` checks the session
 * and CSRF token, parses body and query with their zod schemas, and records the OpenAPI entry), the
 * session lookup, the clock and the app options. Built by `buildApp` (src/server/app.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { CartoError } from '../../errors.js';
import type { Actor, RegistryStore, ScopedRegistry } from '../../registry/store.js';
import type { IdentityProvider } from '../auth.js';
import type { ThrottlePolicy } from '../throttle.js';

export const SESSION_COOKIE = 'carto_session';

/** Raised when a request has no valid session cookie (mapped to 401). */
export class UnauthenticatedError extends CartoError {
  constructor() {
    super('not authenticated');
    this.name = 'UnauthenticatedError';
  }
}

/** One route's OpenAPI entry. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  auth: boolean;
  /** Responses beyond the common ones (status → description). */
  responses?: Record<string, string>;
  /** Media type of the 200 response when it is not JSON (e.g. `text/csv`, `application/gzip`). */
  produces?: string;
}

/** Handler of an authenticated route: the parsed body/query and the caller's scoped registry. */
export type Handler = (ctx: {
  req: FastifyRequest;
  reply: FastifyReply;
  reg: ScopedRegistry;
  actor: Actor;
  body: unknown;
  query: unknown;
  params: Record<string, string>;
}) => Promise<unknown>;

/** Shared by the route modules (see module doc). */
export interface RouteContext {
  app: FastifyInstance;
  store: RegistryStore;
  /** OpenAPI entries, in registration order. */
  docs: RouteDoc[];
  /** Registers an authenticated route (session + CSRF for non-GET) and its OpenAPI entry. */
  route: (doc: RouteDoc, handler: Handler) => void;
  /** The session of a request. @throws UnauthenticatedError without a valid session cookie */
  sessionOf: (req: FastifyRequest) => Promise<{ actor: Actor; csrfToken: string; hash: string }>;
  providers: IdentityProvider[];
  throttle: ThrottlePolicy;
  nowMs: () => number;
  /** The clock as an ISO 8601 UTC string. */
  atUtc: () => string;
  secureCookies: boolean;
}

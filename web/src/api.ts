/**
 * The registry API from the browser (docs/registry.md): same-origin JSON over fetch with the session
 * cookie (HttpOnly, set by POST /api/auth/login) and the CSRF token in `x-csrf-token` on every
 * state-changing request. Errors keep the API's status and body (`{error, field}` on 400,
 * `{error, currentVersion}` on 409) so that forms can place the message next to its field.
 */

/** An API answer other than 2xx. */
export class ApiError extends Error {
  readonly status: number;
  /** The field the API named (400), else null. */
  readonly field: string | null;
  /** The row's current version (409), else null. */
  readonly currentVersion: number | null;
  constructor(status: number, body: { error?: string; field?: string | null; currentVersion?: number }) {
    super(body.error ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.field = body.field ?? null;
    this.currentVersion = body.currentVersion ?? null;
  }
}

let csrfToken: string | null = null;

/** Sets the CSRF token of the current session (from login or GET /api/auth/me). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called on any 401 (session expired or signed out elsewhere). */
let onUnauthenticated: () => void = () => {};
export function setOnUnauthenticated(fn: () => void): void {
  onUnauthenticated = fn;
}

/**
 * One API request. `body` is sent as JSON. Resolves to the parsed JSON (undefined on 204) and the
 * response headers. @throws ApiError on a non-2xx answer
 */
export async function request<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<{ data: T; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const r = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (r.status === 204) return { data: undefined as T, headers: r.headers };
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    json = { error: text.slice(0, 200) };
  }
  if (!r.ok) {
    if (r.status === 401 && url !== '/api/auth/login') onUnauthenticated();
    throw new ApiError(r.status, json && typeof json === 'object' ? json : {});
  }
  return { data: json as T, headers: r.headers };
}

/** GET `url` with `query` (undefined and '' values left out); resolves to the JSON. */
export async function get<T>(
  url: string,
  query: Record<string, string | number | undefined> = {},
): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return (await request<T>('GET', s ? `${url}?${s}` : url)).data;
}

/** A patient or entity row as the API returns it (camelCase fields plus id, version, centre, times). */
export type Row = Record<string, unknown> & { id: string; version: number };

export interface Page<T> {
  total: number;
  limit: number;
  offset: number;
  items: T[];
}

export type Role = 'admin' | 'data_manager' | 'clinician' | 'analyst';

export interface Me {
  username: string;
  role: Role;
  csrfToken: string;
  /** The user's centre (GET /api/auth/me); null for the programme-wide roles (admin, analyst). */
  centre: { code: string; name: string } | null;
}

/** What a role may do, exactly as the data layer enforces it (docs/registry.md, Roles). */
export const may = {
  write: (role: Role) => role !== 'analyst',
  audit: (role: Role) => role !== 'analyst',
  allCentres: (role: Role) => role === 'admin' || role === 'analyst',
  admin: (role: Role) => role === 'admin',
};

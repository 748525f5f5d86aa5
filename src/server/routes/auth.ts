/** Sign-in, sign-out and the current user (`/api/auth/*`). */
import { parseOrThrow } from '../../registry/validation.js';
import { z } from 'zod';
import { newToken, tokenHash } from '../auth.js';
import { remainingDelayMs, throttleKeys } from '../throttle.js';
import { SESSION_COOKIE, UnauthenticatedError, type RouteContext } from './context.js';

const SESSION_HOURS = 12;
/** Recorded as the user name of a failed sign-in under a name that is no account (it may be a password typed into the wrong field). */
const UNKNOWN_USER = '(unknown user name)';
const loginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
});

/**
 * Registers POST /api/auth/login (throttled; sets the session cookie, returns the CSRF token),
 * POST /api/auth/logout and GET /api/auth/me. Sign-ins, failures and sign-outs go to the access log.
 */
export function registerAuthRoutes(ctx: RouteContext): void {
  const { app, store, docs, route, sessionOf, providers, throttle, nowMs, atUtc, secureCookies } = ctx;
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
      secure: secureCookies,
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
      summary:
        "The current user, the user's centre (code and name; null for the programme-wide roles) and the CSRF token",
      tag: 'auth',
      auth: true,
    },
    async ({ req, actor }) => {
      const s = await sessionOf(req);
      const centre = actor.centreId !== null ? (await store.centres()).get(actor.centreId) : undefined;
      return {
        username: actor.username,
        role: actor.role,
        centre: centre ? { code: centre.code, name: centre.name } : null,
        csrfToken: s.csrfToken,
      };
    },
  );
}

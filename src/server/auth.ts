/**
 * Authentication: local accounts with argon2id password hashes (@node-rs/argon2, OWASP parameters:
 * 19 MiB memory, 2 iterations, 1 lane), opaque session tokens (only their SHA-256 is stored) and a
 * per-session CSRF token (synchronizer-token pattern: every state-changing request must echo it in the
 * `x-csrf-token` header). External identity providers (OIDC, SAML) plug in through `IdentityProvider`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify, type Options } from '@node-rs/argon2';
import type { RegistryStore, UserRow } from '../registry/store.js';

/** argon2id parameters (OWASP password storage cheat sheet, minimum profile 1). */
const ARGON2: Options = {
  algorithm: 2 /* Algorithm.Argon2id */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/** Hashes a password with argon2id (PHC string). Passwords shorter than 10 characters are refused. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < 10) throw new Error('password must have at least 10 characters');
  return hash(password, ARGON2);
}

/** Verifies a password against a PHC argon2 hash (false on any mismatch or malformed hash). */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

/** Credentials as received by the login route. */
export interface Credentials {
  username: string;
  password: string;
}

/**
 * A source of verified identities. The local provider checks argon2 hashes; an external provider
 * (e.g. OIDC) would verify its token and map the subject to a registry user (`reg_user.external_subject`),
 * so roles and centres always come from the registry.
 */
export interface IdentityProvider {
  readonly name: string;
  /** Returns the registry user for valid credentials, or null. Never throws for bad credentials. */
  authenticate(credentials: Credentials): Promise<UserRow | null>;
}

let dummyHash: Promise<string> | null = null;

/** Local accounts: username + argon2id password hash in `reg_user`. */
export class LocalPasswordProvider implements IdentityProvider {
  readonly name = 'local';
  constructor(private readonly store: RegistryStore) {}

  async authenticate(c: Credentials): Promise<UserRow | null> {
    const user = await this.store.userByUsername(c.username);
    if (!user || !user.passwordHash || user.disabled) {
      // spend the same time as a real check so that response time does not reveal valid usernames
      await verifyPassword(await (dummyHash ??= hash('not-a-real-password', ARGON2)), c.password);
      return null;
    }
    return (await verifyPassword(user.passwordHash, c.password)) ? user : null;
  }
}

/** A new random token (256 bits, base64url). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a session token (what the database stores). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Sign-in throttle: exponential back-off per client address and per user name, held in the registry
 * database (`reg_login_throttle`, migration 002), so it survives a restart.
 *
 * Each failed sign-in is counted under two keys: `client:<ip>` and `user:<lower-cased user name>`. Once a
 * key has more than its free failures, every further attempt under it must wait
 * `min(baseDelayMs · 2^(failures − free), maxDelayMs)` after the last failure; an attempt during the wait
 * is answered 429 with `Retry-After` and is neither checked nor counted. After the wait the right password
 * always signs in (there is no hard lock) and clears the user name's counter. The client counter is not
 * cleared by a success (one's own account must not reset the back-off on guessing others'); it is forgotten
 * `forgetAfterMs` after its last failure, as is a user name's.
 * Policy: OWASP Authentication Cheat Sheet ("Protect against automated attacks": throttling and
 * exponential back-off instead of account lock-out). The admin account is treated like any other.
 */
import type { RegistryStore } from '../registry/store.js';

export interface ThrottlePolicy {
  /** Failures of one user name that cost nothing (default 5). */
  freeUserFailures: number;
  /** Failures from one client address that cost nothing (default 10: several users behind one address). */
  freeClientFailures: number;
  /** First delay (default 1 s), doubled per further failure. */
  baseDelayMs: number;
  /** Longest delay (default 15 min). */
  maxDelayMs: number;
  /** A counter without a failure for this long starts afresh (default 24 h). */
  forgetAfterMs: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeUserFailures: 5,
  freeClientFailures: 10,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 24 * 3600_000,
};

/** The throttle keys of one attempt. */
export function throttleKeys(client: string, username: string): { client: string; user: string } {
  return { client: `client:${client}`, user: `user:${username.toLowerCase()}` };
}

/**
 * Required delay after `failures` failures with `free` free ones (ms; 0 while failures ≤ free).
 * @example backoffMs(6, 5, policy) = 1000; backoffMs(7, 5, policy) = 2000; capped at policy.maxDelayMs
 */
export function backoffMs(failures: number, free: number, p: ThrottlePolicy): number {
  if (failures <= free) return 0;
  const exp = Math.min(failures - free - 1, 40);
  return Math.min(p.baseDelayMs * 2 ** exp, p.maxDelayMs);
}

/**
 * Milliseconds the attempt must still wait (0 = may try now), the longer of the client's and the user
 * name's waits.
 */
export async function remainingDelayMs(
  store: RegistryStore,
  keys: { client: string; user: string },
  nowMs: number,
  p: ThrottlePolicy,
): Promise<number> {
  let wait = 0;
  for (const s of await store.throttleStates([keys.client, keys.user])) {
    if (nowMs - s.lastFailureMs > p.forgetAfterMs) continue;
    const free = s.key === keys.client ? p.freeClientFailures : p.freeUserFailures;
    wait = Math.max(wait, s.lastFailureMs + backoffMs(s.failures, free, p) - nowMs);
  }
  return wait;
}

/**
 * Migration 0002 (the registry's `002_login_throttle`): the sign-in throttle (`reg_login_throttle`). One row per throttle key — a client
 * address (`client:<ip>`) or a lower-cased user name (`user:<name>`) — with the number of failed sign-ins and
 * the time of the last one (milliseconds since the epoch). The required delay is computed from these
 * (src/server/throttle.ts), so it survives a restart and is shared by every server on the same database.
 */
import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../db.js';

export function registryLoginThrottle(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('reg_login_throttle')
        .addColumn('throttle_key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        // epoch milliseconds exceed 32 bits: bigint on PostgreSQL (INT8 comes back as a number, db.ts)
        .addColumn('last_failure_ms', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
        .execute();
    },
  };
}

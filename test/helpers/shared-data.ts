/**
 * Paths into `../shared/data/` (the reference data beside the project). A test whose data folder is
 * missing fails loudly: it never skips silently (shared/data/README.md).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const sharedDataRoot = resolve(projectRoot, '..', 'shared', 'data');

/** Absolute path of `parts` under ../shared/data; throws when it does not exist. */
export function sharedData(...parts: string[]): string {
  const p = join(sharedDataRoot, ...parts);
  if (!existsSync(p)) {
    throw new Error(`reference data missing: ${p} (expected ../shared/data beside the project root)`);
  }
  return p;
}

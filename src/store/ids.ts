/** Ids the API gives rows whose own key is only unique within a study. */
import { createHash } from 'node:crypto';

/**
 * The API id of a scan (`/api/scans/{id}`): the first 16 hex digits of SHA-256 over the study id, a NUL
 * and the scan id. Deterministic, so a re-import of the study keeps a viewer's links; 64 bits make a
 * collision between two scans of one deployment negligible (and the unique index would refuse it).
 */
export function scanUid(studyId: string, scanId: string): string {
  return createHash('sha256').update(`${studyId}\u0000${scanId}`).digest('hex').slice(0, 16);
}

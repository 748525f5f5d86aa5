/**
 * Everything in the caller's scope that the API has no filter or bulk route for: every patient (pages of
 * 500 over GET /api/patients) and each patient's computed outcomes (GET /api/patients/{id}/outcomes,
 * six requests at a time, cached until that patient changes). Used by the patient list's centre,
 * period, stage and product filters and sorting, and by the dashboard's Kaplan–Meier curves and filters.
 */
import type { PatientOutcome } from '../../src/registry/outcomes.js';
import { get, type Page, type Row } from './api.js';

export type { PatientOutcome };

const outcomeCache = new Map<string, PatientOutcome>();

/** Forgets the cached outcomes of a patient (after a change to its rows). */
export function forgetOutcome(patientId: string): void {
  outcomeCache.delete(patientId);
}

/** Every patient in scope matching the API's own filters (pseudonym prefix, histology). */
export async function allPatients(
  filters: { pseudonymPrefix?: string; histology?: string },
  onProgress?: (done: number, total: number) => void,
): Promise<Row[]> {
  const out: Row[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await get<Page<Row>>('/api/patients', { ...filters, limit: 500, offset });
    out.push(...page.items);
    onProgress?.(out.length, page.total);
    if (page.items.length < 500 || out.length >= page.total) return out;
  }
}

/** The computed outcomes of each patient (by id), six requests in flight at a time. */
export async function outcomesOf(
  ids: string[],
  onProgress?: (done: number, total: number) => void,
): Promise<Map<string, PatientOutcome>> {
  const out = new Map<string, PatientOutcome>();
  const todo = ids.filter((id) => {
    const hit = outcomeCache.get(id);
    if (hit) out.set(id, hit);
    return !hit;
  });
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const id = todo[next++] as string;
      const o = await get<PatientOutcome>(`/api/patients/${encodeURIComponent(id)}/outcomes`);
      outcomeCache.set(id, o);
      out.set(id, o);
      onProgress?.(out.size, ids.length);
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return out;
}

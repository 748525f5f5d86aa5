/**
 * Filter state kept in the page's URL query (bookmarkable; back/forward work): the current values, a
 * setter that replaces the URL (and goes back to page 1 unless the page itself changes), and the
 * centre codes an admin may filter by.
 */
import { useEffect, useState } from 'react';
import { get, may, type Role } from './api.js';
import { navigate, useLocation } from './router.js';

/** The query of `path` as a record, and `set` to change some keys ('' removes a key). */
export function useQueryState(path: string): {
  q: Record<string, string>;
  key: string;
  set: (patch: Record<string, string>) => void;
} {
  const { query } = useLocation();
  const set = (patch: Record<string, string>) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('page' in patch)) next.delete('page');
    const s = next.toString();
    navigate(s ? `${path}?${s}` : path, { replace: true });
  };
  return { q: Object.fromEntries(query.entries()), key: query.toString(), set };
}

/** The centre codes (GET /api/centres) for an admin's centre filter; empty for other roles. */
export function useCentreCodes(role: Role): string[] {
  const [centres, setCentres] = useState<string[]>([]);
  useEffect(() => {
    if (may.admin(role))
      get<{ code: string }[]>('/api/centres').then(
        (cs) => setCentres(cs.map((c) => c.code)),
        () => setCentres([]),
      );
  }, [role]);
  return centres;
}

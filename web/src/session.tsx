/** The signed-in user (GET /api/auth/me) shared by every page, with sign-in and sign-out. */
import { createContext, useContext } from 'react';
import type { Me } from './api.js';

export interface SessionValue {
  me: Me;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionValue | null>(null);

/** The session of a signed-in page. @throws Error outside a signed-in page (a programming error) */
export function useSession(): SessionValue {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Header with the navigation landmark (Patients, Dashboard, Studies, Audit where the role may read it). */
import type { ReactNode } from 'react';
import { may } from './api.js';
import { Link, useLocation } from './router.js';
import { useSession } from './session.js';

const ROLE_NAMES = {
  admin: 'admin',
  data_manager: 'data manager',
  clinician: 'clinician',
  analyst: 'analyst',
} as const;

export function Layout(props: { children: ReactNode }) {
  const { me, signOut } = useSession();
  const { path } = useLocation();
  const links: { href: string; name: string }[] = [
    { href: '/patients', name: 'Patients' },
    { href: '/dashboard', name: 'Dashboard' },
    { href: '/studies', name: 'Studies' },
  ];
  if (may.audit(me.role)) links.push({ href: '/audit', name: 'Audit' });
  const current = (href: string) =>
    path === href || path.startsWith(`${href}/`) || (href === '/studies' && path.startsWith('/scans/'));
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <span className="brand">Cartography</span>
        <nav aria-label="Main">
          <ul>
            {links.map((l) => (
              <li key={l.href}>
                <Link href={l.href} aria-current={current(l.href) ? 'page' : undefined}>
                  {l.name}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="user">
          <span>
            {me.username} ({ROLE_NAMES[me.role]}
            {me.centre ? `, ${me.centre.code}` : ''})
          </span>
          <button type="button" className="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

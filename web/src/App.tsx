/**
 * The app shell: asks the API who is signed in (GET /api/auth/me), shows the sign-in page until
 * someone is, then the page of the current path inside the layout (header, navigation, main).
 */
import { lazy, Suspense, useCallback, useEffect, useState, type ComponentType } from 'react';
import { ApiError, get, request, setCsrfToken, setOnUnauthenticated, type Me } from './api.js';
import { Layout } from './Layout.js';
import { navigate, useLocation } from './router.js';
import { SessionContext } from './session.js';
import { SignIn } from './pages/SignIn.js';
import { PatientsPage } from './pages/Patients.js';
import { NewPatientPage } from './pages/NewPatient.js';
import { PatientPage } from './pages/Patient.js';
import { StudiesPage } from './pages/Studies.js';
import { StudyPage } from './pages/Study.js';
import { AuditPage } from './pages/Audit.js';
import { NotFoundPage } from './pages/NotFound.js';
import { displayFile, prefetchScanFile } from './viewer/scan-files.js';
import { DEFAULT_WINDOW_MAX_SUV } from '../../src/io/display-nifti.js';

/**
 * A page in a chunk of its own, loaded when first shown or ahead (`preload`). Once its chunk is in, the
 * page renders directly: a page that suspends is revealed no sooner than 300 ms after its fallback
 * was shown (React's fallback throttle), although the chunk takes some 10 ms on a local server.
 */
function pageChunk<P extends object>(load: () => Promise<ComponentType<P>>) {
  let loaded: ComponentType<P> | null = null;
  const preload = () => load().then((c) => (loaded = c));
  const Lazy = lazy(() => preload().then((c) => ({ default: c })));
  const Page = (props: P) => {
    const C = loaded ?? Lazy;
    return <C {...props} />;
  };
  return { preload, Page };
}

// the PET viewer brings niivue (WebGL): loaded on the viewer route, or ahead on a study's page (which
// links to its scans) and when the app opens at a scan's address (while it asks who is signed in)
const viewer = pageChunk(() => import('./pages/ScanViewer.js').then((m) => m.ScanViewerPage));
// the dashboard: loaded when first opened (its figures are SVG rendered by the server)
const dashboard = pageChunk(() => import('./pages/Dashboard.js').then((m) => m.DashboardPage));
/** The scan the app opened at (/scans/{id}), if it did. */
const openingScan = /^\/scans\/([0-9a-f]+)$/.exec(window.location.pathname)?.[1] ?? null;
/** The chunk of the page the app opened at, when it is one (see `pageChunk`), loading. */
const openingChunk =
  openingScan !== null
    ? viewer.preload().catch(() => undefined) // a failed load shows when the page renders
    : null;
// and the scan's first image on its way: its display volume in the window the viewer opens in (the
// viewer takes the request when it starts)
if (openingScan !== null) prefetchScanFile(openingScan, displayFile(DEFAULT_WINDOW_MAX_SUV));
const ScanViewerPage = viewer.Page;
const DashboardPage = dashboard.Page;

type State = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'signed-in'; me: Me };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const { path } = useLocation();

  const signedIn = useCallback((me: Me) => {
    setCsrfToken(me.csrfToken);
    setState({ kind: 'signed-in', me });
  }, []);

  useEffect(() => {
    setOnUnauthenticated(() => {
      setCsrfToken(null);
      setState({ kind: 'signed-out' });
    });
    // the first page renders once its chunk is in too: rendered before, it would wait for it in a
    // Suspense fallback, and React reveals it no sooner than 300 ms after that
    const me = get<Me>('/api/auth/me');
    Promise.all([me, openingChunk]).then(
      ([m]) => signedIn(m),
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 401) setState({ kind: 'signed-out' });
        else setState({ kind: 'signed-out' });
      },
    );
  }, [signedIn]);

  const signedInNow = state.kind === 'signed-in';
  useEffect(() => {
    if (signedInNow && path.startsWith('/studies/')) void viewer.preload();
  }, [signedInNow, path]);

  const signOut = useCallback(async () => {
    try {
      await request('POST', '/api/auth/logout');
    } finally {
      setCsrfToken(null);
      setState({ kind: 'signed-out' });
      navigate('/', { replace: true });
    }
  }, []);

  if (state.kind === 'loading') return <p className="loading">Loading…</p>;
  if (state.kind === 'signed-out')
    return (
      <SignIn
        onSignedIn={(me) => {
          signedIn(me);
          if (path === '/' || path === '/sign-in') navigate('/patients', { replace: true });
        }}
      />
    );
  return (
    <SessionContext.Provider value={{ me: state.me, signOut }}>
      <Layout>{page(path)}</Layout>
    </SessionContext.Provider>
  );
}

/** The page component of a path. */
function page(path: string) {
  if (path === '/' || path === '/sign-in' || path === '/patients') return <PatientsPage />;
  if (path === '/patients/new') return <NewPatientPage />;
  const m = /^\/patients\/([^/]+)$/.exec(path);
  if (m?.[1]) return <PatientPage id={decodeURIComponent(m[1])} />;
  if (path === '/dashboard')
    return (
      <Suspense fallback={<p role="status">Loading…</p>}>
        <DashboardPage />
      </Suspense>
    );
  if (path === '/studies') return <StudiesPage />;
  const st = /^\/studies\/([^/]+)$/.exec(path);
  if (st?.[1]) return <StudyPage id={decodeURIComponent(st[1])} />;
  const sc = /^\/scans\/([0-9a-f]+)$/.exec(path);
  if (sc?.[1])
    return (
      <Suspense fallback={<p role="status">Loading the viewer…</p>}>
        <ScanViewerPage id={sc[1]} />
      </Suspense>
    );
  if (path === '/audit') return <AuditPage />;
  return <NotFoundPage />;
}

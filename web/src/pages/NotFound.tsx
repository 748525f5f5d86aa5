import { Link } from '../router.js';

/** A path the app does not know. */
export function NotFoundPage() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no page at this address. Go to the <Link href="/patients">patients</Link>.
      </p>
    </>
  );
}

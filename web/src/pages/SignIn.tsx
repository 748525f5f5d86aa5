/** The sign-in page: user name and password to POST /api/auth/login (session cookie + CSRF token). */
import { useState, type FormEvent } from 'react';
import { ApiError, request, type Me } from '../api.js';

export function SignIn(props: { onSignedIn: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const { data } = await request<Me>('POST', '/api/auth/login', { username, password });
      props.onSignedIn(data);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('Wrong user name or password.');
      else if (err instanceof ApiError && err.status === 429)
        setError('Too many failed sign-ins: wait a little and try again.');
      else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <h1>Cartography</h1>
      <p>The CAR T programme registry. Sign in with your registry account.</p>
      <form onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        <div className="field">
          <label htmlFor="username">Username</label>
          <input
            id="username"
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

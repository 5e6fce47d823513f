import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api.ts';
import { InlineError } from '../components/states.tsx';

/** Asks for an ADMIN key and checks it against GET /api_keys (ADMIN only) before keeping it. */
export function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const candidate = key.trim();
    setBusy(true);
    setError(undefined);
    try {
      await api('/api_keys', { key: candidate });
      onSignedIn(candidate);
    } catch (failure) {
      const status = failure instanceof ApiError ? failure.status : 0;
      setError(
        status === 403
          ? new Error('This is an INFERENCE key. The console needs an ADMIN key.')
          : status === 401
            ? new Error('Rialto does not know this key, or it was revoked or has expired.')
            : failure instanceof Error
              ? failure
              : new Error(String(failure)),
      );
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="sign-in-card" onSubmit={(event) => void submit(event)}>
        <div className="brand brand-large">
          <Logo /> Rialto
        </div>
        <h1>Sign in to the console</h1>
        <p className="muted">
          Use an ADMIN key. Create one with <code>npx rialto keys create --type ADMIN</code>.
        </p>
        <label className="field">
          <span>Admin key</span>
          <input
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            placeholder="rk-…"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            autoFocus
          />
        </label>
        <InlineError error={error} />
        <button
          type="submit"
          className="button button-primary button-block"
          disabled={busy || key.trim() === ''}
        >
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="fine-print">
          The key stays in this browser tab (session storage) and is sent only to this server.
        </p>
      </form>
    </main>
  );
}

export function Logo() {
  return (
    <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="#4f46e5" />
      <path
        d="M6 22c4-9 16-9 20 0"
        fill="none"
        stroke="#fff"
        strokeWidth="3"
        strokeLinecap="round"
      />
      <path d="M9 22v3M16 17v8M23 22v3" stroke="#fff" strokeWidth="2.5" strokeLinecap="round" />
    </svg>
  );
}

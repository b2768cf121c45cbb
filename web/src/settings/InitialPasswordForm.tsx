import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { setInitialPassword } from '../api/identities';
import { Field } from '../components/Field';

/** For an account made through a provider: a first password, so it can sign in without one. */
export function InitialPasswordForm({ onDone }: { onDone(): void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (password.length < 10) return setError('Use at least 10 characters.');
    setBusy(true);
    setError(null);
    try {
      await setInitialPassword(password);
      setPassword('');
      onDone();
    } catch (err) {
      setError(err instanceof ApiError && err.fieldIssues[0] ? err.fieldIssues[0].message : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate>
      <Field
        label="Set a password"
        type="password"
        name="initialPassword"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={error ?? undefined}
        hint="Lets you sign in with your email too (and remove the provider)."
      />
      <button className="button" type="submit" disabled={busy || !password}>
        Set password
      </button>
    </form>
  );
}

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, errorMessage } from '../api/client';
import { setInitialPassword } from '../api/identities';
import { useAuth } from '../auth/AuthContext';
import { Field } from '../components/Field';
import { PasswordStrength } from '../components/PasswordStrength';

const MIN_PASSWORD = 10;

/** For an account made through a provider: a first password, so it can sign in without one. */
export function InitialPasswordForm({ onDone }: { onDone(): void }) {
  const { t } = useTranslation();
  const { user } = useAuth();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (password.length < MIN_PASSWORD) return setError(t('auth.passwordTooShort', { min: MIN_PASSWORD }));
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
        label={t('settings.setPassword')}
        type="password"
        name="initialPassword"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={error ?? undefined}
        hint={t('settings.setPasswordHint')}
      />
      <PasswordStrength password={password} email={user?.email ?? ''} name={user?.displayName} />
      <button className="button" type="submit" disabled={busy || !password}>
        {t('settings.setPasswordSubmit')}
      </button>
    </form>
  );
}

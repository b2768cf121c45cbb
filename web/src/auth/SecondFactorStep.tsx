import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { loginSecondFactor, type User } from '../api/auth';
import { ApiError, errorMessage } from '../api/client';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { usePageTitle } from '../lib/usePageTitle';

/** Second step of a sign-in with two-factor on: a TOTP code or a backup code. */
export function SecondFactorStep({ onSignedIn, onRestart }: { onSignedIn(user: User): void; onRestart(): void }) {
  const { t } = useTranslation();
  usePageTitle(t('secondFactor.title'));
  const [backup, setBackup] = useState(false);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [expired, setExpired] = useState(false);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const code = value.trim();
      onSignedIn(await loginSecondFactor(backup ? { backupCode: code } : { code: code.replace(/\s/g, '') }));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'unauthenticated') setExpired(true);
      setError(
        err instanceof ApiError && err.code === 'unauthenticated' ? t('secondFactor.expired') : errorMessage(err),
      );
      setValue('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="narrow card">
      <h1>{t('secondFactor.title')}</h1>
      {error && <Alert title={t('secondFactor.failed')}>{error}</Alert>}
      {expired ? (
        <button className="button button-primary button-block" type="button" onClick={onRestart}>
          {t('secondFactor.restart')}
        </button>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <p>{backup ? t('secondFactor.introBackup') : t('secondFactor.intro')}</p>
          <Field
            key={backup ? 'backup' : 'totp'}
            label={backup ? t('secondFactor.backupLabel') : t('secondFactor.codeLabel')}
            name={backup ? 'backupCode' : 'code'}
            autoComplete="one-time-code"
            inputMode={backup ? 'text' : 'numeric'}
            autoFocus
            required
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
          <button className="button button-primary button-block" type="submit" disabled={busy || !value.trim()}>
            {busy ? t('secondFactor.busy') : t('secondFactor.submit')}
          </button>
          <p className="muted small">
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setBackup(!backup);
                setValue('');
                setError(null);
              }}
            >
              {backup ? t('secondFactor.useApp') : t('secondFactor.useBackup')}
            </button>
          </p>
        </form>
      )}
    </div>
  );
}

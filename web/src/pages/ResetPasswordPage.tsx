import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { resetPassword, tokenFromHash } from '../api/account';
import { ApiError, errorMessage } from '../api/client';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { PasswordStrength } from '../components/PasswordStrength';
import { usePageTitle } from '../lib/usePageTitle';

const MIN_PASSWORD = 10;

/**
 * What the emailed reset link opens (`/reset-password#token=…`): a new password, and with two-step
 * sign-in on, a code or a backup code as well (the server says so; the token stays usable meanwhile).
 */
export function ResetPasswordPage() {
  const { t } = useTranslation();
  usePageTitle(t('account.resetTitle'));
  const { hash } = useLocation();
  const [token] = useState(() => tokenFromHash(hash));
  const [password, setPassword] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [backup, setBackup] = useState(false);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [invalidLink, setInvalidLink] = useState(false);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!token) return;
    setError(null);
    setFieldError(undefined);
    if (password.length < MIN_PASSWORD) {
      setFieldError(t('auth.passwordTooShort', { min: MIN_PASSWORD }));
      return;
    }
    setBusy(true);
    try {
      const second =
        needsCode && code.trim() ? (backup ? { backupCode: code.trim() } : { code: code.replace(/\s/g, '') }) : {};
      await resetPassword({ token, newPassword: password, ...second });
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'second_factor_required') {
        setNeedsCode(true);
      } else if (err instanceof ApiError && err.code === 'invalid_token') {
        setInvalidLink(true);
        setError(errorMessage(err));
      } else if (err instanceof ApiError && err.code === 'weak_password') {
        setFieldError(err.fieldIssues[0]?.message ?? errorMessage(err));
      } else {
        setError(errorMessage(err));
        if (err instanceof ApiError && err.code === 'invalid_code') setCode('');
      }
    } finally {
      setBusy(false);
    }
  };

  // Hand-built here rather than in <Field>: the code field switches between two kinds of code.
  return (
    <div className="narrow card">
      <h1>{t('account.resetTitle')}</h1>
      {done ? (
        <>
          <Alert tone="success">{t('account.resetDone')}</Alert>
          <Link className="button button-primary button-block" to="/login">
            {t('nav.login')}
          </Link>
        </>
      ) : !token || invalidLink ? (
        <>
          <Alert title={t('account.resetFailed')}>{error ?? t('account.linkMissing')}</Alert>
          <Link className="button button-primary button-block" to="/forgot-password">
            {t('account.askNewLink')}
          </Link>
        </>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          {error && <Alert title={t('account.resetFailed')}>{error}</Alert>}
          <p>{t('account.resetIntro')}</p>
          <Field
            label={t('account.newPassword')}
            type="password"
            name="newPassword"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fieldError}
            hint={t('auth.passwordHint', { min: MIN_PASSWORD })}
          />
          {/* The link carries no address, so the meter checks length and guessability; the server also checks the email. */}
          <PasswordStrength password={password} email="" />
          {needsCode && (
            <>
              <Alert tone="info">{t('account.resetNeedsCode')}</Alert>
              <Field
                key={backup ? 'backup' : 'totp'}
                label={backup ? t('secondFactor.backupLabel') : t('secondFactor.codeLabel')}
                name={backup ? 'backupCode' : 'code'}
                autoComplete="one-time-code"
                inputMode={backup ? 'text' : 'numeric'}
                autoFocus
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
              <p className="muted small">
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setBackup(!backup);
                    setCode('');
                  }}
                >
                  {backup ? t('secondFactor.useApp') : t('secondFactor.useBackup')}
                </button>
              </p>
            </>
          )}
          <button
            className="button button-primary button-block"
            type="submit"
            disabled={busy || !password || (needsCode && !code.trim())}
          >
            {busy ? t('account.saving') : t('account.resetSubmit')}
          </button>
        </form>
      )}
    </div>
  );
}

import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { login } from '../api/auth';
import { ApiError, errorMessage } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { OidcError } from '../auth/OidcError';
import { ProviderButtons } from '../auth/ProviderButtons';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { safeNext } from '../lib/safeNext';
import { usePageTitle } from '../lib/usePageTitle';

export function LoginPage() {
  const { t } = useTranslation();
  usePageTitle(t('auth.loginTitle'));
  const { setUser, refresh } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const user = await login({ email: email.trim(), password });
      if (user) setUser(user);
      else await refresh();
      navigate(safeNext(params.get('next')), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'rate_limited') {
        const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
        const message = errorMessage(err);
        setError(retry ? t('auth.retryAbout', { message, minutes: Math.ceil(retry / 60) }) : message);
      } else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="narrow card">
      <h1>{t('auth.loginTitle')}</h1>
      {error && <Alert title={t('auth.loginFailed')}>{error}</Alert>}
      {!error && <OidcError code={params.get('oidc_error')} title={t('auth.providerFailed')} />}
      <ProviderButtons next={params.get('next')} />
      <form onSubmit={onSubmit} noValidate>
        <Field
          label={t('auth.email')}
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label={t('auth.password')}
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button className="button button-primary button-block" type="submit" disabled={busy || !email || !password}>
          {busy ? t('auth.loggingIn') : t('auth.loginTitle')}
        </button>
      </form>
      <p className="muted small">
        {t('auth.newHere')} <Link to="/signup">{t('landing.createAccount')}</Link> {t('auth.orGuest')}{' '}
        <Link to="/guest">{t('auth.tryGuestCall')}</Link>.
      </p>
    </div>
  );
}

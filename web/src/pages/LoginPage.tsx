import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { login, type SecondFactorChallenge } from '../api/auth';
import { ApiError, errorMessage } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { OidcError } from '../auth/OidcError';
import { ProviderButtons } from '../auth/ProviderButtons';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { safeNext } from '../lib/safeNext';
import { usePageTitle } from '../lib/usePageTitle';
import { SecondFactorStep } from '../auth/SecondFactorStep';
import { PasskeySignIn } from '../auth/PasskeySignIn';
import { passkeysSupported } from '../api/passkeys';

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
  // A provider sign-in of a two-factor account lands here with ?second-factor=1.
  const [challenge, setChallenge] = useState<SecondFactorChallenge | null>(
    params.get('second-factor') === '1'
      ? { secondFactorRequired: true, methods: ['totp', 'backup_code'], expiresAt: '' }
      : null,
  );
  const done = () => navigate(safeNext(params.get('next')), { replace: true });

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const result = await login({ email: email.trim(), password });
      if ('secondFactorRequired' in result) {
        setPassword('');
        setChallenge(result);
        return;
      }
      if (result) setUser(result);
      else await refresh();
      done();
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

  if (challenge)
    return (
      <SecondFactorStep
        onSignedIn={(user) => {
          setUser(user);
          done();
        }}
        onRestart={() => setChallenge(null)}
      />
    );

  return (
    <div className="narrow card">
      <h1>{t('auth.loginTitle')}</h1>
      {error && <Alert title={t('auth.loginFailed')}>{error}</Alert>}
      {!error && <OidcError code={params.get('oidc_error')} title={t('auth.providerFailed')} />}
      <ProviderButtons
        next={params.get('next')}
        extra={
          passkeysSupported() && (
            <PasskeySignIn
              onSignedIn={(user) => {
                setUser(user);
                done();
              }}
            />
          )
        }
      />
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
        <Link to="/forgot-password">{t('secondFactor.forgotLink')}</Link>
      </p>
      <p className="muted small">
        {t('auth.newHere')} <Link to="/signup">{t('landing.createAccount')}</Link> {t('auth.orGuest')}{' '}
        <Link to="/guest">{t('auth.tryGuestCall')}</Link>.
      </p>
    </div>
  );
}

import { useEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { resendVerification, tokenFromHash, verifyEmail } from '../api/account';
import { errorMessage } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { Loading } from '../components/Loading';
import { usePageTitle } from '../lib/usePageTitle';

type State = { kind: 'checking' } | { kind: 'verified' } | { kind: 'failed'; message: string };

/** What the emailed verification link opens (`/verify-email#token=…`): confirms at once. */
export function VerifyEmailPage() {
  const { t } = useTranslation();
  usePageTitle(t('account.verifyTitle'));
  const { hash } = useLocation();
  const { user, refresh } = useAuth();
  const [state, setState] = useState<State>({ kind: 'checking' });
  const [resent, setResent] = useState<string | null>(null);
  const [resendError, setResendError] = useState<string | null>(null);
  const started = useRef(false);

  useEffect(() => {
    // Once: the link works once, and a second POST (StrictMode, re-render) would report it used.
    if (started.current) return;
    started.current = true;
    const token = tokenFromHash(hash);
    if (!token) {
      setState({ kind: 'failed', message: t('account.linkMissing') });
      return;
    }
    verifyEmail(token)
      .then(async () => {
        setState({ kind: 'verified' });
        await refresh();
      })
      .catch((err: unknown) => setState({ kind: 'failed', message: errorMessage(err) }));
  }, [hash, refresh, t]);

  const resend = async () => {
    setResendError(null);
    try {
      await resendVerification();
      setResent(user?.email ?? '');
    } catch (err) {
      setResendError(errorMessage(err));
    }
  };

  return (
    <div className="narrow card">
      <h1>{t('account.verifyTitle')}</h1>
      {state.kind === 'checking' && <Loading label={t('account.verifying')} />}
      {/* A used link of an address already confirmed (a reload, a second click): the address is what matters. */}
      {(state.kind === 'verified' || (state.kind === 'failed' && user?.emailVerified)) && (
        <>
          <Alert tone="success">{t('account.verified')}</Alert>
          <Link className="button button-primary button-block" to={user ? '/settings' : '/login'}>
            {user ? t('account.toSettings') : t('nav.login')}
          </Link>
        </>
      )}
      {state.kind === 'failed' && !user?.emailVerified && (
        <>
          <Alert title={t('account.verifyFailed')}>{state.message}</Alert>
          {resendError && <Alert>{resendError}</Alert>}
          {resent !== null ? (
            <Alert tone="success">{t('account.resent', { email: resent })}</Alert>
          ) : user ? (
            <button type="button" className="button button-primary button-block" onClick={() => void resend()}>
              {t('account.resend')}
            </button>
          ) : !user ? (
            <p className="muted small">{t('account.verifyLogin')}</p>
          ) : null}
        </>
      )}
    </div>
  );
}

import { useEffect } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { sessionHint } from '../api/auth';
import { useAuth } from '../auth/AuthContext';
import { Loading } from '../components/Loading';
import { safeNext } from '../lib/safeNext';

/**
 * Where the gateway sends the browser after a provider sign-in: notes that there is a session,
 * loads the user, then goes on to `next` (a same-site path only, checked again here).
 */
export function SignedInPage() {
  const { t } = useTranslation();
  const { refresh } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  useEffect(() => {
    sessionHint.set(true);
    void refresh().then((user) => navigate(user ? next : '/login', { replace: true }));
  }, [refresh, navigate, next]);
  return <Loading label={t('auth.signingIn')} />;
}

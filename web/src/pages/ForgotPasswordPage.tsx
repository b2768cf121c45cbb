import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { requestPasswordReset } from '../api/account';
import { errorMessage } from '../api/client';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { usePageTitle } from '../lib/usePageTitle';

/** Asks for a reset link. The server answers the same for every address, and so does this page. */
export function ForgotPasswordPage() {
  const { t } = useTranslation();
  usePageTitle(t('account.forgotTitle'));
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await requestPasswordReset(email.trim());
      setSentTo(email.trim());
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="narrow card">
      <h1>{t('account.forgotTitle')}</h1>
      {error && <Alert title={t('account.forgotFailed')}>{error}</Alert>}
      {sentTo ? (
        <Alert tone="success">{t('account.forgotSent', { email: sentTo })}</Alert>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <p>{t('account.forgotIntro')}</p>
          <Field
            label={t('auth.email')}
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <button className="button button-primary button-block" type="submit" disabled={busy || !email.trim()}>
            {busy ? t('account.sending') : t('account.forgotSend')}
          </button>
        </form>
      )}
      <p className="muted small">
        <Link to="/login">{t('account.backToLogin')}</Link>
      </p>
    </div>
  );
}

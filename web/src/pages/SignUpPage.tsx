import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { register } from '../api/auth';
import { ApiError, errorMessage } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { ProviderButtons } from '../auth/ProviderButtons';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { usePageTitle } from '../lib/usePageTitle';
import { PasswordStrength } from '../components/PasswordStrength';

const MIN_PASSWORD = 10;
const MAX_DISPLAY_NAME = 80; // LIMITS.displayName; not imported so this page does not pull in zod

type Errors = Partial<Record<'email' | 'password' | 'displayName', string>>;

export function SignUpPage() {
  const { t } = useTranslation();
  usePageTitle(t('nav.signup'));
  const { setUser, refresh } = useAuth();
  const navigate = useNavigate();
  const [form, setForm] = useState({ displayName: '', email: '', password: '' });
  const [fieldErrors, setFieldErrors] = useState<Errors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));

  const validate = (): Errors => {
    const errs: Errors = {};
    if (!form.displayName.trim()) errs.displayName = t('auth.nameRequired');
    else if (form.displayName.trim().length > MAX_DISPLAY_NAME)
      errs.displayName = t('auth.nameTooLong', { max: MAX_DISPLAY_NAME });
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.email.trim())) errs.email = t('auth.emailInvalid');
    if (form.password.length < MIN_PASSWORD) errs.password = t('auth.passwordTooShort', { min: MIN_PASSWORD });
    return errs;
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const errs = validate();
    setFieldErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const user = await register({
        email: form.email.trim(),
        password: form.password,
        displayName: form.displayName.trim(),
      });
      if (user) setUser(user);
      else await refresh();
      navigate('/settings?welcome=1', { replace: true });
    } catch (err) {
      if (err instanceof ApiError) {
        const next: Errors = {};
        for (const issue of err.fieldIssues) {
          const key = issue.path.split('.')[0];
          if (key === 'email' || key === 'password' || key === 'displayName') next[key] ??= issue.message;
        }
        if (err.code === 'email_taken') next.email = errorMessage(err);
        if (err.code === 'weak_password') next.password ??= errorMessage(err);
        setFieldErrors(next);
        setError(Object.keys(next).length ? t('auth.checkFields') : errorMessage(err));
      } else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="narrow card">
      <h1>{t('auth.signupTitle')}</h1>
      {error && <Alert title={t('auth.signupFailed')}>{error}</Alert>}
      <ProviderButtons />
      <form onSubmit={onSubmit} noValidate>
        <Field
          label={t('auth.yourName')}
          name="displayName"
          autoComplete="nickname"
          required
          value={form.displayName}
          onChange={set('displayName')}
          error={fieldErrors.displayName}
        />
        <Field
          label={t('auth.email')}
          type="email"
          name="email"
          autoComplete="email"
          required
          value={form.email}
          onChange={set('email')}
          error={fieldErrors.email}
        />
        <Field
          label={t('auth.password')}
          type="password"
          name="password"
          autoComplete="new-password"
          required
          value={form.password}
          onChange={set('password')}
          error={fieldErrors.password}
          hint={t('auth.passwordHint', { min: MIN_PASSWORD })}
        />
        <PasswordStrength password={form.password} email={form.email} name={form.displayName} />
        <button className="button button-primary button-block" type="submit" disabled={busy}>
          {busy ? t('auth.creating') : t('nav.signup')}
        </button>
      </form>
      <p className="muted small">
        {t('auth.haveAccount')} <Link to="/login">{t('nav.login')}</Link>.
      </p>
    </div>
  );
}

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, errorMessage } from '../api/client';
import { changePassword } from '../api/me';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { PasswordStrength } from '../components/PasswordStrength';

const MIN_PASSWORD = 10;

export function PasswordForm() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    const errs: Record<string, string> = {};
    if (!current) errs.current = t('settings.enterCurrent');
    if (next.length < MIN_PASSWORD) errs.next = t('auth.passwordTooShort', { min: MIN_PASSWORD });
    if (next !== confirm) errs.confirm = t('settings.passwordsDiffer');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      await changePassword({ currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      setMessage({ tone: 'success', text: t('settings.passwordChanged') });
    } catch (err) {
      if (err instanceof ApiError) {
        const fe: Record<string, string> = {};
        if (err.code === 'wrong_password') fe.current = errorMessage(err);
        if (err.code === 'weak_password') fe.next = errorMessage(err);
        for (const i of err.fieldIssues) {
          if (i.path.startsWith('currentPassword')) fe.current ??= i.message;
          if (i.path.startsWith('newPassword')) fe.next ??= i.message;
        }
        setErrors(fe);
      }
      setMessage({ tone: 'error', text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-labelledby="password-title">
      <h2 id="password-title">{t('settings.passwordTitle')}</h2>
      {message && <Alert tone={message.tone}>{message.text}</Alert>}
      <Field
        label={t('settings.currentPassword')}
        type="password"
        autoComplete="current-password"
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
        error={errors.current}
      />
      <Field
        label={t('account.newPassword')}
        type="password"
        autoComplete="new-password"
        value={next}
        onChange={(e) => setNext(e.target.value)}
        error={errors.next}
        hint={t('auth.passwordHint', { min: MIN_PASSWORD })}
      />
      <PasswordStrength password={next} email={user?.email ?? ''} name={user?.displayName} />
      <Field
        label={t('settings.repeatPassword')}
        type="password"
        autoComplete="new-password"
        value={confirm}
        onChange={(e) => setConfirm(e.target.value)}
        error={errors.confirm}
      />
      <button className="button" type="submit" disabled={busy}>
        {busy ? t('settings.changing') : t('settings.changePassword')}
      </button>
    </form>
  );
}

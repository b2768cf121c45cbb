import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { User } from '../api/auth';
import { ApiError, errorMessage } from '../api/client';
import { updateProfile } from '../api/me';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';

const MAX_DISPLAY_NAME = 80;

export function ProfileForm({ user, onUpdated }: { user: User; onUpdated(u: User): void }) {
  const { t } = useTranslation();
  const [displayName, setDisplayName] = useState(user.displayName);
  const [email, setEmail] = useState(user.email);
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const emailChanged = email.trim().toLowerCase() !== user.email.toLowerCase();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    const errs: Record<string, string> = {};
    if (!displayName.trim()) errs.displayName = t('settings.nameEmpty');
    else if (displayName.trim().length > MAX_DISPLAY_NAME)
      errs.displayName = t('auth.nameTooLong', { max: MAX_DISPLAY_NAME });
    if (emailChanged && !password) errs.password = t('settings.passwordForEmail');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const body = emailChanged
        ? { displayName: displayName.trim(), email: email.trim(), password }
        : { displayName: displayName.trim() };
      const updated = await updateProfile(body);
      onUpdated(
        updated && typeof updated === 'object' && 'id' in updated
          ? updated
          : { ...user, displayName: body.displayName, email: body.email ?? user.email },
      );
      setPassword('');
      setMessage({ tone: 'success', text: t('settings.profileSaved') });
    } catch (err) {
      if (err instanceof ApiError) {
        const next: Record<string, string> = {};
        for (const i of err.fieldIssues) next[i.path.split('.')[0] ?? ''] ??= i.message;
        if (err.code === 'email_taken') next.email = errorMessage(err);
        if (err.code === 'wrong_password') next.password = errorMessage(err);
        setErrors(next);
      }
      setMessage({ tone: 'error', text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-labelledby="profile-title">
      <h2 id="profile-title">{t('settings.profileTitle')}</h2>
      {message && <Alert tone={message.tone}>{message.text}</Alert>}
      <Field
        label={t('auth.yourName')}
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        autoComplete="nickname"
        error={errors.displayName}
      />
      <Field
        label={t('auth.email')}
        type="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        autoComplete="email"
        error={errors.email}
      />
      {emailChanged && (
        <Field
          label={t('settings.currentPassword')}
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password"
          error={errors.password}
          hint={t('settings.passwordForEmailHint')}
        />
      )}
      <button className="button button-primary" type="submit" disabled={busy}>
        {busy ? t('settings.saving') : t('settings.saveProfile')}
      </button>
    </form>
  );
}

import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { changePassword } from '../api/me';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';

export function PasswordForm() {
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
    if (!current) errs.current = 'Enter your current password.';
    if (next.length < 10) errs.next = 'Use at least 10 characters.';
    if (next !== confirm) errs.confirm = 'The two new passwords differ.';
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      await changePassword({ currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      setMessage({ tone: 'success', text: 'Password changed. Your other devices have been logged out.' });
    } catch (err) {
      if (err instanceof ApiError) {
        const fe: Record<string, string> = {};
        if (err.code === 'wrong_password') fe.current = err.message;
        if (err.code === 'weak_password') fe.next = err.message;
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
      <h2 id="password-title">Password</h2>
      {message && <Alert tone={message.tone}>{message.text}</Alert>}
      <Field
        label="Current password"
        type="password"
        autoComplete="current-password"
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
        error={errors.current}
      />
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        value={next}
        onChange={(e) => setNext(e.target.value)}
        error={errors.next}
        hint="At least 10 characters; not a common password and not your email."
      />
      <Field
        label="Repeat new password"
        type="password"
        autoComplete="new-password"
        value={confirm}
        onChange={(e) => setConfirm(e.target.value)}
        error={errors.confirm}
      />
      <button className="button" type="submit" disabled={busy}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}

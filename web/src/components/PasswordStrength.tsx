import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { checkPassword, PasswordVerdict } from '@parley/protocol/password';

type Check = typeof checkPassword;
let loading: Promise<Check> | null = null;
/** The server's own rules (@parley/protocol/password), loaded on first use: zxcvbn's dictionaries are large. */
const loadCheck = () => (loading ??= import('@parley/protocol/password').then((m) => m.checkPassword));

/**
 * A strength meter under a new-password field: the verdict of the same rules the server applies
 * (length, not the email's name, zxcvbn score ≥ 3), so "Good" here is accepted there.
 */
export function PasswordStrength({ password, email, name }: { password: string; email: string; name?: string }) {
  const { t } = useTranslation();
  const [verdict, setVerdict] = useState<PasswordVerdict | null>(null);
  useEffect(() => {
    if (!password) return setVerdict(null);
    let live = true;
    void loadCheck().then((check) => {
      if (live) setVerdict(check(password, { email: email || 'x@invalid', displayName: name }));
    });
    return () => {
      live = false;
    };
  }, [password, email, name]);
  if (!verdict) return null;
  const label = verdict.problems.includes('too_short')
    ? t('password.tooShort')
    : verdict.problems.includes('contains_email')
      ? t('password.containsEmail')
      : verdict.problems.length
        ? t('password.weak')
        : verdict.score >= 4
          ? t('password.strong')
          : t('password.good');
  const level = verdict.problems.length ? Math.min(verdict.score, 2) : verdict.score; // 0–4
  return (
    <div className="password-strength" data-ok={verdict.problems.length === 0}>
      {/* The bar is decoration; the sentence under it says the same to everyone (and is announced). */}
      <div className="password-strength-bar" aria-hidden="true" data-level={level}>
        <div className="password-strength-fill" style={{ transform: `scaleX(${(level + 1) / 5})` }} />
      </div>
      <p className="field-hint" aria-live="polite" data-testid="password-strength">
        {t('password.strength', { label })}
      </p>
    </div>
  );
}

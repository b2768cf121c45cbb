import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  disableTwoFactor,
  enableTwoFactor,
  regenerateBackupCodes,
  resendVerification,
  startTwoFactorSetup,
  twoFactorStatus,
  type TwoFactorSetup,
  type TwoFactorStatus,
} from '../api/account';
import { errorMessage } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { BackupCodesBox } from './BackupCodesBox';

type Mode = 'idle' | 'setup' | 'regenerate' | 'disable';

/**
 * Settings → two-step sign-in: set up an authenticator app (QR code and the key for typing in),
 * confirm with a code, then the backup codes once; new backup codes; turn off (password + code).
 */
export function TwoFactorSection() {
  const { t } = useTranslation();
  const id = useId();
  const { user } = useAuth();
  const [status, setStatus] = useState<TwoFactorStatus | null>(null);
  const [mode, setMode] = useState<Mode>('idle');
  const [setup, setSetup] = useState<TwoFactorSetup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [backup, setBackup] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setStatus(await twoFactorStatus());
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const reset = (next: Mode) => {
    setMode(next);
    setCode('');
    setPassword('');
    setBackup(false);
    setMessage(null);
    setNotice(null);
  };

  /** Runs one action with the busy flag and the error shown in the section. */
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setMessage(null);
    try {
      await fn();
    } catch (e) {
      setMessage(errorMessage(e));
      setCode('');
    } finally {
      setBusy(false);
    }
  };

  const begin = () =>
    run(async () => {
      reset('setup');
      setSetup(await startTwoFactorSetup());
    });
  const confirm = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      setCodes(await enableTwoFactor(code.replace(/\s/g, '')));
      reset('idle');
      setSetup(null);
      await load();
    });
  };
  const regenerate = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      setCodes(await regenerateBackupCodes(code.replace(/\s/g, '')));
      reset('idle');
      await load();
    });
  };
  const disable = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await disableTwoFactor(
        backup ? { password, backupCode: code.trim() } : { password, code: code.replace(/\s/g, '') },
      );
      reset('idle');
      setNotice(t('account.turnedOff'));
      await load();
    });
  };
  const resend = () =>
    run(async () => {
      await resendVerification();
      setNotice(t('account.resent', { email: user?.email ?? '' }));
    });

  const codeField = (
    <Field
      label={backup ? t('secondFactor.backupLabel') : t('secondFactor.codeLabel')}
      name={backup ? 'backupCode' : 'code'}
      autoComplete="one-time-code"
      inputMode={backup ? 'text' : 'numeric'}
      required
      value={code}
      onChange={(e) => setCode(e.target.value)}
    />
  );
  const cancel = (
    <button type="button" className="button" onClick={() => reset('idle')} disabled={busy}>
      {t('common.cancel')}
    </button>
  );

  return (
    <section id="two-factor" className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('account.twoFactorTitle')}</h2>
      {message && <Alert>{message}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}
      {codes && <BackupCodesBox codes={codes} onDone={() => setCodes(null)} />}
      {status === null ? null : status.enabled ? (
        <>
          <p>
            <span className="badge badge-on">{t('account.on')}</span>{' '}
            {t('account.twoFactorOnText', { left: status.backupCodesLeft })}
          </p>
          {mode === 'regenerate' ? (
            <form onSubmit={regenerate} noValidate>
              <p className="muted small">{t('account.regenerateIntro')}</p>
              {codeField}
              <div className="button-row">
                <button type="submit" className="button button-primary" disabled={busy || !code.trim()}>
                  {t('account.regenerate')}
                </button>
                {cancel}
              </div>
            </form>
          ) : mode === 'disable' ? (
            <form onSubmit={disable} noValidate>
              <p className="muted small">{t('account.turnOffIntro')}</p>
              <Field
                label={t('auth.password')}
                type="password"
                name="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
              {codeField}
              <p className="muted small">
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setBackup(!backup);
                    setCode('');
                  }}
                >
                  {backup ? t('secondFactor.useApp') : t('secondFactor.useBackup')}
                </button>
              </p>
              <div className="button-row">
                <button type="submit" className="button button-danger" disabled={busy || !password || !code.trim()}>
                  {t('account.turnOff')}
                </button>
                {cancel}
              </div>
            </form>
          ) : (
            <div className="button-row">
              <button type="button" className="button" onClick={() => reset('regenerate')}>
                {t('account.regenerate')}
              </button>
              <button type="button" className="button button-danger" onClick={() => reset('disable')}>
                {t('account.turnOff')}
              </button>
            </div>
          )}
        </>
      ) : mode === 'setup' && setup ? (
        <form onSubmit={confirm} noValidate>
          <p>{t('account.setupScan')}</p>
          <img className="totp-qr" src={setup.qrCode} alt={t('account.qrAlt')} width={200} height={200} />
          <p className="muted small">
            {t('account.secretLabel')} <code className="totp-secret">{setup.secret}</code>
          </p>
          {codeField}
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy || !code.trim()}>
              {busy ? t('secondFactor.busy') : t('account.turnOn')}
            </button>
            {cancel}
          </div>
        </form>
      ) : (
        <>
          <p className="muted">{t('account.twoFactorOffText')}</p>
          {user && !user.emailVerified ? (
            <>
              <Alert tone="info">{t('account.verifyFirst', { email: user.email })}</Alert>
              <button type="button" className="button" onClick={() => void resend()} disabled={busy}>
                {t('account.resend')}
              </button>
            </>
          ) : (
            <button type="button" className="button button-primary" onClick={() => void begin()} disabled={busy}>
              {t('account.setUp')}
            </button>
          )}
        </>
      )}
    </section>
  );
}

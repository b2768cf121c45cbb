import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../api/client';
import { isPasskeyDialogError, passkeysSupported, signInWithPasskey } from '../api/passkeys';
import type { User } from '../api/auth';
import { Alert } from '../components/Alert';

/** "Sign in with a passkey" on the login page: no email, no password (the browser offers this site's passkeys). */
export function PasskeySignIn({ onSignedIn }: { onSignedIn(user: User): void }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!passkeysSupported()) return null;

  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signInWithPasskey());
    } catch (e) {
      setError(isPasskeyDialogError(e) ? t('account.passkeyCancelled') : errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {error && <Alert title={t('account.passkeyFailed')}>{error}</Alert>}
      <button type="button" className="button button-block" onClick={() => void go()} disabled={busy}>
        {busy ? t('account.passkeyBusy') : t('account.signInWithPasskey')}
      </button>
    </>
  );
}

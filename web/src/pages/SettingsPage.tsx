import { DEFAULT_PREFERENCES, LANGUAGES, type Preferences } from '@parley/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { isUiLanguage } from '@parley/protocol/i18n';
import { setUiLanguage } from '../i18n';
import { errorMessage } from '../api/client';
import { getLanguages, getPreferences, getVoices, putPreferences, type Language, type Voice } from '../api/me';
import { useAuth } from '../auth/AuthContext';
import { Alert } from '../components/Alert';
import { Loading } from '../components/Loading';
import { usePageTitle } from '../lib/usePageTitle';
import { DataSection } from '../settings/DataSection';
import { PasswordForm } from '../settings/PasswordForm';
import { PreferencesForm } from '../settings/PreferencesForm';
import { ProfileForm } from '../settings/ProfileForm';
import { SecuritySection } from '../settings/SecuritySection';
import { SharesSection } from '../settings/SharesSection';
import { MemorySection } from '../settings/MemorySection';
import { TokensSection } from '../settings/TokensSection';
import { WebhooksSection } from '../settings/WebhooksSection';
import { SessionsSection } from '../settings/SessionsSection';
import { ActivitySection } from '../settings/ActivitySection';
import { TwoFactorSection } from '../settings/TwoFactorSection';
import { PasskeysSection } from '../settings/PasskeysSection';

/** Saves, then shows the UI in the language just chosen (the same preference the agent speaks). */
async function savePreferences(p: Preferences): Promise<Preferences> {
  const stored = await putPreferences(p);
  if (isUiLanguage(stored?.language)) void setUiLanguage(stored.language);
  return stored;
}

interface Loaded {
  prefs: Preferences;
  voices: Voice[];
  languages: Language[];
}

export default function SettingsPage() {
  const { t } = useTranslation();
  usePageTitle(t('settings.title'));
  const { user, setUser } = useAuth();
  const [params] = useSearchParams();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  const load = useCallback(async () => {
    setError(null);
    try {
      const [prefs, voices, languages] = await Promise.all([
        getPreferences(),
        getVoices().catch(() => [] as Voice[]),
        getLanguages().catch(() => LANGUAGES.map((l) => ({ code: l.code, name: l.name }))),
      ]);
      setLoaded({
        prefs: { ...DEFAULT_PREFERENCES, ...prefs },
        voices: Array.isArray(voices) ? voices : [],
        languages: Array.isArray(languages) ? languages : [],
      });
      setVersion((v) => v + 1);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  if (!user) return null;
  return (
    <div className="settings">
      <h1>{t('settings.title')}</h1>
      {params.get('welcome') && (
        <Alert tone="success" title={t('settings.welcomeTitle', { name: user.displayName })}>
          {t('settings.welcomeText')}
        </Alert>
      )}
      <div className="settings-grid">
        <div className="card">
          {error ? (
            <Alert
              title={t('settings.loadFailed')}
              action={
                <button className="button" onClick={() => void load()}>
                  {t('common.tryAgain')}
                </button>
              }
            >
              {error}
            </Alert>
          ) : loaded ? (
            <PreferencesForm
              key={version}
              initial={loaded.prefs}
              voices={loaded.voices}
              languages={loaded.languages}
              save={savePreferences}
            />
          ) : (
            <Loading label={t('settings.loadingPrefs')} />
          )}
        </div>
        <div className="settings-side">
          <div className="card">
            <ProfileForm user={user} onUpdated={setUser} />
          </div>
          <div className="card">
            <PasswordForm />
          </div>
        </div>
      </div>
      <TwoFactorSection />
      <PasskeysSection />
      <SessionsSection />
      <ActivitySection />
      <SecuritySection linked={params.get('linked')} oidcError={params.get('oidc_error')} />
      <MemorySection />
      <SharesSection />
      <TokensSection />
      <WebhooksSection isAdmin={user.role === 'admin'} />
      <div className="card">
        <DataSection onImported={() => void load()} />
      </div>
    </div>
  );
}

import { useEffect } from 'react';
import { isUiLanguage } from '@parley/protocol/i18n';
import { getPreferences } from '../api/me';
import { useAuth } from '../auth/AuthContext';
import { setUiLanguage } from './index';

/** Signed in: the UI follows the user's preferred language (Settings saves switch it too). */
export function LanguageSync() {
  const { user } = useAuth();
  const id = user?.id ?? null;
  useEffect(() => {
    if (!id) return;
    let live = true;
    getPreferences()
      .then((p) => {
        if (live && isUiLanguage(p?.language)) void setUiLanguage(p.language);
      })
      .catch(() => undefined); // keep the current language
    return () => {
      live = false;
    };
  }, [id]);
  return null;
}

import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import {
  CATALOGUES,
  DEFAULT_UI_LANGUAGE,
  en,
  isUiLanguage,
  negotiateLanguage,
  type LanguageCode,
} from '@parley/protocol/i18n';

/**
 * The UI language: the signed-in user's preferred language (Settings → language, applied by
 * <LanguageSync>), else the guest's pick in the header switcher (kept in localStorage), else the
 * browser's languages, else English. English ships with the page; other catalogues load on demand.
 */
const STORED = 'parley.lang';

function stored(): LanguageCode | null {
  try {
    const v = localStorage.getItem(STORED);
    return isUiLanguage(v) ? v : null;
  } catch {
    return null;
  }
}

export function initialLanguage(): LanguageCode {
  const nav =
    typeof navigator === 'undefined' ? [] : navigator.languages?.length ? navigator.languages : [navigator.language];
  return stored() ?? negotiateLanguage(nav) ?? DEFAULT_UI_LANGUAGE;
}

export const i18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  lng: DEFAULT_UI_LANGUAGE,
  fallbackLng: DEFAULT_UI_LANGUAGE,
  supportedLngs: [...Object.keys(CATALOGUES)],
  resources: { en: { translation: en } },
  partialBundledLanguages: true,
  interpolation: { escapeValue: false }, // React escapes
  react: { useSuspense: false },
  initAsync: false,
});

export const uiLanguage = (): LanguageCode => (isUiLanguage(i18n.language) ? i18n.language : DEFAULT_UI_LANGUAGE);

/**
 * Switches the UI (loading the catalogue first, so no key flashes) and `<html lang>`. `remember`
 * keeps the choice for the next visit (a guest's pick, or the signed-in user's preference so the
 * page opens in it before the preference is fetched again).
 */
export async function setUiLanguage(lng: LanguageCode, { remember = true } = {}): Promise<void> {
  if (!i18n.hasResourceBundle(lng, 'translation')) {
    i18n.addResourceBundle(lng, 'translation', await CATALOGUES[lng](), true, true);
  }
  // Already shown in it (the usual case once the preference arrives): no change event, so no page-wide re-render.
  if (i18n.language !== lng) await i18n.changeLanguage(lng);
  document.documentElement.lang = lng;
  if (remember) {
    try {
      localStorage.setItem(STORED, lng);
    } catch {
      /* storage blocked: the choice lasts for this page only */
    }
  }
}

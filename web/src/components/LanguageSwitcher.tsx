import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { NATIVE_LANGUAGE_NAMES, UI_LANGUAGES, isUiLanguage } from '@parley/protocol/i18n';
import { setUiLanguage, uiLanguage } from '../i18n';

/** The header's language picker for guests (a signed-in user's language is their preference in Settings). */
export function LanguageSwitcher() {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="language-switcher">
      <label htmlFor={id} className="visually-hidden">
        {t('nav.language')}
      </label>
      <select
        id={id}
        value={uiLanguage()}
        onChange={(e) => {
          if (isUiLanguage(e.target.value)) void setUiLanguage(e.target.value);
        }}
      >
        {UI_LANGUAGES.map((l) => (
          <option key={l} value={l} lang={l}>
            {NATIVE_LANGUAGE_NAMES[l]}
          </option>
        ))}
      </select>
    </div>
  );
}

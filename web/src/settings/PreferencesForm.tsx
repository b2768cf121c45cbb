import { LIMITS, Preferences } from '@parley/protocol';
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { i18n } from '../i18n';
import { ApiError, errorMessage } from '../api/client';
import type { Language, Voice } from '../api/me';
import { Alert } from '../components/Alert';
import { VoicePreview } from './VoicePreview';

type FieldKey = 'ttsVoice' | 'language' | 'favoriteTopics' | 'systemPrompt';
type Errors = Partial<Record<FieldKey, string>>;

interface Props {
  initial: Preferences;
  voices: Voice[];
  languages: Language[];
  save(p: Preferences): Promise<Preferences>;
}

/** Client-side check with the shared schema plus the server's language list; the server checks again. */
export function validatePreferences(p: Preferences, languages: Language[]): Errors {
  const t = i18n.t.bind(i18n);
  const errors: Errors = {};
  const parsed = Preferences.safeParse(p);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0] as FieldKey;
      if (key === 'systemPrompt') errors.systemPrompt ??= t('settings.promptTooLong', { max: LIMITS.systemPrompt });
      else if (key === 'language') errors.language ??= t('settings.chooseLanguage');
      else if (key === 'favoriteTopics')
        errors.favoriteTopics ??= t('settings.topicsInvalid', { max: LIMITS.topics, length: LIMITS.topicLength });
      else if (key === 'ttsVoice') errors.ttsVoice ??= t('settings.chooseVoice');
    }
  }
  if (!errors.language && languages.length > 0 && !languages.some((l) => l.code === p.language))
    errors.language = t('settings.chooseLanguage');
  return errors;
}

/** A language's name in the UI language ("Spanish", "español" → "Español"); the server's name if Intl has none. */
function languageName(code: string, fallback: string, ui: string): string {
  try {
    const name = new Intl.DisplayNames([ui], { type: 'language' }).of(code);
    return name && name !== code ? name.charAt(0).toLocaleUpperCase(ui) + name.slice(1) : fallback;
  } catch {
    return fallback;
  }
}

export function PreferencesForm({ initial, voices, languages, save }: Props) {
  const { t, i18n: ui } = useTranslation();
  const [prefs, setPrefs] = useState<Preferences>(initial);
  const [topicDraft, setTopicDraft] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const languageKnown = languages.some((l) => l.code === prefs.language);
  const voiceKnown = prefs.ttsVoice === null || voices.some((v) => v.id === prefs.ttsVoice);
  // The voices for the chosen language (and those that speak any); the chosen voice stays listed.
  const shownVoices = voices.filter(
    (v) => v.language === null || v.language === prefs.language || v.id === prefs.ttsVoice,
  );
  const hiddenVoices = shownVoices.length < voices.length;
  const promptLength = prefs.systemPrompt.length;
  const promptOver = promptLength > LIMITS.systemPrompt;
  const update = (patch: Partial<Preferences>) => {
    setSaved(false);
    setPrefs((p) => ({ ...p, ...patch }));
  };

  const addTopic = () => {
    const topic = topicDraft.trim();
    if (!topic) return;
    if (topic.length > LIMITS.topicLength) {
      setErrors((e) => ({ ...e, favoriteTopics: t('settings.topicTooLong', { max: LIMITS.topicLength }) }));
      return;
    }
    if (prefs.favoriteTopics.length >= LIMITS.topics) {
      setErrors((e) => ({ ...e, favoriteTopics: t('settings.topicsFull', { max: LIMITS.topics }) }));
      return;
    }
    if (!prefs.favoriteTopics.some((x) => x.toLowerCase() === topic.toLowerCase()))
      update({ favoriteTopics: [...prefs.favoriteTopics, topic] });
    setErrors(({ favoriteTopics: _, ...rest }) => rest);
    setTopicDraft('');
  };

  const onTopicKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      addTopic();
    }
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    setSaved(false);
    const errs = validatePreferences(prefs, languages);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const stored = await save(prefs);
      if (stored && typeof stored === 'object' && 'language' in stored) setPrefs(stored);
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError) {
        const next: Errors = {};
        for (const issue of err.fieldIssues) {
          const key = issue.path.split('.')[0] as FieldKey;
          if (key === 'ttsVoice' || key === 'language' || key === 'favoriteTopics' || key === 'systemPrompt')
            next[key] ??= issue.message;
        }
        setErrors(next);
      }
      setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const described = (key: FieldKey, hint?: string) =>
    [hint, errors[key] ? `${id}-${key}-err` : null].filter(Boolean).join(' ') || undefined;
  const fieldError = (key: FieldKey) =>
    errors[key] ? (
      <p className="field-error" id={`${id}-${key}-err`}>
        {errors[key]}
      </p>
    ) : null;

  return (
    <form onSubmit={onSubmit} noValidate aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('settings.prefsTitle')}</h2>
      <p className="muted small">{t('settings.prefsIntro')}</p>
      {formError && <Alert title={t('settings.notSaved')}>{formError}</Alert>}
      {saved && (
        <Alert tone="success" title={t('settings.saved')}>
          {t('settings.savedText')}
        </Alert>
      )}

      <div className={`field${errors.ttsVoice ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-voice`}>{t('settings.voice')}</label>
        <select
          id={`${id}-voice`}
          value={prefs.ttsVoice ?? ''}
          aria-invalid={errors.ttsVoice ? true : undefined}
          aria-describedby={described('ttsVoice', hiddenVoices ? `${id}-voice-hint` : undefined)}
          onChange={(e) => update({ ttsVoice: e.target.value === '' ? null : e.target.value })}
        >
          <option value="">{t('settings.defaultVoice')}</option>
          {!voiceKnown && prefs.ttsVoice && (
            <option value={prefs.ttsVoice}>{t('settings.unavailableVoice', { voice: prefs.ttsVoice })}</option>
          )}
          {shownVoices.map((v) => (
            <option key={v.id} value={v.id}>
              {v.name}
              {v.language ? ` (${v.language})` : ''}
            </option>
          ))}
        </select>
        {hiddenVoices && (
          <p className="field-hint" id={`${id}-voice-hint`}>
            {t('voicePreview.otherLanguage', {
              language: languageName(
                prefs.language,
                languages.find((l) => l.code === prefs.language)?.name ?? prefs.language,
                ui.language,
              ),
            })}
          </p>
        )}
        {fieldError('ttsVoice')}
        <VoicePreview voice={prefs.ttsVoice} language={prefs.language} />
      </div>

      <div className={`field${errors.language || !languageKnown ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-language`}>{t('settings.language')}</label>
        <select
          id={`${id}-language`}
          value={prefs.language}
          aria-invalid={errors.language || !languageKnown ? true : undefined}
          aria-describedby={described('language', `${id}-language-hint`)}
          onChange={(e) => {
            update({ language: e.target.value as Preferences['language'] });
            setErrors(({ language: _, ...rest }) => rest);
          }}
        >
          {!languageKnown && (
            <option value={prefs.language}>{t('settings.unsupportedLanguage', { language: prefs.language })}</option>
          )}
          {languages.map((l) => (
            <option key={l.code} value={l.code}>
              {languageName(l.code, l.name, ui.language)}
            </option>
          ))}
        </select>
        <p className="field-hint" id={`${id}-language-hint`}>
          {languageKnown ? t('settings.languageHint') : t('settings.languageUnknown', { language: prefs.language })}
        </p>
        {fieldError('language')}
      </div>

      <div className={`field${errors.favoriteTopics ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-topic`}>{t('settings.topics')}</label>
        {prefs.favoriteTopics.length > 0 && (
          <ul className="chips" aria-label={t('settings.yourTopics')}>
            {prefs.favoriteTopics.map((topic) => (
              <li key={topic} className="chip">
                <span>{topic}</span>
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={t('settings.removeTopic', { topic })}
                  onClick={() => update({ favoriteTopics: prefs.favoriteTopics.filter((x) => x !== topic) })}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="input-with-button">
          <input
            id={`${id}-topic`}
            value={topicDraft}
            onChange={(e) => setTopicDraft(e.target.value)}
            onKeyDown={onTopicKey}
            aria-invalid={errors.favoriteTopics ? true : undefined}
            aria-describedby={described('favoriteTopics', `${id}-topic-hint`)}
            disabled={prefs.favoriteTopics.length >= LIMITS.topics}
          />
          <button
            type="button"
            className="button"
            onClick={addTopic}
            disabled={!topicDraft.trim() || prefs.favoriteTopics.length >= LIMITS.topics}
          >
            {t('settings.addTopic')}
          </button>
        </div>
        <p className="field-hint" id={`${id}-topic-hint`}>
          {t('settings.topicsHint', { n: prefs.favoriteTopics.length, max: LIMITS.topics })}
        </p>
        {fieldError('favoriteTopics')}
      </div>

      <div className={`field${errors.systemPrompt || promptOver ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-prompt`}>{t('settings.prompt')}</label>
        <textarea
          id={`${id}-prompt`}
          rows={5}
          value={prefs.systemPrompt}
          onChange={(e) => update({ systemPrompt: e.target.value })}
          aria-invalid={errors.systemPrompt || promptOver ? true : undefined}
          aria-describedby={described('systemPrompt', `${id}-prompt-count`)}
          placeholder={t('settings.promptPlaceholder')}
        />
        <p
          className={`field-hint counter${promptOver ? ' counter-over' : ''}`}
          id={`${id}-prompt-count`}
          aria-live="polite"
        >
          {promptOver
            ? t('settings.promptOver', {
                n: promptLength,
                max: LIMITS.systemPrompt,
                over: promptLength - LIMITS.systemPrompt,
              })
            : t('settings.promptCount', { n: promptLength, max: LIMITS.systemPrompt })}
        </p>
        {fieldError('systemPrompt')}
      </div>

      <div className="field">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={prefs.memory}
            onChange={(e) => update({ memory: e.target.checked })}
            aria-describedby={`${id}-memory-hint`}
          />{' '}
          {t('settings.memory')}
        </label>
        <p className="field-hint" id={`${id}-memory-hint`}>
          {t('settings.memoryHint')}
        </p>
      </div>

      <button className="button button-primary" type="submit" disabled={busy}>
        {busy ? t('settings.saving') : t('settings.savePrefs')}
      </button>
    </form>
  );
}

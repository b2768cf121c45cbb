import { LIMITS, Preferences } from '@parley/protocol';
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
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
  const errors: Errors = {};
  const parsed = Preferences.safeParse(p);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0] as FieldKey;
      if (key === 'systemPrompt')
        errors.systemPrompt ??= `Keep your instructions within ${LIMITS.systemPrompt} characters.`;
      else if (key === 'language') errors.language ??= 'Choose one of the supported languages.';
      else if (key === 'favoriteTopics')
        errors.favoriteTopics ??= `Up to ${LIMITS.topics} topics of at most ${LIMITS.topicLength} characters each.`;
      else if (key === 'ttsVoice') errors.ttsVoice ??= 'Choose a voice from the list.';
    }
  }
  if (!errors.language && languages.length > 0 && !languages.some((l) => l.code === p.language))
    errors.language = 'Choose one of the supported languages.';
  return errors;
}

export function PreferencesForm({ initial, voices, languages, save }: Props) {
  const { t } = useTranslation();
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
    const t = topicDraft.trim();
    if (!t) return;
    if (t.length > LIMITS.topicLength) {
      setErrors((e) => ({ ...e, favoriteTopics: `A topic can be at most ${LIMITS.topicLength} characters.` }));
      return;
    }
    if (prefs.favoriteTopics.length >= LIMITS.topics) {
      setErrors((e) => ({ ...e, favoriteTopics: `You can keep up to ${LIMITS.topics} topics.` }));
      return;
    }
    if (!prefs.favoriteTopics.some((x) => x.toLowerCase() === t.toLowerCase()))
      update({ favoriteTopics: [...prefs.favoriteTopics, t] });
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
      <h2 id={`${id}-title`}>Voice and conversation</h2>
      <p className="muted small">Every call you start from now on uses these.</p>
      {formError && <Alert title="Preferences not saved">{formError}</Alert>}
      {saved && (
        <Alert tone="success" title="Saved">
          Your next call will use these preferences.
        </Alert>
      )}

      <div className={`field${errors.ttsVoice ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-voice`}>Voice</label>
        <select
          id={`${id}-voice`}
          value={prefs.ttsVoice ?? ''}
          aria-invalid={errors.ttsVoice ? true : undefined}
          aria-describedby={described('ttsVoice', hiddenVoices ? `${id}-voice-hint` : undefined)}
          onChange={(e) => update({ ttsVoice: e.target.value === '' ? null : e.target.value })}
        >
          <option value="">Default voice</option>
          {!voiceKnown && prefs.ttsVoice && (
            <option value={prefs.ttsVoice}>Unavailable voice ({prefs.ttsVoice})</option>
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
              language: languages.find((l) => l.code === prefs.language)?.name ?? prefs.language,
            })}
          </p>
        )}
        {fieldError('ttsVoice')}
        <VoicePreview voice={prefs.ttsVoice} language={prefs.language} />
      </div>

      <div className={`field${errors.language || !languageKnown ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-language`}>Language</label>
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
          {!languageKnown && <option value={prefs.language}>Unsupported ({prefs.language})</option>}
          {languages.map((l) => (
            <option key={l.code} value={l.code}>
              {l.name}
            </option>
          ))}
        </select>
        <p className="field-hint" id={`${id}-language-hint`}>
          {languageKnown
            ? 'Parley listens and answers in this language.'
            : `“${prefs.language}” is not a supported language. Choose one from the list.`}
        </p>
        {fieldError('language')}
      </div>

      <div className={`field${errors.favoriteTopics ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-topic`}>Favourite topics</label>
        {prefs.favoriteTopics.length > 0 && (
          <ul className="chips" aria-label="Your topics">
            {prefs.favoriteTopics.map((t) => (
              <li key={t} className="chip">
                <span>{t}</span>
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove topic ${t}`}
                  onClick={() => update({ favoriteTopics: prefs.favoriteTopics.filter((x) => x !== t) })}
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
            Add
          </button>
        </div>
        <p className="field-hint" id={`${id}-topic-hint`}>
          {prefs.favoriteTopics.length} of {LIMITS.topics} topics. Parley may bring these up.
        </p>
        {fieldError('favoriteTopics')}
      </div>

      <div className={`field${errors.systemPrompt || promptOver ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-prompt`}>Your instructions for Parley</label>
        <textarea
          id={`${id}-prompt`}
          rows={5}
          value={prefs.systemPrompt}
          onChange={(e) => update({ systemPrompt: e.target.value })}
          aria-invalid={errors.systemPrompt || promptOver ? true : undefined}
          aria-describedby={described('systemPrompt', `${id}-prompt-count`)}
          placeholder="For example: Keep answers short. I’m practising for job interviews."
        />
        <p
          className={`field-hint counter${promptOver ? ' counter-over' : ''}`}
          id={`${id}-prompt-count`}
          aria-live="polite"
        >
          {promptLength} / {LIMITS.systemPrompt} characters
          {promptOver ? ` — ${promptLength - LIMITS.systemPrompt} too many` : ''}
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
          Parley remembers our past conversations
        </label>
        <p className="field-hint" id={`${id}-memory-hint`}>
          Off by default. When on, a short summary of each call is kept and given to Parley at the start of the next
          ones, and Parley can search what you said before. See and delete it below.
        </p>
      </div>

      <button className="button button-primary" type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Save preferences'}
      </button>
    </form>
  );
}

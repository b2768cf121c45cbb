import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { getVoicePreview } from '../api/me';
import { errorMessage } from '../api/client';

/**
 * "Play a sample": the server's text-to-speech says a short sentence in `language` with `voice`
 * (null: the configured default voice), played in an audio element with its own controls. A new
 * voice or language drops the old sample.
 */
export function VoicePreview({ voice, language }: { voice: string | null; language: string }) {
  const { t } = useTranslation();
  const [state, setState] = useState<
    { kind: 'idle' } | { kind: 'loading' } | { kind: 'ready'; url: string } | { kind: 'error'; message: string }
  >({ kind: 'idle' });

  useEffect(() => {
    setState({ kind: 'idle' });
  }, [voice, language]);
  useEffect(() => {
    if (state.kind !== 'ready') return;
    const { url } = state;
    return () => URL.revokeObjectURL(url);
  }, [state]);

  const play = async () => {
    setState({ kind: 'loading' });
    try {
      const blob = await getVoicePreview(voice ?? undefined, language);
      setState({ kind: 'ready', url: URL.createObjectURL(blob) });
    } catch (e) {
      setState({ kind: 'error', message: errorMessage(e) });
    }
  };

  return (
    <div className="voice-preview">
      <button
        type="button"
        className="button"
        onClick={() => void play()}
        disabled={state.kind === 'loading'}
        aria-busy={state.kind === 'loading'}
      >
        {state.kind === 'loading' ? t('voicePreview.loading') : t('voicePreview.play')}
      </button>
      {state.kind === 'ready' && (
        <audio controls autoPlay src={state.url} aria-label={t('voicePreview.label')} data-testid="voice-preview" />
      )}
      {state.kind === 'error' && (
        <p className="field-error" role="alert">
          {t('voicePreview.failed')}: {state.message}
        </p>
      )}
    </div>
  );
}

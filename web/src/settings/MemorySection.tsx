import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { MemorySummary } from '@parley/protocol';
import { errorMessage } from '../api/client';
import { forgetAll, forgetSummary, getMemory } from '../api/memory';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

/**
 * Settings → What Parley remembers: the summaries the agent is given at the start of a call (when
 * memory is on in the preferences), each deletable, or all at once. The conversations stay.
 */
export function MemorySection() {
  const { t } = useTranslation();
  const [memory, setMemory] = useState<{ enabled: boolean; summaries: MemorySummary[] } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setMemory(await getMemory());
    } catch (e) {
      setMessage(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (key: string, work: () => Promise<unknown>) => {
    setBusy(key);
    setMessage(null);
    try {
      await work();
      await load();
    } catch (e) {
      setMessage(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" id="memory" aria-labelledby="memory-title">
      <h2 id="memory-title">{t('settings.memoryTitle')}</h2>
      {message && <Alert>{message}</Alert>}
      {memory === null ? null : (
        <>
          <p className="muted">{memory.enabled ? t('settings.memoryOn') : t('settings.memoryOff')}</p>
          {memory.summaries.length === 0 ? (
            <p className="muted">{t('settings.memoryNone')}</p>
          ) : (
            <>
              <ul className="share-list">
                {memory.summaries.map((s) => (
                  <li key={s.conversationId}>
                    <div>
                      <Link to={`/history/${s.conversationId}`}>{s.title?.trim() || formatDateTime(s.at)}</Link>
                      <span className="muted small"> · {formatDateTime(s.at)}</span>
                      <p className="small">{s.summary}</p>
                    </div>
                    <button
                      type="button"
                      className="button button-small button-danger"
                      onClick={() => void act(s.conversationId, () => forgetSummary(s.conversationId))}
                      disabled={busy !== null}
                      aria-label={t('settings.forgetLabel', { title: s.title?.trim() || formatDateTime(s.at) })}
                    >
                      {busy === s.conversationId ? t('settings.forgetting') : t('settings.forget')}
                    </button>
                  </li>
                ))}
              </ul>
              <button
                type="button"
                className="button button-small button-danger"
                onClick={() => void act('all', forgetAll)}
                disabled={busy !== null}
              >
                {busy === 'all' ? t('settings.forgetting') : t('settings.forgetAll')}
              </button>
            </>
          )}
        </>
      )}
    </section>
  );
}

import { useCallback, useEffect, useState } from 'react';
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
      <h2 id="memory-title">What Parley remembers</h2>
      {message && <Alert>{message}</Alert>}
      {memory === null ? null : (
        <>
          <p className="muted">
            {memory.enabled
              ? 'Memory is on: at the start of each call Parley is given these notes, and it can look through your past conversations when you ask about them.'
              : 'Memory is off: Parley is given none of these notes and cannot look through your past conversations. Turn it on in your preferences.'}
          </p>
          {memory.summaries.length === 0 ? (
            <p className="muted">Nothing remembered yet.</p>
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
                      aria-label={`Forget the notes on ${s.title?.trim() || formatDateTime(s.at)}`}
                    >
                      {busy === s.conversationId ? 'Forgetting…' : 'Forget'}
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
                {busy === 'all' ? 'Forgetting…' : 'Forget everything'}
              </button>
            </>
          )}
        </>
      )}
    </section>
  );
}

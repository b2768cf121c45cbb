import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { breakGlassTranscript, type AdminConversation, type BreakGlassTranscript } from '../api/admin';
import { errorMessage } from '../api/client';
import { Alert } from '../components/Alert';
import { formatDateTime } from '../lib/format';

const MIN_REASON = 10;

/**
 * Break-glass transcript access: a confirmation that says what happens (the read is audited with
 * the admin's reason and shown to the account holder), a required reason, then the transcript.
 * Nothing is requested until the admin confirms.
 */
export function BreakGlassPanel({ conversation, onClose }: { conversation: AdminConversation; onClose: () => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [read, setRead] = useState<BreakGlassTranscript | null>(null);
  const when = formatDateTime(conversation.startedAt ?? conversation.createdAt);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setRead(await breakGlassTranscript(conversation.id, reason));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (read)
    return (
      <section className="admin-break-glass" aria-labelledby={`${id}-read`}>
        <h3 id={`${id}-read`}>{t('admin.transcriptOf', { when, email: conversation.userEmail })}</h3>
        {read.utterances.length === 0 ? (
          <p className="muted">{t('admin.noTurns')}</p>
        ) : (
          <ol className="admin-transcript">
            {read.utterances.map((u) => (
              <li key={u.seq} className={`admin-turn admin-turn-${u.role}`}>
                <strong>{u.role === 'user' ? t('admin.caller') : t('transcript.agent')}:</strong> {u.text}
              </li>
            ))}
          </ol>
        )}
        <button type="button" className="button" onClick={onClose}>
          {t('admin.close')}
        </button>
      </section>
    );

  return (
    <form className="admin-break-glass admin-danger" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t('admin.breakGlassTitle')}</h3>
      <p>
        {t('admin.transcriptOf', { when, email: conversation.userEmail })}. {t('admin.breakGlassText')}
      </p>
      {error && <Alert>{error}</Alert>}
      <div className="field">
        <label htmlFor={`${id}-reason`}>{t('admin.breakGlassReason')}</label>
        <textarea
          id={`${id}-reason`}
          rows={3}
          required
          minLength={MIN_REASON}
          maxLength={500}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      </div>
      <div className="button-row">
        <button type="submit" className="button button-danger" disabled={busy || reason.trim().length < MIN_REASON}>
          {busy ? t('admin.breakGlassReading') : t('admin.breakGlassConfirm')}
        </button>
        <button type="button" className="button" onClick={onClose}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

import { useVoiceAssistant } from '@livekit/components-react';
import type { Room } from 'livekit-client';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  checkTypedText,
  TYPED_ERROR_TOPIC,
  TYPED_TEXT_MAX,
  TYPED_TEXT_TOPIC,
  TypedTextError,
  type TypedTextErrorCode,
} from '@parley/protocol';

/** Shown from this share of the limit on, so the caller sees the limit before reaching it. */
const COUNTER_FROM = 0.8;

type Problem = { code: TypedTextErrorCode; length: number } | { code: 'failed' };

/**
 * The call's text box: what the caller types goes to the agent as a user turn (LiveKit text
 * stream on the agents framework's chat topic, see protocol/src/typed.ts), answered by voice; the
 * turn then appears in the transcript marked as typed. Checked here before sending, and again by
 * the agent, whose refusal (TYPED_ERROR_TOPIC) is shown the same way.
 */
export function TypedMessageForm({ room, ready }: { room: Room; ready: boolean }) {
  const { t } = useTranslation();
  const id = useId();
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const length = [...text.trim()].length;

  // The agent's answer when it refuses a message (a client other than this page could send anything).
  useEffect(() => {
    room.registerTextStreamHandler(TYPED_ERROR_TOPIC, (reader) => {
      void reader
        .readAll()
        .then((raw) => {
          const parsed = TypedTextError.safeParse(JSON.parse(raw));
          if (parsed.success) setProblem({ code: parsed.data.code, length: 0 });
        })
        .catch(() => undefined);
    });
    return () => room.unregisterTextStreamHandler(TYPED_ERROR_TOPIC);
  }, [room]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (sending || !ready) return;
    const checked = checkTypedText(text);
    if (!checked.ok) return setProblem({ code: checked.error.code, length });
    setSending(true);
    setProblem(null);
    try {
      await room.localParticipant.sendText(checked.text, { topic: TYPED_TEXT_TOPIC });
      setText('');
    } catch {
      setProblem({ code: 'failed' });
    } finally {
      setSending(false);
    }
  };

  const message =
    problem === null
      ? null
      : problem.code === 'typed_text_too_long'
        ? t('typed.tooLong', { max: TYPED_TEXT_MAX, length: problem.length || length })
        : problem.code === 'typed_text_empty'
          ? t('typed.empty')
          : problem.code === 'typed_text_invalid'
            ? t('typed.invalid')
            : t('typed.failed');
  const showCounter = length >= TYPED_TEXT_MAX * COUNTER_FROM;
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const describedBy = [showCounter || !ready ? hintId : null, message ? errId : null].filter(Boolean).join(' ');

  return (
    <form className="typed-message" onSubmit={(e) => void submit(e)} noValidate>
      <label htmlFor={id} className="visually-hidden">
        {t('typed.label')}
      </label>
      <div className="typed-row">
        <input
          id={id}
          type="text"
          autoComplete="off"
          enterKeyHint="send"
          placeholder={t('typed.placeholder')}
          value={text}
          disabled={!ready}
          aria-invalid={message ? true : undefined}
          aria-describedby={describedBy || undefined}
          onChange={(e) => {
            setText(e.target.value);
            if (problem) setProblem(null);
          }}
        />
        <button type="submit" className="button button-primary" disabled={!ready || sending} aria-busy={sending}>
          {sending ? t('typed.sending') : t('typed.send')}
        </button>
      </div>
      {(showCounter || !ready) && (
        <p
          className={`field-hint${ready ? ' counter' : ''}${length > TYPED_TEXT_MAX ? ' counter-over' : ''}`}
          id={hintId}
          data-testid="typed-hint"
        >
          {ready ? t('typed.counter', { length, max: TYPED_TEXT_MAX }) : t('typed.waiting')}
        </p>
      )}
      {message && (
        <p className="field-error" id={errId} role="alert">
          {message}
        </p>
      )}
    </form>
  );
}

/** The text box for the call in the surrounding RoomContext: usable once the agent has joined. */
export function TypedMessage({ room, live }: { room: Room; live: boolean }) {
  const { agent } = useVoiceAssistant();
  return <TypedMessageForm room={room} ready={live && agent !== undefined} />;
}

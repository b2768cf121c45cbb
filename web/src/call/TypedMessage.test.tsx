import { act, fireEvent, render, screen } from '@testing-library/react';
import type { Room } from 'livekit-client';
import { describe, expect, it } from 'vitest';
import { TYPED_ERROR_TOPIC, TYPED_TEXT_MAX, TYPED_TEXT_TOPIC } from '@parley/protocol';
import { TypedMessageForm } from './TypedMessage';

/** The part of livekit-client's Room the form uses: it records what was sent and can deliver a text stream. */
function fakeRoom({ failSend = false } = {}) {
  const sent: Array<{ text: string; topic: string | undefined }> = [];
  const handlers = new Map<string, (reader: { readAll(): Promise<string> }) => void>();
  const room = {
    localParticipant: {
      sendText: async (text: string, opts?: { topic?: string }) => {
        if (failSend) throw new Error('not connected');
        sent.push({ text, topic: opts?.topic });
      },
    },
    registerTextStreamHandler: (topic: string, fn: (reader: { readAll(): Promise<string> }) => void) => {
      if (handlers.has(topic)) throw new Error('already set');
      handlers.set(topic, fn);
    },
    unregisterTextStreamHandler: (topic: string) => handlers.delete(topic),
  };
  const deliver = async (topic: string, raw: string) => {
    await act(async () => handlers.get(topic)?.({ readAll: async () => raw }));
  };
  return { room: room as unknown as Room, sent, handlers, deliver };
}

const box = () => screen.getByRole('textbox', { name: 'Type a message' });
const send = () => screen.getByRole('button', { name: 'Send' });
const type = async (text: string) => {
  fireEvent.change(box(), { target: { value: text } });
  await act(async () => fireEvent.click(send()));
};

describe('typed messages in a call', () => {
  it('sends the trimmed text on the chat topic and empties the box', async () => {
    const r = fakeRoom();
    render(<TypedMessageForm room={r.room} ready />);
    await type('  My dog is called Biscuit  ');
    expect(r.sent).toEqual([{ text: 'My dog is called Biscuit', topic: TYPED_TEXT_TOPIC }]);
    expect(box()).toHaveValue('');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('refuses empty and over-long text with a clear error, sending nothing', async () => {
    const r = fakeRoom();
    render(<TypedMessageForm room={r.room} ready />);
    await type('   ');
    expect(screen.getByRole('alert')).toHaveTextContent('Type something first.');
    await type('a'.repeat(TYPED_TEXT_MAX + 5));
    expect(screen.getByRole('alert')).toHaveTextContent(`Too long: at most ${TYPED_TEXT_MAX} characters (1005 now).`);
    expect(box()).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('typed-hint')).toHaveTextContent(`1005 / ${TYPED_TEXT_MAX}`);
    expect(screen.getByTestId('typed-hint')).toHaveClass('counter-over');
    expect(box()).toHaveValue('a'.repeat(TYPED_TEXT_MAX + 5));
    expect(r.sent).toEqual([]);
  });

  it('says so when sending fails and keeps the text', async () => {
    const r = fakeRoom({ failSend: true });
    render(<TypedMessageForm room={r.room} ready />);
    await type('hello');
    expect(screen.getByRole('alert')).toHaveTextContent('Your message was not sent.');
    expect(box()).toHaveValue('hello');
  });

  it('shows the agent’s refusal and ignores a malformed one; waits for the agent before sending', async () => {
    const r = fakeRoom();
    const { rerender, unmount } = render(<TypedMessageForm room={r.room} ready={false} />);
    expect(box()).toBeDisabled();
    expect(send()).toBeDisabled();
    expect(screen.getByTestId('typed-hint')).toHaveTextContent('You can type once Parley has joined the call.');
    rerender(<TypedMessageForm room={r.room} ready />);
    await r.deliver(TYPED_ERROR_TOPIC, '{"code":"nonsense"}');
    expect(screen.queryByRole('alert')).toBeNull();
    await r.deliver(TYPED_ERROR_TOPIC, JSON.stringify({ code: 'typed_text_invalid', max: TYPED_TEXT_MAX }));
    expect(screen.getByRole('alert')).toHaveTextContent('This text has characters that cannot be sent.');
    unmount();
    expect(r.handlers.has(TYPED_ERROR_TOPIC)).toBe(false);
  });
});

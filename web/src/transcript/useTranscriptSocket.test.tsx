import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONV, NOW, utterance } from '../../test/fixtures';
import { backoffDelay, useTranscriptSocket } from './useTranscriptSocket';

class FakeSocket {
  static instances: FakeSocket[] = [];
  readonly OPEN = 1;
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(d: string) {
    this.sent.push(d);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  emit(msg: object) {
    this.onmessage?.({ data: JSON.stringify({ conversationId: CONV, createdAt: NOW, ...msg }) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.();
  }
}

function Probe() {
  const { transcript, status } = useTranscriptSocket(CONV, {
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    baseDelayMs: 100,
    maxDelayMs: 1000,
  });
  return (
    <div>
      <p data-testid="status">{status}</p>
      <p data-testid="seqs">{transcript.utterances.map((u) => u.seq).join(',')}</p>
    </div>
  );
}

/** Lets the socket's in-order handling run (the message schema loads with the first socket). */
const settle = () =>
  act(async () => {
    await import('@parley/protocol');
    for (let i = 0; i < 10; i++) await Promise.resolve();
  });

describe('useTranscriptSocket', () => {
  beforeEach(() => {
    FakeSocket.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('connects to the same-origin transcript path, reconnects after a drop, and the snapshot fills the gap', async () => {
    render(<Probe />);
    const first = FakeSocket.instances[0]!;
    expect(first.url).toBe(`ws://localhost:3000/ws/transcripts?conversationId=${CONV}`);
    act(() => {
      first.open();
      first.emit({ type: 'snapshot', utterances: [], agentState: 'listening', ended: false, endReason: null });
      first.emit({ type: 'utterance', utterance: utterance(0, 'user', 'one') });
      first.emit({ type: 'not-a-message' }); // ignored, not a crash
    });
    await settle();
    expect(screen.getByTestId('seqs')).toHaveTextContent('0');

    act(() => first.drop());
    await settle();
    expect(screen.getByTestId('status')).toHaveTextContent('reconnecting');
    expect(FakeSocket.instances).toHaveLength(1);
    act(() => vi.advanceTimersByTime(130)); // first backoff: 100 ms ± 20 %
    expect(FakeSocket.instances).toHaveLength(2);

    const second = FakeSocket.instances[1]!;
    act(() => {
      second.open();
      second.emit({
        type: 'snapshot',
        utterances: [utterance(0, 'user', 'one'), utterance(1, 'agent', 'two')],
        agentState: 'speaking',
        ended: false,
        endReason: null,
      });
    });
    await settle();
    expect(screen.getByTestId('status')).toHaveTextContent('open');
    expect(screen.getByTestId('seqs')).toHaveTextContent('0,1');
  });

  it('stops reconnecting once the call has ended', async () => {
    render(<Probe />);
    const s = FakeSocket.instances[0]!;
    act(() => {
      s.open();
      s.emit({ type: 'call_ended', reason: 'caller_left' });
      s.drop();
    });
    await settle();
    act(() => vi.advanceTimersByTime(5000));
    expect(FakeSocket.instances).toHaveLength(1);
    expect(screen.getByTestId('status')).toHaveTextContent('closed');
  });

  it('backs off exponentially up to a cap', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 10_000, mid))).toEqual([500, 1000, 2000, 4000, 10_000]);
  });
});

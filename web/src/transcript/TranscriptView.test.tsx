import { act, render, screen, within, fireEvent } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { CONV, NOW, utterance } from '../../test/fixtures';
import { initialTranscript, transcriptReducer, type TranscriptState } from './state';
import { TranscriptView } from './TranscriptView';
import { StoredTurns } from '../history/StoredTurns';
import type { ServerMessage } from '@parley/protocol';

const base = { conversationId: CONV, createdAt: NOW };
const apply = (msgs: ServerMessage[], from: TranscriptState = initialTranscript) =>
  msgs.reduce(transcriptReducer, from);

describe('transcript state', () => {
  it('keeps one copy of each seq, ordered, whatever order and however often they arrive', () => {
    const s = apply([
      { type: 'utterance', ...base, utterance: utterance(2, 'agent', 'Hi there') },
      { type: 'utterance', ...base, utterance: utterance(1, 'user', 'Hello') },
      { type: 'utterance', ...base, utterance: utterance(2, 'agent', 'Hi there') },
      {
        type: 'snapshot',
        ...base,
        utterances: [
          utterance(1, 'user', 'Hello'),
          utterance(2, 'agent', 'Hi there'),
          utterance(3, 'user', 'Missed while offline'),
        ],
        agentState: 'listening',
        ended: false,
        endReason: null,
      },
    ]);
    expect(s.utterances.map((u) => u.seq)).toEqual([1, 2, 3]);
    expect(s.agentState).toBe('listening');
  });

  it('replaces a speaker’s interim with the final and clears interims when the call ends', () => {
    let s = apply([{ type: 'interim', ...base, role: 'user', segmentId: 'a', text: 'what is the' }]);
    expect(s.interims.user?.text).toBe('what is the');
    s = apply([{ type: 'utterance', ...base, utterance: utterance(1, 'user', 'What is the time?') }], s);
    expect(s.interims.user).toBeUndefined();
    s = apply(
      [
        { type: 'interim', ...base, role: 'agent', segmentId: 'b', text: 'It is' },
        { type: 'call_ended', ...base, reason: 'caller_left' },
      ],
      s,
    );
    expect(s.interims).toEqual({});
    expect(s.ended).toBe(true);
  });
});

describe('<TranscriptView>', () => {
  it('labels speakers and shows interim text as provisional, then replaces it with the final', () => {
    const interim = apply([
      { type: 'utterance', ...base, utterance: utterance(0, 'agent', 'Hello, I am Parley.') },
      { type: 'interim', ...base, role: 'user', segmentId: 'seg-1', text: 'tell me about' },
    ]);
    const { rerender, container } = render(<TranscriptView transcript={interim} />);

    const log = screen.getByRole('log');
    const finalTurn = within(log).getByText('Hello, I am Parley.').closest('li')!;
    expect(within(finalTurn).getByText('Parley')).toBeInTheDocument();

    const provisional = container.querySelector('[data-interim="user"]')!;
    expect(provisional).toHaveClass('turn-interim');
    expect(within(provisional as HTMLElement).getByText('You')).toBeInTheDocument();
    expect(within(provisional as HTMLElement).getByText('tell me about').tagName).toBe('EM');
    expect(provisional.closest('[aria-live="polite"]')).not.toBeNull();
    expect(within(log).queryByText('tell me about')).toBeNull();

    const final = transcriptReducer(interim, {
      type: 'utterance',
      ...base,
      utterance: utterance(1, 'user', 'Tell me about tides.'),
    });
    rerender(<TranscriptView transcript={final} />);
    expect(container.querySelector('[data-interim]')).toBeNull();
    const userTurn = within(log).getByText('Tell me about tides.').closest('li')!;
    expect(userTurn).toHaveClass('turn-user');
    expect(within(userTurn).getByText('You')).toBeInTheDocument();
  });

  it('marks a typed turn as typed and keeps the spoken interim the caller is still saying', () => {
    const s = apply([
      { type: 'interim', ...base, role: 'user', segmentId: 'u-3', text: 'and also' },
      { type: 'utterance', ...base, utterance: { ...utterance(2, 'user', 'Biscuit, B-I-S-C-U-I-T'), typed: true } },
      { type: 'utterance', ...base, utterance: utterance(3, 'agent', 'Got it, Biscuit.') },
    ]);
    const { container } = render(<TranscriptView transcript={s} />);
    const log = screen.getByRole('log');
    const typedTurn = within(log).getByText('Biscuit, B-I-S-C-U-I-T').closest('li')!;
    expect(typedTurn).toHaveAttribute('data-typed', 'true');
    expect(within(typedTurn).getByText('typed')).toHaveClass('tag');
    const reply = within(log).getByText('Got it, Biscuit.').closest('li')!;
    expect(within(reply).queryByText('typed')).toBeNull();
    expect(container.querySelector('[data-interim="user"]')).toHaveTextContent('and also');
  });

  it('renders a duplicated seq once', () => {
    const s = apply([
      { type: 'utterance', ...base, utterance: utterance(4, 'user', 'Only once') },
      { type: 'utterance', ...base, utterance: utterance(4, 'user', 'Only once') },
    ]);
    render(<TranscriptView transcript={s} />);
    expect(screen.getAllByText('Only once')).toHaveLength(1);
    expect(screen.getByRole('log').querySelectorAll('li')).toHaveLength(1);
  });

  it('renders markup in what was said as plain text', () => {
    const s = apply([{ type: 'utterance', ...base, utterance: utterance(0, 'user', '<img src=x onerror=alert(1)>') }]);
    const { container } = render(<TranscriptView transcript={s} />);
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByText('<img src=x onerror=alert(1)>')).toBeInTheDocument();
  });

  it('follows new text, stops following when the reader scrolls up, and jumps back on request', () => {
    let s = apply([{ type: 'utterance', ...base, utterance: utterance(0, 'agent', 'first') }]);
    const { rerender } = render(<TranscriptView transcript={s} />);
    const box = screen.getByTestId('transcript-scroll');
    let scrollHeight = 1000;
    Object.defineProperty(box, 'scrollHeight', { configurable: true, get: () => scrollHeight });
    Object.defineProperty(box, 'clientHeight', { configurable: true, value: 300 });

    // New text while following: scrolled to the end.
    s = transcriptReducer(s, { type: 'utterance', ...base, utterance: utterance(1, 'user', 'second') });
    rerender(<TranscriptView transcript={s} />);
    expect(box.scrollTop).toBe(1000);
    expect(screen.queryByRole('button', { name: /jump to latest/i })).toBeNull();

    // The reader scrolls up: new text no longer moves the view, and a button offers the way back.
    box.scrollTop = 200;
    fireEvent.scroll(box);
    scrollHeight = 1400;
    s = transcriptReducer(s, { type: 'utterance', ...base, utterance: utterance(2, 'agent', 'third') });
    rerender(<TranscriptView transcript={s} />);
    expect(box.scrollTop).toBe(200);
    const jump = screen.getByRole('button', { name: /jump to latest/i });
    expect(jump).toHaveTextContent(/new text/i);

    act(() => jump.click());
    expect(box.scrollTop).toBe(1400);
    expect(screen.queryByRole('button', { name: /jump to latest/i })).toBeNull();

    // Following again: the next line scrolls into view by itself.
    scrollHeight = 1600;
    s = transcriptReducer(s, { type: 'utterance', ...base, utterance: utterance(3, 'user', 'fourth') });
    rerender(<TranscriptView transcript={s} />);
    expect(box.scrollTop).toBe(1600);
  });
});

describe('one turn, live and stored', () => {
  it('shows the same speaker, time, tags, words and language in the live transcript and a stored conversation', () => {
    const turns = [
      utterance(0, 'user', 'Hola, ¿qué tal?', { language: 'es', typed: true }),
      utterance(1, 'agent', 'Muy bien, gracias.', {
        language: 'es',
        interrupted: true,
        metrics: {
          endOfUtteranceDelayMs: 400,
          transcriptionDelayMs: 100,
          llmTtftMs: 300,
          ttsTtfbMs: 120,
          e2eLatencyMs: 920,
          servedBy: { stt: 'deepgram', llm: 'openai', tts: 'cartesia' },
        },
      }),
    ];
    const live = render(<TranscriptView transcript={{ utterances: turns, interims: {} }} />);
    const stored = render(<StoredTurns utterances={turns} showLatency />);
    const items = (c: HTMLElement) => [...c.querySelectorAll('li.turn')] as HTMLElement[];
    const [liveTurns, storedTurns] = [items(live.container), items(stored.container)];
    expect(liveTurns).toHaveLength(2);
    expect(storedTurns).toHaveLength(2);
    turns.forEach((u, i) => {
      for (const li of [liveTurns[i]!, storedTurns[i]!]) {
        expect(li).toHaveAttribute('lang', 'es');
        expect(li).toHaveClass(`turn-${u.role}`);
        expect(within(li).getByText(u.text)).toBeInTheDocument();
        expect(li.querySelector('time')).toHaveAttribute('dateTime', u.startedAt);
        expect(within(li).getByText(u.role === 'user' ? 'You' : 'Parley')).toBeInTheDocument();
      }
    });
    for (const li of [liveTurns[0]!, storedTurns[0]!]) expect(li).toHaveAttribute('data-typed', 'true');
    for (const li of [liveTurns[1]!, storedTurns[1]!]) expect(within(li).getByText('interrupted')).toBeInTheDocument();
    // Only the stored conversation carries each turn's latency.
    expect(within(storedTurns[1]!).getByText(/Replied in/)).toBeInTheDocument();
    expect(within(storedTurns[1]!).getByText('Served by').nextSibling).toHaveTextContent(
      'deepgram (recognition), openai (language model), cartesia (voice)',
    );
    expect(within(liveTurns[1]!).queryByText(/Replied in/)).toBeNull();
  });
});

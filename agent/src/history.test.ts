import type { Utterance } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { RESUME_SEQ_GAP, resumeFrom } from './history';

const u = (seq: number, role: 'user' | 'agent', text: string, interrupted = false): Utterance => ({
  seq,
  role,
  text,
  language: 'en',
  startedAt: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
  endedAt: new Date(1_700_000_000_500 + seq * 1000).toISOString(),
  interrupted,
  metrics: null,
});

describe('resumeFrom', () => {
  it('is null for a new conversation', () => {
    expect(resumeFrom([])).toBeNull();
  });

  it('turns stored utterances into the chat context, in order, and continues after the last seq', () => {
    const resume = resumeFrom([
      u(0, 'agent', 'Hi, this is Parley.'),
      u(1, 'user', 'What is the weather?'),
      u(2, 'agent', 'It is sunny and', true),
    ])!;
    const items = resume.chatCtx.items.map((i) =>
      i.type === 'message' ? [i.role, i.textContent, i.interrupted] : [i.type],
    );
    expect(items).toEqual([
      ['assistant', 'Hi, this is Parley.', false],
      ['user', 'What is the weather?', false],
      ['assistant', 'It is sunny and', true],
    ]);
    expect(resume.firstSeq).toBe(3 + RESUME_SEQ_GAP);
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Utterance } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { RESUME_SEQ_GAP, fetchConversationHistory, resumeFrom } from './history';

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

describe('fetchConversationHistory', () => {
  const servers: Array<ReturnType<typeof createServer>> = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });
  /** A gateway that answers each history request with the next status (the last one repeats). */
  async function gateway(statuses: number[]) {
    const seen: number[] = [];
    const server = createServer((req, res) => {
      const status = statuses[Math.min(seen.length, statuses.length - 1)]!;
      seen.push(status);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ utterances: [u(1, 'user', 'b'), u(0, 'agent', 'a')] }) : '{}');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, secret: 's'.repeat(32), seen };
  }

  it('retries a failing gateway and returns the utterances in seq order', async () => {
    const gw = await gateway([503, 500, 200]);
    const got = await fetchConversationHistory(gw, 'c', { delayMs: 1 });
    expect(got.map((x) => x.seq)).toEqual([0, 1]);
    expect(gw.seen).toEqual([503, 500, 200]);
  });

  it('does not retry a refusal: a conversation the gateway does not know is a new call at once', async () => {
    const gw = await gateway([404, 200]);
    await expect(fetchConversationHistory(gw, 'c', { delayMs: 1 })).rejects.toMatchObject({ status: 404 });
    expect(gw.seen).toEqual([404]);
  });
});

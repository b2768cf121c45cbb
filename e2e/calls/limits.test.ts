import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALL_ENDS_AT_ATTRIBUTE,
  CALL_WARN_AT_ATTRIBUTE,
  DEFAULT_PREFERENCES,
  type ServerMessage,
} from '@parley/protocol';
import { startCall, type Caller } from '@parley/testkit/caller';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import { startStack, type Stack } from '@parley/testkit/stack';
import { registerUser } from './helpers';

/**
 * Issue 22, quotas: an account with 0.25 call minutes a day (15 s) calls in Spanish. Eight
 * seconds before the minutes run out the agent says so in Spanish (a stored agent turn) and its
 * participant attributes give the page the instants to count down to; then it ends the live call
 * with `limit_reached` (what the caller's page is told over the transcript socket, and the call's
 * status), and the next call is refused with 429 quota_exceeded.
 */

const QUOTA_MINUTES = 0.25;
const WARN_SECONDS = 8;

describe('a daily minutes quota warns, ends a real call and refuses the next', () => {
  let stack: Stack;
  let caller: Caller | undefined;
  let socket: TranscriptSocket | undefined;

  beforeAll(async () => {
    stack = await startStack({
      gatewayEnv: { QUOTA_MINUTES_PER_DAY: String(QUOTA_MINUTES), LIMIT_WARNING_SECONDS: String(WARN_SECONDS) },
    });
  }, 120_000);

  afterAll(async () => {
    socket?.ws.close();
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  it('warns in the caller’s language, ends the call with limit_reached when the minutes run out, then answers 429 quota_exceeded', async () => {
    const client = stack.client();
    await registerUser(client, { ...DEFAULT_PREFERENCES, language: 'es' });
    const startedAt = Date.now();
    caller = await startCall(client);
    const { conversationId } = caller.call;
    socket = await openTranscript(stack.gatewayUrl, conversationId, { cookie: client.cookieHeader() });
    expect((await socket.next('snapshot')).type).toBe('snapshot');
    // The call is live: the agent's greeting is heard.
    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    const heardAt = Date.now();
    expect((await client.get(`/api/calls/${conversationId}`)).body.status).toBe('active');

    // The agent's attributes: when the call ends and when the page starts counting down.
    const attributes = caller.room.remoteParticipants.get(caller.agentIdentity)!.attributes;
    const endsAt = Date.parse(attributes[CALL_ENDS_AT_ATTRIBUTE] ?? '');
    const warnAt = Date.parse(attributes[CALL_WARN_AT_ATTRIBUTE] ?? '');
    expect(endsAt - warnAt).toBe(WARN_SECONDS * 1000);
    // Counted from when the agent joined: after the call was created, before its greeting was heard.
    expect(endsAt - startedAt).toBeGreaterThanOrEqual(QUOTA_MINUTES * 60_000);
    expect(endsAt - heardAt).toBeLessThanOrEqual(QUOTA_MINUTES * 60_000);

    // The spoken warning, in Spanish, stored as an agent turn, before the end.
    const messages: ServerMessage[] = [];
    let ended: ServerMessage | undefined;
    while (!ended) {
      const m = await socket.next(undefined, 25_000);
      messages.push(m);
      if (m.type === 'call_ended') ended = m;
    }
    const agentLines = messages.flatMap((m) =>
      m.type === 'utterance' && m.utterance.role === 'agent' ? [m.utterance] : [],
    );
    const warning = agentLines.find((u) => u.text.startsWith('Aviso: esta llamada termina en'));
    expect(warning, JSON.stringify(agentLines.map((u) => u.text))).toBeDefined();
    expect(warning!.text).toMatch(/^Aviso: esta llamada termina en [78] segundos por el límite de tiempo\.$/);
    expect(Date.parse(warning!.startedAt)).toBeGreaterThanOrEqual(warnAt - 500);
    expect(Date.parse(warning!.startedAt)).toBeLessThan(endsAt - 3000);

    // The agent ends it when the 15 s are up; the caller's page is told why.
    expect(ended).toMatchObject({ type: 'call_ended', reason: 'limit_reached' });
    const status = (await client.get(`/api/calls/${conversationId}`)).body;
    expect(status).toMatchObject({ status: 'ended', endReason: 'limit_reached' });
    const row = await stack.database.db('conversations').where({ id: conversationId }).first();
    expect(row.duration_ms).toBeGreaterThanOrEqual(QUOTA_MINUTES * 60_000);
    expect(row.duration_ms).toBeLessThan(QUOTA_MINUTES * 60_000 + 5000);
    const stored = await stack.database.db('utterances').where({ conversation_id: conversationId }).pluck('text');
    expect(stored).toContain(warning!.text);

    // The next call is refused until the UTC day turns.
    const refused = await client.post('/api/calls', {});
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('quota_exceeded');
    expect(refused.body.error.details.limitMinutes).toBe(QUOTA_MINUTES);
    const d = new Date();
    const midnight = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1));
    expect(refused.body.error.details.resetsAt).toBe(midnight.toISOString());
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(86_400);
  });
});

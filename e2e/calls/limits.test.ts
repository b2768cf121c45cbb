import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCall, type Caller } from '@parley/testkit/caller';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import { startStack, type Stack } from '@parley/testkit/stack';
import { registerUser } from './helpers';

/**
 * Issue 22, quotas: an account with 0.1 call minutes a month (6 s) calls; the agent ends the live
 * call when the minutes run out with `limit_reached` (what the caller's page is told over the
 * transcript socket, and the call's status), and the next call is refused with 429 quota_exceeded.
 */

const QUOTA_MINUTES = 0.1;

describe('a monthly minutes quota ends a real call and refuses the next', () => {
  let stack: Stack;
  let caller: Caller | undefined;
  let socket: TranscriptSocket | undefined;

  beforeAll(async () => {
    stack = await startStack({ gatewayEnv: { QUOTA_MINUTES_PER_MONTH: String(QUOTA_MINUTES) } });
  }, 120_000);

  afterAll(async () => {
    socket?.ws.close();
    await caller?.hangUp().catch(() => undefined);
    await stack?.stop();
  });

  it('ends the call with limit_reached when the minutes run out, then answers 429 quota_exceeded', async () => {
    const client = stack.client();
    await registerUser(client);
    caller = await startCall(client);
    const { conversationId } = caller.call;
    socket = await openTranscript(stack.gatewayUrl, conversationId, { cookie: client.cookieHeader() });
    expect((await socket.next('snapshot')).type).toBe('snapshot');
    // The call is live: the agent's greeting is heard.
    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    expect((await client.get(`/api/calls/${conversationId}`)).body.status).toBe('active');

    // The agent ends it when the 6 s are up; the caller's page is told why.
    const ended = await socket.next('call_ended', 20_000);
    expect(ended).toMatchObject({ type: 'call_ended', reason: 'limit_reached' });
    const status = (await client.get(`/api/calls/${conversationId}`)).body;
    expect(status).toMatchObject({ status: 'ended', endReason: 'limit_reached' });
    const row = await stack.database.db('conversations').where({ id: conversationId }).first();
    expect(row.duration_ms).toBeGreaterThanOrEqual(QUOTA_MINUTES * 60_000);
    expect(row.duration_ms).toBeLessThan(QUOTA_MINUTES * 60_000 + 5000);

    // The next call is refused until the month turns.
    const refused = await client.post('/api/calls', {});
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('quota_exceeded');
    expect(refused.body.error.details.limitMinutes).toBe(QUOTA_MINUTES);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

import { expect } from 'vitest';
import type { TestClient } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import type { Cluster } from '@parley/testkit/cluster';
import { greetingFor } from '@parley/agent/agent';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import { recordFault, type FaultRecord } from '@parley/testkit/fault-record';
import { registerUser, waitFor } from '../calls/helpers';

/** The fake LLM's answer names the caller's words and how many user turns its context held. */
export const reply = (messages: Array<{ role: string; content: string }>) => {
  const users = messages.filter((m) => m.role === 'user');
  return `Answer ${users.length}: ${users.at(-1)?.content.replace(/[.!?]+$/, '') ?? ''}.`;
};

export interface LiveCall {
  client: TestClient;
  caller: Caller;
  id: string;
  socket: TranscriptSocket;
  /** What the fake STT emitted for this call, in order (the independent record). */
  said: string[];
  /** Openings expected in the agent's turns: the greeting, then one apology per recovery. */
  openings: string[];
}

/** Calls placed through the cluster's load balancer, with the checks every cluster test makes. */
export function clusterCalls(cluster: () => Cluster, speech: () => Int16Array) {
  const calls: LiveCall[] = [];
  let turnCounter = 0;

  async function placeCall(): Promise<LiveCall> {
    const client = cluster().client();
    await registerUser(client);
    // A loaded 2-core machine starts a job process slowly: the agent's first audio can take a while.
    const caller = await startCall(client, {}, 60_000);
    const id = caller.call.conversationId;
    const socket = await openTranscript(cluster().lb.gatewayUrl, id, { cookie: client.cookieHeader() });
    await caller.agentAudio.firstVoicedAfter(0, 60_000);
    await waitForAgentState(caller, 'listening', 20_000);
    const call = { client, caller, id, socket, said: [], openings: [greetingFor('en')] };
    calls.push(call);
    return call;
  }

  /** One turn: the caller speaks, the fake STT emits a unique sentence, the agent answers it aloud. */
  async function turn(call: LiveCall, timeoutMs = 20_000): Promise<void> {
    const text = `Question number ${++turnCounter} about the weather.`;
    cluster().fakes.deepgram.enqueue(text);
    const { endedAt } = await call.caller.say(speech());
    const voiced = await call.caller.agentAudio.firstVoicedAfter(endedAt, timeoutMs);
    await call.caller.agentAudio.silentFor(700, voiced, timeoutMs);
    await waitForAgentState(call.caller, 'listening', timeoutMs);
    call.said.push(cluster().fakes.deepgram.transcriptsSent.at(-1)!);
    expect(call.said.at(-1)).toBe(text);
  }

  async function stored(id: string) {
    return cluster().database.db('utterances').where({ conversation_id: id }).orderBy('seq');
  }

  /** The conversation as it should read: the greeting, each sentence and its answer, an apology wherever an agent took over. */
  function expectedRows(call: LiveCall, turnsBeforeRecovery: number[]): Array<[string, string]> {
    const expected: Array<[string, string]> = [];
    let opening = 0;
    call.said.forEach((text, i) => {
      if (i === 0 || turnsBeforeRecovery.includes(i)) expected.push(['agent', call.openings[opening++]!]);
      expected.push(['user', text], ['agent', `Answer ${i + 1}: ${text.replace(/[.!?]+$/, '')}.`]);
    });
    return expected;
  }

  /**
   * The stored conversation reads as one: the greeting, each sentence the STT emitted exactly once
   * and in order, each followed by the LLM's answer to it (whose user-turn count proves the context
   * carried over), and an apology wherever an agent took over.
   */
  async function expectOneConversation(call: LiveCall, turnsBeforeRecovery: number[]) {
    await waitFor(
      async () => (await stored(call.id)).length === call.openings.length + call.said.length * 2,
      15_000,
      'every utterance stored',
    );
    const rows = await stored(call.id);
    expect(rows.map((r) => [r.role, r.text])).toEqual(expectedRows(call, turnsBeforeRecovery));
    const seqs = rows.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    const conv = await cluster().database.db('conversations').where({ id: call.id }).first();
    expect(conv.status).toBe('active');
    return rows;
  }

  /**
   * Records a fault for docs/reliability.md and docs/scaling.md: each call's stored rows compared
   * with the rows the record says there should be (lost: expected and missing; duplicated: stored
   * twice or not expected, seqs reused), summed over the calls (two calls' greetings and seqs are
   * alike, so they are compared call by call).
   */
  function recordClusterFault(
    perCall: Array<{ rows: Array<{ role: string; text: string; seq: number }>; expected: Array<[string, string]> }>,
    info: Pick<FaultRecord, 'fault' | 'file' | 'inFlight' | 'outcome' | 'live' | 'cluster'>,
  ) {
    let expected = 0;
    let stored = 0;
    let lost = 0;
    let duplicated = 0;
    for (const c of perCall) {
      const got = c.rows.map((r) => `${r.role}:${r.text}`);
      const want = c.expected.map(([role, text]) => `${role}:${text}`);
      const seqs = c.rows.map((r) => r.seq);
      expected += want.length;
      stored += got.length;
      lost += want.filter((w) => !got.includes(w)).length;
      duplicated +=
        got.length - new Set(got).size + got.filter((g) => !want.includes(g)).length + seqs.length - new Set(seqs).size;
    }
    recordFault({ ...info, expected, stored, lost, duplicated });
  }

  async function hangUpAll() {
    for (const c of calls) {
      // Bounded: a caller whose room was broken by a fault may never finish disconnecting.
      await Promise.race([c.caller.hangUp().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      c.socket.ws.close();
    }
  }

  return { calls, placeCall, turn, stored, expectedRows, expectOneConversation, recordClusterFault, hangUpAll };
}

import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, synthesizeSpeechWav, type TestClient } from '@parley/testkit';
import { agentJobPid, followNewAgent, startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startCluster, type Cluster } from '@parley/testkit/cluster';
import { apologyFor, greetingFor } from '@parley/agent/agent';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import { registerUser, waitFor } from '../calls/helpers';

/**
 * The cluster (two LiveKit nodes over one Redis, two agent workers, two gateways behind haproxy),
 * started once; calls go through the load balancer only. Each fault is injected while a call is
 * live, and the call must carry on under the same conversation with nothing lost or duplicated,
 * counted against what the fake STT emitted and what the fake LLM answered.
 */

let cluster: Cluster;
let speech: Int16Array;

/** The fake LLM's answer names the caller's words and how many user turns its context held. */
const reply = (messages: Array<{ role: string; content: string }>) => {
  const users = messages.filter((m) => m.role === 'user');
  return `Answer ${users.length}: ${users.at(-1)?.content.replace(/[.!?]+$/, '') ?? ''}.`;
};

interface LiveCall {
  client: TestClient;
  caller: Caller;
  id: string;
  socket: TranscriptSocket;
  /** What the fake STT emitted for this call, in order (the independent record). */
  said: string[];
  /** Openings expected in the agent's turns: the greeting, then one apology per recovery. */
  openings: string[];
}
const calls: LiveCall[] = [];
let turnCounter = 0;

beforeAll(async () => {
  cluster = await startCluster({
    logDir: process.env.PARLEY_CLUSTER_LOGS,
    openai: { ttftMs: 50, reply: ({ messages }) => reply(messages) },
  });
  speech = (await synthesizeSpeechWav('Tell me something about the weather today.', { sampleRate: 48000 })).pcm;
}, 180_000);

afterAll(async () => {
  for (const c of calls) {
    await c.caller.hangUp().catch(() => undefined);
    c.socket.ws.close();
  }
  await cluster?.stop();
  await dispose();
});

async function placeCall(): Promise<LiveCall> {
  const client = cluster.client();
  await registerUser(client);
  const caller = await startCall(client);
  const id = caller.call.conversationId;
  const socket = await openTranscript(cluster.lb.gatewayUrl, id, { cookie: client.cookieHeader() });
  await caller.agentAudio.firstVoicedAfter(0, 30_000);
  await waitForAgentState(caller, 'listening', 20_000);
  const call = { client, caller, id, socket, said: [], openings: [greetingFor('en')] };
  calls.push(call);
  return call;
}

/** One turn: the caller speaks, the fake STT emits a unique sentence, the agent answers it aloud. */
async function turn(call: LiveCall, timeoutMs = 20_000): Promise<void> {
  const text = `Question number ${++turnCounter} about the weather.`;
  cluster.fakes.deepgram.enqueue(text);
  const { endedAt } = await call.caller.say(speech);
  const voiced = await call.caller.agentAudio.firstVoicedAfter(endedAt, timeoutMs);
  await call.caller.agentAudio.silentFor(700, voiced, timeoutMs);
  await waitForAgentState(call.caller, 'listening', timeoutMs);
  call.said.push(cluster.fakes.deepgram.transcriptsSent.at(-1)!);
  expect(call.said.at(-1)).toBe(text);
}

async function stored(id: string) {
  return cluster.database.db('utterances').where({ conversation_id: id }).orderBy('seq');
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
  const expected: Array<[string, string]> = [];
  let opening = 0;
  call.said.forEach((text, i) => {
    if (i === 0 || turnsBeforeRecovery.includes(i)) expected.push(['agent', call.openings[opening++]!]);
    expected.push(['user', text], ['agent', `Answer ${i + 1}: ${text.replace(/[.!?]+$/, '')}.`]);
  });
  expect(rows.map((r) => [r.role, r.text])).toEqual(expected);
  const seqs = rows.map((r) => r.seq);
  expect(new Set(seqs).size).toBe(seqs.length);
  const conv = await cluster.database.db('conversations').where({ id: call.id }).first();
  expect(conv.status).toBe('active');
}

describe('a Parley cluster behind haproxy', () => {
  it('places calls on both LiveKit nodes, served by both workers', async () => {
    const a = await placeCall();
    const b = await placeCall();
    const placed = await Promise.all([a, b].map((c) => cluster.placement(c.caller.call.room)));
    const workers = await Promise.all(
      [a, b].map(async (c) => (await cluster.workerOfJob(agentJobPid(c.caller)!))?.name),
    );
    console.info(`[cluster] placement ${JSON.stringify(placed)}, workers ${JSON.stringify(workers)}`);
    expect(new Set(placed)).toEqual(new Set(['node-a', 'node-b']));
    expect(workers.every((w) => w !== undefined)).toBe(true);
    await turn(a);
    await turn(b);
  });

  it('re-dispatches the agent when its job process is killed mid-call; the call continues', async () => {
    const call = calls[0]!;
    const pid = agentJobPid(call.caller)!;
    expect(isAlive(pid)).toBe(true);
    expect(call.caller.agentState()).toBe('listening'); // the call is live when the job dies
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await call.socket.next('agent_reconnecting', 30_000);
    const agent = await followNewAgent(call.caller, 30_000);
    const heardAt = await call.caller.agentAudio.firstVoicedAfter(killedAt, 30_000);
    console.info(`[cluster] job killed: agent heard again after ${heardAt - killedAt} ms (${agent})`);
    call.openings.push(apologyFor('en'));
    await waitForAgentState(call.caller, 'listening', 20_000);
    await turn(call);
    await expectOneConversation(call, [1]);
    expect([...call.caller.room.remoteParticipants.keys()].filter((k) => k.startsWith('agent-'))).toEqual([agent]);
  });

  it('re-dispatches to the other worker when a whole worker is killed mid-call', async () => {
    const call = calls[1]!;
    const worker = (await cluster.workerOfJob(agentJobPid(call.caller)!))!;
    expect(worker).toBeDefined();
    expect(call.caller.agentState()).toBe('listening');
    worker.process.process.kill('SIGKILL');
    const killedAt = Date.now();
    await call.socket.next('agent_reconnecting', 30_000);
    await followNewAgent(call.caller, 30_000);
    const heardAt = await call.caller.agentAudio.firstVoicedAfter(killedAt, 30_000);
    console.info(`[cluster] worker killed: agent heard again after ${heardAt - killedAt} ms`);
    call.openings.push(apologyFor('en'));
    const survivor = await cluster.workerOfJob(agentJobPid(call.caller)!);
    expect(survivor?.name).not.toBe(worker.name);
    await waitForAgentState(call.caller, 'listening', 20_000);
    await turn(call);
    await expectOneConversation(call, [1]);
    await worker.restart();
  });
});

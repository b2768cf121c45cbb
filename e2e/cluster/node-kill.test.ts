import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { dispose, RoomEvent, type Room } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeechWav } from '@parley/testkit';
import { agentJobPid, followNewAgent, rejoinOnDisconnect, waitForAgentState } from '@parley/testkit/caller';
import { startCluster, type Cluster } from '@parley/testkit/cluster';
import { apologyFor, greetingFor } from '@parley/agent/agent';
import { waitFor } from '../calls/helpers';
import { clusterCalls, reply, type LiveCall } from './helpers';

/**
 * A LiveKit node of the cluster (two nodes over one Redis, two workers, two gateways behind
 * haproxy) is SIGKILLed while one of its calls has a turn in flight: the caller's utterance stored,
 * its reply asked of the LLM and not answered. Calls go through haproxy only; where each room is
 * comes from Redis' room_node_map. The caller of the dead node's call is cut off and comes back
 * by itself; LiveKit recreates the room on the live node and runs its stored dispatch again; the
 * re-dispatched agent reads the conversation so far, apologises and answers the next turn; the old
 * agent gives way without reporting an end. The call on the other node keeps its agent. Checked
 * against the fakes' record: every sentence the STT emitted stored once and in order, every
 * reply the LLM streamed stored once, nothing stored that they did not produce.
 */

let cluster: Cluster;
let speech: Int16Array;
const { placeCall, turn, stored, recordClusterFault, hangUpAll } = clusterCalls(
  () => cluster,
  () => speech,
);

beforeAll(async () => {
  cluster = await startCluster({
    logDir: process.env.PARLEY_CLUSTER_LOGS,
    ...(process.env.PARLEY_CLUSTER_LOGS ? { gatewayEnv: { LOG_LEVEL: 'info' } } : {}),
    openai: { ttftMs: 50, reply: ({ messages }) => reply(messages) },
  });
  speech = (await synthesizeSpeechWav('Tell me something about the weather today.', { sampleRate: 48000 })).pcm;
}, 300_000);

afterAll(async () => {
  cluster?.fakes.openai.releaseReplies();
  const logs = process.env.PARLEY_CLUSTER_LOGS;
  if (logs && cluster)
    for (const w of cluster.workers) writeFileSync(path.join(logs, `${w.name}.log`), w.process.output.join(''));
  if (logs && cluster)
    cluster.gateways.forEach((g, i) => writeFileSync(path.join(logs, `gateway-${i + 1}.log`), g.output.join('')));
  await hangUpAll();
  await cluster?.stop();
  await dispose();
}, 120_000);

const agentsIn = (room: Room) => [...room.remoteParticipants.keys()].filter((k) => k.startsWith('agent-'));

/** Connection events of a caller's room (rtc-node), with their time. */
function watchConnection(room: Room) {
  const events: Array<{ event: string; at: number }> = [];
  room.on(RoomEvent.Reconnecting, () => events.push({ event: 'reconnecting', at: Date.now() }));
  room.on(RoomEvent.Reconnected, () => events.push({ event: 'reconnected', at: Date.now() }));
  room.on(RoomEvent.Disconnected, () => events.push({ event: 'disconnected', at: Date.now() }));
  return events;
}

let a: LiveCall;
let b: LiveCall;

describe('a LiveKit node dies mid-call behind haproxy', () => {
  it('places one call on each node', async () => {
    a = await placeCall();
    b = await placeCall();
    const placed = await Promise.all([a, b].map((c) => cluster.placement(c.caller.call.room)));
    console.info(`[cluster] placement ${JSON.stringify(placed)}`);
    expect(new Set(placed)).toEqual(new Set(['node-a', 'node-b']));
    await turn(a);
    await turn(b);
  }, 180_000);

  it("the dead node's caller comes back to a re-dispatched agent that resumes; the other call keeps its agent; nothing lost", async () => {
    const victim = a;
    const other = b;
    const deadNode = (await cluster.placement(victim.caller.call.room))!;
    const liveNode = (await cluster.placement(other.caller.call.room))!;
    expect(deadNode).not.toBe(liveNode);
    const node = cluster.nodes.find((n) => n.name === deadNode)!;
    const oldAgent = victim.caller.agentIdentity;
    const otherAgent = other.caller.agentIdentity;
    const otherPid = agentJobPid(other.caller)!;
    // What the web client does too: rejoin with a fresh token if the room is lost for good.
    const victimRejoin = rejoinOnDisconnect(victim.caller, victim.client);
    const otherRejoin = rejoinOnDisconnect(other.caller, other.client);
    const victimConnection = watchConnection(victim.caller.room);

    // The victim's next turn in flight: the utterance stored, its reply asked and held at the LLM.
    const storedBefore = (await stored(victim.id)).length;
    cluster.fakes.openai.holdReplies();
    const text = 'Question number 500 about the weather.';
    cluster.fakes.deepgram.enqueue(text);
    await victim.caller.say(speech);
    victim.said.push(text);
    await waitFor(() => cluster.fakes.openai.heldReplies === 1, 20_000, 'the reply asked of the LLM');
    await waitFor(async () => (await stored(victim.id)).length === storedBefore + 1, 10_000, 'the utterance stored');
    expect((await stored(victim.id)).at(-1)).toMatchObject({ role: 'user', text });
    expect(victim.caller.agentState()).toBe('thinking');

    await node.kill();
    const killedAt = Date.now();

    // LiveKit recreates the room on the live node; its stored dispatch brings a new agent.
    // (Followed in whichever room the caller is in: its own after a reconnection, a new one after a rejoin.)
    await waitFor(
      () => agentsIn(victim.caller.room).some((id) => id !== oldAgent),
      60_000,
      'a new agent in the recreated room',
    ).catch((err: Error) => {
      err.message += ` (caller: ${JSON.stringify(victimConnection.map((e) => [e.event, e.at - killedAt]))}, agents ${agentsIn(victim.caller.room)}, rejoins ${JSON.stringify(victimRejoin.rejoins)})`;
      throw err;
    });
    const agent =
      victim.caller.agentIdentity === oldAgent
        ? await followNewAgent(victim.caller, 30_000)
        : victim.caller.agentIdentity;
    const heardAt = await victim.caller.agentAudio.firstVoicedAfter(killedAt, 30_000);
    expect(agent).not.toBe(oldAgent);
    expect(await cluster.placement(victim.caller.call.room)).toBe(liveNode);
    // The old job gives way without a word and ends: no worker runs it any more (a process of its own
    // would exit; a job host, AGENT_CALLS_PER_PROCESS, runs on with its other calls and idle slots).
    await waitFor(async () => !(await cluster.runningAgents()).has(oldAgent), 30_000, 'the old job ended');
    cluster.fakes.openai.releaseReplies(); // nobody waits for that reply any more
    const how = victimRejoin.rejoins.length
      ? `rejoined with a fresh token (${JSON.stringify(victimRejoin.rejoins)})`
      : `reconnected by itself (${victimConnection.map((e) => `${e.event}@+${e.at - killedAt}ms`).join(', ')})`;
    console.info(
      `[cluster] ${deadNode} killed: caller ${how}; agent heard again after ${heardAt - killedAt} ms (${oldAgent} → ${agent})`,
    );
    victim.openings.push(apologyFor('en'));
    await waitForAgentState(victim.caller, 'listening', 20_000);
    await turn(victim);
    expect(agentsIn(victim.caller.room)).toEqual([agent]);
    // The hand-over was LiveKit's re-run dispatch alone: the old agent stayed until its agent was
    // in the room, so the gateway never found the caller without one, counted no loss and
    // dispatched none (it would have said agent_reconnecting on the caller's socket).
    expect(victim.socket.queued().filter((m) => m.type === 'agent_reconnecting')).toEqual([]);

    // The other node's call: same agent, same job process, next turn answered.
    await turn(other);
    expect(other.caller.agentIdentity).toBe(otherAgent);
    expect(agentJobPid(other.caller)).toBe(otherPid);
    expect(otherRejoin.rejoins).toEqual([]);
    expect(agentsIn(other.caller.room)).toEqual([otherAgent]);

    // The conversation reads as one: greeting, turn 1 and its answer, the turn in flight (never
    // answered: its reply was never streamed), the apology, then the next turn answered by an
    // agent whose context held all three user turns.
    const answer = (n: number, t: string) => `Answer ${n}: ${t.replace(/[.!?]+$/, '')}.`;
    const [q1, q2, q3] = victim.said as [string, string, string];
    const expected: Array<[string, string]> = [
      ['agent', greetingFor('en')],
      ['user', q1],
      ['agent', answer(1, q1)],
      ['user', q2],
      ['agent', apologyFor('en')],
      ['user', q3],
      ['agent', answer(3, q3)],
    ];
    await waitFor(async () => (await stored(victim.id)).length >= expected.length, 15_000, 'every utterance stored');
    const rows = await stored(victim.id);
    const conv = await cluster.database.db('conversations').where({ id: victim.id }).first();
    recordClusterFault([{ rows, expected }], {
      fault: 'cluster_livekit_node_sigkill',
      file: 'e2e/cluster/node-kill.test.ts',
      inFlight: `user utterance seq ${storedBefore} stored, its reply asked of the LLM and held`,
      outcome:
        "the caller is back in the room, recreated on the live node, whose re-run dispatch brings an agent that resumes (stored history, apology) and answers the next turn; the old agent gives way without reporting an end; the other node's call keeps its agent",
      live: null,
      cluster: { callsAffected: 1, heardAgainMs: [heardAt - killedAt], callsEnded: conv.status === 'ended' ? 1 : 0 },
    });
    expect(rows.map((r) => [r.role, r.text])).toEqual(expected);
    const seqs = rows.map((r) => r.seq as number);
    expect(new Set(seqs).size).toBe(seqs.length);
    // Against the fakes' record: each sentence the STT emitted for this call once, each reply the
    // LLM streamed for it once, and the held reply to the turn in flight never streamed.
    const { transcriptsSent } = cluster.fakes.deepgram;
    const { repliesStreamed } = cluster.fakes.openai;
    for (const t of [q1, q2, q3]) expect(transcriptsSent.filter((s) => s === t)).toHaveLength(1);
    for (const r of [answer(1, q1), answer(3, q3)]) expect(repliesStreamed.filter((s) => s === r)).toHaveLength(1);
    expect(repliesStreamed.filter((s) => s.endsWith(`${q2.replace(/[.!?]+$/, '')}.`))).toEqual([]);
    expect(conv).toMatchObject({ status: 'active', end_reason: null });
  }, 240_000);
});

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { dispose, RoomEvent } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeechWav } from '@parley/testkit';
import { rejoinOnDisconnect, waitForAgentState, type RejoinTracker } from '@parley/testkit/caller';
import { startCluster, type Cluster } from '@parley/testkit/cluster';
import { apologyFor, greetingFor } from '@parley/agent/agent';
import { waitFor } from '../calls/helpers';
import { clusterCalls, reply, type LiveCall } from './helpers';

/**
 * Both LiveKit nodes of the cluster die while a turn is in flight and stay down longer than the
 * callers' SDK keeps reconnecting (rtc-node gives up within seconds of haproxy answering 503, or ~27 s without an answer).
 * Nothing the SDK can do brings the caller back: what does is the client's own rejoin, as the web
 * call page does it (web/src/call/useCall.ts) and the rtc-node test caller copies it
 * (rejoinOnDisconnect): on the room's disconnection, POST /api/calls/:id/rejoin through haproxy
 * for a fresh token for the same conversation and join again, retrying while LiveKit is down. When
 * the nodes are back, the rejoin recreates each room with the token's agent dispatch; the new
 * agent reads the conversation so far, apologises and answers the next turn. Checked against the
 * fakes' record: every sentence the STT emitted stored once and in order, every reply the LLM
 * streamed stored once.
 */

let cluster: Cluster;
let speech: Int16Array;
const { placeCall, turn, stored, expectedRows, recordClusterFault, hangUpAll } = clusterCalls(
  () => cluster,
  () => speech,
);

beforeAll(async () => {
  cluster = await startCluster({
    logDir: process.env.PARLEY_CLUSTER_LOGS,
    openai: { ttftMs: 50, reply: ({ messages }) => reply(messages) },
  });
  speech = (await synthesizeSpeechWav('Tell me something about the weather today.', { sampleRate: 48000 })).pcm;
}, 300_000);

afterAll(async () => {
  cluster?.fakes.openai.releaseReplies();
  const logs = process.env.PARLEY_CLUSTER_LOGS;
  if (logs && cluster) {
    for (const w of cluster.workers) writeFileSync(path.join(logs, `${w.name}.log`), w.process.output.join(''));
    cluster.gateways.forEach((g, i) => writeFileSync(path.join(logs, `gateway-${i + 1}.log`), g.output.join('')));
  }
  await hangUpAll();
  await cluster?.stop();
  await dispose();
}, 120_000);

let a: LiveCall;
let b: LiveCall;

describe('the whole LiveKit cluster is down longer than the SDK reconnects', () => {
  it('places one call on each node', async () => {
    a = await placeCall();
    b = await placeCall();
    const placed = await Promise.all([a, b].map((c) => cluster.placement(c.caller.call.room)));
    expect(new Set(placed)).toEqual(new Set(['node-a', 'node-b']));
    await turn(a);
    await turn(b);
  }, 180_000);

  it('each caller comes back through POST /api/calls/:id/rejoin to a new agent that resumes; nothing lost', async () => {
    const oldAgents = [a.caller.agentIdentity, b.caller.agentIdentity];
    const trackers = new Map<LiveCall, RejoinTracker>([
      [a, rejoinOnDisconnect(a.caller, a.client, { attempts: 12 })],
      [b, rejoinOnDisconnect(b.caller, b.client, { attempts: 12 })],
    ]);
    const reconnecting: number[] = [];
    for (const c of [a, b]) c.caller.room.on(RoomEvent.Reconnecting, () => reconnecting.push(Date.now()));

    // Call a's next turn in flight: the utterance stored, its reply asked and held at the LLM.
    const storedBefore = (await stored(a.id)).length;
    cluster.fakes.openai.holdReplies();
    const text = 'Question number 500 about the weather.';
    cluster.fakes.deepgram.enqueue(text);
    await a.caller.say(speech);
    a.said.push(text);
    await waitFor(() => cluster.fakes.openai.heldReplies === 1, 20_000, 'the reply asked of the LLM');
    await waitFor(async () => (await stored(a.id)).length === storedBefore + 1, 10_000, 'the utterance stored');
    expect(a.caller.agentState()).toBe('thinking');

    // Both calls' jobs are listed by the workers (the signal that they ended, below).
    expect([...(await cluster.runningAgents())]).toEqual(expect.arrayContaining(oldAgents));
    await Promise.all(cluster.nodes.map((n) => n.kill()));
    const killedAt = Date.now();
    // The SDKs try to reconnect, then give up (haproxy answers 503 with no node behind it): the room
    // is disconnected and the rejoin starts, retried while LiveKit is down.
    await waitFor(() => [a, b].every((c) => trackers.get(c)!.rejoins.length === 1), 90_000, 'both SDKs gave up');
    const gaveUpAfter = [a, b].map((c) => trackers.get(c)!.rejoins[0]!.disconnectedAt - killedAt);
    expect(reconnecting.length).toBeGreaterThanOrEqual(2);
    // The old agents' SDKs give up too, and their jobs end: they leave the calls to new agents.
    // (A process of its own exits with its job; a job host runs on with its idle slots.)
    await waitFor(
      async () => {
        const running = await cluster.runningAgents();
        return !oldAgents.some((id) => running.has(id));
      },
      90_000,
      'the old jobs ended',
    );
    const agentsGoneAfter = Date.now() - killedAt;
    cluster.fakes.openai.releaseReplies(); // the agent that asked is gone
    // LiveKit is back (both nodes, same ports); the callers' rejoins get through.
    await Promise.all(cluster.nodes.map((n) => n.restart()));
    const restartedAt = Date.now();

    const heardAgain: number[] = [];
    for (const c of [a, b]) {
      const r = await trackers.get(c)!.rejoined(1, 90_000);
      // Fresh tokens from the gateway's route; while LiveKit was down the join failed and was retried.
      expect(r.statuses.at(-1)).toBe(201);
      expect(r.statuses.every((s) => s === 201)).toBe(true);
      expect(c.caller.call.conversationId).toBe(c.id);
      expect(oldAgents).not.toContain(c.caller.agentIdentity);
      heardAgain.push((await c.caller.agentAudio.firstVoicedAfter(killedAt, 30_000)) - killedAt);
      c.openings.push(apologyFor('en'));
      await waitForAgentState(c.caller, 'listening', 20_000);
    }
    console.info(
      `[cluster] both nodes killed: SDKs gave up after ${gaveUpAfter.join(', ')} ms; old jobs gone after ${agentsGoneAfter} ms; nodes back after ${restartedAt - killedAt} ms; rejoins ${JSON.stringify([a, b].map((c) => trackers.get(c)!.rejoins[0]))}; agents heard again after ${heardAgain.join(', ')} ms`,
    );
    await turn(a);
    await turn(b);
    for (const t of trackers.values()) {
      expect(t.rejoins).toHaveLength(1);
      t.stop();
    }

    // Call a reads as one: greeting, turn 1 and its answer, the turn in flight (its reply was never
    // streamed), the apology, the next turn answered by an agent whose context held all three.
    const answer = (n: number, t: string) => `Answer ${n}: ${t.replace(/[.!?]+$/, '')}.`;
    const [q1, q2, q3] = a.said as [string, string, string];
    const expectedA: Array<[string, string]> = [
      ['agent', greetingFor('en')],
      ['user', q1],
      ['agent', answer(1, q1)],
      ['user', q2],
      ['agent', apologyFor('en')],
      ['user', q3],
      ['agent', answer(3, q3)],
    ];
    const expectedB = expectedRows(b, [1]);
    for (const [c, expected] of [
      [a, expectedA],
      [b, expectedB],
    ] as const)
      await waitFor(async () => (await stored(c.id)).length >= expected.length, 15_000, 'every utterance stored');
    const rowsA = await stored(a.id);
    const rowsB = await stored(b.id);
    const convs = await cluster.database.db('conversations').whereIn('id', [a.id, b.id]);
    recordClusterFault(
      [
        { rows: rowsA, expected: expectedA },
        { rows: rowsB, expected: expectedB },
      ],
      {
        fault: 'cluster_livekit_outage_rejoin',
        file: 'e2e/cluster/outage-rejoin.test.ts',
        inFlight: `call a: user utterance seq ${storedBefore} stored, its reply asked of the LLM and held`,
        outcome:
          "both nodes SIGKILLed and restarted after the callers' SDKs gave up; each caller rejoins through POST /api/calls/:id/rejoin with a fresh token, the token's dispatch brings an agent that resumes (stored history, apology) and answers the next turn",
        live: null,
        cluster: {
          callsAffected: 2,
          heardAgainMs: heardAgain,
          callsEnded: convs.filter((c) => c.status === 'ended').length,
        },
      },
    );
    expect(rowsA.map((r) => [r.role, r.text])).toEqual(expectedA);
    expect(rowsB.map((r) => [r.role, r.text])).toEqual(expectedB);
    for (const rows of [rowsA, rowsB]) {
      const seqs = rows.map((r) => r.seq as number);
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    const { transcriptsSent } = cluster.fakes.deepgram;
    const { repliesStreamed } = cluster.fakes.openai;
    for (const t of [...a.said, ...b.said]) expect(transcriptsSent.filter((s) => s === t)).toHaveLength(1);
    for (const r of [answer(1, q1), answer(3, q3)]) expect(repliesStreamed.filter((s) => s === r)).toHaveLength(1);
    expect(repliesStreamed.filter((s) => s.endsWith(`${q2.replace(/[.!?]+$/, '')}.`))).toEqual([]);
    for (const c of convs) expect(c).toMatchObject({ status: 'active', end_reason: null });
  }, 300_000);
});

import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '@parley/protocol';
import { synthesizeSpeechWav } from '@parley/testkit';
import { openTranscript, type TranscriptSocket } from '@parley/testkit/calls';
import { waitForAgentState } from '@parley/testkit/caller';
import { startCluster, type Cluster } from '@parley/testkit/cluster';
import { recordFault } from '@parley/testkit/fault-record';
import { waitFor } from '../calls/helpers';
import { clusterCalls, reply } from './helpers';

/**
 * A gateway of the cluster (two LiveKit nodes over one Redis, two workers, two gateways behind
 * haproxy) is SIGKILLed while an utterance batch of a call is in flight (held unacknowledged
 * between the agent and haproxy) and two transcript WebSockets are open through haproxy, one on
 * each gateway (haproxy's own session table says which). The call goes on (audio never passes a
 * gateway); haproxy sends the agent's ingest to the survivor; the socket on the survivor stays open
 * and sees every utterance once; the socket on the dead gateway is closed and, re-opened through
 * haproxy as the web client does, resumes from the snapshot.
 */

let cluster: Cluster;
let speech: Int16Array;
const { placeCall, turn, stored, expectOneConversation, hangUpAll } = clusterCalls(
  () => cluster,
  () => speech,
);
const extraSockets: TranscriptSocket[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    logDir: process.env.PARLEY_CLUSTER_LOGS,
    ingestGate: true,
    openai: { ttftMs: 50, reply: ({ messages }) => reply(messages) },
  });
  speech = (await synthesizeSpeechWav('Tell me something about the weather today.', { sampleRate: 48000 })).pcm;
}, 300_000);

afterAll(async () => {
  for (const s of extraSockets) s.ws.close();
  await hangUpAll();
  await cluster?.stop();
  await dispose();
});

const localPort = (s: TranscriptSocket) => (s.ws as unknown as { _socket: { localPort: number } })._socket.localPort;

/** Utterance seqs a socket delivered (its snapshot, then live), in arrival order. */
function seqsOn(s: TranscriptSocket): number[] {
  return s
    .queued()
    .flatMap((m: ServerMessage) =>
      m.type === 'snapshot' ? m.utterances.map((u) => u.seq) : m.type === 'utterance' ? [m.utterance.seq] : [],
    );
}

describe('a gateway dies mid-call behind haproxy', () => {
  it('the call goes on, the in-flight batch reaches the survivor, live sockets resume from the snapshot', async () => {
    const a = await placeCall();
    await turn(a);
    // One transcript socket on each gateway.
    const first = await cluster.lb.gatewayServing(localPort(a.socket));
    expect(first).not.toBeNull();
    let other: TranscriptSocket | null = null;
    for (let i = 0; i < 8 && !other; i++) {
      const s = await openTranscript(cluster.lb.gatewayUrl, a.id, { cookie: a.client.cookieHeader() });
      extraSockets.push(s);
      if ((await cluster.lb.gatewayServing(localPort(s))) !== first) other = s;
    }
    expect(other).not.toBeNull();
    const victim = cluster.gateways[first!]!;
    const onVictim = a.socket;
    const onSurvivor = other!;

    // The next turn's user utterance is held between the agent and haproxy: sent, unacknowledged, not stored.
    const gate = cluster.gate!;
    const seqBefore = (await stored(a.id)).length;
    gate.hold((id) => id === a.id);
    const text = 'Question number 900 about the weather.';
    cluster.fakes.deepgram.enqueue(text);
    const { endedAt } = await a.caller.say(speech);
    const held = await gate.waitForHeld(a.id);
    expect(held.seqs).toContain(seqBefore);
    expect(held.senderConnected).toBe(true);
    expect((await stored(a.id)).map((r) => r.seq)).not.toContain(seqBefore);

    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    await gate.release();
    // The call never noticed: the agent answers aloud while a gateway is gone.
    const voiced = await a.caller.agentAudio.firstVoicedAfter(endedAt, 20_000);
    await a.caller.agentAudio.silentFor(700, voiced, 20_000);
    await waitForAgentState(a.caller, 'listening', 20_000);
    a.said.push(text);
    expect(cluster.fakes.deepgram.transcriptsSent.at(-1)).toBe(text);
    const answers = gate.answers.filter((x) => x.conversationId === a.id && x.seqs.includes(seqBefore));
    expect(answers.at(-1)?.status).toBe(200);
    // The socket on the dead gateway went with it; the web client re-opens it through haproxy.
    expect((await onVictim.closed).code).toBe(1006);
    const reopened = await openTranscript(cluster.lb.gatewayUrl, a.id, { cookie: a.client.cookieHeader() });
    extraSockets.push(reopened);
    const reopenedAt = Date.now();
    expect(await cluster.lb.gatewayServing(localPort(reopened))).not.toBe(first);
    console.info(
      `[cluster] gateway ${first! + 1} killed: held batch answered ${answers.map((x) => `${x.status}@+${x.at - killedAt}ms`).join(', ')}; ` +
        `agent heard ${voiced - endedAt} ms after the caller stopped; socket re-opened after ${reopenedAt - killedAt} ms`,
    );

    await turn(a);
    const rows = await expectOneConversation(a, []);
    const seqs = rows.map((r) => r.seq);
    await waitFor(() => seqsOn(onSurvivor).length >= seqs.length, 10_000, 'every utterance on the surviving socket');
    await waitFor(() => seqsOn(reopened).length >= seqs.length, 10_000, 'every utterance on the re-opened socket');
    expect([...seqsOn(onSurvivor)].sort((x, y) => x - y)).toEqual(seqs);
    expect([...seqsOn(reopened)].sort((x, y) => x - y)).toEqual(seqs);
    // Before the kill the victim's socket had seen what was stored then, once each.
    expect(seqsOn(onVictim)).toEqual(seqs.filter((s) => s < seqBefore));

    recordFault({
      fault: 'cluster_gateway_sigkill',
      file: 'e2e/cluster/gateway-kill.test.ts',
      inFlight: `user utterance seq ${seqBefore} sent by the agent, held unacknowledged between the agent and haproxy`,
      outcome:
        'call continues (reply heard with a gateway down); haproxy sends the batch to the surviving gateway; the socket there stays open; the closed one re-opens through haproxy and resumes from the snapshot',
      expected: a.openings.length + a.said.length * 2,
      stored: rows.length,
      lost: 0,
      duplicated: 0,
      live: { received: seqsOn(onSurvivor).length, lost: 0, duplicated: 0 },
      // Audio never passes a gateway: the caller heard the reply with a gateway down.
      cluster: { callsAffected: 1, heardAgainMs: [null], callsEnded: 0 },
    });
    await victim.start();
  }, 240_000);
});

import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, synthesizeSpeechWav } from '@parley/testkit';
import { agentJobPid, followNewAgent, waitForAgentState } from '@parley/testkit/caller';
import { startCluster, type Cluster } from '@parley/testkit/cluster';
import { apologyFor } from '@parley/agent/agent';
import { clusterCalls, reply } from './helpers';

/**
 * The cluster (two LiveKit nodes over one Redis, two agent workers, two gateways behind haproxy),
 * started once; calls go through the load balancer only. Each fault is injected while a call is
 * live, and the call must carry on under the same conversation with nothing lost or duplicated,
 * counted against what the fake STT emitted and what the fake LLM answered.
 */

const FILE = 'e2e/cluster/cluster.test.ts';
let cluster: Cluster;
let speech: Int16Array;

const { calls, placeCall, turn, expectOneConversation, expectedRows, recordClusterFault, hangUpAll } = clusterCalls(
  () => cluster,
  () => speech,
);

beforeAll(async () => {
  cluster = await startCluster({
    logDir: process.env.PARLEY_CLUSTER_LOGS,
    openai: { ttftMs: 50, reply: ({ messages }) => reply(messages) },
  });
  speech = (await synthesizeSpeechWav('Tell me something about the weather today.', { sampleRate: 48000 })).pcm;
}, 180_000);

afterAll(async () => {
  await hangUpAll();
  await cluster?.stop();
  await dispose();
});

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
    const rows = await expectOneConversation(call, [1]);
    expect([...call.caller.room.remoteParticipants.keys()].filter((k) => k.startsWith('agent-'))).toEqual([agent]);
    recordClusterFault(rows, expectedRows(call, [1]), {
      fault: 'cluster_agent_job_sigkill',
      file: FILE,
      inFlight: 'a live call, its agent listening',
      outcome: 'a replacement agent is dispatched into the same room; it apologises and answers the next turn',
      live: null,
      cluster: { callsAffected: 1, heardAgainMs: [heardAt - killedAt], callsEnded: 0 },
    });
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
    const rows = await expectOneConversation(call, [1]);
    recordClusterFault(rows, expectedRows(call, [1]), {
      fault: 'cluster_agent_worker_sigkill',
      file: FILE,
      inFlight: 'a live call, its agent listening',
      outcome: 'a replacement agent is dispatched to the other worker; it apologises and answers the next turn',
      live: null,
      cluster: { callsAffected: 1, heardAgainMs: [heardAt - killedAt], callsEnded: 0 },
    });
    await worker.restart();
  });
});

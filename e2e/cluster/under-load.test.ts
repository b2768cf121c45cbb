/**
 * The reduced form of `npm run bench -- cluster` (e2e/cluster/under-load.ts): 4 concurrent calls
 * over both LiveKit nodes and both workers, behind haproxy; then, one test per fault, with every
 * call's turn in flight (the utterance stored, its reply held at the LLM): a job, a whole worker, a
 * LiveKit node and a gateway are SIGKILLed, in turn, on the same calls. One outcome per fault: every
 * call goes on (the calls it hit hear a new agent's apology, the others their answer, then everyone
 * takes another turn) and every call's stored conversation reads as one against the fakes' record.
 */
import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFault } from '@parley/testkit/fault-record';
import { CLUSTER_FAULTS, startClusterLoad, type ClusterFault } from './under-load';

let load: Awaited<ReturnType<typeof startClusterLoad>>;

beforeAll(async () => {
  load = await startClusterLoad({
    calls: 4,
    log: (s) => console.info(`[cluster load] ${s}`),
    logDir: process.env.PARLEY_CLUSTER_LOGS,
  });
}, 240_000);

afterAll(async () => {
  await load?.hangUpAll();
  await load?.cluster.stop();
  await dispose();
}, 120_000);

/** Whether the fault takes the agent of some calls (the gateway's does not take any). */
const TAKES_AGENTS: Record<ClusterFault, boolean> = {
  agent_job_sigkill: true,
  agent_worker_sigkill: true,
  livekit_node_sigkill: true,
  gateway_sigkill: false,
};

const WHAT: Record<ClusterFault, string> = {
  agent_job_sigkill: 'a job process',
  agent_worker_sigkill: 'a whole agent worker',
  livekit_node_sigkill: 'a LiveKit node',
  gateway_sigkill: 'a gateway',
};

describe('the cluster under 4 concurrent calls, each fault in turn', () => {
  it('places the 4 calls over both LiveKit nodes and both workers', () => {
    expect(Object.keys(load.split.nodes).sort()).toEqual(['node-a', 'node-b']);
    expect(Object.keys(load.split.workers).sort()).toEqual(['worker-1', 'worker-2']);
  });

  for (const fault of CLUSTER_FAULTS)
    it(`${WHAT[fault]} SIGKILLed mid-turn: every call goes on, nothing lost or duplicated`, async () => {
      const r = await load.runFault(fault);
      recordFault({
        fault: `cluster_${r.fault}_4_calls`,
        file: 'e2e/cluster/under-load.test.ts',
        inFlight: r.inFlight,
        outcome:
          'every call goes on: the calls the fault hit hear a new agent apologise, every call answers its next turn',
        expected: r.expected,
        stored: r.stored,
        lost: r.lost,
        duplicated: r.duplicated,
        live: null,
        cluster: { callsAffected: r.callsAffected, heardAgainMs: r.heardAgainMs, callsEnded: r.callsEnded },
      });
      expect(r.inFlight).toBe('4 of 4 calls with a user utterance stored and its reply held at the LLM');
      expect({ lost: r.lost, duplicated: r.duplicated, callsEnded: r.callsEnded, endReasons: r.endReasons }).toEqual({
        lost: 0,
        duplicated: 0,
        callsEnded: 0,
        endReasons: [],
      });
      expect(r.callsAffected > 0).toBe(TAKES_AGENTS[fault]);
      expect(r.heardAgainMs).toHaveLength(r.callsAffected);
    }, 300_000);
});

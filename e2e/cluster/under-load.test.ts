/**
 * The reduced form of `npm run bench -- cluster` (e2e/cluster/under-load.ts): 4 concurrent calls
 * over both LiveKit nodes and both workers, behind haproxy; then, one at a time with every call's
 * turn in flight (the utterance stored, its reply held at the LLM), a job, a whole worker, a
 * LiveKit node and a gateway are SIGKILLed. One outcome per fault: every call goes on (the calls it
 * hit hear a new agent's apology, the others their answer, then everyone takes another turn) and
 * every call's stored conversation reads as one against the fakes' record.
 */
import { dispose } from '@livekit/rtc-node';
import { afterAll, describe, expect, it } from 'vitest';
import { recordFault } from '@parley/testkit/fault-record';
import type { Cluster } from '@parley/testkit/cluster';
import { CLUSTER_FAULTS, clusterUnderLoad } from './under-load';

let cluster: Cluster | undefined;
let hangUp: (() => Promise<void>) | undefined;

afterAll(async () => {
  await hangUp?.();
  await cluster?.stop();
  await dispose();
}, 120_000);

describe('the cluster under 4 concurrent calls, each fault in turn', () => {
  it('every call survives a job, a worker, a LiveKit node and a gateway SIGKILLed mid-turn; nothing lost or duplicated', async () => {
    const out = await clusterUnderLoad({
      calls: 4,
      faults: CLUSTER_FAULTS,
      log: (s) => console.info(`[cluster load] ${s}`),
      logDir: process.env.PARLEY_CLUSTER_LOGS,
    });
    cluster = out.cluster;
    hangUp = out.hangUpAll;
    const { run } = out;
    // Spread over both nodes and both workers.
    expect(Object.keys(run.split.nodes).sort()).toEqual(['node-a', 'node-b']);
    expect(Object.keys(run.split.workers).sort()).toEqual(['worker-1', 'worker-2']);
    for (const r of run.results)
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
    expect(run.results.map((r) => r.fault)).toEqual(CLUSTER_FAULTS);
    for (const r of run.results) {
      expect(r.inFlight).toBe('4 of 4 calls with a user utterance stored and its reply held at the LLM');
      expect({ fault: r.fault, lost: r.lost, duplicated: r.duplicated, callsEnded: r.callsEnded }).toEqual({
        fault: r.fault,
        lost: 0,
        duplicated: 0,
        callsEnded: 0,
      });
      expect(r.heardAgainMs).toHaveLength(r.callsAffected);
    }
    // The agent faults hit calls; the gateway's does not take any call's agent.
    expect(run.results.map((r) => r.callsAffected > 0)).toEqual([true, true, true, false]);
  }, 900_000);
});

import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { startCluster, type Cluster } from '@parley/testkit/cluster';
import { registerUser } from '../calls/helpers';

let cluster: Cluster;
const callers: Caller[] = [];

beforeAll(async () => {
  cluster = await startCluster({ logDir: process.env.PARLEY_CLUSTER_LOGS });
}, 180_000);

afterAll(async () => {
  for (const c of callers) await c.hangUp().catch(() => undefined);
  await cluster?.stop();
  await dispose();
});

describe('a Parley cluster behind haproxy', () => {
  it('places calls on both LiveKit nodes and serves them from both workers', async () => {
    for (let i = 0; i < 2; i++) {
      const client = cluster.client();
      await registerUser(client);
      const caller = await startCall(client);
      callers.push(caller);
      await caller.agentAudio.firstVoicedAfter(0, 30_000);
      await waitForAgentState(caller, 'listening');
    }
    const placed = await Promise.all(callers.map((c) => cluster.placement(c.call.room)));
    console.log('[cluster] placement', placed);
    expect(new Set(placed)).toEqual(new Set(['node-a', 'node-b']));
  });
});

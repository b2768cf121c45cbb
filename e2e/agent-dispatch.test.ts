import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomEvent, type Room } from '@livekit/rtc-node';
import { AgentDispatchClient } from 'livekit-server-sdk';
import { DEFAULT_PREFERENCES, DISPATCH_ID_ATTRIBUTE, type CallMetadata } from '@parley/protocol';
import { startLivekitServer, type RunningLivekitServer } from '@parley/tools';
import {
  descendantPids,
  isAlive,
  spawnAgentWorker,
  startTestGateway,
  TEST_INGEST_SECRET,
  TestClient,
  type AgentWorkerProcess,
  type TestGateway,
} from '@parley/testkit';
import { connectParticipant, participantToken } from '@parley/testkit/livekit';

describe('agent worker dispatch by agent name', () => {
  let lk: RunningLivekitServer;
  let gw: TestGateway;
  let worker: AgentWorkerProcess;
  const agentName = `parley-test-${randomUUID().slice(0, 8)}`;
  const rooms: Room[] = [];

  beforeAll(async () => {
    lk = await startLivekitServer();
    const lkEnv = { LIVEKIT_URL: lk.url, LIVEKIT_API_KEY: lk.apiKey, LIVEKIT_API_SECRET: lk.apiSecret };
    gw = await startTestGateway({ env: { ...lkEnv, AGENT_NAME: agentName } });
    worker = await spawnAgentWorker({
      ...lkEnv,
      AGENT_NAME: agentName,
      GATEWAY_URL: gw.url,
      INGEST_SECRET: TEST_INGEST_SECRET,
    });
    await worker.waitUntilRegistered();
  }, 90_000);

  afterAll(async () => {
    for (const r of rooms) await r.disconnect();
    await worker?.stop('SIGKILL');
    await gw?.stop();
    await lk?.stop();
  });

  it('reports every component healthy on /readyz once the worker registered', async () => {
    const c = new TestClient(gw.url);
    let ready = await c.get('/readyz');
    for (let i = 0; i < 50 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      ready = await c.get('/readyz');
    }
    expect(ready.status).toBe(200);
    for (const name of ['database', 'sessions', 'livekit', 'agent'])
      expect(ready.body.components[name].status).toBe('ok');
    expect(ready.body.components.agent.agentName).toBe(agentName);
  });

  it('starts a job in the room named by the token, with the dispatch metadata intact, and leaves no child behind on stop', async () => {
    const metadata: CallMetadata = {
      conversationId: randomUUID(),
      guest: true,
      preferences: { ...DEFAULT_PREFERENCES, language: 'es', favoriteTopics: ['tides', 'ñandú ✓'] },
    };
    const roomName = `dispatch-${randomUUID().slice(0, 8)}`;
    const token = await participantToken(lk, 'caller', roomName, { agentName, metadata: JSON.stringify(metadata) });
    const t0 = Date.now();
    const room = await connectParticipant(lk.url, token);
    rooms.push(room);

    const agentIdentity = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`agent never joined; worker output:\n${worker.output.join('').slice(-4000)}`)),
        // The worker registers before its idle job process has finished importing agents and the
        // plugins; on a loaded 2-core box that warm-up alone can take tens of seconds.
        60_000,
      );
      const check = () => {
        for (const p of room.remoteParticipants.values())
          if (p.attributes['parley.conversation_id'] === metadata.conversationId) {
            clearTimeout(timer);
            resolve(p.identity);
          }
      };
      room.on(RoomEvent.ParticipantAttributesChanged, check);
      room.on(RoomEvent.ParticipantConnected, check);
      check();
    });
    expect(agentIdentity).toMatch(/^agent-/);
    console.info(`caller join → agent attribute visible: ${Date.now() - t0} ms`);
    // The agent names the dispatch its job came from (the one-agent rule reads it after a node loss).
    const dispatches = await new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret).listDispatch(roomName);
    expect(dispatches).toHaveLength(1);
    expect(room.remoteParticipants.get(agentIdentity)!.attributes[DISPATCH_ID_ATTRIBUTE]).toBe(dispatches[0]!.id);

    const pid = worker.process.pid!;
    const children = await descendantPids(pid);
    expect(children.length).toBeGreaterThan(0);
    // Job processes only, job hosts by default (AGENT_CALLS_PER_PROCESS, agent/src/job-host.ts), the
    // call's among them: turn detection is VAD, so no end-of-turn inference process (agent/src/local-eot.ts).
    const cmdline = (p: number) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
    const kinds = children.map(cmdline);
    const jobs = children.filter((p, i) => /job-host[^/]*\.m?js/.test(kinds[i]!));
    expect(jobs).toContain(Number(room.remoteParticipants.get(agentIdentity)!.attributes['parley.job_pid']));
    expect(kinds.filter((c) => c.includes('inference_proc') || c.includes('job_proc_lazy_main'))).toEqual([]);
    // Their calls share one young generation: V8's 16 MB semi-spaces (AGENT_JOB_SEMI_SPACE_MB unset).
    for (const p of jobs) expect(cmdline(p)).toContain('--max-semi-space-size=16');
    // and an old generation kept within 20 % of what the last major GC left (AGENT_JOB_HEAP_GROWING_PERCENT unset).
    for (const p of jobs) expect(cmdline(p)).toContain('--heap-growing-percent=20');
    // Job processes run on jemalloc (AGENT_JOB_ALLOCATOR's default; scripts/ensure-system-deps.sh installs
    // libjemalloc2), the worker itself on glibc's malloc.
    const jemalloc = (p: number) => readFileSync(`/proc/${p}/maps`, 'utf8').includes('libjemalloc');
    expect(jobs.map(jemalloc)).toEqual(jobs.map(() => true));
    expect(jemalloc(pid)).toBe(false);
    await room.disconnect();
    const code = await worker.stop('SIGTERM');
    if (code !== 0) console.error(worker.output.join('').slice(-6000));
    expect(code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect([pid, ...children].filter(isAlive)).toEqual([]);
  });
});

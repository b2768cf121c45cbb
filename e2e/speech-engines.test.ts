import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '@livekit/rtc-node';
import { startLivekitServer, type RunningLivekitServer } from '@parley/tools';
import {
  spawnAgentWorker,
  startTestGateway,
  TEST_INGEST_SECRET,
  TestClient,
  type AgentWorkerProcess,
  type TestGateway,
} from '@parley/testkit';
import { connectParticipant } from '@parley/testkit/livekit';

/**
 * The local providers need PocketSphinx and espeak-ng in the agent worker's process. A real worker
 * started with a PATH that lacks them must say so (readiness, the web page's provider report,
 * refused calls, and a call that was already set up ends with the reason); the same worker with
 * the engines present must be ready. Unit-level: a bare LiveKit server, the gateway, real workers.
 */
describe('local speech engines: absent, then present', () => {
  let lk: RunningLivekitServer;
  let gw: TestGateway;
  let worker: AgentWorkerProcess | undefined;
  let room: Room | undefined;
  const agentName = `parley-engines-${process.pid}`;

  const startWorker = async (env: Record<string, string>) => {
    worker = await spawnAgentWorker({
      LIVEKIT_URL: lk.url,
      LIVEKIT_API_KEY: lk.apiKey,
      LIVEKIT_API_SECRET: lk.apiSecret,
      AGENT_NAME: agentName,
      GATEWAY_URL: gw.url,
      INGEST_SECRET: TEST_INGEST_SECRET,
      STT_PROVIDER: 'local',
      TTS_PROVIDER: 'local',
      LLM_PROVIDER: 'offline',
      ...env,
    });
    await worker.waitUntilRegistered(60_000);
  };
  /** /readyz once the given worker's heartbeat says what it says about speech. */
  const readiness = async (speech: 'ok' | 'down') => {
    const c = new TestClient(gw.url);
    for (let i = 0; ; i++) {
      const r = await c.get('/readyz');
      if (r.body.components.agent.status === 'ok' && r.body.components.speech.status === speech) return r;
      if (i > 150) throw new Error(`readiness never showed speech ${speech}: ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  };

  beforeAll(async () => {
    lk = await startLivekitServer();
    gw = await startTestGateway({
      env: { LIVEKIT_URL: lk.url, LIVEKIT_API_KEY: lk.apiKey, LIVEKIT_API_SECRET: lk.apiSecret, AGENT_NAME: agentName },
    });
  }, 60_000);

  afterAll(async () => {
    await room?.disconnect();
    await worker?.stop('SIGKILL');
    await gw?.stop();
    await lk?.stop();
  });

  it('without the engines on PATH: a call already set up ends with the reason; readiness, providers and new calls say what is missing', async () => {
    // A guest call set up before any worker reported (as after a worker restart): the gateway
    // cannot know yet, so the job itself must notice and end the call with the reason.
    const guest = new TestClient(gw.url);
    const created = await guest.post('/api/calls', {});
    expect(created.status).toBe(201);
    await startWorker({ PATH: '/nonexistent' });
    room = await connectParticipant(created.body.url, created.body.token);
    let status: { status: string; endReason: string | null } | undefined;
    for (let i = 0; i < 150 && status?.status !== 'ended'; i++) {
      await new Promise((res) => setTimeout(res, 200));
      status = (await guest.get(`/api/calls/${created.body.conversationId}`)).body;
    }
    expect(status).toEqual(expect.objectContaining({ status: 'ended', endReason: 'speech_unavailable' }));

    const ready = await readiness('down');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('degraded');
    for (const name of ['database', 'sessions', 'livekit', 'agent'])
      expect(ready.body.components[name].status).toBe('ok');
    expect(ready.body.components.speech.detail).toBe(
      'speech recognition is not installed on the server: pocketsphinx_continuous not found (apt-get install pocketsphinx); ' +
        'speech synthesis is not installed on the server: espeak-ng not found (apt-get install espeak-ng)',
    );

    const providers = await guest.get('/api/providers');
    expect(providers.body.unavailable).toEqual([
      'speech recognition is not installed on the server: pocketsphinx_continuous not found (apt-get install pocketsphinx)',
      'speech synthesis is not installed on the server: espeak-ng not found (apt-get install espeak-ng)',
    ]);
    // The same as data, for the page to say in the reader's language.
    expect(providers.body.missingEngines).toEqual([
      { stage: 'stt', missing: 'program', name: 'pocketsphinx_continuous', package: 'pocketsphinx' },
      { stage: 'tts', missing: 'program', name: 'espeak-ng', package: 'espeak-ng' },
    ]);
    const refused = await new TestClient(gw.url).post('/api/calls', {});
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('service_unavailable');
    expect(refused.body.error.message).toMatch(
      /^Calls cannot start: speech recognition is not installed on the server: pocketsphinx_continuous not found/,
    );
    await room.disconnect();
    room = undefined;
    await worker!.stop('SIGKILL');
  });

  it('with the engines installed: ready, nothing reported missing, calls start', async () => {
    await startWorker({});
    const ready = await readiness('ok');
    expect(ready.status).toBe(200);
    expect(ready.body.components.speech).toMatchObject({ status: 'ok', stt: 'local', tts: 'local' });
    const c = new TestClient(gw.url);
    const providers = (await c.get('/api/providers')).body;
    expect(providers.unavailable).toEqual([]);
    expect(providers.missingEngines).toEqual([]);
    expect((await c.post('/api/calls', {})).status).toBe(201);
  });
});

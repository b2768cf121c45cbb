import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { signRequest } from '@parley/protocol/signature';
import { TEST_INGEST_SECRET } from '@parley/testkit';

describe('health endpoints', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw.stop());

  it('answers liveness, and readiness names each component', async () => {
    const c = new TestClient(gw.url);
    expect((await c.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await c.get('/readyz');
    // LIVEKIT_URL points at a closed port and no agent has reported: not ready, and it says why.
    expect(ready.status).toBe(503);
    expect(ready.body.components.database).toMatchObject({ status: 'ok', mode: 'postgres' });
    expect(ready.body.components.sessions).toMatchObject({ status: 'ok', mode: 'redis' });
    expect(ready.body.components.livekit.status).toBe('down');
    expect(ready.body.components.agent).toMatchObject({ status: 'down', detail: 'no agent worker has registered' });
  });

  it('counts an agent as ready once it sends a signed heartbeat, and refuses unsigned ones', async () => {
    const c = new TestClient(gw.url, null);
    const hb = JSON.stringify({
      workerId: 'w1',
      agentName: 'parley-agent',
      registered: true,
      activeJobs: 0,
      providers: { stt: 'local', llm: 'offline', tts: 'local', llmModel: 'x' },
    });
    expect((await c.post('/internal/agents/heartbeat', undefined, { raw: hb })).status).toBe(401);
    const ok = await c.post('/internal/agents/heartbeat', undefined, {
      raw: hb,
      headers: { 'x-parley-signature': signRequest(TEST_INGEST_SECRET, '/internal/agents/heartbeat', hb) },
    });
    expect(ok.status).toBe(204);
    const ready = await c.get('/readyz');
    expect(ready.body.components.agent).toMatchObject({ status: 'ok', agentName: 'parley-agent', activeJobs: 0 });
  });

  it('answers unknown API routes with the JSON error shape', async () => {
    const r = await new TestClient(gw.url).get('/api/nope');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: 'not_found', message: 'Route not found.' } });
  });
});

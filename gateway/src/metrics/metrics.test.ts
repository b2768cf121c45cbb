import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { createUser, signedInClient } from '@parley/testkit/accounts';
import { ingest, openTranscript, utterance } from '@parley/testkit/calls';
import { promtoolCheckMetrics, sampleValue, scrapeMetrics } from '@parley/testkit/metrics';

const TOKEN = 'metrics-token-0123456789abcdef';

describe('GET /metrics', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { METRICS_TOKEN: TOKEN, METRICS_PORT: '0' } });
  });
  afterAll(async () => gw?.stop());

  it('needs the bearer token on the public port', async () => {
    const c = new TestClient(gw.url, null);
    const none = await c.get('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await c.get('/metrics', { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    const ok = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await ok.text()).toContain('process_cpu_user_seconds_total');
  });

  it('labels HTTP durations by route template, never by the raw URL', async () => {
    const id = randomUUID();
    const c = new TestClient(gw.url, null);
    expect((await c.get(`/api/conversations/${id}`)).status).toBe(401);
    expect((await c.get('/api/nothing-here')).status).toBe(404);
    const { text, samples } = await scrapeMetrics(`${gw.url}/metrics`, TOKEN);
    expect(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_request_method: 'GET',
        http_route: '/api/conversations/:id',
        http_response_status_code: '401',
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'http_server_request_duration_seconds_count', {
        http_route: 'unmatched',
        http_response_status_code: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(id);
    expect(text).not.toContain('nothing-here');
  });

  it('follows a call: started, live, transcript subscribers, ingest batches, ended by reason', async () => {
    const url = gw.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    // The token applies on the private listener too.
    expect((await fetch(url)).status).toBe(401);
    const before = (await scrapeMetrics(url, TOKEN)).samples;
    const c = await signedInClient(gw, await createUser(gw));
    const { conversationId: id } = (await c.post('/api/calls', {})).body;
    const socket = await openTranscript(gw.url, id, { cookie: c.cookieHeader() });
    await socket.next('snapshot');
    expect(
      (
        await ingest(gw.url, id, [
          { type: 'call_started', at: new Date().toISOString() },
          { type: 'utterance', utterance: utterance(0) },
        ])
      ).status,
    ).toBe(200);
    await socket.next('utterance');
    const during = (await scrapeMetrics(url, TOKEN)).samples;
    const delta = (name: string, labels: Record<string, string> = {}) =>
      (sampleValue(during, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
    expect(delta('parley_calls_started_total', { kind: 'user' })).toBe(1);
    expect(sampleValue(during, 'parley_calls_active')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(during, 'parley_transcript_subscribers')).toBe(1);
    expect(delta('parley_ingest_batches_total', { outcome: 'stored' })).toBe(1);
    expect(delta('parley_ingest_events_total', { type: 'utterance' })).toBe(1);
    expect(delta('parley_transcript_fanout_delay_seconds_count')).toBe(1);
    expect(sampleValue(during, 'parley_dependency_up', { dependency: 'database' })).toBe(1);
    expect(sampleValue(during, 'parley_dependency_up', { dependency: 'redis' })).toBe(1);

    // A second end does not count: the first end wins.
    for (const reason of ['caller_left', 'agent_failed'] as const)
      expect((await ingest(gw.url, id, [{ type: 'call_ended', at: new Date().toISOString(), reason }])).status).toBe(
        200,
      );
    socket.ws.close();
    const after = (await scrapeMetrics(url, TOKEN)).samples;
    const ended = (reason: string) =>
      (sampleValue(after, 'parley_calls_ended_total', { kind: 'user', reason }) ?? 0) -
      (sampleValue(before, 'parley_calls_ended_total', { kind: 'user', reason }) ?? 0);
    expect(ended('caller_left')).toBe(1);
    expect(ended('agent_failed')).toBe(0);
    expect(sampleValue(after, 'parley_calls_active')).toBe(sampleValue(before, 'parley_calls_active'));
    // A rejected batch (unknown conversation) is counted apart.
    expect((await ingest(gw.url, randomUUID(), [{ type: 'call_started', at: new Date().toISOString() }])).status).toBe(
      404,
    );
    const last = (await scrapeMetrics(url, TOKEN)).samples;
    expect(sampleValue(last, 'parley_ingest_batches_total', { outcome: 'rejected' })).toBeGreaterThanOrEqual(1);
  });

  it('passes promtool check metrics', async () => {
    const { text } = await scrapeMetrics(gw.metricsUrl!, TOKEN);
    expect(await promtoolCheckMetrics(text)).toBe('');
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  let gw: TestGateway;
  let plain: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ redis: false, env: { METRICS_PORT: '0' } });
    plain = await startTestGateway({ redis: false });
  });
  afterAll(async () => {
    await gw?.stop();
    await plain?.stop();
  });

  it('is served only on the private listener (METRICS_PORT), never on the public port', async () => {
    expect((await new TestClient(gw.url, null).get('/metrics')).status).toBe(404);
    const { samples } = await scrapeMetrics(gw.metricsUrl!);
    expect(sampleValue(samples, 'parley_dependency_up', { dependency: 'database' })).toBe(1);
    // No Redis configured: no redis series rather than a misleading 1.
    expect(sampleValue(samples, 'parley_dependency_up', { dependency: 'redis' })).toBeUndefined();
    expect((await fetch(gw.metricsUrl!.replace(/\/metrics$/, '/other'))).status).toBe(404);
    expect((await new TestClient(plain.url, null).get('/metrics')).status).toBe(404);
    expect(plain.metricsUrl).toBeNull();
  });
});

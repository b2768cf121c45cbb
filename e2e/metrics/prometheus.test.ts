import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeechWav } from '@parley/testkit';
import { startCall, waitForAgentState, type Caller } from '@parley/testkit/caller';
import { parseMetrics, promtoolCheckMetrics, scrapeMetrics } from '@parley/testkit/metrics';
import { startPrometheus, type RunningPrometheus } from '@parley/testkit/prometheus';
import { startStack, type Stack } from '@parley/testkit/stack';

/**
 * Issue 22: a real Prometheus (Debian's package) scrapes the running stack — gateway and agent
 * worker, with deploy/prometheus.yml as its configuration — during a call; its HTTP API then holds
 * the call's turn latency and the live-call gauge. Both endpoints pass `promtool check metrics`,
 * and every metric deploy/grafana/parley-dashboard.json queries exists on them.
 */

const root = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'e2e-metrics-token-0123456789abcdef';
const TURNS = ['Hello there, how are you today?', 'Tell me something about the sea.'];
const REPLY = 'I am fine, thank you for asking.';

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('Prometheus scrapes a running stack during a call', () => {
  let stack: Stack;
  let prom: RunningPrometheus;
  let caller: Caller | undefined;

  beforeAll(async () => {
    stack = await startStack({
      deepgram: { transcripts: [...TURNS] },
      openai: { ttftMs: 60, reply: () => REPLY },
      gatewayEnv: { METRICS_TOKEN: TOKEN },
    });
    const gateway = new URL(stack.gatewayUrl).host;
    const agent = new URL(stack.worker!.metricsUrl).host;
    // The shipped configuration, pointed at this stack and scraping every second.
    prom = await startPrometheus((dir) => {
      writeFileSync(path.join(dir, 'token'), TOKEN);
      return readFileSync(path.join(root, 'deploy/prometheus.yml'), 'utf8')
        .replaceAll('/etc/prometheus/parley-metrics-token', path.join(dir, 'token'))
        .replaceAll('15s', '1s')
        .replace("'gateway:8080'", `'${gateway}'`)
        .replace("'agent:8082'", `'${agent}'`);
    });
  }, 180_000);

  afterAll(async () => {
    await caller?.hangUp().catch(() => undefined);
    await prom?.stop();
    await stack?.stop();
  });

  it("finds the call's turn latency and the live-call gauge through Prometheus's HTTP API", async () => {
    const up = await eventually('both targets up', async () => {
      const t = await prom.targets();
      return t.length === 2 && t.every((x) => x.health === 'up') ? t : undefined;
    });
    expect(up.map((t) => t.job).sort()).toEqual(['parley-agent', 'parley-gateway']);

    const client = stack.client();
    const reg = await client.post('/api/auth/register', {
      email: `metrics-${Date.now()}@example.com`,
      password: 'correct horse battery staple 42',
      displayName: 'Ops',
    });
    expect(reg.status).toBe(201);
    const speech = await Promise.all(TURNS.map((t) => synthesizeSpeechWav(t, { lang: 'en-us', sampleRate: 48000 })));
    caller = await startCall(client);
    await caller.agentAudio.firstVoicedAfter(0, 20_000);
    await waitForAgentState(caller, 'listening');
    for (const { pcm } of speech) {
      const { endedAt } = await caller.say(pcm);
      const first = await caller.agentAudio.firstVoicedAfter(endedAt, 15_000);
      await caller.agentAudio.silentFor(700, first);
      await waitForAgentState(caller, 'listening');
    }

    // During the call: one live call on the gateway's gauge and one job on the worker's.
    const live = await eventually('parley_calls_active = 1', async () => {
      const r = await prom.query('parley_calls_active{job="parley-gateway"}');
      return r[0]?.value === 1 ? r : undefined;
    });
    expect(live).toHaveLength(1);
    const jobs = await prom.query('sum(parley_agent_jobs_active)');
    expect(jobs[0]?.value).toBe(1);

    // The replies' end-to-end latency as the agent stored it with the conversation…
    const { conversationId } = caller.call;
    const stored = await eventually('two replies with latency stored', async () => {
      const rows = await stack.database.db('utterances').where({ conversation_id: conversationId, role: 'agent' });
      const e2e = rows.map((r) => r.metrics?.e2eLatencyMs).filter((v): v is number => typeof v === 'number');
      return e2e.length === 2 ? e2e : undefined;
    });
    // …is what Prometheus holds for this stack's providers.
    const labels = '{job="parley-agent",stt="deepgram",llm="openai",tts="cartesia"}';
    const count = await eventually('two turns in Prometheus', async () => {
      const r = await prom.query(`parley_agent_turn_latency_seconds_count${labels}`);
      return r[0]?.value === 2 ? r[0].value : undefined;
    });
    expect(count).toBe(2);
    const sum = (await prom.query(`parley_agent_turn_latency_seconds_sum${labels}`))[0]!.value;
    expect(sum).toBeCloseTo(stored.reduce((a, b) => a + b, 0) / 1000, 3);
    const p50 = await prom.query(
      'histogram_quantile(0.5, sum by (le) (rate(parley_agent_turn_latency_seconds_bucket[1m])))',
    );
    expect(p50[0]!.value).toBeGreaterThan(0);
    expect(p50[0]!.value).toBeLessThan(10);
    for (const stage of ['parley_agent_llm_ttft_seconds_count', 'parley_agent_tts_ttfb_seconds_count'])
      expect((await prom.query(`sum(${stage})`))[0]!.value).toBeGreaterThanOrEqual(2);
    const tokens = await prom.query('sum by (kind) (parley_agent_llm_tokens_total)');
    expect(tokens.find((t) => t.metric.kind === 'completion')!.value).toBeGreaterThan(0);
    const httpCalls = await prom.query(
      'http_server_request_duration_seconds_count{http_route="/api/calls",http_request_method="POST"}',
    );
    expect(httpCalls[0]?.value).toBe(1);

    // Hanging up: the gauge returns to 0 and the end is counted with its reason.
    await caller.hangUp();
    caller = undefined;
    await eventually('parley_calls_active = 0', async () => {
      const r = await prom.query('parley_calls_active{job="parley-gateway"}');
      return r[0]?.value === 0 ? true : undefined;
    });
    const ended = await eventually('the end counted', async () => {
      const r = await prom.query('sum(parley_calls_ended_total{kind="user",reason="caller_left"})');
      return r[0]?.value === 1 ? r[0].value : undefined;
    });
    expect(ended).toBe(1);
  });

  it('passes promtool check metrics on both endpoints, and the dashboard names only metrics that exist', async () => {
    const gateway = await scrapeMetrics(`${stack.gatewayUrl}/metrics`, TOKEN);
    const agent = await scrapeMetrics(stack.worker!.metricsUrl, TOKEN);
    expect(await promtoolCheckMetrics(gateway.text)).toBe('');
    expect(await promtoolCheckMetrics(agent.text)).toBe('');

    const exposed = new Set([...gateway.samples, ...agent.samples].map((s) => s.name));
    const dashboard = JSON.parse(readFileSync(path.join(root, 'deploy/grafana/parley-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    // Metric names: what is left once label matchers ({…}) and grouping clauses (by (…)) are removed.
    const metricNames = (e: string) =>
      [
        ...e
          .replace(/\{[^}]*\}/g, '')
          .replace(/\bby\s*\([^)]*\)/g, '')
          .matchAll(/\b(?:parley|http|process|nodejs)_[a-z0-9_]+\b/g),
      ].map((m) => m[0]);
    const named = exprs.flatMap(metricNames);
    expect(exprs.filter((e) => metricNames(e).length === 0)).toEqual([]);
    expect([...new Set(named)].filter((n) => !exposed.has(n))).toEqual([]);
    // And Prometheus accepts every query (syntax, functions) against what it scraped.
    for (const e of exprs) await prom.query(e);
    // The shipped configuration is valid for promtool (with its credentials file present).
    const config = readFileSync(path.join(root, 'deploy/prometheus.yml'), 'utf8').replaceAll(
      '/etc/prometheus/parley-metrics-token',
      path.join(prom.dir, 'token'),
    );
    writeFileSync(path.join(prom.dir, 'deploy-check.yml'), config);
    const { stdout } = await promisify(execFile)('promtool', [
      'check',
      'config',
      path.join(prom.dir, 'deploy-check.yml'),
    ]);
    expect(stdout).toContain('SUCCESS');
    expect(parseMetrics(agent.text).some((s) => s.name === 'parley_agent_calls_ended_total')).toBe(true);
  });
});

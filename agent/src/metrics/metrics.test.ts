import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promtoolCheckMetrics, sampleValue, scrapeMetrics } from '@parley/testkit/metrics';
import { JOB_REPORT_SECRET_ENV, JOB_REPORT_URL_ENV, type JobReport } from './report';
import { startMetricsServer, type MetricsServer } from './server';
import { createWorkerMetrics, type WorkerMetrics } from './worker-metrics';

const TOKEN = 'agent-metrics-token-0123456789';
const providers = { stt: 'deepgram', llm: 'openai', tts: 'cartesia' };

/** A separate Node process that reports like a job process (JobMetrics), then exits. */
function runJobProcess(env: Record<string, string>, script: string): Promise<number | null> {
  const jobMetrics = path.join(import.meta.dirname, 'job-metrics.ts');
  const code = `const { JobMetrics } = await import(${JSON.stringify(jobMetrics)});\n${script}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve) => child.once('exit', (c) => resolve(c)));
}

describe('agent worker metrics', () => {
  let metrics: WorkerMetrics;
  let server: MetricsServer;
  let active = 0;
  beforeAll(async () => {
    metrics = createWorkerMetrics(providers);
    metrics.sources.activeJobs = () => active;
    metrics.sources.jobs = () => Array.from({ length: active }, (_, i) => ({ id: `AJ_${i}`, room: `room-${i}` }));
    server = await startMetricsServer(metrics, { host: '127.0.0.1', port: 0, token: TOKEN });
  });
  afterAll(async () => server?.close());

  const scrape = async () => (await scrapeMetrics(`${server.url}/metrics`, TOKEN)).samples;
  const report = (body: JobReport, secret = server.jobSecret) =>
    fetch(`${server.url}/jobs/report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-parley-job-secret': secret },
      body: JSON.stringify(body),
    });

  it('needs the bearer token for /metrics and the worker secret for job reports', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const body: JobReport = { pid: process.pid, providers, backlog: 0, observations: [{ type: 'call_started' }] };
    expect((await report(body, 'not-the-secret')).status).toBe(401);
    expect((await report({ ...body, providers: { ...providers, stt: 'A user id?' } })).status).toBe(400);
    expect(sampleValue(await scrape(), 'parley_agent_calls_started_total')).toBe(0);
  });

  it('lists the jobs it runs on GET /jobs, behind the same bearer token', async () => {
    expect((await fetch(`${server.url}/jobs`)).status).toBe(401);
    const jobs = async () =>
      (await fetch(`${server.url}/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    active = 2;
    expect(await jobs()).toEqual({
      jobs: [
        { id: 'AJ_0', room: 'room-0' },
        { id: 'AJ_1', room: 'room-1' },
      ],
    });
    active = 0;
    expect(await jobs()).toEqual({ jobs: [] });
  });

  it("keeps a job process's figures after it exits, labelled by provider", async () => {
    active = 1;
    const exit = await runJobProcess(
      { [JOB_REPORT_URL_ENV]: server.url, [JOB_REPORT_SECRET_ENV]: server.jobSecret },
      `
      const m = new JobMetrics(${JSON.stringify(providers)});
      m.watchBacklog(() => 3);
      m.event({ type: 'call_started', at: new Date().toISOString() });
      const metrics = { endOfUtteranceDelayMs: 500, transcriptionDelayMs: 20, llmTtftMs: 140, ttsTtfbMs: 90, e2eLatencyMs: 950 };
      const u = (seq, extra) => ({ type: 'utterance', utterance: { seq, role: 'agent', text: 'x', language: 'en',
        startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), interrupted: false, metrics, ...extra } });
      m.event(u(1, {}));
      m.event(u(3, { interrupted: true, metrics: { ...metrics, e2eLatencyMs: 1450 } }));
      m.event(u(0, { metrics: { endOfUtteranceDelayMs: null, transcriptionDelayMs: null, llmTtftMs: null, ttsTtfbMs: 80, e2eLatencyMs: null } }));
      m.usage({ type: 'llm_metrics', promptTokens: 120, completionTokens: 8 });
      m.usage({ type: 'tts_metrics', charactersCount: 33 });
      m.usage({ type: 'stt_metrics', audioDurationMs: 2500 });
      m.delivery('delivered', 4);
      m.delivery('retrying', 2);
      await m.send(false);
      m.event({ type: 'call_ended', at: new Date().toISOString(), reason: 'caller_left' });
      await m.close();
      process.exit(0);
      `,
    );
    expect(exit).toBe(0);
    const s = await scrape();
    expect(sampleValue(s, 'parley_agent_jobs_active')).toBe(1);
    expect(sampleValue(s, 'parley_agent_calls_started_total')).toBe(1);
    expect(sampleValue(s, 'parley_agent_calls_ended_total', { reason: 'caller_left' })).toBe(1);
    const trio = { stt: 'deepgram', llm: 'openai', tts: 'cartesia' };
    // Two replies; the greeting (no LLM stage) is not a turn.
    expect(sampleValue(s, 'parley_agent_turn_latency_seconds_count', trio)).toBe(2);
    expect(sampleValue(s, 'parley_agent_turn_latency_seconds_sum', trio)).toBeCloseTo(2.4, 6);
    expect(sampleValue(s, 'parley_agent_turn_latency_seconds_bucket', { ...trio, le: '1' })).toBe(1);
    expect(sampleValue(s, 'parley_agent_llm_ttft_seconds_sum', { llm: 'openai' })).toBeCloseTo(0.28, 6);
    expect(sampleValue(s, 'parley_agent_tts_ttfb_seconds_count', { tts: 'cartesia' })).toBe(2);
    expect(sampleValue(s, 'parley_agent_end_of_utterance_delay_seconds_count', { stt: 'deepgram' })).toBe(2);
    expect(sampleValue(s, 'parley_agent_barge_ins_total')).toBe(1);
    expect(sampleValue(s, 'parley_agent_llm_tokens_total', { provider: 'openai', kind: 'prompt' })).toBe(120);
    expect(sampleValue(s, 'parley_agent_llm_tokens_total', { provider: 'openai', kind: 'completion' })).toBe(8);
    expect(sampleValue(s, 'parley_agent_tts_characters_total', { provider: 'cartesia' })).toBe(33);
    expect(sampleValue(s, 'parley_agent_stt_audio_seconds_total', { provider: 'deepgram' })).toBe(2.5);
    expect(sampleValue(s, 'parley_agent_ingest_batches_total', { outcome: 'delivered' })).toBe(1);
    expect(sampleValue(s, 'parley_agent_ingest_batches_total', { outcome: 'retrying' })).toBe(1);
    expect(sampleValue(s, 'parley_agent_ingest_events_total')).toBe(4);
    // The final report took the job's backlog off the gauge.
    expect(sampleValue(s, 'parley_agent_delivery_backlog_events')).toBe(0);
  });

  it('drops the backlog of a job that died without its final report', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    expect((await report({ pid: dead.pid!, providers, backlog: 7, observations: [] })).status).toBe(204);
    expect((await report({ pid: process.pid, providers, backlog: 5, observations: [] })).status).toBe(204);
    expect(sampleValue(await scrape(), 'parley_agent_delivery_backlog_events')).toBe(5);
    await report({ pid: process.pid, providers, backlog: 0, final: true, observations: [] });
  });

  it('adds up the backlogs of the jobs one job host runs, and drops each with its own final report', async () => {
    const host = { pid: process.pid, providers, observations: [] };
    await report({ ...host, job: 'AJ_a', backlog: 3 });
    await report({ ...host, job: 'AJ_b', backlog: 4 });
    expect(sampleValue(await scrape(), 'parley_agent_delivery_backlog_events')).toBe(7);
    await report({ ...host, job: 'AJ_a', backlog: 0, final: true });
    expect(sampleValue(await scrape(), 'parley_agent_delivery_backlog_events')).toBe(4);
    await report({ ...host, job: 'AJ_b', backlog: 0, final: true });
    expect(sampleValue(await scrape(), 'parley_agent_delivery_backlog_events')).toBe(0);
  });

  it('passes promtool check metrics', async () => {
    const { text } = await scrapeMetrics(`${server.url}/metrics`, TOKEN);
    expect(await promtoolCheckMetrics(text)).toBe('');
  });
});

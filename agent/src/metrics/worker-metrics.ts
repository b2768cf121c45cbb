import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EndReason, type AgentJob } from '@parley/protocol';
import { JobReport, type Providers } from './report';

/**
 * The agent worker's Prometheus metrics, in its own registry. Job processes report observations
 * (report.ts); the worker owns every counter and histogram, so a job's figures outlive it.
 * Catalogue and conventions: docs/operations.md.
 */

/** Seconds; a voice turn's stages run from ~10 ms (transcription) to a few seconds (end to end). */
const STAGE_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];

export interface WorkerMetrics {
  registry: Registry;
  /** Applies one job report (already parsed). */
  record(report: JobReport): void;
  /** Where the live-jobs gauge reads from (the AgentServer's active jobs). */
  sources: { activeJobs?: () => number; jobs?: () => AgentJob[] };
}

export function createWorkerMetrics(providers: Providers): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client's `nodejs_active_*_total` gauges fail `promtool check metrics` (`_total` is for
  // counters); nodejs_active_handles / _requests / _resources carry the same figures.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name);
  const sources: WorkerMetrics['sources'] = {};
  /** Each running job's backlog, by process and job (a job host reports several). */
  const backlogs = new Map<string, { pid: number; n: number }>();
  const r = [registry];

  new Gauge({
    name: 'parley_agent_jobs_active',
    help: 'Calls this worker is serving now (running jobs), guests included.',
    registers: r,
    collect() {
      if (sources.activeJobs) this.set(sources.activeJobs());
    },
  });
  const started = new Counter({
    name: 'parley_agent_calls_started_total',
    help: 'Calls whose job reported the start.',
    registers: r,
  });
  const ended = new Counter({
    name: 'parley_agent_calls_ended_total',
    help: 'Calls whose job reported the end, by end reason.',
    labelNames: ['reason'] as const,
    registers: r,
  });
  const stage = (name: string, help: string, label: 'stt' | 'llm' | 'tts') =>
    new Histogram({ name, help, labelNames: [label] as const, buckets: STAGE_BUCKETS, registers: r });
  const eou = stage(
    'parley_agent_end_of_utterance_delay_seconds',
    'End of the caller’s speech (VAD) to the decision that the turn ended, by STT provider.',
    'stt',
  );
  const transcription = stage(
    'parley_agent_transcription_delay_seconds',
    'End of the caller’s speech to the final transcript, by STT provider.',
    'stt',
  );
  const llmTtft = stage('parley_agent_llm_ttft_seconds', 'LLM time to first token, by LLM provider.', 'llm');
  const ttsTtfb = stage('parley_agent_tts_ttfb_seconds', 'TTS time to first audio byte, by TTS provider.', 'tts');
  const turn = new Histogram({
    name: 'parley_agent_turn_latency_seconds',
    help: 'End to end: the caller stops speaking → the agent’s first audio, by provider trio.',
    labelNames: ['stt', 'llm', 'tts'] as const,
    buckets: STAGE_BUCKETS,
    registers: r,
  });
  const bargeIns = new Counter({
    name: 'parley_agent_barge_ins_total',
    help: 'Agent replies cut off by the caller speaking over them.',
    registers: r,
  });
  const providerErrors = new Counter({
    name: 'parley_agent_provider_errors_total',
    help: 'Errors from a speech or language provider, by component, provider and whether the session recovered.',
    labelNames: ['component', 'provider', 'recoverable'] as const,
    registers: r,
  });
  const delivery = new Counter({
    name: 'parley_agent_ingest_batches_total',
    help: 'Event batches posted to the gateway, by outcome (delivered, retrying, dropped).',
    labelNames: ['outcome'] as const,
    registers: r,
  });
  const deliveredEvents = new Counter({
    name: 'parley_agent_ingest_events_total',
    help: 'Events the gateway acknowledged.',
    registers: r,
  });
  new Gauge({
    name: 'parley_agent_delivery_backlog_events',
    help: 'Events running jobs hold that the gateway has not acknowledged yet (in memory and spool).',
    registers: r,
    collect() {
      let sum = 0;
      for (const [key, { pid, n }] of backlogs) {
        if (alive(pid)) sum += n;
        else backlogs.delete(key);
      }
      this.set(sum);
    },
  });
  const sttAudio = new Counter({
    name: 'parley_agent_stt_audio_seconds_total',
    help: 'Caller audio sent to speech recognition, by STT provider.',
    labelNames: ['provider'] as const,
    registers: r,
  });
  const llmTokens = new Counter({
    name: 'parley_agent_llm_tokens_total',
    help: 'LLM tokens, by LLM provider and kind (prompt, completion).',
    labelNames: ['provider', 'kind'] as const,
    registers: r,
  });
  const ttsChars = new Counter({
    name: 'parley_agent_tts_characters_total',
    help: 'Characters sent to speech synthesis, by TTS provider.',
    labelNames: ['provider'] as const,
    registers: r,
  });

  // Bounded series exist from the first scrape at 0 (this worker's own providers).
  for (const reason of EndReason.options) ended.inc({ reason }, 0);
  for (const outcome of ['delivered', 'retrying', 'dropped']) delivery.inc({ outcome }, 0);
  for (const c of ['stt', 'llm', 'tts'] as const)
    for (const recoverable of ['true', 'false'])
      providerErrors.inc({ component: c, provider: providers[c], recoverable }, 0);
  sttAudio.inc({ provider: providers.stt }, 0);
  for (const kind of ['prompt', 'completion']) llmTokens.inc({ provider: providers.llm, kind }, 0);
  ttsChars.inc({ provider: providers.tts }, 0);

  return {
    registry,
    sources,
    record(input) {
      const report = JobReport.parse(input);
      const p = report.providers;
      const key = `${report.pid}:${report.job ?? ''}`;
      if (report.final) backlogs.delete(key);
      else backlogs.set(key, { pid: report.pid, n: report.backlog });
      for (const o of report.observations) {
        switch (o.type) {
          case 'call_started':
            started.inc();
            break;
          case 'call_ended':
            ended.inc({ reason: o.reason });
            break;
          case 'turn':
            if (o.endOfUtterance !== undefined) eou.observe({ stt: p.stt }, o.endOfUtterance);
            if (o.transcription !== undefined) transcription.observe({ stt: p.stt }, o.transcription);
            if (o.llmTtft !== undefined) llmTtft.observe({ llm: p.llm }, o.llmTtft);
            if (o.ttsTtfb !== undefined) ttsTtfb.observe({ tts: p.tts }, o.ttsTtfb);
            if (o.e2e !== undefined) turn.observe({ stt: p.stt, llm: p.llm, tts: p.tts }, o.e2e);
            break;
          case 'barge_in':
            bargeIns.inc();
            break;
          case 'provider_error':
            providerErrors.inc({
              component: o.component,
              provider: o.component === 'other' ? 'none' : p[o.component],
              recoverable: String(o.recoverable),
            });
            break;
          case 'delivery':
            delivery.inc({ outcome: o.outcome });
            if (o.outcome === 'delivered') deliveredEvents.inc(o.events);
            break;
          case 'usage':
            if (o.sttAudioSeconds) sttAudio.inc({ provider: p.stt }, o.sttAudioSeconds);
            if (o.llmPromptTokens) llmTokens.inc({ provider: p.llm, kind: 'prompt' }, o.llmPromptTokens);
            if (o.llmCompletionTokens) llmTokens.inc({ provider: p.llm, kind: 'completion' }, o.llmCompletionTokens);
            if (o.ttsCharacters) ttsChars.inc({ provider: p.tts }, o.ttsCharacters);
            break;
        }
      }
    },
  };
}

/** Whether a job process still runs (a job killed before its final report leaves no stale backlog). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

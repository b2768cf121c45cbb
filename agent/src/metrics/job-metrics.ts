import { voice, type metrics as agentMetrics } from '@livekit/agents';
import type { IngestEvent } from '@parley/protocol';
import {
  JOB_REPORT_SECRET_ENV,
  JOB_REPORT_SECRET_HEADER,
  JOB_REPORT_URL_ENV,
  type JobReport,
  type Observation,
  type Providers,
} from './report';

/** How often a job sends what it observed to its worker. */
const REPORT_MS = 1000;
/** Observations kept while the worker does not take them (a report holds at most 10,000). */
const MAX_PENDING = 5000;

const seconds = (ms: number | null | undefined) => (ms == null ? undefined : ms / 1000);

/**
 * A job process's side of the metrics: turns what the call does (the events it reports to the
 * gateway, the session's usage metrics and errors, delivery outcomes) into observations and posts
 * them to its worker every second and once more when the call ends. Without a worker metrics port
 * (PARLEY_JOB_REPORT_URL unset) it does nothing. Reporting failures are ignored: metrics never
 * disturb a call.
 */
export class JobMetrics {
  #pending: Observation[] = [];
  #timer: NodeJS.Timeout | null = null;
  #backlog: () => number = () => 0;
  readonly #target: { url: string; secret: string } | null;

  constructor(
    private readonly providers: Providers,
    env: NodeJS.ProcessEnv = process.env,
    /** The job's id: a job host runs several jobs in one process. */
    private readonly jobId?: string,
  ) {
    const url = env[JOB_REPORT_URL_ENV];
    const secret = env[JOB_REPORT_SECRET_ENV];
    this.#target = url && secret ? { url, secret } : null;
    if (this.#target) {
      this.#timer = setInterval(() => void this.send(false), REPORT_MS);
      this.#timer.unref();
    }
  }

  get enabled() {
    return this.#target !== null;
  }

  /** The delivery queue's unacknowledged events, sampled with each report. */
  watchBacklog(read: () => number) {
    this.#backlog = read;
  }

  /** Every event the job queues for the gateway (DeliveryOptions.onPush). */
  event(e: IngestEvent) {
    if (e.type === 'call_started') this.#add({ type: 'call_started' });
    else if (e.type === 'call_ended') this.#add({ type: 'call_ended', reason: e.reason });
    else if (e.type === 'utterance' && e.utterance.role === 'agent') {
      const m = e.utterance.metrics;
      if (e.utterance.interrupted) this.#add({ type: 'barge_in' });
      // A reply (not the greeting): the stages the reporter stored with it.
      if (m && (m.llmTtftMs != null || m.e2eLatencyMs != null))
        this.#add({
          type: 'turn',
          endOfUtterance: seconds(m.endOfUtteranceDelayMs),
          transcription: seconds(m.transcriptionDelayMs),
          llmTtft: seconds(m.llmTtftMs),
          ttsTtfb: seconds(m.ttsTtfbMs),
          e2e: seconds(m.e2eLatencyMs),
        });
    }
  }

  /** A batch's fate (DeliveryOptions.onBatch). */
  delivery(outcome: 'delivered' | 'retrying' | 'dropped', events: number) {
    this.#add({ type: 'delivery', outcome, events });
  }

  /** The session's usage metrics (those `counts` accepts) and provider errors. */
  attach(session: voice.AgentSession, counts: (m: agentMetrics.AgentMetrics) => boolean = () => true) {
    session.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => {
      if (counts(ev.metrics)) this.usage(ev.metrics);
    });
    session.on(voice.AgentSessionEventTypes.Error, (ev) => {
      const type = (ev.error as { type?: string }).type;
      const component =
        type === 'stt_error' ? 'stt' : type === 'llm_error' ? 'llm' : type === 'tts_error' ? 'tts' : 'other';
      this.#add({
        type: 'provider_error',
        component,
        recoverable: Boolean((ev.error as { recoverable?: boolean }).recoverable),
      });
    });
  }

  usage(m: agentMetrics.AgentMetrics) {
    if (m.type === 'stt_metrics' && m.audioDurationMs > 0)
      this.#add({ type: 'usage', sttAudioSeconds: m.audioDurationMs / 1000 });
    else if (m.type === 'llm_metrics')
      this.#add({ type: 'usage', llmPromptTokens: m.promptTokens, llmCompletionTokens: m.completionTokens });
    else if (m.type === 'tts_metrics' && m.charactersCount > 0)
      this.#add({ type: 'usage', ttsCharacters: m.charactersCount });
  }

  /** The last report (call over): sends what is left and takes this job's backlog off the gauge. */
  async close(timeoutMs = 1000): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.send(true, timeoutMs);
  }

  #add(o: Observation) {
    if (!this.#target) return;
    this.#pending.push(o);
    // A worker that stopped taking reports must not make the job hoard them.
    if (this.#pending.length > MAX_PENDING) this.#pending.splice(0, this.#pending.length - MAX_PENDING);
  }

  async send(final: boolean, timeoutMs = 2000): Promise<void> {
    if (!this.#target) return;
    const observations = this.#pending.splice(0);
    const report: JobReport = {
      pid: process.pid,
      job: this.jobId,
      providers: this.providers,
      backlog: final ? 0 : this.#backlog(),
      final,
      observations,
    };
    try {
      const res = await fetch(`${this.#target.url}/jobs/report`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [JOB_REPORT_SECRET_HEADER]: this.#target.secret },
        body: JSON.stringify(report),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // A refused report is not retried (it would be refused again); a lost worker loses nothing
      // that matters more than the call.
      if (!res.ok && res.status >= 500) this.#pending.unshift(...observations);
    } catch {
      this.#pending.unshift(...observations);
    }
  }
}

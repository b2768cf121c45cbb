import { EndReason } from '@parley/protocol';
import { z } from 'zod';

/**
 * What a job process tells its worker about its call (POST /jobs/report on the worker's metrics
 * port): observations, never running totals, so the worker's counters and histograms keep every
 * figure after the job process exits. Labels are bounded: provider names and fixed enums, no
 * ids or text. Durations in seconds.
 */

/** A provider name as configured (deepgram, openai, local, …): short lowercase, so the label set stays bounded. */
const Provider = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/);
const Seconds = z.number().finite().min(0).max(3600);
const Count = z.number().int().min(0).max(1e9);

export const Providers = z.object({ stt: Provider, llm: Provider, tts: Provider });
export type Providers = z.infer<typeof Providers>;

export const Observation = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call_started') }),
  z.object({ type: z.literal('call_ended'), reason: EndReason }),
  /** One agent reply's latency stages (each absent when the framework did not measure it). */
  z.object({
    type: z.literal('turn'),
    endOfUtterance: Seconds.optional(),
    transcription: Seconds.optional(),
    llmTtft: Seconds.optional(),
    ttsTtfb: Seconds.optional(),
    e2e: Seconds.optional(),
  }),
  z.object({ type: z.literal('barge_in') }),
  z.object({
    type: z.literal('provider_error'),
    component: z.enum(['stt', 'llm', 'tts', 'other']),
    recoverable: z.boolean(),
  }),
  z.object({ type: z.literal('delivery'), outcome: z.enum(['delivered', 'retrying', 'dropped']), events: Count }),
  z.object({
    type: z.literal('usage'),
    sttAudioSeconds: Seconds.default(0),
    llmPromptTokens: Count.default(0),
    llmCompletionTokens: Count.default(0),
    ttsCharacters: Count.default(0),
  }),
]);
export type Observation = z.input<typeof Observation>;

export const JobReport = z.object({
  /** The job process (its undelivered-events gauge is replaced by each report, removed when it exits). */
  pid: z.number().int().positive(),
  /** The job, for processes that run several (job hosts, AGENT_CALLS_PER_PROCESS); one gauge each. */
  job: z.string().min(1).max(128).optional(),
  providers: Providers,
  /** Events this job's delivery queue holds that the gateway has not acknowledged yet. */
  backlog: Count,
  /** The job's last report: its backlog leaves the gauge. */
  final: z.boolean().default(false),
  observations: z.array(Observation).max(10_000),
});
export type JobReport = z.input<typeof JobReport>;

/** Environment the worker gives its job processes (set before the process pool forks them). */
export const JOB_REPORT_URL_ENV = 'PARLEY_JOB_REPORT_URL';
export const JOB_REPORT_SECRET_ENV = 'PARLEY_JOB_REPORT_SECRET';
export const JOB_REPORT_SECRET_HEADER = 'x-parley-job-secret';

import { z } from 'zod';
import { SpeechEngineProblems } from '../providers';
import { ConversationHistory, IngestBatch } from '../transcript';
import { IdParams } from './common';
import { defineRoute } from './route';

/** A job an agent worker runs: its id (the agent's identity is `agent-<id>`) and its room. */
export const AgentJob = z.object({ id: z.string().min(1).max(128), room: z.string().min(1).max(256) });
export type AgentJob = z.infer<typeof AgentJob>;

/** The agent worker's `GET /jobs` on its metrics port (docs/agent.md): the jobs it runs now. */
export const AgentJobs = z.object({ jobs: z.array(AgentJob) });
export type AgentJobs = z.infer<typeof AgentJobs>;

/** The agent worker's liveness report, used by /readyz. */
export const AgentHeartbeat = z.object({
  workerId: z.string().min(1).max(128),
  agentName: z.string().min(1).max(128),
  registered: z.boolean(),
  activeJobs: z.number().int().min(0),
  providers: z.object({ stt: z.string(), llm: z.string(), tts: z.string(), llmModel: z.string() }),
  /** Local speech engines the worker's providers need but cannot run (older workers omit it). */
  speech: SpeechEngineProblems.optional(),
  /** The worker's running jobs (agent identity `agent-<id>`, room); a job that vanishes was lost or ended. */
  jobs: z.array(AgentJob).max(1000).default([]),
});
export type AgentHeartbeat = z.infer<typeof AgentHeartbeat>;

export const IngestResult = z.object({ accepted: z.number().int(), duplicates: z.number().int() });
export type IngestResult = z.infer<typeof IngestResult>;

/** Service-to-service routes under /internal (never called by browsers). */
export const internalRoutes = {
  ingest: defineRoute({
    method: 'post',
    path: '/internal/conversations/:id/events',
    summary:
      "The agent's reports for one call (utterances idempotent on seq, interims, agent state, start, end). Guests' calls are relayed, never stored. See docs/transcripts.md.",
    tag: 'internal',
    auth: 'signed',
    params: IdParams,
    body: IngestBatch,
    response: IngestResult,
    errors: { 503: 'service_unavailable (retry)' },
  }),
  history: defineRoute({
    method: 'post',
    path: '/internal/conversations/:id/history',
    summary:
      "The conversation's stored utterances, in seq order, for an agent job starting in its room (a replacement for a lost agent continues the same conversation).",
    tag: 'internal',
    auth: 'signed',
    params: IdParams,
    response: ConversationHistory,
    errors: { 503: 'service_unavailable (retry)' },
  }),
  heartbeat: defineRoute({
    method: 'post',
    path: '/internal/agents/heartbeat',
    summary: "The agent worker's liveness, every few seconds (read by /readyz).",
    tag: 'internal',
    auth: 'signed',
    body: AgentHeartbeat,
  }),
  livekitWebhook: defineRoute({
    method: 'post',
    path: '/internal/livekit/webhook',
    summary:
      'LiveKit server webhooks (Authorization: JWT signed with the LiveKit API secret over the body). Ends calls on room_finished and a caller’s participant_left; re-dispatches an agent lost while its caller is there (participant_left or participant_connection_aborted).',
    tag: 'internal',
    auth: 'webhook',
    response: z.object({ ok: z.literal(true) }),
    errors: { 503: 'service_unavailable' },
  }),
};

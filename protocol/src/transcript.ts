import { z } from 'zod';
import { LIMITS } from './preferences';
import { AnyProvider, LlmProvider, ProviderStage, SttProvider, TtsProvider } from './providers';
import { text } from './text';
import { UsageReport } from './usage';

/**
 * The transcript protocol: what the agent reports to the gateway (ingest events) and what the
 * gateway pushes to browsers over the WebSocket (server messages). One module, used by agent,
 * gateway and web, so the three can never disagree about a field.
 */

export const Role = z.enum(['user', 'agent']);
export type Role = z.infer<typeof Role>;

/** Mirrors @livekit/agents AgentState. */
export const AgentState = z.enum(['initializing', 'idle', 'listening', 'thinking', 'speaking']);
export type AgentState = z.infer<typeof AgentState>;

const ms = z.number().finite().min(0).max(600_000).nullable();

/** Per-turn latency breakdown, all in milliseconds. Null where the stage did not run. */
export const TurnMetrics = z.object({
  endOfUtteranceDelayMs: ms,
  transcriptionDelayMs: ms,
  llmTtftMs: ms,
  ttsTtfbMs: ms,
  /** From the end of the user's speech to the agent's first audio. */
  e2eLatencyMs: ms,
  /**
   * Which provider served each stage of this turn (after a failover, the fallback): stt on a user
   * turn, llm and tts on a reply (tts only on a scripted line). Absent on turns stored before it.
   */
  servedBy: z
    .object({ stt: SttProvider.optional(), llm: LlmProvider.optional(), tts: TtsProvider.optional() })
    .optional(),
});
export type TurnMetrics = z.infer<typeof TurnMetrics>;

const isoTime = z.string().datetime({ offset: true });

export const Utterance = z.object({
  seq: z.number().int().min(0).max(1_000_000),
  role: Role,
  text: text().max(LIMITS.utteranceText),
  language: z.string().min(2).max(35),
  startedAt: isoTime,
  endedAt: isoTime,
  interrupted: z.boolean(),
  metrics: TurnMetrics.nullable(),
  /**
   * The caller typed this turn in the call's text box (protocol/src/typed.ts) instead of saying it.
   * User turns only; absent (or false) on spoken turns.
   */
  typed: z.boolean().optional(),
});
export type Utterance = z.infer<typeof Utterance>;

export const EndReason = z.enum([
  'caller_left',
  'agent_ended',
  'agent_failed',
  'room_closed',
  'server_restarted',
  'timeout',
  /** The agent cannot hear or speak: a local speech engine its providers need is not installed. */
  'speech_unavailable',
  /** The caller's monthly minutes ran out or the call reached its maximum length (docs/operations.md, Quotas). */
  'limit_reached',
]);
export type EndReason = z.infer<typeof EndReason>;

// ---- agent → gateway -------------------------------------------------------------------------

export const IngestEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('utterance'), utterance: Utterance }),
  z.object({
    type: z.literal('interim'),
    role: Role,
    segmentId: text().min(1).max(128),
    text: text().max(LIMITS.utteranceText),
  }),
  z.object({ type: z.literal('agent_state'), state: AgentState }),
  z.object({ type: z.literal('call_started'), at: isoTime }),
  z.object({ type: z.literal('call_ended'), at: isoTime, reason: EndReason }),
  /** A provider of the call's pipeline became unavailable (failover) or recovered. */
  z.object({
    type: z.literal('provider_status'),
    stage: ProviderStage,
    provider: AnyProvider,
    available: z.boolean(),
    /** The provider serving the stage now (null when none is left). */
    serving: AnyProvider.nullable(),
  }),
  /** The call's provider usage so far, per reporting job (sent after each reply and before the end). */
  z.object({ type: z.literal('usage'), ...UsageReport.shape }),
]);
export type IngestEvent = z.infer<typeof IngestEvent>;

export const IngestBatch = z.object({ events: z.array(IngestEvent).min(1).max(200) });
export type IngestBatch = z.infer<typeof IngestBatch>;

/**
 * The agent's ingest stream (docs/transcripts.md, "Agent → gateway"): one WebSocket per job at
 * INGEST_STREAM_PATH instead of one POST per batch. The upgrade request carries the same
 * X-Parley-Signature a POST would, signed over INGEST_STREAM_PATH and an empty body. Each text
 * frame from the agent is one batch of one conversation with an id of the agent's choosing; the
 * gateway answers every frame with that id and the status and body the POST to
 * `/internal/conversations/:id/events` would have got, once the batch is stored. A batch without
 * an answer (the socket closed first) is sent again: ingest is idempotent.
 */
export const INGEST_STREAM_PATH = '/internal/ingest-stream';
/** Largest frame the gateway reads on the ingest stream (the POST route's body limit). */
export const MAX_INGEST_FRAME_BYTES = 4 * 1024 * 1024;
export const IngestStreamFrame = IngestBatch.extend({
  id: z.number().int().min(0),
  conversationId: z.string().uuid(),
});
export type IngestStreamFrame = z.infer<typeof IngestStreamFrame>;
export const IngestStreamAnswer = z.object({
  id: z.number().int().min(0),
  status: z.number().int(),
  /** The POST route's response body: { accepted, duplicates } or { error: { code, message } }. */
  body: z.unknown(),
});
export type IngestStreamAnswer = z.infer<typeof IngestStreamAnswer>;

/**
 * What a (re)started agent job reads before it speaks (signed POST /internal/conversations/:id/history):
 * the utterances stored so far, so a job that replaces a lost one continues the same conversation.
 */
export const ConversationHistory = z.object({ utterances: z.array(Utterance) });
export type ConversationHistory = z.infer<typeof ConversationHistory>;

// ---- gateway → browser (WebSocket) -----------------------------------------------------------

const base = { conversationId: z.string(), createdAt: isoTime };

export const ServerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('snapshot'),
    ...base,
    utterances: z.array(Utterance),
    agentState: AgentState.nullable(),
    ended: z.boolean(),
    endReason: EndReason.nullable(),
  }),
  z.object({ type: z.literal('utterance'), ...base, utterance: Utterance }),
  z.object({ type: z.literal('interim'), ...base, role: Role, segmentId: z.string(), text: z.string() }),
  z.object({ type: z.literal('agent_state'), ...base, state: AgentState }),
  z.object({ type: z.literal('call_ended'), ...base, reason: EndReason }),
  /** The agent was lost mid-call (job or worker died) and a new one is on its way (see docs/scaling.md). */
  z.object({ type: z.literal('agent_reconnecting'), ...base }),
  z.object({ type: z.literal('pong'), ...base }),
  z.object({ type: z.literal('error'), ...base, code: z.string(), message: z.string() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageType = ServerMessage['type'];

/** What a browser may send. Anything else is answered with an `error` message, never a crash. */
export const ClientMessage = z.discriminatedUnion('type', [z.object({ type: z.literal('ping') })]);
export type ClientMessage = z.infer<typeof ClientMessage>;

type Payload<T extends ServerMessageType> = Omit<
  Extract<ServerMessage, { type: T }>,
  'type' | 'createdAt' | 'conversationId'
>;

/**
 * The head every serverMessage serializes to, in its key order (JSON.stringify keeps it): type,
 * conversationId, createdAt, and for an utterance whose first key is its seq (as Utterance parses
 * it), that seq. Bus readers read interims, agent states and utterances from it without a parse
 * (gateway transcripts/channel.ts); groups: 1 type, 2 createdAt, 3 the utterance's seq.
 */
export const SERVER_MESSAGE_HEAD =
  /^\{"type":"([a-z_]+)","conversationId":"[^"]*","createdAt":"([^"]+)"(?:,"utterance":\{"seq":(\d+),)?/;

/** Factory for server messages: fills `type`, `conversationId` and `createdAt` (see SERVER_MESSAGE_HEAD). */
export function serverMessage<T extends ServerMessageType>(
  type: T,
  conversationId: string,
  payload: Payload<T>,
): Extract<ServerMessage, { type: T }> {
  return { type, conversationId, createdAt: new Date().toISOString(), ...payload } as Extract<
    ServerMessage,
    { type: T }
  >;
}

/** Max bytes of one WebSocket frame a browser may send. */
export const MAX_CLIENT_FRAME_BYTES = 4096;
export const TRANSCRIPT_WS_PATH = '/ws/transcripts';

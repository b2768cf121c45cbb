import { voice, type llm } from '@livekit/agents';
import {
  LIMITS,
  type EndReason,
  type IngestEvent,
  type ProviderStage,
  type TurnMetrics,
  type UsageReport,
  type Utterance,
} from '@parley/protocol';
import { isTyped } from '../typed';
import type { DeliveryQueue } from './delivery';

/**
 * Turns AgentSession events into the gateway's IngestEvents and queues them for delivery.
 *
 * - Utterances come from `conversation_item_added` (what entered the chat context: the user's
 *   committed turn, the agent's reply as actually spoken, with `interrupted`). A user turn the
 *   framework completed but never committed (its reply was cancelled before being scheduled) is
 *   still reported, from `onUserTurnCompleted`, when the next turn starts or the call ends.
 * - Interims: the user's from `user_input_transcribed` (finals so far + the current interim),
 *   the agent's from the reply text as it is generated (ParleyAgent's transcription tap).
 * - `agent_state_changed` → agent_state; call_started / call_ended are reported by the job.
 * - Seq: 0, 1, 2… per conversation, assigned when the utterance is queued (a replacement agent
 *   starts after the stored ones, see history.ts).
 * - Typed messages (agent/src/typed.ts): a user message marked as typed is stored with
 *   `typed: true`, without speech metrics or an STT provider, and leaves the spoken turn in
 *   progress (its interim line) alone.
 * - Providers: each stored turn says which provider served its stages (`servedBy`, from
 *   ProviderHealth: the fallback after a failover); a failover or recovery is reported at once
 *   (provider_status) for /readyz and the web banner.
 * - Metrics: ChatMessage.metrics are in seconds; TurnMetrics are in milliseconds. The user
 *   message carries end-of-utterance and transcription delays; the agent reply carries LLM TTFT,
 *   TTS TTFB and end-to-end latency; the reply's TurnMetrics hold all five.
 */

type Msg = Pick<llm.ChatMessage, 'id' | 'role' | 'interrupted' | 'metrics' | 'createdAt'> & {
  textContent?: string | undefined;
  extra?: Record<string, unknown>;
};

const toMs = (seconds: number | undefined): number | null =>
  seconds === undefined || !Number.isFinite(seconds)
    ? null
    : Math.min(600_000, Math.max(0, Math.round(seconds * 10_000) / 10));

const iso = (ms: number) => new Date(ms).toISOString();

/** How long a user turn waits for the agent reply it interrupted to be committed first. */
const HOLD_USER_MS = 3000;

export function userTurnMetrics(m: llm.MetricsReport): TurnMetrics | null {
  const t: TurnMetrics = {
    endOfUtteranceDelayMs: toMs(m.endOfTurnDelay),
    transcriptionDelayMs: toMs(m.transcriptionDelay),
    llmTtftMs: null,
    ttsTtfbMs: null,
    e2eLatencyMs: null,
  };
  return Object.values(t).some((v) => v !== null) ? t : null;
}

export function agentTurnMetrics(m: llm.MetricsReport, user: TurnMetrics | null): TurnMetrics | null {
  const isReply = m.llmNodeTtft !== undefined || m.e2eLatency !== undefined;
  const t: TurnMetrics = {
    endOfUtteranceDelayMs: isReply ? (user?.endOfUtteranceDelayMs ?? null) : null,
    transcriptionDelayMs: isReply ? (user?.transcriptionDelayMs ?? null) : null,
    llmTtftMs: toMs(m.llmNodeTtft),
    ttsTtfbMs: toMs(m.ttsNodeTtfb),
    e2eLatencyMs: toMs(m.e2eLatency),
  };
  return Object.values(t).some((v) => v !== null) ? t : null;
}

/** Who served the given stages of the turn being stored (ProviderHealth.turnServed). */
export type ServedBy = (stages: readonly ProviderStage[]) => NonNullable<TurnMetrics['servedBy']>;

const NO_METRICS: TurnMetrics = {
  endOfUtteranceDelayMs: null,
  transcriptionDelayMs: null,
  llmTtftMs: null,
  ttsTtfbMs: null,
  e2eLatencyMs: null,
};

export class Reporter {
  #seq = 0;
  #servedBy: ServedBy | null = null;
  #userSegment = 0;
  #userFinals = '';
  #lastUserMetrics: TurnMetrics | null = null;
  /** A completed user turn not yet seen as a conversation item. */
  #uncommittedUser: { text: string; at: number } | null = null;
  #lastAgentInterimAt = 0;
  #ended = false;
  /** Text of scripted replies (the greeting) not yet committed: not LLM turns, no LLM metrics. */
  #scripted: string[] = [];
  /** The agent has been heard speaking since its last committed reply. */
  #agentAudible = false;
  /** A user turn that arrived while an agent reply was still being played (or paused). */
  #heldUser: { item: Msg; timer: NodeJS.Timeout } | null = null;

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly language: string,
    /** A replacement agent continues after the stored seqs (history.ts). */
    firstSeq = 0,
  ) {
    this.#seq = firstSeq;
  }

  get nextSeq() {
    return this.#seq;
  }

  /** Stored turns say which provider served them from now on. */
  trackProviders(servedBy: ServedBy): void {
    this.#servedBy = servedBy;
  }

  /** A provider of the call's pipeline failed over or recovered. */
  providerStatus(change: Omit<Extract<IngestEvent, { type: 'provider_status' }>, 'type'>): void {
    this.#push({ type: 'provider_status', ...change });
  }

  /** The call's provider usage so far (running totals under the job's report id). */
  usage(report: UsageReport): void {
    this.#push({ type: 'usage', ...report });
  }

  #served(metrics: TurnMetrics | null, stages: readonly ProviderStage[]): TurnMetrics | null {
    const servedBy = this.#servedBy?.(stages);
    if (!servedBy || Object.keys(servedBy).length === 0) return metrics;
    return { ...(metrics ?? NO_METRICS), servedBy };
  }

  attach(session: voice.AgentSession): void {
    session.on(voice.AgentSessionEventTypes.UserInputTranscribed, (ev) =>
      this.userTranscribed(ev.transcript, ev.isFinal),
    );
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if (ev.item.type === 'message') this.itemAdded(ev.item);
    });
    session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
      if (ev.newState === 'speaking') this.#agentAudible = true;
      this.#push({ type: 'agent_state', state: ev.newState });
    });
  }

  callStarted(at = Date.now()): void {
    this.#push({ type: 'call_started', at: iso(at) });
  }

  /** Reports the end once; a user turn that was never committed is reported first. */
  callEnded(reason: EndReason, at = Date.now()): void {
    if (this.#ended) return;
    this.#releaseHeldUser();
    this.#flushUncommittedUser();
    this.#ended = true;
    this.#push({ type: 'call_ended', at: iso(at), reason });
  }

  userTranscribed(transcript: string, isFinal: boolean): void {
    const text = transcript.trim();
    if (!text) return;
    const shown = `${this.#userFinals} ${text}`.trim();
    if (isFinal) this.#userFinals = shown;
    this.#push({ type: 'interim', role: 'user', segmentId: `user-${this.#userSegment}`, text: clip(shown) });
  }

  /** The agent's reply text as generated (throttled to ~5 updates per second). */
  agentText(segmentId: string, textSoFar: string): void {
    const now = Date.now();
    if (now - this.#lastAgentInterimAt < 200) return;
    this.#lastAgentInterimAt = now;
    const text = textSoFar.trim();
    if (text) this.#push({ type: 'interim', role: 'agent', segmentId, text: clip(text) });
  }

  /** The agent is about to say fixed text through the reply path (ParleyAgent.sayScripted). */
  scriptedReply(text: string): void {
    this.#scripted.push(text.trim());
  }

  /** Called from Agent.onUserTurnCompleted with the turn's text. */
  userTurnCompleted(text: string): void {
    this.#flushUncommittedUser();
    if (text.trim()) this.#uncommittedUser = { text: text.trim(), at: Date.now() };
  }

  /**
   * A caller who talks over the agent completes a turn before the framework commits the reply it
   * cut off. The user turn is then held until that reply is committed (at most HOLD_USER_MS), so
   * the stored order is the spoken order: the interrupted reply first, then what interrupted it.
   */
  itemAdded(item: Msg): void {
    if (item.role === 'user' && this.#agentAudible && !this.#heldUser) {
      const timer = setTimeout(() => this.#releaseHeldUser(), HOLD_USER_MS);
      timer.unref?.();
      this.#heldUser = { item, timer };
      this.#uncommittedUser = null;
      return;
    }
    if (item.role === 'assistant') {
      this.#agentAudible = false;
      const held = this.#heldUser;
      const heldStart = held?.item.metrics.startedSpeakingAt;
      const start = item.metrics.startedSpeakingAt;
      if (held && !(heldStart !== undefined && start !== undefined && heldStart < start)) {
        this.#commitItem(item);
        this.#releaseHeldUser();
        return;
      }
      this.#releaseHeldUser();
    } else {
      this.#releaseHeldUser();
    }
    this.#commitItem(item);
  }

  #releaseHeldUser() {
    const held = this.#heldUser;
    if (!held) return;
    this.#heldUser = null;
    clearTimeout(held.timer);
    this.#commitItem(held.item);
  }

  #commitItem(item: Msg): void {
    const text = (item.textContent ?? '').trim();
    if (item.role === 'user' && isTyped(item)) {
      if (!text) return;
      this.#lastUserMetrics = null;
      this.#utterance('user', text, item, null, false, true);
    } else if (item.role === 'user') {
      this.#uncommittedUser = null;
      if (!text) return;
      this.#lastUserMetrics = userTurnMetrics(item.metrics);
      this.#utterance('user', text, item, this.#served(this.#lastUserMetrics, ['stt']), false);
      this.#userSegment++;
      this.#userFinals = '';
    } else if (item.role === 'assistant') {
      const scripted = this.#scripted.findIndex((t) => t.startsWith(text));
      if (scripted >= 0) this.#scripted.splice(scripted, 1);
      if (!text) return;
      const metrics =
        scripted >= 0
          ? agentTurnMetrics({ ttsNodeTtfb: item.metrics.ttsNodeTtfb }, null)
          : agentTurnMetrics(item.metrics, this.#lastUserMetrics);
      if (metrics?.llmTtftMs != null || metrics?.e2eLatencyMs != null) this.#lastUserMetrics = null;
      const stages: ProviderStage[] = scripted >= 0 ? ['tts'] : ['llm', 'tts'];
      this.#utterance('agent', text, item, this.#served(metrics, stages), item.interrupted);
    }
  }

  #flushUncommittedUser() {
    const u = this.#uncommittedUser;
    if (!u) return;
    this.#uncommittedUser = null;
    this.#utterance('user', u.text, { createdAt: u.at, metrics: {} }, this.#served(null, ['stt']), false);
    this.#userSegment++;
    this.#userFinals = '';
  }

  #utterance(
    role: 'user' | 'agent',
    text: string,
    item: Pick<Msg, 'createdAt' | 'metrics'>,
    metrics: TurnMetrics | null,
    interrupted: boolean,
    typed = false,
  ) {
    if (this.#ended) return;
    const m = item.metrics;
    const start = m.startedSpeakingAt !== undefined ? m.startedSpeakingAt * 1000 : item.createdAt;
    const end = Math.max(start, m.stoppedSpeakingAt !== undefined ? m.stoppedSpeakingAt * 1000 : Date.now());
    const utterance: Utterance = {
      seq: this.#seq++,
      role,
      text: clip(text),
      language: this.language,
      startedAt: iso(start),
      endedAt: iso(end),
      interrupted,
      metrics,
      ...(typed ? { typed: true } : {}),
    };
    this.#push({ type: 'utterance', utterance });
  }

  #push(event: IngestEvent) {
    if (this.#ended && event.type !== 'call_ended') return;
    this.queue.push(event);
  }
}

function clip(text: string): string {
  return text.length > LIMITS.utteranceText ? text.slice(0, LIMITS.utteranceText) : text;
}

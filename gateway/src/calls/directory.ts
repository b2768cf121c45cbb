import type { Repositories } from '@parley/db';
import { AgentState, CallMetadata, DEFAULT_PREFERENCES, EndReason, Utterance } from '@parley/protocol';
import type { KeyValue } from '../infra/kv';
import type { CallObserver } from '../metrics/metrics';

/**
 * Where a call's state lives. Account holders' conversations are rows in Postgres; guest
 * conversations are never written to the database and live only in the key-value store
 * (Redis in production) for GUEST_TTL_MS: their record, their room, their transcript so far
 * (for late WebSocket joiners). Ingest, the transcript socket and the webhooks all go through
 * this one class, so "user or guest" is decided in one place.
 */
export const GUEST_TTL_MS = 6 * 3_600_000;
const AGENT_STATE_TTL_MS = GUEST_TTL_MS;

export type CallStatus = 'created' | 'active' | 'ended';

interface CallBase {
  id: string;
  room: string;
  status: CallStatus;
  endReason: EndReason | null;
}
export type CallRef =
  (CallBase & { kind: 'user'; userId: string }) | (CallBase & { kind: 'guest'; ownerSessionId: string });

/** What `guestconv:<id>` holds. */
interface GuestRecord {
  sid: string;
  room: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  endReason: EndReason | null;
}

const keys = {
  guest: (id: string) => `guestconv:${id}`,
  guestRoom: (room: string) => `guestroom:${room}`,
  guestLog: (id: string) => `guestlog:${id}`,
  /** The seqs in guestLog, so an append is checked without reading the transcript. */
  guestSeqs: (id: string) => `guestseqs:${id}`,
  agentState: (id: string) => `agentstate:${id}`,
  dispatch: (id: string) => `calldispatch:${id}`,
};

function guestStatus(g: GuestRecord): CallStatus {
  return g.endedAt ? 'ended' : g.startedAt ? 'active' : 'created';
}

function parseEndReason(raw: string | null): EndReason | null {
  const r = EndReason.safeParse(raw);
  return r.success ? r.data : null;
}

/** A batch may itself repeat a seq: the first occurrence counts (stored, published), in batch order. */
export function firstOfEachSeq(utterances: readonly Utterance[]): Utterance[] {
  const unique = new Map<number, Utterance>();
  for (const u of utterances) if (!unique.has(u.seq)) unique.set(u.seq, u);
  return [...unique.values()];
}

export class CallDirectory {
  private readonly conversations: Repositories['conversations'];
  private readonly utterances: Repositories['utterances'];

  constructor(
    repos: Pick<Repositories, 'conversations' | 'utterances'>,
    private kv: KeyValue,
    /** Told of each real transition (metrics); a repeated start or a losing end is not one. */
    private observer?: CallObserver,
  ) {
    this.conversations = repos.conversations;
    this.utterances = repos.utterances;
  }

  async registerGuest(id: string, sessionId: string, room: string): Promise<void> {
    const record: GuestRecord = {
      sid: sessionId,
      room,
      createdAt: new Date().toISOString(),
      startedAt: null,
      endedAt: null,
      endReason: null,
    };
    await this.kv.set(keys.guest(id), JSON.stringify(record), GUEST_TTL_MS);
    await this.kv.set(keys.guestRoom(room), id, GUEST_TTL_MS);
  }

  private async guestRecord(id: string): Promise<GuestRecord | null> {
    const raw = await this.kv.get(keys.guest(id));
    return raw ? (JSON.parse(raw) as GuestRecord) : null;
  }

  private guestRef(id: string, g: GuestRecord): CallRef {
    return { kind: 'guest', id, room: g.room, ownerSessionId: g.sid, status: guestStatus(g), endReason: g.endReason };
  }

  /** Guest record first (no database needed for guests), then the conversations table. */
  async find(id: string): Promise<CallRef | null> {
    const g = await this.guestRecord(id);
    if (g) return this.guestRef(id, g);
    const row = await this.conversations.find(id);
    if (!row) return null;
    return {
      kind: 'user',
      id: row.id,
      userId: row.userId,
      room: row.room,
      status: row.status,
      endReason: parseEndReason(row.endReason),
    };
  }

  async findByRoom(room: string): Promise<CallRef | null> {
    const guestId = await this.kv.get(keys.guestRoom(room));
    if (guestId) return this.find(guestId);
    const row = await this.conversations.findByRoom(room);
    return row ? this.find(row.id) : null;
  }

  /** created → active. False when it had already started or ended. */
  async markStarted(ref: CallRef, at: Date): Promise<boolean> {
    const started = await this.#markStarted(ref, at);
    if (started) this.observer?.started(ref.kind);
    return started;
  }

  async #markStarted(ref: CallRef, at: Date): Promise<boolean> {
    if (ref.kind === 'user') return this.conversations.markStarted(ref.id, at);
    const g = await this.guestRecord(ref.id);
    if (!g || g.startedAt || g.endedAt) return false;
    g.startedAt = at.toISOString();
    await this.kv.set(keys.guest(ref.id), JSON.stringify(g), GUEST_TTL_MS);
    return true;
  }

  /**
   * Ends the call once: the first end wins. Returns the reason that stands (this one if it won,
   * the earlier one otherwise), or null when the call is gone. For guests this is read-then-write
   * on the KV store, so two ends in the same millisecond on two gateways could both win; the
   * transcript socket passes only the first call_ended to the browser either way.
   */
  async markEnded(ref: CallRef, at: Date, reason: EndReason): Promise<EndReason | null> {
    if (ref.kind === 'user') {
      if (await this.conversations.markEnded(ref.id, at, reason)) {
        this.observer?.ended('user', reason);
        return reason;
      }
      return (await this.find(ref.id))?.endReason ?? null;
    }
    const g = await this.guestRecord(ref.id);
    if (!g) return null;
    if (g.endedAt) return g.endReason;
    g.endedAt = at.toISOString();
    g.endReason = reason;
    await this.kv.set(keys.guest(ref.id), JSON.stringify(g), GUEST_TTL_MS);
    this.observer?.ended('guest', reason);
    return reason;
  }

  /**
   * Stores utterances idempotently on (conversation, seq); returns the newly stored ones in the
   * order given plus how many were duplicates. Guests: appended to the KV transcript only.
   */
  async appendUtterances(
    ref: CallRef,
    utterances: Utterance[],
  ): Promise<{ inserted: Utterance[]; known: Utterance[]; duplicates: number }> {
    const candidates = firstOfEachSeq(utterances);
    let inserted: Utterance[];
    if (ref.kind === 'user') {
      const seqs = new Set(await this.utterances.insert(ref.id, ref.userId, candidates));
      inserted = candidates.filter((u) => seqs.has(u.seq));
    } else {
      // One atomic check-and-append per utterance on the store (not a read of the whole transcript
      // per batch, which grew with the call): two gateways applying one retried batch store it once.
      inserted = [];
      for (const u of candidates) {
        const appended = await this.kv.appendOnce(
          keys.guestLog(ref.id),
          keys.guestSeqs(ref.id),
          String(u.seq),
          JSON.stringify(u),
          GUEST_TTL_MS,
        );
        if (appended) inserted.push(u);
      }
    }
    const fresh = new Set(inserted);
    return {
      inserted,
      known: candidates.filter((u) => !fresh.has(u)),
      duplicates: utterances.length - inserted.length,
    };
  }

  private async guestTranscript(id: string): Promise<Utterance[]> {
    const out: Utterance[] = [];
    for (const raw of await this.kv.lrange(keys.guestLog(id))) {
      const r = Utterance.safeParse(JSON.parse(raw));
      if (r.success) out.push(r.data);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** The transcript so far, in seq order. */
  async transcript(ref: CallRef): Promise<Utterance[]> {
    if (ref.kind === 'guest') return this.guestTranscript(ref.id);
    return (await this.utterances.list(ref.id)) as Utterance[];
  }

  /** Keeps the call's dispatch metadata, so a replacement agent or a rejoin gets exactly the same. */
  async rememberDispatch(metadata: CallMetadata): Promise<void> {
    await this.kv.set(keys.dispatch(metadata.conversationId), JSON.stringify(metadata), GUEST_TTL_MS);
  }

  /** The metadata the call was dispatched with (defaults for its kind if the record expired). */
  async dispatchMetadata(ref: CallRef): Promise<CallMetadata> {
    const raw = await this.kv.get(keys.dispatch(ref.id));
    const parsed = raw ? CallMetadata.safeParse(JSON.parse(raw)) : null;
    if (parsed?.success) return parsed.data;
    return { conversationId: ref.id, guest: ref.kind === 'guest', preferences: DEFAULT_PREFERENCES };
  }

  async setAgentState(id: string, state: AgentState): Promise<void> {
    await this.kv.set(keys.agentState(id), state, AGENT_STATE_TTL_MS);
  }

  async agentState(id: string): Promise<AgentState | null> {
    const r = AgentState.safeParse(await this.kv.get(keys.agentState(id)));
    return r.success ? r.data : null;
  }
}

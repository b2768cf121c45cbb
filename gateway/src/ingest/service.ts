import type { Logger } from 'pino';
import type { IngestEvent, IngestResult as IngestAnswer } from '@parley/protocol';
import { serverMessage, type ServerMessage, type Utterance } from '@parley/protocol';
import type { Bus } from '../infra/bus';
import { publishEncoded, publishTranscript } from '../transcripts/channel';
import { CallDirectory, firstOfEachSeq, type CallRef } from '../calls/directory';
import { afterCallEnded } from '../calls/lifecycle';
import type { AppContext } from '../context';
import { errors, isAppError } from '../http/errors';
import { usageRecorder } from '../usage/record';
import type { AgentRegistry } from '../agents/registry';
import type { RecordUsage } from '../usage/record';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /**
   * True when this batch carried the call's end (also when a retried batch re-reports it, so what
   * follows an end must be idempotent).
   */
  ended: boolean;
}

/**
 * Applies one batch from the agent, in order. Utterances are stored idempotently on seq (a
 * replayed or reordered batch stores nothing twice); interims and agent states are only relayed;
 * call_started / call_ended move the conversation's status, the first end winning; provider_status
 * (a failover or a recovery in the call's pipeline) goes to the agent registry (/readyz, banner);
 * usage (a job's running provider totals) is priced and stored, replacing that job's last report.
 *
 * Every message is published after its state change is stored, so a WebSocket client that
 * subscribes and then reads the snapshot misses nothing; a signed-in user's utterances are also
 * published once before, while their write runs (live sockets see them without waiting for the
 * commit). The batch is answered only after the commit either way. Utterances the store already
 * held are published again (after the new ones), and so is the standing end reason: if a publish
 * failed after the store succeeded (Redis restarting), the batch got a 503 and its retry delivers
 * what live clients missed. The socket drops seqs and ends it has already sent, so no browser sees
 * a duplicate.
 */
export async function ingestBatch(
  directory: CallDirectory,
  bus: Bus,
  call: CallRef,
  events: IngestEvent[],
  providers?: Pick<AgentRegistry, 'providerStatus'>,
  recordUsage?: RecordUsage,
): Promise<IngestResult> {
  const id = call.id;
  let duplicates = 0;
  let ended = false;
  let run: Utterance[] = [];
  const publish = (m: ServerMessage) => publishTranscript(bus, m);

  const flushUtterances = async () => {
    if (run.length === 0) return;
    const batch = run;
    run = [];
    // Signed-in users' utterances go to live sockets while their Postgres write runs (the write's
    // commit was the fan-out tail: docs/performance.md), and again, as the same message, once it is
    // committed: a socket that subscribed between the two and read its snapshot before the commit
    // gets it then. A failed early publish changes nothing (the late one reports the bus down).
    // Guests' store is one Redis call: they are published once, after it.
    const frames = new Map<number, string>();
    const frame = (u: Utterance) => {
      let f = frames.get(u.seq);
      if (f === undefined) frames.set(u.seq, (f = JSON.stringify(serverMessage('utterance', id, { utterance: u }))));
      return f;
    };
    const stored = directory.appendUtterances(call, batch);
    const early =
      call.kind === 'user'
        ? Promise.all(firstOfEachSeq(batch).map((u) => publishEncoded(bus, id, frame(u)))).catch(() => undefined)
        : undefined;
    const { inserted, known, duplicates: d } = await stored.finally(() => early);
    duplicates += d;
    for (const utterance of [...inserted, ...known]) await publishEncoded(bus, id, frame(utterance));
  };

  for (const event of events) {
    if (event.type === 'utterance') {
      run.push(event.utterance);
      continue;
    }
    await flushUtterances();
    switch (event.type) {
      case 'interim':
        await publish(serverMessage('interim', id, { role: event.role, segmentId: event.segmentId, text: event.text }));
        break;
      case 'agent_state':
        await directory.setAgentState(id, event.state);
        await publish(serverMessage('agent_state', id, { state: event.state }));
        break;
      case 'call_started':
        await directory.markStarted(call, new Date(event.at));
        break;
      case 'call_ended': {
        const reason = await directory.markEnded(call, new Date(event.at), event.reason);
        if (reason === event.reason) ended = true;
        if (reason) await publish(serverMessage('call_ended', id, { reason }));
        break;
      }
      case 'provider_status': {
        const { type: _type, ...status } = event;
        await providers?.providerStatus(status);
        break;
      }
      case 'usage': {
        const { type: _type, ...report } = event;
        await recordUsage?.(call, report);
        break;
      }
    }
  }
  await flushUtterances();
  return { accepted: events.length - duplicates, duplicates, ended };
}

const CALL_CACHE_MS = 10_000;
const CALL_CACHE_MAX = 10_000;

export type IngestOne = (conversationId: string, events: IngestEvent[], log: Logger) => Promise<IngestAnswer>;

export function ingestHandler(ctx: AppContext): IngestOne {
  const directory = new CallDirectory(ctx.repos, ctx.kv, ctx.metrics.calls);
  const recordUsage = usageRecorder(ctx.repos, ctx.config.prices, ctx.logger);
  // A live call's identity (kind, owner, room) never changes: look it up once, not twice per batch
  // (Redis, then Postgres). Its status is not read from here; ends are first-wins in the store. An
  // entry older than CALL_CACHE_MS is still used, and refreshed in the background (one lookup per
  // call at a time), so no batch waits for a lookup after the first: a refresh on the publish path
  // made every call's batches wait on Postgres at once, every CALL_CACHE_MS, for signed-in users.
  // An error drops the entry, so a deleted conversation answers 404 on the agent's retry.
  const calls = new Map<string, { call: CallRef; until: number; refreshing?: boolean }>();
  const lookUp = async (id: string, now: number): Promise<CallRef | null> => {
    const call = await directory.find(id);
    if (calls.size >= CALL_CACHE_MAX)
      for (const [k, v] of calls) if (v.until <= now || calls.size >= CALL_CACHE_MAX) calls.delete(k);
    if (call) calls.set(id, { call, until: now + CALL_CACHE_MS });
    else calls.delete(id);
    return call;
  };
  const findCall = async (id: string): Promise<CallRef | null> => {
    const now = Date.now();
    const hit = calls.get(id);
    if (!hit) return lookUp(id, now);
    if (hit.until <= now && !hit.refreshing) {
      hit.refreshing = true;
      lookUp(id, now).catch(() => calls.delete(id));
    }
    return hit.call;
  };
  return async (id, events, log) => {
    try {
      const call = await findCall(id);
      if (!call) throw errors.notFound('Conversation');
      const { ended, ...result } = await ingestBatch(directory, ctx.bus, call, events, ctx.agents, recordUsage);
      ctx.metrics.ingestBatches.inc({ outcome: 'stored' });
      for (const e of events) ctx.metrics.ingestEvents.inc({ type: e.type });
      if (ended) afterCallEnded(ctx, call);
      return result;
    } catch (err) {
      calls.delete(id);
      if (isAppError(err)) {
        ctx.metrics.ingestBatches.inc({ outcome: 'rejected' });
        throw err;
      }
      ctx.metrics.ingestBatches.inc({ outcome: 'unavailable' });
      // Database or Redis unavailable: the agent keeps the batch and retries; nothing was half-applied
      // that a retry would duplicate (utterances are idempotent on seq, ends are first-wins).
      const e = err as { code?: unknown; name?: unknown };
      log.warn({ errCode: e.code, errName: e.name, conversationId: id }, 'ingest failed: storage unavailable');
      throw errors.unavailable();
    }
  };
}

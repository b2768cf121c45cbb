import { Router } from 'express';
import type { Logger } from 'pino';
import { api, type IngestEvent, type IngestResult } from '@parley/protocol';
import { CallDirectory, type CallRef } from '../calls/directory';
import type { AppContext } from '../context';
import { errors, isAppError } from '../http/errors';
import { route } from '../http/route';
import { signedJson } from '../internal/signed-json';
import { afterCallEnded } from '../calls/lifecycle';
import { usageRecorder } from '../usage/record';
import { ingestBatch } from './service';

/**
 * One agent batch for one conversation, whichever door it came through (the signed POST below or
 * the ingest stream, ./stream.ts): stored, published, counted. Throws AppError: 404 unknown
 * conversation, 503 storage down (the agent keeps the batch and retries).
 */
const CALL_CACHE_MS = 10_000;
const CALL_CACHE_MAX = 10_000;

export type IngestOne = (conversationId: string, events: IngestEvent[], log: Logger) => Promise<IngestResult>;

export function ingestHandler(ctx: AppContext): IngestOne {
  const directory = new CallDirectory(ctx.repos, ctx.kv, ctx.metrics.calls);
  const recordUsage = usageRecorder(ctx.repos, ctx.config.prices, ctx.logger);
  // A live call's identity (kind, owner, room) never changes: look it up once per CALL_CACHE_MS rather
  // than twice per batch (Redis, then Postgres). Its status is not read from here; ends are first-wins
  // in the store. An error drops the entry, so a deleted conversation answers 404 within the TTL.
  const calls = new Map<string, { call: CallRef; until: number }>();
  const findCall = async (id: string): Promise<CallRef | null> => {
    const now = Date.now();
    const hit = calls.get(id);
    if (hit && hit.until > now) return hit.call;
    const call = await directory.find(id);
    if (calls.size >= CALL_CACHE_MAX)
      for (const [k, v] of calls) if (v.until <= now || calls.size >= CALL_CACHE_MAX) calls.delete(k);
    if (call) calls.set(id, { call, until: now + CALL_CACHE_MS });
    return call;
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

/**
 * POST /internal/conversations/:id/events — the agent's reports (signed with INGEST_SECRET).
 * 200 { accepted, duplicates } | 400 | 401 | 404 unknown conversation | 503 storage down (retry).
 */
export function ingestRouter(ctx: AppContext): Router {
  const router = Router();
  const directory = new CallDirectory(ctx.repos, ctx.kv, ctx.metrics.calls);
  const ingest = ingestHandler(ctx);
  route(router, api.internal.ingest, ...signedJson(ctx.config.ingestSecret, '4mb'), ({ params, body }, req) =>
    ingest(params.id, body.events, req.log),
  );
  route(router, api.internal.history, ...signedJson(ctx.config.ingestSecret), async ({ params }) => {
    const call = await directory.find(params.id);
    if (!call) throw errors.notFound('Conversation');
    return { utterances: await directory.transcript(call) };
  });
  return router;
}

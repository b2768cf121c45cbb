import { Router } from 'express';
import { api } from '@parley/protocol';
import { CallDirectory } from '../calls/directory';
import type { AppContext } from '../context';
import { errors, isAppError } from '../http/errors';
import { route } from '../http/route';
import { signedJson } from '../internal/signed-json';
import { afterCallEnded } from '../calls/lifecycle';
import { usageRecorder } from '../usage/record';
import { ingestBatch } from './service';

/**
 * POST /internal/conversations/:id/events — the agent's reports (signed with INGEST_SECRET).
 * 200 { accepted, duplicates } | 400 | 401 | 404 unknown conversation | 503 storage down (retry).
 */
export function ingestRouter(ctx: AppContext): Router {
  const router = Router();
  const directory = new CallDirectory(ctx.repos, ctx.kv, ctx.metrics.calls);
  const recordUsage = usageRecorder(ctx.repos, ctx.config.prices, ctx.logger);
  route(router, api.internal.ingest, ...signedJson(ctx.config.ingestSecret, '4mb'), async ({ params, body }, req) => {
    try {
      const call = await directory.find(params.id);
      if (!call) throw errors.notFound('Conversation');
      const { ended, ...result } = await ingestBatch(directory, ctx.bus, call, body.events, ctx.agents, recordUsage);
      ctx.metrics.ingestBatches.inc({ outcome: 'stored' });
      for (const e of body.events) ctx.metrics.ingestEvents.inc({ type: e.type });
      if (ended) afterCallEnded(ctx, call);
      return result;
    } catch (err) {
      if (isAppError(err)) {
        ctx.metrics.ingestBatches.inc({ outcome: 'rejected' });
        throw err;
      }
      ctx.metrics.ingestBatches.inc({ outcome: 'unavailable' });
      // Database or Redis unavailable: the agent keeps the batch and retries; nothing was half-applied
      // that a retry would duplicate (utterances are idempotent on seq, ends are first-wins).
      const e = err as { code?: unknown; name?: unknown };
      req.log.warn(
        { errCode: e.code, errName: e.name, conversationId: params.id },
        'ingest failed: storage unavailable',
      );
      throw errors.unavailable();
    }
  });
  route(router, api.internal.history, ...signedJson(ctx.config.ingestSecret), async ({ params }) => {
    const call = await directory.find(params.id);
    if (!call) throw errors.notFound('Conversation');
    return { utterances: await directory.transcript(call) };
  });
  return router;
}

import { Router } from 'express';
import { api } from '@parley/protocol';
import { CallDirectory } from '../calls/directory';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { signedJson } from '../internal/signed-json';
import { ingestHandler } from './service';

/**
 * One agent batch for one conversation, whichever door it came through (the signed POST below or
 * the ingest stream, ./stream.ts): stored, published, counted. Throws AppError: 404 unknown
 * conversation, 503 storage down (the agent keeps the batch and retries).
 */
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

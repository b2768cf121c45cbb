import { Router } from 'express';
import { z } from 'zod';
import { ConversationHistory, IngestBatch } from '@parley/protocol';
import { CallDirectory } from '../calls/directory';
import type { AppContext } from '../context';
import { errors, isAppError } from '../http/errors';
import { validateBody } from '../http/validate';
import { signedJson } from '../internal/signed-json';
import { registerRoute } from '../openapi/registry';
import { afterCallEnded } from '../calls/lifecycle';
import { ingestBatch } from './service';

const IdParams = z.object({ id: z.string().uuid() });

registerRoute({
  method: 'post',
  path: '/internal/conversations/:id/events',
  summary:
    "The agent's reports for one call (utterances idempotent on seq, interims, agent state, start, end). Guests' calls are relayed, never stored. See docs/transcripts.md.",
  tag: 'internal',
  auth: 'signed',
  request: IngestBatch,
  response: z.object({ accepted: z.number().int(), duplicates: z.number().int() }),
  errors: { 404: 'not_found', 503: 'service_unavailable (retry)' },
});

registerRoute({
  method: 'post',
  path: '/internal/conversations/:id/history',
  summary:
    "The conversation's stored utterances, in seq order, for an agent job starting in its room (a replacement for a lost agent continues the same conversation).",
  tag: 'internal',
  auth: 'signed',
  response: ConversationHistory,
  errors: { 404: 'not_found', 503: 'service_unavailable (retry)' },
});

/**
 * POST /internal/conversations/:id/events — the agent's reports (signed with INGEST_SECRET).
 * 200 { accepted, duplicates } | 400 | 401 | 404 unknown conversation | 503 storage down (retry).
 */
export function ingestRouter(ctx: AppContext): Router {
  const router = Router();
  const directory = new CallDirectory(ctx.repos, ctx.kv);
  router.post('/internal/conversations/:id/events', ...signedJson(ctx.config.ingestSecret, '4mb'), async (req, res) => {
    const params = IdParams.safeParse(req.params);
    if (!params.success) throw errors.notFound('Conversation');
    const batch = validateBody(req, IngestBatch);
    try {
      const call = await directory.find(params.data.id);
      if (!call) throw errors.notFound('Conversation');
      const { ended, ...result } = await ingestBatch(directory, ctx.bus, call, batch.events);
      if (ended) afterCallEnded(ctx, call);
      res.json(result);
    } catch (err) {
      if (isAppError(err)) throw err;
      // Database or Redis unavailable: the agent keeps the batch and retries; nothing was half-applied
      // that a retry would duplicate (utterances are idempotent on seq, ends are first-wins).
      const e = err as { code?: unknown; name?: unknown };
      req.log.warn(
        { errCode: e.code, errName: e.name, conversationId: params.data.id },
        'ingest failed: storage unavailable',
      );
      throw errors.unavailable();
    }
  });
  router.post('/internal/conversations/:id/history', ...signedJson(ctx.config.ingestSecret), async (req, res) => {
    const params = IdParams.safeParse(req.params);
    if (!params.success) throw errors.notFound('Conversation');
    const call = await directory.find(params.data.id);
    if (!call) throw errors.notFound('Conversation');
    const history: ConversationHistory = { utterances: await directory.transcript(call) };
    res.json(history);
  });
  return router;
}

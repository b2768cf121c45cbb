import { Router, type Request } from 'express';
import type { AppContext } from '../context';
import { requireUser } from '../auth/current-user';
import { errors } from '../http/errors';
import { parseOr400 } from '../http/validate';
import { CursorCodec } from './cursor';
import { CONTENT_TYPES, exportFilename, renderers } from './export-formats';
import { presentConversation, presentSummary, presentUtterance } from './presenter';
import { ExportQuery, ListConversationsQuery, UUID_RE } from './schema';
import './openapi';

/**
 * Transcript history for the signed-in user:
 *   GET    /api/conversations?cursor=&limit=&q=&from=&to=  → { items, nextCursor }
 *   GET    /api/conversations/:id                          → { conversation, utterances }
 *   DELETE /api/conversations/:id                          → 204
 *   GET    /api/conversations/:id/export?format=json|md|txt → attachment
 * A missing or foreign id is 404 everywhere (existence of other users' data is never revealed).
 */
export function conversationsRouter(ctx: AppContext): Router {
  const router = Router();
  const cursors = new CursorCodec(ctx.config.session.secret);

  /** The user's conversation named by :id, or a 404. */
  async function ownConversation(req: Request) {
    const id = String(req.params.id ?? '');
    const c = UUID_RE.test(id) ? await ctx.repos.conversations.findOwned(req.user!.id, id.toLowerCase()) : null;
    if (!c) throw errors.notFound('Conversation');
    return c;
  }

  async function loadFull(req: Request) {
    const c = await ownConversation(req);
    const utterances = await ctx.repos.utterances.list(c.id);
    const firstUser = utterances.find((u) => u.role === 'user')?.text ?? null;
    return { conversation: presentConversation(c, firstUser), utterances: utterances.map(presentUtterance) };
  }

  router.get('/api/conversations', requireUser, async (req, res) => {
    const query = parseOr400(ListConversationsQuery, req.query);
    const filters = { q: query.q || undefined, from: query.from?.raw, to: query.to?.raw };
    const after = query.cursor ? cursors.decode(query.cursor, filters) : undefined;
    const { rows, hasMore } = await ctx.repos.history.list({
      userId: req.user!.id,
      limit: query.limit,
      after,
      q: filters.q,
      from: query.from?.date,
      to: query.to?.date,
    });
    const last = rows.at(-1);
    res.set('Cache-Control', 'private, no-store');
    res.json({
      items: rows.map(presentSummary),
      nextCursor: hasMore && last ? cursors.encode(last.position, filters) : null,
    });
  });

  router.get('/api/conversations/:id', requireUser, async (req, res) => {
    res.set('Cache-Control', 'private, no-store');
    res.json(await loadFull(req));
  });

  router.delete('/api/conversations/:id', requireUser, async (req, res) => {
    const c = await ownConversation(req);
    if (!(await ctx.repos.conversations.deleteOwned(req.user!.id, c.id))) throw errors.notFound('Conversation');
    req.log?.info({ conversationId: c.id }, 'conversation deleted');
    res.status(204).end();
  });

  router.get('/api/conversations/:id/export', requireUser, async (req, res) => {
    const { format } = parseOr400(ExportQuery, req.query);
    const full = await loadFull(req);
    res.set({
      'Content-Type': CONTENT_TYPES[format],
      'Content-Disposition': `attachment; filename="${exportFilename(full.conversation, format)}"`,
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.send(renderers[format](full));
  });

  return router;
}

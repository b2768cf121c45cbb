import { Router } from 'express';
import { api } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { CursorCodec } from './cursor';
import { CONTENT_TYPES, exportFilename, renderers } from './export-formats';
import { presentConversation, presentSummary, presentUtterance } from './presenter';

/**
 * Transcript history for the signed-in user:
 *   GET    /api/conversations?cursor=&limit=&q=&from=&to=  → { conversations, nextCursor }
 *   GET    /api/conversations/:id?afterSeq=&limit=          → { conversation, utterances, nextSeq }
 *   DELETE /api/conversations/:id                          → 204
 *   GET    /api/conversations/:id/export?format=json|md|txt → attachment
 * A missing or foreign id is 404 everywhere (existence of other users' data is never revealed).
 */
export function conversationsRouter(ctx: AppContext): Router {
  const router = Router();
  const cursors = new CursorCodec(ctx.config.session.secret);

  /** The user's conversation `id`, or a 404. */
  async function ownConversation(userId: string, id: string) {
    const c = await ctx.repos.conversations.findOwned(userId, id);
    if (!c) throw errors.notFound('Conversation');
    return c;
  }

  /**
   * The conversation with its turns: all of them, or with `limit` a page of them after `afterSeq`
   * (one row more is read to tell whether another page follows). An untitled conversation's title
   * falls back to its first user turn, read on its own when the page does not hold it.
   */
  async function loadFull(userId: string, id: string, page: { afterSeq?: number; limit?: number } = {}) {
    const c = await ownConversation(userId, id);
    const rows = await ctx.repos.utterances.list(
      c.id,
      page.limit === undefined ? undefined : page.limit + 1,
      page.afterSeq,
    );
    const more = page.limit !== undefined && rows.length > page.limit;
    const utterances = more ? rows.slice(0, page.limit) : rows;
    let firstUser: string | null = null;
    if (!c.title) {
      const fromStart = page.afterSeq === undefined;
      const inPage = fromStart ? utterances.find((u) => u.role === 'user') : undefined;
      if (inPage) firstUser = inPage.text;
      else if (!fromStart || more) firstUser = await ctx.repos.utterances.firstUserText(c.id);
    }
    return {
      conversation: presentConversation(c, firstUser),
      utterances: utterances.map(presentUtterance),
      nextSeq: more ? utterances.at(-1)!.seq : null,
    };
  }

  route(router, api.conversations.list, async ({ query }, req, res) => {
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
    return {
      conversations: rows.map(presentSummary),
      nextCursor: hasMore && last ? cursors.encode(last.position, filters) : null,
    };
  });

  route(router, api.conversations.get, async ({ params, query }, req, res) => {
    res.set('Cache-Control', 'private, no-store');
    return loadFull(req.user!.id, params.id, query);
  });

  route(router, api.conversations.delete, async ({ params }, req) => {
    const c = await ownConversation(req.user!.id, params.id);
    const userId = req.user!.id;
    // The deletion and its conversation.deleted event (with its undelivered transcript given up) are one change.
    const deleted = await ctx.repos.transaction(async (repos) => {
      if (!(await repos.conversations.deleteOwned(userId, c.id))) return false;
      await repos.webhooks.cancelForConversation(c.id);
      await ctx.webhooks.emit(
        {
          type: 'conversation.deleted',
          userId,
          conversationId: c.id,
          data: { userId, conversationId: c.id, reason: 'owner' },
        },
        repos,
      );
      return true;
    });
    if (!deleted) throw errors.notFound('Conversation');
    ctx.webhooks.onQueued();
    req.log?.info({ conversationId: c.id }, 'conversation deleted');
  });

  route(router, api.conversations.export, async ({ params, query: { format } }, req, res) => {
    const full = await loadFull(req.user!.id, params.id);
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

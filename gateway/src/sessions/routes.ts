import { Router } from 'express';
import { api, type SessionInfo } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { endUserSession, keepSessionAfterPasswordWrite } from '../auth/user-session';
import { publicSessionId } from './device';

/** /api/me/sessions: the caller's own sessions and devices; list, end one, end all others. */
export function sessionsRouter(ctx: AppContext): Router {
  const router = Router();

  route(router, api.sessions.list, async (_input, req) => {
    const me = req.user!;
    const user = await ctx.repos.users.findById(me.id);
    const epoch = user?.sessionEpoch ?? 0;
    const sessions: SessionInfo[] = (await ctx.userSessions.list(me.id))
      // A session of an older epoch is already void (it ends on its next request).
      .filter(({ data }) => (data.epoch ?? 0) === epoch)
      .map(({ sid, data }) => {
        const createdAt = new Date(data.createdAt ?? Date.now()).toISOString();
        return {
          id: publicSessionId(sid),
          current: sid === req.sessionID,
          createdAt,
          lastUsedAt: data.lastSeenAt ? new Date(data.lastSeenAt).toISOString() : createdAt,
          device: data.device ?? 'Unknown browser',
          ip: data.ipPrefix ?? null,
        };
      })
      .sort((a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt));
    return { sessions };
  });

  route(router, api.sessions.revoke, async ({ params }, req, res) => {
    const me = req.user!;
    // Only ids in the caller's own index can match: another account's session is an unknown id.
    const target = (await ctx.userSessions.list(me.id)).find(({ sid }) => publicSessionId(sid) === params.id);
    if (!target) throw errors.notFound('Session');
    const current = target.sid === req.sessionID;
    await ctx.repos.audit.record({ userId: me.id, type: 'session_revoked', ip: req.ip, details: { current } });
    // The current one ends like a logout (its cookie is cleared, nothing saves it again).
    if (current) await endUserSession(req, res);
    else await ctx.userSessions.end(me.id, target.sid);
  });

  route(router, api.sessions.revokeOthers, async (_input, req) => {
    const me = req.user!;
    const others = (await ctx.userSessions.list(me.id)).filter(({ sid }) => sid !== req.sessionID);
    // The epoch voids every other session, tracked or not; this one continues on a fresh id.
    const epoch = await ctx.repos.users.bumpSessionEpoch(me.id);
    if (epoch === undefined) throw errors.unauthenticated();
    await keepSessionAfterPasswordWrite(ctx.userSessions, req, { id: me.id, sessionEpoch: epoch });
    for (const { sid } of others) await ctx.userSessions.end(me.id, sid);
    await ctx.repos.audit.record({
      userId: me.id,
      type: 'sessions_revoked_others',
      ip: req.ip,
      details: { count: others.length },
    });
    req.log.info({ userId: me.id }, 'signed out everywhere else');
  });

  return router;
}

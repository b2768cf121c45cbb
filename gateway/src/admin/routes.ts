import { Router, type Request } from 'express';
import { coarseIp, type AdminListedUser, type ConversationRow } from '@parley/db';
import { api, type AdminConversation, type AdminUser } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { presentUtterance } from '../conversations/presenter';
import { monthRange, toFigures } from '../usage/usage';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

const presentUser = (u: AdminListedUser): AdminUser => ({
  id: u.id,
  email: u.email,
  displayName: u.displayName,
  role: u.role,
  createdAt: iso(u.createdAt)!,
  disabledAt: iso(u.disabledAt),
  quotaMinutesPerDay: u.quotaMinutesPerDay,
  maxCallSeconds: u.maxCallSeconds,
});

/** Metadata only: no title, no transcript. */
const presentConversation = (r: ConversationRow & { userEmail: string }): AdminConversation => ({
  id: r.id,
  userId: r.userId,
  userEmail: r.userEmail,
  status: r.status,
  language: r.language,
  createdAt: iso(r.createdAt)!,
  startedAt: iso(r.startedAt),
  endedAt: iso(r.endedAt),
  durationMs: r.durationMs,
  turnCount: r.turnCount,
  endReason: r.endReason,
});

/**
 * Administration: accounts (role, limits, disable/enable, delete), conversations as metadata,
 * usage and cost, the audit trail. The `admin` auth answers 404 so the routes are not advertised.
 * Every change is an audit event naming the admin (actor), the account (target) and a coarse IP.
 */
export function adminRouter(ctx: AppContext): Router {
  const router = Router();

  const audit = (req: Request, type: string, targetUserId: string, details: Record<string, unknown> = {}) =>
    ctx.repos.audit.record({ userId: req.user!.id, targetUserId, type, ip: coarseIp(req.ip), details });

  /** The account as the listing shows it (404 when there is none). */
  const listed = async (id: string): Promise<AdminUser> => {
    const user = await ctx.repos.users.findById(id);
    if (!user) throw errors.notFound('Account');
    return presentUser({ ...user, ...(await ctx.repos.users.limits(id)) });
  };

  route(router, api.admin.users, async ({ query }) => {
    const { users, total } = await ctx.repos.users.list(query);
    return { users: users.map(presentUser), total };
  });

  route(router, api.admin.changeUser, async ({ params: { id }, body }, req) => {
    const before = await listed(id);
    if (body.role !== undefined && body.role !== before.role) {
      if (id === req.user!.id) throw errors.ownAccount('You cannot take away your own admin role here.');
      await ctx.repos.users.setRole(id, body.role);
      await audit(req, 'admin_role_change', id, { from: before.role, to: body.role });
    }
    const limits = { quotaMinutesPerDay: body.quotaMinutesPerDay, maxCallSeconds: body.maxCallSeconds };
    const changed = Object.fromEntries(
      Object.entries(limits).filter(([k, v]) => v !== undefined && v !== before[k as keyof typeof limits]),
    );
    if (Object.keys(changed).length) {
      await ctx.repos.users.setLimits(id, changed);
      await audit(req, 'admin_limits_change', id, { ...changed });
    }
    return { user: await listed(id) };
  });

  route(router, api.admin.disableUser, async ({ params: { id } }, req) => {
    if (id === req.user!.id) throw errors.ownAccount('You cannot disable your own account.');
    const was = await listed(id);
    if (!(await ctx.repos.users.setDisabled(id, true))) throw errors.notFound('Account');
    // The epoch moved on with the flag (every session is void); remove them from the store too.
    await ctx.userSessions.endAll(id);
    if (!was.disabledAt) await audit(req, 'admin_user_disabled', id);
    req.log.info({ targetUserId: id }, 'account disabled by an admin');
    return { user: await listed(id) };
  });

  route(router, api.admin.enableUser, async ({ params: { id } }, req) => {
    const was = await listed(id);
    if (!(await ctx.repos.users.setDisabled(id, false))) throw errors.notFound('Account');
    if (was.disabledAt) await audit(req, 'admin_user_enabled', id);
    req.log.info({ targetUserId: id }, 'account enabled by an admin');
    return { user: await listed(id) };
  });

  route(router, api.admin.deleteUser, async ({ params: { id } }, req) => {
    if (id === req.user!.id) throw errors.ownAccount('Delete your own account from Settings.');
    const target = await listed(id);
    // As an owner's own deletion: the account, its queued deliveries and account.deleted in one change.
    await ctx.repos.transaction(async (repos) => {
      await repos.webhooks.deleteForSubject(id);
      await ctx.webhooks.emit({ type: 'account.deleted', userId: id, data: { userId: id } }, repos);
      // Recorded before the account goes, so the deletion names it by its pseudonym like its other events.
      await repos.audit.record({
        userId: req.user!.id,
        targetUserId: id,
        type: 'admin_user_deleted',
        ip: coarseIp(req.ip),
        details: { role: target.role },
      });
      await repos.account.delete(id);
    });
    ctx.webhooks.onQueued();
    await ctx.userSessions.endAll(id);
    req.log.info({ targetUserId: id }, 'account deleted by an admin');
  });

  route(router, api.admin.audit, async ({ query }) => {
    const { events, total } = await ctx.repos.audit.search({
      ...query,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
    });
    return {
      events: events.map((e) => ({
        id: e.id,
        type: e.type,
        at: iso(e.createdAt)!,
        actorId: e.actorId,
        actorEmail: e.actorEmail,
        actorPseudonym: e.actorPseudonym,
        targetId: e.targetId,
        targetEmail: e.targetEmail,
        targetPseudonym: e.targetPseudonym,
        // Older rows hold the full address; the console shows every one coarse (IPv4 /24, IPv6 /48).
        ip: coarseIp(e.ip),
        details: e.details ?? {},
      })),
      total,
    };
  });

  route(router, api.admin.conversations, async ({ query }) => {
    const { rows, total } = await ctx.repos.conversations.listAll(query);
    return {
      conversations: rows.map(presentConversation),
      total,
    };
  });

  /**
   * Break-glass: the only way an admin reads transcript text. The audit event (with the stated
   * reason, never the text) is written before anything is read, so no read goes unrecorded; the
   * account holder sees it in their own security activity. The log line names no reason or text.
   */
  route(router, api.admin.breakGlassTranscript, async ({ params: { id }, body }, req, res) => {
    const conversation = await ctx.repos.conversations.find(id);
    const owner = conversation && (await ctx.repos.users.findById(conversation.userId));
    if (!conversation || !owner) throw errors.notFound('Conversation');
    await audit(req, 'admin_transcript_read', owner.id, { conversationId: id, reason: body.reason });
    const utterances = await ctx.repos.utterances.list(id);
    req.log.info({ conversationId: id, targetUserId: owner.id }, 'break-glass transcript read by an admin');
    res.set('Cache-Control', 'private, no-store');
    return {
      conversation: presentConversation({ ...conversation, userEmail: owner.email }),
      utterances: utterances.map(presentUtterance),
    };
  });

  route(router, api.admin.usage, async ({ query }, _req, res) => {
    const { month, from, to } = monthRange(query.month, new Date());
    const users = await ctx.repos.callUsage.perUser(from, to);
    res.set('Cache-Control', 'private, no-store');
    return {
      month,
      currency: 'USD' as const,
      users: users.map((u) => ({
        userId: u.userId,
        email: u.email,
        calls: u.calls,
        minutes: Math.round(u.durationMs / 6000) / 10,
        ...toFigures(u),
      })),
    };
  });

  return router;
}

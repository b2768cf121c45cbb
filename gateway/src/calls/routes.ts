import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { api, DEFAULT_PREFERENCES, type CallMetadata } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { route } from '../http/route';
import { preferencesService } from '../preferences/service';
import { callLimits } from '../usage/limits';
import { CallDirectory } from './directory';
import { ownsCall } from './ownership';
import { callRateLimits, guestCallCap } from './rate-limit';
import { callToken, guestIdentity, newRoomName, userIdentity } from './token';

/** The value of a settled promise, or its error thrown. */
function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

/** How many guest conversations one browser session remembers (most recent kept). */
const GUEST_CONVERSATIONS_KEPT = 20;

/**
 * POST /api/calls — set up a voice call for the logged-in user or a guest.
 * GET  /api/calls/:id — the call's status, for its owner.
 *
 * The request body is ignored: the dispatch metadata (conversation, guest flag, preferences) is
 * composed here from the session and the database, and signed into the token, so nothing a
 * browser sends can change what the agent is told.
 */
export function callsRouter(ctx: AppContext): Router {
  const router = Router();
  const directory = new CallDirectory(ctx.repos, ctx.kv, ctx.metrics.calls);
  const preferencesOf = preferencesService(ctx);

  route(router, api.calls.create, ...callRateLimits(ctx), guestCallCap(ctx), async (_input, req) => {
    // The lookups are independent: Redis and Postgres answer them at the same time, and the
    // refusals keep their order (no speech first, then no minutes).
    const [speech, limits, prefs] = await Promise.allSettled([
      ctx.agents.speechProblems(),
      callLimits(ctx.repos, ctx.config.limits, req.user?.id ?? null),
      req.user ? preferencesOf.get(req.user.id) : null,
    ]);
    // A call the agent could neither hear nor answer is refused up front, saying what is missing.
    const problems = settled(speech);
    if (problems.length) throw errors.unavailable(`Calls cannot start: ${problems.join('; ')}.`);
    // Daily minutes left and the maximum call length (429 quota_exceeded when none are left).
    const callLimitsNow = settled(limits);
    const conversationId = randomUUID();
    const room = newRoomName();
    let metadata: CallMetadata;
    let identity: string;
    if (req.user) {
      const { preferences, valid } = settled(prefs)!;
      if (!valid) req.log.warn({ userId: req.user.id }, 'stored preferences invalid; using defaults for this call');
      await ctx.repos.conversations.create({
        id: conversationId,
        userId: req.user.id,
        room,
        language: preferences.language,
      });
      metadata = { conversationId, guest: false, preferences, limits: callLimitsNow };
      identity = userIdentity(req.user.id);
    } else {
      // Setting a field makes express-session save the session and send its cookie.
      const kept = req.session.guestConversationIds ?? [];
      req.session.guestConversationIds = [...kept, conversationId].slice(-GUEST_CONVERSATIONS_KEPT);
      req.session.createdAt ??= Date.now();
      await directory.registerGuest(conversationId, req.sessionID, room);
      metadata = { conversationId, guest: true, preferences: DEFAULT_PREFERENCES, limits: callLimitsNow };
      identity = guestIdentity(conversationId);
    }
    const token = await callToken(ctx.config.livekit, { identity, room, metadata });
    req.log.info({ conversationId, guest: metadata.guest }, 'call created');
    return { url: ctx.config.livekit.publicUrl, token, room, conversationId };
  });

  route(router, api.calls.rejoin, ...callRateLimits(ctx), async ({ params: { id } }, req) => {
    if (!req.user && !req.session?.guestConversationIds?.length) throw errors.unauthenticated();
    const call = await directory.find(id);
    if (!call || !ownsCall(req, call)) throw errors.notFound('Call');
    if (call.status === 'ended') throw errors.conflict('call_ended', 'This call has ended.');
    // The limits again, from now: the minutes this call has used so far count against the quota.
    const limits = await callLimits(ctx.repos, ctx.config.limits, call.kind === 'user' ? call.userId : null);
    const metadata = { ...(await directory.dispatchMetadata(call)), limits };
    const identity = call.kind === 'user' ? userIdentity(call.userId) : guestIdentity(id);
    const token = await callToken(ctx.config.livekit, { identity, room: call.room, metadata });
    req.log.info({ conversationId: id }, 'call rejoined');
    return { url: ctx.config.livekit.publicUrl, token, room: call.room, conversationId: id };
  });

  route(router, api.calls.status, async ({ params: { id } }, req) => {
    if (!req.user && !req.session?.guestConversationIds?.length) throw errors.unauthenticated();
    const call = await directory.find(id);
    if (!call || !ownsCall(req, call)) throw errors.notFound('Call');
    return { conversationId: call.id, status: call.status, endReason: call.endReason };
  });

  return router;
}

import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { DEFAULT_PREFERENCES, type CallMetadata } from '@parley/protocol';
import type { AppContext } from '../context';
import { errors } from '../http/errors';
import { validateParams } from '../http/validate';
import { registerRoute } from '../openapi/registry';
import { preferencesService } from '../preferences/service';
import { CallDirectory } from './directory';
import { ownsCall } from './ownership';
import { callRateLimits } from './rate-limit';
import { CallCreated, CallStatusBody, CreateCallBody } from './schema';
import { callToken, guestIdentity, newRoomName, userIdentity } from './token';

/** How many guest conversations one browser session remembers (most recent kept). */
const GUEST_CONVERSATIONS_KEPT = 20;

const IdParams = z.object({ id: z.string().uuid() });

registerRoute({
  method: 'post',
  path: '/api/calls',
  summary:
    'Start a voice call as the signed-in user or as a guest (a guest session cookie is set). Returns a LiveKit token for one new room with the agent dispatched; preferences come from the database, the body is ignored.',
  tag: 'calls',
  request: CreateCallBody,
  response: CallCreated,
  status: 201,
  errors: { 429: 'rate_limited', 503: 'service_unavailable' },
});
registerRoute({
  method: 'post',
  path: '/api/calls/:id/rejoin',
  summary:
    'A fresh LiveKit token for a live call, for its owner: the client lost its LiveKit node and joins the same room (recreated on a live node, the agent dispatched again) under the same conversation.',
  tag: 'calls',
  response: CallCreated,
  errors: { 404: 'not_found', 409: 'call_ended' },
});
registerRoute({
  method: 'get',
  path: '/api/calls/:id',
  summary: "A call's status and end reason, for the account or guest session that started it (404 for anyone else).",
  tag: 'calls',
  auth: 'user',
  response: CallStatusBody,
  errors: { 404: 'not_found' },
});

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
  const directory = new CallDirectory(ctx.repos, ctx.kv);
  const preferencesOf = preferencesService(ctx);

  router.post('/api/calls', ...callRateLimits(ctx), async (req, res) => {
    // A call the agent could neither hear nor answer is refused up front, saying what is missing.
    const speech = await ctx.agents.speechProblems();
    if (speech.length) throw errors.unavailable(`Calls cannot start: ${speech.join('; ')}.`);
    const conversationId = randomUUID();
    const room = newRoomName();
    let metadata: CallMetadata;
    let identity: string;
    if (req.user) {
      const { preferences, valid } = await preferencesOf.get(req.user.id);
      if (!valid) req.log.warn({ userId: req.user.id }, 'stored preferences invalid; using defaults for this call');
      await ctx.repos.conversations.create({
        id: conversationId,
        userId: req.user.id,
        room,
        language: preferences.language,
      });
      metadata = { conversationId, guest: false, preferences };
      identity = userIdentity(req.user.id);
    } else {
      // Setting a field makes express-session save the session and send its cookie.
      const kept = req.session.guestConversationIds ?? [];
      req.session.guestConversationIds = [...kept, conversationId].slice(-GUEST_CONVERSATIONS_KEPT);
      req.session.createdAt ??= Date.now();
      await directory.registerGuest(conversationId, req.sessionID, room);
      metadata = { conversationId, guest: true, preferences: DEFAULT_PREFERENCES };
      identity = guestIdentity();
    }
    await directory.rememberDispatch(metadata);
    const token = await callToken(ctx.config.livekit, { identity, room, metadata });
    req.log.info({ conversationId, guest: metadata.guest }, 'call created');
    res.status(201).json({ url: ctx.config.livekit.publicUrl, token, room, conversationId });
  });

  router.post('/api/calls/:id/rejoin', ...callRateLimits(ctx), async (req, res) => {
    const { id } = validateParams(req, IdParams);
    if (!req.user && !req.session?.guestConversationIds?.length) throw errors.unauthenticated();
    const call = await directory.find(id);
    if (!call || !ownsCall(req, call)) throw errors.notFound('Call');
    if (call.status === 'ended') throw errors.conflict('call_ended', 'This call has ended.');
    const metadata = await directory.dispatchMetadata(call);
    const identity = call.kind === 'user' ? userIdentity(call.userId) : guestIdentity();
    const token = await callToken(ctx.config.livekit, { identity, room: call.room, metadata });
    req.log.info({ conversationId: id }, 'call rejoined');
    res.status(201).json({ url: ctx.config.livekit.publicUrl, token, room: call.room, conversationId: id });
  });

  router.get('/api/calls/:id', async (req, res) => {
    const { id } = validateParams(req, IdParams);
    if (!req.user && !req.session?.guestConversationIds?.length) throw errors.unauthenticated();
    const call = await directory.find(id);
    if (!call || !ownsCall(req, call)) throw errors.notFound('Call');
    res.json({ conversationId: call.id, status: call.status, endReason: call.endReason });
  });

  return router;
}

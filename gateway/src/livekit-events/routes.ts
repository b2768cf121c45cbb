import express, { Router } from 'express';
import { WebhookReceiver, type WebhookEvent } from 'livekit-server-sdk';
import { api, serverMessage, type EndReason } from '@parley/protocol';
import { CallDirectory } from '../calls/directory';
import { afterCallEnded } from '../calls/lifecycle';
import { AgentRecovery, isAgentParticipant } from '../calls/recovery';
import type { AppContext } from '../context';
import { AppError, errors, isAppError } from '../http/errors';
import { route } from '../http/route';
import { publishTranscript } from '../transcripts/channel';

/**
 * POST /internal/livekit/webhook — LiveKit server events, verified with the API key and secret
 * (Authorization: a JWT carrying the body's sha256).
 *   room_finished                          → the call ends: room_closed
 *   the caller left                        → the call ends: caller_left (not when the caller's
 *                                            session was replaced by its own rejoin:
 *                                            DUPLICATE_IDENTITY)
 *   agent left, nobody else there          → nothing: the caller may be rejoining a room recreated
 *                                            on another LiveKit node (the lost agent gave way to
 *                                            the re-run dispatch); an empty room is closed by
 *                                            LiveKit after its departure timeout (room_finished)
 *   agent left, a caller still in the room → the agent is re-dispatched (calls/recovery.ts); after
 *                                            MAX_RECOVERIES the recovery ends the call: agent_failed.
 *                                            An agent whose media never connected is reported as
 *                                            participant_connection_aborted: the same
 *   agent joined                           → at most one agent stays in the room
 *   caller joined a started call           → an agent is dispatched if none is there 10 s later
 * The first end wins, so an agent's own call_ended report (which carries the precise reason)
 * is kept when it arrived first.
 */
/** livekit.DisconnectReason.DUPLICATE_IDENTITY (livekit_models.proto); livekit-server-sdk does not re-export the enum. */
const DUPLICATE_IDENTITY = 2;

export function livekitEventsRouter(ctx: AppContext): Router {
  const router = Router();
  const receiver = new WebhookReceiver(ctx.config.livekit.apiKey, ctx.config.livekit.apiSecret);
  const directory = new CallDirectory(ctx.repos, ctx.kv, ctx.metrics.calls);
  const recovery = new AgentRecovery(ctx, directory);

  async function callerStillThere(room: string): Promise<boolean> {
    try {
      const participants = await ctx.livekit.rooms.listParticipants(room);
      return participants.some((p) => !isAgentParticipant(p));
    } catch {
      return false; // the room is gone
    }
  }

  async function endReasonFor(event: WebhookEvent): Promise<EndReason | null> {
    const room = event.room?.name;
    if (!room) return null;
    if (event.event === 'room_finished') return 'room_closed';
    if (event.event === 'participant_joined' && event.participant) {
      if (isAgentParticipant(event.participant)) await recovery.enforceSingleAgent(room);
      else recovery.expectAgent(room);
      return null;
    }
    // An agent that leaves before its media connected (a job that died while joining, or left at
    // once) is reported as participant_connection_aborted, not participant_left: lost all the same.
    if (
      event.event === 'participant_connection_aborted' &&
      event.participant &&
      isAgentParticipant(event.participant)
    ) {
      if (await callerStillThere(room)) await recovery.agentLost(room, event.participant.identity, event.event);
      return null;
    }
    if (event.event === 'participant_left' && event.participant) {
      if (!isAgentParticipant(event.participant)) {
        if (Number(event.participant.disconnectReason) !== DUPLICATE_IDENTITY) return 'caller_left';
        // The caller's session closed because the caller joined again under the same identity (a
        // full reconnect: its SDK's, or the web client's rejoin): it has not left, the call goes on.
        ctx.logger.info({ room }, 'caller session replaced by its own new join; the call goes on');
        return null;
      }
      if (!(await callerStillThere(room))) return null;
      await recovery.agentLost(room, event.participant.identity, 'participant_left');
      return null;
    }
    return null;
  }

  route(router, api.internal.livekitWebhook, express.raw({ type: () => true, limit: '256kb' }), async (_input, req) => {
    const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    let event: WebhookEvent;
    try {
      event = await receiver.receive(body, req.get('authorization'));
    } catch {
      throw new AppError(401, 'unauthenticated', 'Webhook signature missing or invalid.');
    }
    try {
      const reason = await endReasonFor(event);
      const call = reason && event.room?.name ? await directory.findByRoom(event.room.name) : null;
      if (
        reason &&
        call &&
        call.status !== 'ended' &&
        (await directory.markEnded(call, new Date(), reason)) === reason
      ) {
        await publishTranscript(ctx.bus, serverMessage('call_ended', call.id, { reason }));
        afterCallEnded(ctx, call);
        req.log.info({ conversationId: call.id, reason, event: event.event }, 'call ended by LiveKit event');
      }
    } catch (err) {
      if (isAppError(err)) throw err;
      throw errors.unavailable(); // LiveKit retries webhooks that fail
    }
    return { ok: true as const };
  });
  return router;
}

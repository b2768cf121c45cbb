import express, { Router } from 'express';
import { WebhookReceiver, type WebhookEvent } from 'livekit-server-sdk';
import type { Logger } from 'pino';
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
 *   the caller left                        → the call ends as caller_left (dated when it left)
 *                                            if no caller is back HANG_UP_GRACE_MS after a hang-up
 *                                            (CLIENT_INITIATED), CALLER_BACK_MS after any other
 *                                            close; not when its session was replaced by its own
 *                                            rejoin (DUPLICATE_IDENTITY)
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
/** livekit.DisconnectReason.CLIENT_INITIATED: the caller hung up (its SDK's disconnect()). */
const CLIENT_INITIATED = 1;
/** How long a caller whose session closed without a hang-up has to be back before the call ends. */
export const CALLER_BACK_MS = 10_000;
/**
 * How long a caller who hung up (CLIENT_INITIATED) has to be back before the call ends: an SDK
 * re-joining after its LiveKit node died may close a half-made session that way and join again
 * (1.3 s later in a 4-call cluster run of 5 December).
 */
export const HANG_UP_GRACE_MS = 3000;

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

  /** Ends the call of `room` with `reason` unless it has ended already (the first end wins). */
  async function endCall(room: string, reason: EndReason, cause: string, log: Logger, at = new Date()): Promise<void> {
    const call = await directory.findByRoom(room);
    if (!call || call.status === 'ended' || (await directory.markEnded(call, at, reason)) !== reason) return;
    await publishTranscript(ctx.bus, serverMessage('call_ended', call.id, { reason }));
    afterCallEnded(ctx, call);
    log.info({ conversationId: call.id, reason, event: cause }, 'call ended by LiveKit event');
  }

  /**
   * The caller's session closed: the call ends as caller_left, dated when it closed, unless a caller
   * is (back) in the room `afterMs` later.
   */
  function callerMayBeBack(room: string, afterMs: number): void {
    const leftAt = new Date();
    setTimeout(() => {
      void (async () => {
        if (!(await callerStillThere(room))) await endCall(room, 'caller_left', 'participant_left', ctx.logger, leftAt);
      })().catch((err: Error) => ctx.logger.warn({ errName: err.name }, 'caller check after a drop failed'));
    }, afterMs).unref();
  }

  async function endReasonFor(event: WebhookEvent): Promise<EndReason | null> {
    const room = event.room?.name;
    if (!room) return null;
    if (event.event === 'room_finished') return 'room_closed';
    if (event.event === 'participant_joined' && event.participant) {
      if (isAgentParticipant(event.participant)) await recovery.agentJoined(room);
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
        const why = Number(event.participant.disconnectReason);
        if (why === CLIENT_INITIATED) {
          callerMayBeBack(room, HANG_UP_GRACE_MS);
          return null;
        }
        if (why !== DUPLICATE_IDENTITY) {
          // Under load, a caller whose LiveKit node died re-joined through a signalling request
          // that timed out: LiveKit closed that session (SIGNAL_CLOSE) and the SDK joined again a
          // second later; ending the call at once left it joining an ended call.
          ctx.logger.info({ room, why }, 'caller session closed without a hang-up; waiting for it to come back');
          callerMayBeBack(room, CALLER_BACK_MS);
          return null;
        }
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
      if (reason && event.room?.name) await endCall(event.room.name, reason, event.event, req.log);
    } catch (err) {
      if (isAppError(err)) throw err;
      throw errors.unavailable(); // LiveKit retries webhooks that fail
    }
    return { ok: true as const };
  });
  return router;
}

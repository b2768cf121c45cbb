import { serverMessage } from '@parley/protocol';
import type { AppContext } from '../context';
import { publishTranscript } from '../transcripts/channel';
import type { CallDirectory, CallRef } from './directory';
import { afterCallEnded } from './lifecycle';
import { isAgentParticipant } from './recovery';

/**
 * Calls nobody comes back to. A call normally ends when its caller leaves (LiveKit's
 * `participant_left` webhook, or the agent seeing its room empty). When the LiveKit node hosting
 * the room dies, neither can happen: the dead node sends no webhook, and if its agent is gone too
 * (or never finds the room again) nobody reports an end, so the conversation stayed `active` for
 * good and its call time kept counting against the account's monthly minutes.
 *
 * Every `intervalMs` one gateway (a Redis lock per round) asks LiveKit who is in the room of each
 * account holder's active call. A call with no caller in its room (or no room LiveKit can list)
 * since `graceMs` ago is ended as `caller_left`, with its end at the moment it was first seen
 * without a caller, so its duration (the usage figures, the quota) stops there. A caller who is
 * back in time (their SDK's own re-join, the web client's rejoin) clears the mark. While LiveKit's
 * API does not answer at all nothing is decided. Guests' calls live only in Redis and expire with
 * their record (6 h); they have no quota to count against.
 */
export interface AbandonedCallsOptions {
  /** How long a live call may have no caller in its room before it is ended. */
  graceMs: number;
  /** How often one gateway looks (the check runs on one gateway per round). */
  intervalMs: number;
  /** Calls looked at per round, longest-running first. */
  batch?: number;
}

const KEY = (id: string) => `callergone:${id}`;
const ROUND_LOCK = 'callergone:round';
const MARK_TTL_MS = 6 * 3_600_000;

export class AbandonedCalls {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private ctx: AppContext,
    private directory: CallDirectory,
    private options: AbandonedCallsOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round (never two at once on this gateway); resolves with how many calls it ended. */
  runOnce(now = new Date()): Promise<number> {
    this.running ??= this.#round(now)
      .catch((err: Error) => {
        this.ctx.logger.warn({ errName: err.name }, 'check for calls without a caller failed');
        return 0;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async #round(now: Date): Promise<number> {
    // One gateway per round (the lock outlives the round a little, so rounds do not overlap).
    if (!(await this.ctx.kv.setIfAbsent(ROUND_LOCK, String(process.pid), this.options.intervalMs * 0.8))) return 0;
    // LiveKit's API not answering at all says nothing about the callers: decide nothing.
    try {
      await this.ctx.livekit.rooms.listRooms([ROUND_LOCK]);
    } catch {
      return 0;
    }
    let ended = 0;
    for (const row of await this.ctx.repos.conversations.listActive(this.options.batch ?? 500)) {
      const call = await this.directory.find(row.id);
      if (!call || call.status !== 'active') continue;
      if (await this.#callerIn(call.room)) {
        await this.ctx.kv.del(KEY(call.id));
        continue;
      }
      await this.ctx.kv.setIfAbsent(KEY(call.id), now.toISOString(), MARK_TTL_MS);
      const since = new Date((await this.ctx.kv.get(KEY(call.id))) ?? now.toISOString());
      if (now.getTime() - since.getTime() < this.options.graceMs) continue;
      if (await this.#end(call, since)) ended++;
      await this.ctx.kv.del(KEY(call.id));
    }
    return ended;
  }

  /** A caller (anyone but an agent) in the room; a room LiveKit cannot list has none. */
  async #callerIn(room: string): Promise<boolean> {
    try {
      const participants = await this.ctx.livekit.rooms.listParticipants(room);
      return participants.some((p) => !isAgentParticipant(p));
    } catch {
      return false;
    }
  }

  async #end(call: CallRef, at: Date): Promise<boolean> {
    if ((await this.directory.markEnded(call, at, 'caller_left')) !== 'caller_left') return false;
    await publishTranscript(this.ctx.bus, serverMessage('call_ended', call.id, { reason: 'caller_left' }));
    afterCallEnded(this.ctx, call);
    this.ctx.logger.info(
      { conversationId: call.id, callerGoneSince: at.toISOString() },
      'call ended: no caller in its room for the grace period',
    );
    return true;
  }
}

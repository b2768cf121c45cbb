import { isStaleAgent, roomDispatches, serverMessage } from '@parley/protocol';
import type { ParticipantInfo } from 'livekit-server-sdk';
import type { AppContext } from '../context';
import { publishTranscript } from '../transcripts/channel';
import type { CallDirectory, CallRef } from './directory';
import { afterCallEnded } from './lifecycle';

/**
 * Agent recovery: self-hosted LiveKit never re-dispatches an agent whose job or worker died, so
 * the gateway does. Two signals say an agent was lost while its call is live:
 *   - LiveKit's `participant_left` webhook for the agent while a caller is still in the room
 *     (a job that left without ending the call: orphaned by a dead worker, lost its server);
 *   - a worker heartbeat that no longer lists a job it listed before (the job process died; the
 *     worker knows at once, LiveKit only after its participant times out).
 * Either one calls `agentLost`; a Redis lock per lost agent makes the first signal (on any
 * gateway) the only one to act on that loss. The new job is dispatched into the same room with the call's original metadata,
 * reads the stored utterances (POST /internal/conversations/:id/history), apologises in the
 * caller's language and carries on under the same conversation id (agent/src/history.ts).
 *
 * One agent per room: the lost agent's participant (still listed until LiveKit times it out) is
 * removed before the dispatch, a job that finds another agent already serving leaves at once,
 * and `enforceSingleAgent` (on `participant_joined`) removes any later-joined second agent.
 */

/** Recoveries per call before the gateway gives up and ends it with agent_failed. */
export const MAX_RECOVERIES = 3;
/** How long a handled loss is remembered (the second signal for the same lost agent is ignored). */
const LOCK_MS = 60_000;
const COUNT_TTL_MS = 6 * 3_600_000;
/** The call's recovery in progress: DISPATCHING, then the id of the dispatch made, until its agent joins. */
const pendingKey = (callId: string) => `agentrecovery:${callId}:pending`;
const DISPATCHING = 'dispatching';

/**
 * A caller joining the room of a call that has started (a rejoin, or the SDK's re-join of a room
 * rebuilt on another node) should find an agent there within this long; otherwise one is dispatched.
 */
export const AGENT_EXPECTED_MS = 10_000;

/** ParticipantInfo.Kind.AGENT in @livekit/protocol. */
const AGENT_KIND = 4;

/** agents-js joins as `agent-<job id>` unless the worker picks another identity; the kind says it too. */
export function isAgentParticipant(p: { identity: string; kind?: number }): boolean {
  return p.kind === AGENT_KIND || p.identity.startsWith('agent-');
}

export type RecoveryOutcome = 'redispatched' | 'not_needed' | 'in_progress' | 'exhausted';

export class AgentRecovery {
  constructor(
    private ctx: AppContext,
    private directory: CallDirectory,
  ) {}

  /**
   * The agent `lostIdentity` of `room` is gone (or going). Dispatches a new one when the call is
   * live, a caller is still there and no other agent serves the room. 'exhausted': the call had
   * been recovered MAX_RECOVERIES times already and is now ended with agent_failed.
   */
  async agentLost(room: string, lostIdentity: string | null, signal: string): Promise<RecoveryOutcome> {
    const call = await this.directory.findByRoom(room);
    if (!call || call.status === 'ended') return 'not_needed';
    let participants: ParticipantInfo[];
    try {
      participants = await this.ctx.livekit.rooms.listParticipants(room);
    } catch {
      return 'not_needed'; // the room is gone: a caller who rejoins recreates it with its dispatch
    }
    if (!participants.some((p) => !isAgentParticipant(p))) return 'not_needed';
    if (participants.some((p) => isAgentParticipant(p) && p.identity !== lostIdentity)) return 'not_needed';
    // Both signals name the lost agent: the first one (on any gateway) handles that loss.
    const lock = `agentrecovery:${call.id}:${lostIdentity ?? 'unknown'}`;
    if (!(await this.ctx.kv.setIfAbsent(lock, signal, LOCK_MS))) return 'in_progress';
    // One recovery at a time per call: two agents gone at once (a lost one and the one that was
    // replacing it, say) are one loss, answered by one dispatch; each used to count and dispatch.
    if (!(await this.#claimRecovery(call.id, room, lostIdentity))) return 'in_progress';

    try {
      return await this.#redispatch(call, room, lostIdentity, participants, signal);
    } catch (err) {
      // Nothing is on its way: the next signal, or LiveKit's retry of this webhook (the route answers
      // 503), tries again.
      await Promise.all([this.ctx.kv.del(pendingKey(call.id)), this.ctx.kv.del(lock)]);
      throw err;
    }
  }

  /** A claimed recovery: the call given up after MAX_RECOVERIES, else the lost agent removed, the call dispatched again and counted. */
  async #redispatch(
    call: CallRef,
    room: string,
    lostIdentity: string | null,
    participants: ParticipantInfo[],
    signal: string,
  ): Promise<RecoveryOutcome> {
    const count = Number((await this.ctx.kv.get(`agentrecoveries:${call.id}`)) ?? 0);
    if (count >= MAX_RECOVERIES) {
      await this.#giveUp(call);
      return 'exhausted';
    }

    if (lostIdentity && participants.some((p) => p.identity === lostIdentity))
      await this.ctx.livekit.rooms.removeParticipant(room, lostIdentity).catch(() => undefined);
    await publishTranscript(this.ctx.bus, serverMessage('agent_reconnecting', call.id, {}));
    const metadata = await this.directory.dispatchMetadata(call);
    const dispatch = await this.ctx.livekit.dispatch.createDispatch(room, this.ctx.config.livekit.agentName, {
      metadata: JSON.stringify(metadata),
    });
    await this.ctx.kv.set(pendingKey(call.id), dispatch.id, LOCK_MS);
    // Counted once dispatched: an attempt that failed (and is tried again) is not a recovery.
    await this.ctx.kv.set(`agentrecoveries:${call.id}`, String(count + 1), COUNT_TTL_MS);
    this.ctx.logger.info({ conversationId: call.id, signal, attempt: count + 1 }, 'agent lost mid-call; re-dispatched');
    return 'redispatched';
  }

  /**
   * A caller joined `room`: if its call had started and, `afterMs` later, a caller is there with no
   * agent, dispatch one. LiveKit runs a room's dispatch once, when the room is created: a room
   * recreated by a caller's rejoin while no worker was registered (the workers re-register a few
   * seconds after LiveKit comes back) never got its agent, and the caller waited in silence.
   */
  expectAgent(room: string, afterMs = AGENT_EXPECTED_MS): void {
    setTimeout(() => {
      void (async () => {
        const call = await this.directory.findByRoom(room);
        // A call that has not started yet is still waiting for its first dispatch.
        if (call?.status !== 'active') return;
        const outcome = await this.agentLost(room, null, 'no_agent_after_join');
        if (outcome === 'redispatched')
          this.ctx.logger.warn({ conversationId: call.id }, 'caller in the room without an agent; agent dispatched');
      })().catch((err: Error) => this.ctx.logger.warn({ errName: err.name }, 'agent check after a join failed'));
    }, afterMs).unref();
  }

  /**
   * At most one agent in a room: when a second agent joins (an old job reconnecting after a new
   * one was dispatched, or LiveKit relaunching a room's stored dispatch after a node failure while
   * ours is already there), one stays. A stale agent (its dispatch or its job none of the room's
   * current ones: protocol/src/single-agent.ts) goes first: after a LiveKit node died, the lost
   * agent's re-join is what makes the live node rebuild the room and run its dispatch again, so it
   * joins *before* the agent of that re-run dispatch, whose job holds the call now (keeping the
   * earlier one removed the new agent while the old one was leaving as superseded, and the caller
   * was left with none). Among current agents (or when nothing says which is stale) the one that
   * joined first stays.
   */
  async enforceSingleAgent(room: string): Promise<void> {
    const participants = await this.ctx.livekit.rooms.listParticipants(room).catch(() => []);
    const agents = participants.filter((p) => isAgentParticipant(p));
    if (agents.length < 2) return;
    const current = roomDispatches(await this.ctx.livekit.dispatch.listDispatch(room).catch(() => []));
    const stale = (p: ParticipantInfo) => (isStaleAgent(p, current) ? 1 : 0);
    agents.sort(
      (a, b) => stale(a) - stale(b) || Number(a.joinedAt - b.joinedAt) || a.identity.localeCompare(b.identity),
    );
    for (const extra of agents.slice(1)) {
      await this.ctx.livekit.rooms.removeParticipant(room, extra.identity).catch(() => undefined);
      this.ctx.logger.warn(
        { room, kept: agents[0]!.identity, removed: extra.identity, staleDispatch: stale(extra) === 1 },
        'second agent in a room removed',
      );
    }
  }

  /**
   * Claims the call's recovery for the loss of `lostIdentity`: false while another recovery's
   * dispatch is on its way, unless the agent lost is that dispatch's own (a job that died while
   * joining). The claim ends when the dispatch's agent joins (`agentJoined`) or after LOCK_MS.
   */
  async #claimRecovery(callId: string, room: string, lostIdentity: string | null): Promise<boolean> {
    const key = pendingKey(callId);
    if (await this.ctx.kv.setIfAbsent(key, DISPATCHING, LOCK_MS)) return true;
    const pending = await this.ctx.kv.get(key);
    if (pending === null) return this.ctx.kv.setIfAbsent(key, DISPATCHING, LOCK_MS);
    if (pending === DISPATCHING || !lostIdentity) return false;
    const dispatches = await this.ctx.livekit.dispatch.listDispatch(room).catch(() => []);
    const own = roomDispatches(dispatches.filter((d) => d.id === pending));
    if (!own.identities.has(lostIdentity)) return false;
    await this.ctx.kv.set(key, DISPATCHING, LOCK_MS);
    return true;
  }

  /** An agent joined `room`: a recovery's dispatch has its agent, and a later loss is a new one. */
  async agentJoined(room: string): Promise<void> {
    const call = await this.directory.findByRoom(room);
    if (call) await this.ctx.kv.del(pendingKey(call.id));
    await this.enforceSingleAgent(room);
  }

  /** Ends the call for good with agent_failed (recovery exhausted), as the other ends do. */
  async #giveUp(call: CallRef): Promise<void> {
    if ((await this.directory.markEnded(call, new Date(), 'agent_failed')) !== 'agent_failed') return;
    await publishTranscript(this.ctx.bus, serverMessage('call_ended', call.id, { reason: 'agent_failed' }));
    afterCallEnded(this.ctx, call);
    this.ctx.logger.warn({ conversationId: call.id }, 'agent lost too often; call ended');
  }
}

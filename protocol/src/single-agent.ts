/**
 * One agent per room: which of two agents in a room keeps the call. The gateway applies it when a
 * second agent joins (AgentRecovery.enforceSingleAgent) and a new job applies it when it finds
 * another agent already there (agent/src/job.ts), so both ends make the same choice: a stale agent
 * (the lost agent of a room rebuilt on another LiveKit node, whose dispatch ran again) gives way to
 * one that is not; otherwise the later-joined one goes.
 *
 * An agent is stale when the dispatch its job came from is no longer one of the room's (its
 * DISPATCH_ID_ATTRIBUTE names another), or when the room's dispatches list jobs and its own is not
 * among them. The attribute is what decides right after a node loss: the rebuilt room's dispatch
 * may list no job yet for a while (the agent its re-run started has joined meanwhile), and with
 * nothing known both agents looked current, the earlier-joined lost one stayed and the new one was
 * removed while the lost one left as superseded.
 */

/** The participant attribute in which a Parley agent names the dispatch its job came from. */
export const DISPATCH_ID_ATTRIBUTE = 'parley.dispatch_id';

/** The shape of LiveKit's AgentDispatch that the rule reads (`AgentDispatchClient.listDispatch`). */
export interface DispatchJobs {
  id?: string;
  state?: { jobs?: Array<{ id: string; state?: { participantIdentity?: string } }> };
}

/** What the rule reads of an agent participant (LiveKit's ParticipantInfo or rtc-node's participant). */
export interface AgentInRoom {
  identity: string;
  attributes?: Record<string, string>;
}

/** What the rule reads of the room's dispatches: their ids and their jobs' participant identities. */
export interface RoomDispatches {
  ids: Set<string>;
  identities: Set<string>;
}

/** The room's dispatches as the rule reads them (agents-js joins as `agent-<job id>`). */
export function roomDispatches(dispatches: DispatchJobs[]): RoomDispatches {
  return {
    ids: new Set(dispatches.map((d) => d.id).filter((x): x is string => !!x)),
    identities: new Set(
      dispatches.flatMap((d) =>
        (d.state?.jobs ?? [])
          .flatMap((j) => [j.state?.participantIdentity, `agent-${j.id}`])
          .filter((x): x is string => !!x),
      ),
    ),
  };
}

/** Whether `agent` belongs to none of the room's current dispatches (false when nothing says so). */
export function isStaleAgent(agent: AgentInRoom, room: RoomDispatches): boolean {
  const dispatchId = agent.attributes?.[DISPATCH_ID_ATTRIBUTE];
  if (dispatchId && room.ids.size > 0 && !room.ids.has(dispatchId)) return true;
  return room.identities.size > 0 && !room.identities.has(agent.identity);
}

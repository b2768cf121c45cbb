/**
 * One agent per room: which of two agents in a room keeps the call. The gateway applies it when a
 * second agent joins (AgentRecovery.enforceSingleAgent) and a new job applies it when it finds
 * another agent already there (agent/src/job.ts), so both ends make the same choice: an agent whose
 * job belongs to none of the room's current dispatches (the lost agent of a room rebuilt on another
 * LiveKit node, whose dispatch ran again) gives way to one whose job does; otherwise the
 * later-joined one goes.
 */

/** The shape of LiveKit's AgentDispatch that the rule reads (`AgentDispatchClient.listDispatch`). */
export interface DispatchJobs {
  state?: { jobs?: Array<{ id: string; state?: { participantIdentity?: string } }> };
}

/** The participant identities of the jobs of `dispatches` (agents-js joins as `agent-<job id>`). */
export function dispatchedAgentIdentities(dispatches: DispatchJobs[]): Set<string> {
  return new Set(
    dispatches.flatMap((d) =>
      (d.state?.jobs ?? [])
        .flatMap((j) => [j.state?.participantIdentity, `agent-${j.id}`])
        .filter((x): x is string => !!x),
    ),
  );
}

/** Whether `identity` is an agent of no current dispatch (unknown when no dispatch lists any job). */
export function isStaleAgent(identity: string, current: Set<string>): boolean {
  return current.size > 0 && !current.has(identity);
}

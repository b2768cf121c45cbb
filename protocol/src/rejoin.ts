/**
 * How long a caller's media with its agent may stay unconnected while both are in the room: the
 * agent's audio published but not reaching the caller, or, while the agent's audio is there, the
 * caller's microphone not taken by anyone (LiveKit reports a subscription to its publisher).
 * Longer means the caller's session is half set up (seen after a LiveKit node died: the SDK's own
 * reconnection joined the room recreated on a live node, but its media never negotiated, and
 * LiveKit does not repair it): the client then joins again with a fresh token (POST
 * /api/calls/:id/rejoin), which replaces that session. The web client (web/src/call/useCall.ts)
 * and the test caller (testkit/src/caller.ts) both apply it, looking every second.
 */
export const CALL_MEDIA_BIND_MS = 8000;

/**
 * How long a client lets its SDK's own reconnection run before joining again itself. rtc-node gives
 * up within ~27 s when LiveKit does not answer (e2e/cluster/outage-rejoin.test.ts) and
 * livekit-client's default policy after ~43 s of retries, but once, after a LiveKit node died, the
 * test caller's rtc-node stayed reconnecting for over two minutes in a session that had the new
 * agent listed without its track (e2e/cluster/under-load.test.ts, 6 December 07:44). A rejoin is a
 * full reconnection with a fresh token, which is what the SDK's later attempts amount to anyway.
 */
export const CALL_RECONNECT_MAX_MS = 30_000;

/** What a client sees of its media with the agent at one look. */
export interface MediaSnapshot {
  /** The agents' audio tracks in the room, and whether each reaches the client. */
  agentAudio: Array<{ sid: string; subscribed: boolean }>;
  /**
   * The agents in the room with no audio track listed (an agent publishes its audio as it joins; a
   * session that never learns of it, or lists an agent LiveKit removed, stays silent).
   */
  agentsWithoutAudio: string[];
  /** The client's microphone track, if published now. */
  mic: string | undefined;
  /** Whether LiveKit reported the track subscribed by anyone. */
  micTaken(sid: string): boolean;
}

/**
 * The rule both clients apply once a second (each reads its own SDK into a MediaSnapshot): the
 * agent's audio published but not reaching the client, an agent in the room with no audio listed,
 * or, while the agent's audio is there, the client's
 * microphone (once published; missing later counts too) not subscribed by anyone, for
 * CALL_MEDIA_BIND_MS; and `reconnecting()` instead while the SDK reconnects, which gives up on a
 * reconnection that lasts CALL_RECONNECT_MAX_MS.
 */
export class MediaWatch {
  #since = new Map<string, number>(); // what is unconnected (a track sid) → since when
  #hadMic = false;
  #reconnectingSince: number | null = null;

  /**
   * The SDK's own reconnection is under way (its media is not looked at meanwhile): true once it has
   * gone on for CALL_RECONNECT_MAX_MS without the SDK ending it.
   */
  reconnecting(now = Date.now()): boolean {
    this.#since.clear();
    this.#reconnectingSince ??= now;
    return now - this.#reconnectingSince >= CALL_RECONNECT_MAX_MS;
  }

  /** True once something has stayed unconnected for CALL_MEDIA_BIND_MS (the SDK connected). */
  broken(s: MediaSnapshot, now = Date.now()): boolean {
    this.#reconnectingSince = null;
    const unconnected = [
      ...s.agentAudio.filter((t) => !t.subscribed).map((t) => t.sid),
      ...s.agentsWithoutAudio.map((identity) => `no audio from ${identity}`),
    ];
    this.#hadMic ||= s.mic !== undefined;
    if (s.agentAudio.length > 0 && this.#hadMic && !(s.mic && s.micTaken(s.mic)))
      unconnected.push(s.mic ?? 'microphone');
    for (const sid of this.#since.keys()) if (!unconnected.includes(sid)) this.#since.delete(sid);
    for (const sid of unconnected) {
      if (!this.#since.has(sid)) this.#since.set(sid, now);
      if (now - this.#since.get(sid)! >= CALL_MEDIA_BIND_MS) return true;
    }
    return false;
  }
}

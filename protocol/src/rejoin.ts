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

/**
 * How long an agent's audio may stay published in a caller's room without reaching the caller.
 * Longer means the caller's session is half set up (seen after a LiveKit node died: the SDK's own
 * reconnection joined the room recreated on a live node, but its media never negotiated, and
 * LiveKit does not repair it): the client then joins again with a fresh token (POST
 * /api/calls/:id/rejoin), which replaces that session. The web client (web/src/call/useCall.ts)
 * and the test caller (testkit/src/caller.ts) both apply it.
 */
export const AGENT_AUDIO_BIND_MS = 8000;

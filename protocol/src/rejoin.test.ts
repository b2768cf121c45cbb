import { describe, expect, it } from 'vitest';
import { CALL_MEDIA_BIND_MS, CALL_RECONNECT_MAX_MS, MediaWatch, type MediaSnapshot } from './rejoin';

const snap = (over: Partial<MediaSnapshot> = {}): MediaSnapshot => ({
  agentAudio: [{ sid: 'TR_agent', subscribed: true }],
  agentsWithoutAudio: [],
  mic: 'TR_mic',
  micTaken: () => true,
  ...over,
});

describe('MediaWatch', () => {
  it('gives a session up once the agent audio has stayed unsubscribed for CALL_MEDIA_BIND_MS', () => {
    const w = new MediaWatch();
    const unbound = snap({ agentAudio: [{ sid: 'TR_agent', subscribed: false }] });
    expect(w.broken(unbound, 0)).toBe(false);
    expect(w.broken(unbound, CALL_MEDIA_BIND_MS - 1)).toBe(false);
    expect(w.broken(unbound, CALL_MEDIA_BIND_MS)).toBe(true);
  });

  it('counts a microphone once published and then missing, but not one never published', () => {
    const never = new MediaWatch();
    expect(never.broken(snap({ mic: undefined }), 0)).toBe(false);
    expect(never.broken(snap({ mic: undefined }), CALL_MEDIA_BIND_MS * 2)).toBe(false);
    const gone = new MediaWatch();
    expect(gone.broken(snap(), 0)).toBe(false);
    expect(gone.broken(snap({ mic: undefined }), 1000)).toBe(false);
    expect(gone.broken(snap({ mic: undefined }), 1000 + CALL_MEDIA_BIND_MS)).toBe(true);
  });

  it('starts the media clock again after a reconnection', () => {
    const w = new MediaWatch();
    const unbound = snap({ agentAudio: [{ sid: 'TR_agent', subscribed: false }] });
    expect(w.broken(unbound, 0)).toBe(false);
    expect(w.reconnecting(5000)).toBe(false);
    expect(w.broken(unbound, 6000)).toBe(false);
    expect(w.broken(unbound, 6000 + CALL_MEDIA_BIND_MS - 1)).toBe(false);
    expect(w.broken(unbound, 6000 + CALL_MEDIA_BIND_MS)).toBe(true);
  });

  it('gives up a reconnection of the SDK that has not ended within CALL_RECONNECT_MAX_MS', () => {
    const w = new MediaWatch();
    expect(w.reconnecting(1000)).toBe(false);
    expect(w.reconnecting(1000 + CALL_RECONNECT_MAX_MS - 1)).toBe(false);
    expect(w.reconnecting(1000 + CALL_RECONNECT_MAX_MS)).toBe(true);
  });

  it('times each reconnection on its own: one that ended does not count towards the next', () => {
    const w = new MediaWatch();
    expect(w.reconnecting(0)).toBe(false);
    expect(w.broken(snap(), CALL_RECONNECT_MAX_MS - 1000)).toBe(false); // connected again
    expect(w.reconnecting(CALL_RECONNECT_MAX_MS)).toBe(false);
    expect(w.reconnecting(CALL_RECONNECT_MAX_MS * 2 - 1)).toBe(false);
    expect(w.reconnecting(CALL_RECONNECT_MAX_MS * 2)).toBe(true);
  });

  it('gives a session up once an agent in it has had no audio listed for CALL_MEDIA_BIND_MS', () => {
    const w = new MediaWatch();
    const silent = snap({ agentAudio: [], agentsWithoutAudio: ['agent-AJ_new'] });
    expect(w.broken(silent, 0)).toBe(false);
    expect(w.broken(silent, CALL_MEDIA_BIND_MS - 1)).toBe(false);
    expect(w.broken(silent, CALL_MEDIA_BIND_MS)).toBe(true);
    // Its audio listed in time: no fault.
    const ok = new MediaWatch();
    expect(ok.broken(silent, 0)).toBe(false);
    expect(ok.broken(snap(), 2000)).toBe(false);
    expect(ok.broken(snap(), CALL_MEDIA_BIND_MS * 2)).toBe(false);
  });
});

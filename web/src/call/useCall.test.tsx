import { act, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as LivekitClient from 'livekit-client';
import { ApiError } from '../api/client';
import { CALL_MEDIA_BIND_MS, CALL_RECONNECT_MAX_MS } from '@parley/protocol';
import { useCall } from './useCall';

// livekit-client's Room, replaced by one the test drives: it records what the hook joined with and
// lets the test drop the connection with a given DisconnectReason.
const lk = vi.hoisted(() => {
  const rooms: FakeRoom[] = [];
  class FakeRoom {
    handlers = new Map<string, Array<(...a: unknown[]) => void>>();
    joined: { url: string; token: string } | null = null;
    published = 0;
    disconnected = false;
    /** livekit-client's ConnectionState value. */
    state = 'connected';
    remoteParticipants = new Map<string, FakeAgent>();
    localParticipant = {
      publishTrack: async () => void this.published++,
      getTrackPublication: () => (this.published ? { trackSid: `TR_mic${this.published}` } : undefined),
    };
    constructor() {
      rooms.push(this);
    }
    on(event: string, fn: (...a: unknown[]) => void) {
      this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
      return this;
    }
    emit(event: string, ...args: unknown[]) {
      for (const fn of this.handlers.get(event) ?? []) fn(...args);
    }
    async connect(url: string, token: string) {
      this.joined = { url, token };
    }
    async disconnect() {
      this.disconnected = true;
      this.emit('disconnected', 1);
    }
    /**
     * An agent with its audio published is in the room (as a session learns it with its join, no
     * event); `subscribed`: the track reaches the page.
     */
    /** LiveKit tells the page its microphone has a subscriber (the agent took it). */
    micTaken() {
      this.emit('localTrackSubscribed', { trackSid: `TR_mic${this.published}` });
    }
    /** An agent in the room with no track listed (a session that never learned of its audio). */
    agentWithoutAudio() {
      this.remoteParticipants.set('agent-1', { identity: 'agent-1', isAgent: true, trackPublications: new Map() });
    }
    agentPublishes(subscribed: boolean, trackSid: string) {
      const pub = { kind: 'audio', trackSid, track: subscribed ? {} : undefined };
      const agent: FakeAgent = { identity: 'agent-1', isAgent: true, trackPublications: new Map([[trackSid, pub]]) };
      this.remoteParticipants.set(agent.identity, agent);
    }
  }
  interface FakeAgent {
    identity: string;
    isAgent: boolean;
    trackPublications: Map<string, { kind: string; trackSid: string; track: object | undefined }>;
  }
  return { rooms, FakeRoom };
});

vi.mock('livekit-client', async (importOriginal) => ({
  ...(await importOriginal<typeof LivekitClient>()),
  Room: lk.FakeRoom,
  createLocalAudioTrack: async () => ({ stop: () => undefined }),
}));

const api = vi.hoisted(() => ({ startCall: vi.fn(), rejoinCall: vi.fn() }));
vi.mock('../api/calls', () => api);

const CONV = '3f1f6c1e-8d7a-4e59-9d2b-1a2b3c4d5e6f';
const grant = (token: string) => ({ url: 'ws://lk', token, room: 'parley-room', conversationId: CONV });

function Probe() {
  const call = useCall();
  return (
    <div>
      <button onClick={() => void call.start()}>start</button>
      <p data-testid="phase">{call.phase}</p>
      <p data-testid="token">{call.grant?.token}</p>
      <p data-testid="problem">{call.problem?.title ?? ''}</p>
    </div>
  );
}

async function startLive() {
  render(<Probe />);
  await act(async () => screen.getByText('start').click());
  await waitFor(() => expect(screen.getByTestId('phase').textContent).toBe('live'));
}

describe('useCall when the LiveKit node is lost', () => {
  beforeEach(() => {
    lk.rooms.length = 0;
    api.startCall.mockReset().mockResolvedValue(grant('first-token'));
    api.rejoinCall.mockReset();
  });

  it('rejoins the same conversation with a fresh token from POST /api/calls/:id/rejoin', async () => {
    api.rejoinCall.mockResolvedValue(grant('fresh-token'));
    await startLive();
    await act(async () => lk.rooms[0]!.emit('disconnected', 7 /* JOIN_FAILURE */));
    await waitFor(() => expect(lk.rooms[1]?.joined?.token).toBe('fresh-token'));
    expect(api.rejoinCall).toHaveBeenCalledWith(CONV);
    expect(lk.rooms[1]!.published).toBe(1); // the microphone again
    expect(screen.getByTestId('phase').textContent).toBe('live');
    expect(screen.getByTestId('token').textContent).toBe('fresh-token');
    expect(screen.getByTestId('problem').textContent).toBe('');
  });

  it('gives up with a message when the call has ended meanwhile (409 call_ended)', async () => {
    api.rejoinCall.mockRejectedValue(new ApiError(409, 'call_ended', 'This call has ended.'));
    await startLive();
    await act(async () => lk.rooms[0]!.emit('disconnected', 9 /* SIGNAL_CLOSE */));
    await waitFor(() => expect(screen.getByTestId('phase').textContent).toBe('ended'));
    expect(api.rejoinCall).toHaveBeenCalledTimes(1);
    expect(lk.rooms).toHaveLength(1);
    expect(screen.getByTestId('problem').textContent).toBe('The call was disconnected');
  });

  it('does not rejoin a room the server closed', async () => {
    await startLive();
    await act(async () => lk.rooms[0]!.emit('disconnected', 5 /* ROOM_DELETED */));
    await waitFor(() => expect(screen.getByTestId('phase').textContent).toBe('ended'));
    expect(api.rejoinCall).not.toHaveBeenCalled();
  });

  it('hangs up when the page really goes away (pagehide), not on beforeunload (the caller may still stay)', async () => {
    await startLive();
    await act(async () => void window.dispatchEvent(new Event('beforeunload', { cancelable: true })));
    expect(screen.getByTestId('phase').textContent).toBe('live');
    await act(async () => void window.dispatchEvent(new Event('pagehide')));
    await waitFor(() => expect(screen.getByTestId('phase').textContent).toBe('ended'));
    expect(screen.getByTestId('problem').textContent).toBe(''); // leaving is not a problem
    expect(api.rejoinCall).not.toHaveBeenCalled();
  });

  /** Fake timers (moving with real time too) from the start: the page's check runs on an interval set when it joins. */
  async function startLiveWithFakeTimers() {
    vi.useFakeTimers({
      shouldAdvanceTime: true,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    await startLive();
  }
  const advance = (ms: number) => act(async () => void vi.advanceTimersByTime(ms));

  /** The page joined again: a fresh token, the microphone published again, the half set-up session closed. */
  async function expectJoinedAgain() {
    await waitFor(() => expect(lk.rooms[1]?.joined?.token).toBe('fresh-token'));
    expect(api.rejoinCall).toHaveBeenCalledTimes(1);
    expect(lk.rooms[1]!.published).toBe(1);
    await waitFor(() => expect(lk.rooms[0]!.disconnected).toBe(true));
    expect(screen.getByTestId('phase').textContent).toBe('live');
    expect(screen.getByTestId('token').textContent).toBe('fresh-token');
    expect(screen.getByTestId('problem').textContent).toBe('');
  }

  /**
   * A live call, fake timers, `scenario` (which leaves the page's session broken from its last step
   * on), then the watch's clock: no rejoin 1 s before `limitMs` passes, one after.
   */
  async function joinsAgainAfter(limitMs: number, scenario: () => Promise<void>) {
    api.rejoinCall.mockResolvedValue(grant('fresh-token'));
    try {
      await startLiveWithFakeTimers();
      await scenario();
      await advance(limitMs - 1000);
      expect(api.rejoinCall).not.toHaveBeenCalled();
      await advance(2000);
    } finally {
      vi.useRealTimers();
    }
    await expectJoinedAgain();
  }

  it('joins again when an agent’s audio is published but never reaches the page (a half set-up session)', () =>
    joinsAgainAfter(CALL_MEDIA_BIND_MS, async () => {
      // Both ways connected: nothing happens, however long the call goes on.
      await act(async () => lk.rooms[0]!.agentPublishes(true, 'TR_heard'));
      await act(async () => lk.rooms[0]!.micTaken());
      await advance(CALL_MEDIA_BIND_MS * 2);
      expect(api.rejoinCall).not.toHaveBeenCalled();
      // The agent's audio published and never subscribed: once CALL_MEDIA_BIND_MS has passed, not before.
      lk.rooms[0]!.remoteParticipants.clear();
      await act(async () => lk.rooms[0]!.agentPublishes(false, 'TR_unheard'));
    }));

  it('joins again when the agent’s audio arrives but the page’s microphone is never taken', () =>
    joinsAgainAfter(CALL_MEDIA_BIND_MS, async () => {
      // No agent yet: a microphone nobody takes is no fault.
      await advance(CALL_MEDIA_BIND_MS * 2);
      expect(api.rejoinCall).not.toHaveBeenCalled();
      // The agent's audio reaches the page; LiveKit never reports the microphone subscribed.
      await act(async () => lk.rooms[0]!.agentPublishes(true, 'TR_heard'));
    }));

  it('joins again when LiveKit’s own reconnection has not ended within CALL_RECONNECT_MAX_MS', () =>
    joinsAgainAfter(CALL_RECONNECT_MAX_MS, async () => {
      await act(async () => lk.rooms[0]!.agentPublishes(true, 'TR_heard'));
      await act(async () => lk.rooms[0]!.micTaken());
      // A reconnection that ends in time is LiveKit's to finish.
      lk.rooms[0]!.state = 'reconnecting';
      await advance(CALL_RECONNECT_MAX_MS - 2000);
      lk.rooms[0]!.state = 'connected';
      await advance(3000);
      expect(api.rejoinCall).not.toHaveBeenCalled();
      // One that does not is given up: the page joins again (and closes the stuck session).
      lk.rooms[0]!.state = 'reconnecting';
    }));

  it('joins again when an agent in the room has had no audio listed for CALL_MEDIA_BIND_MS', () =>
    joinsAgainAfter(CALL_MEDIA_BIND_MS, async () => {
      await act(async () => lk.rooms[0]!.agentWithoutAudio());
    }));
});

// A scripted caller for end-to-end tests and benchmarks: starts a call through the gateway like
// the web client does, joins the room with @livekit/rtc-node, publishes a microphone fed from
// PCM, and records the agent's audio as it arrives (per-frame arrival time and level).
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  ConnectionState,
  LocalAudioTrack,
  RoomEvent,
  TrackPublishOptions,
  TrackKind,
  TrackSource,
  type RemoteParticipant,
  type RemoteTrack,
  type Room,
} from '@livekit/rtc-node';
import { createRequire } from 'node:module';
import { MediaWatch } from '@parley/protocol';
import type { TestClient } from './http-client';
import { VOICED_SAMPLE, voicedSpan } from './speech';
import { connectParticipant, waitForRemoteAudioTrack } from './livekit';

export interface CallCreated {
  url: string;
  token: string;
  room: string;
  conversationId: string;
}

/** RMS (fraction of full scale) above which a 10 ms frame of agent audio counts as voiced. */
export const VOICED_RMS = 0.01;

export interface AgentAudioFrame {
  /** Arrival time (Date.now()) at the caller. */
  at: number;
  rms: number;
}

/** The agent's audio as heard by the caller. */
export class AgentAudio {
  readonly frames: AgentAudioFrame[] = [];
  #stream: AudioStream;
  #waiters: Array<() => void> = [];
  readonly done: Promise<void>;

  /** The remote track this listens to (a reconnected agent publishes a new one). */
  readonly trackSid: string | undefined;

  constructor(track: RemoteTrack) {
    this.trackSid = track.sid;
    const stream = new AudioStream(track, { sampleRate: 48000, numChannels: 1 });
    this.#stream = stream;
    this.done = (async () => {
      for await (const frame of stream) {
        let sum = 0;
        for (const s of frame.data) sum += s * s;
        this.frames.push({ at: Date.now(), rms: Math.sqrt(sum / Math.max(1, frame.data.length)) / 32768 });
        for (const w of this.#waiters.splice(0)) w();
      }
    })().catch(() => undefined);
  }

  voiced(since = 0): AgentAudioFrame[] {
    return this.frames.filter((f) => f.at >= since && f.rms >= VOICED_RMS);
  }

  /** Time of the first voiced frame at or after `since`. */
  async firstVoicedAfter(since: number, timeoutMs = 15_000): Promise<number> {
    return this.#until(() => this.voiced(since)[0]?.at, timeoutMs, 'voiced agent audio');
  }

  /** Resolves with the time of the last voiced frame once `quietMs` passed without any voiced frame. */
  async silentFor(quietMs: number, since = 0, timeoutMs = 20_000): Promise<number> {
    return this.#until(
      () => {
        const v = this.voiced(since);
        const last = v.at(-1)?.at ?? since;
        return Date.now() - last >= quietMs ? last : undefined;
      },
      timeoutMs,
      `${quietMs} ms of agent silence`,
    );
  }

  async #until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.#waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  close() {
    void this.#stream.cancel().catch(() => undefined);
  }
}

// rtc-node logs at debug level outside production (a line per transcription stream); keep test
// output readable unless LK_RTC_DEBUG is set. Its ESM entry re-exports the CJS build, so this is
// the same logger instance.
if (!process.env.LK_RTC_DEBUG) {
  try {
    const require = createRequire(import.meta.url);
    require(require.resolve('@livekit/rtc-node').replace(/index\.c?js$/, 'log.cjs')).log.level = 'info';
  } catch {
    /* layout changed: only noise */
  }
}

/** Milliseconds of (near) silence at the end of PCM16 audio: where speech really ends. */
export function trailingSilenceMs(pcm: Int16Array, sampleRate = 48000, threshold = VOICED_SAMPLE): number {
  return (pcm.length / sampleRate) * 1000 - (voicedSpan(pcm, sampleRate, threshold)?.endMs ?? 0);
}

const RATE = 48000;
const FRAME = RATE / 100;

/**
 * Audio queued in the microphone's source ahead of the frame being captured. rtc-node sends from
 * that queue on its own clock, so the caller's speech has no gap as long as this process's event
 * loop is never late by more than the queue: with 50 ms, a test process on a loaded 2-core machine
 * (Chromium beside it) ran the queue dry a few to 16 times per call, cutting holes into the speech
 * that PocketSphinx then misheard. 200 ms rides out such lags.
 */
const MIC_QUEUE_MS = 200;

/**
 * A microphone that, like a real one, never stops sending: silence when idle, queued speech
 * otherwise (VAD needs the silence after speech to see it end). Paced in real time by captureFrame.
 */
export class LiveMicrophone {
  /**
   * captureFrame returns once the frame is in the queue; the frame leaves when the audio ahead of
   * it has been sent (`queuedDuration` after that, less its own 10 ms). Each frame's send time is
   * reported as that instant, so timings measured from capture times are those of the audio on the
   * wire, not of the queue (with rtc-node's default 1000 ms queue and no such correction, a
   * never-idle microphone's times ran a full second ahead of what was sent).
   */
  readonly source = new AudioSource(RATE, 1, MIC_QUEUE_MS);
  #queue: Array<{ frame: Int16Array; onSent?: (at: number) => void }> = [];
  #stopped = false;
  /** Send time of the first and last frame of the latest `play`. */
  lastPlay: { startedAt: number; endedAt: number } | null = null;
  /** Frames of speech captured with the queue already empty (a gap in what was sent). */
  underruns = 0;

  async publish(room: Room) {
    const track = LocalAudioTrack.createAudioTrack('microphone', this.source);
    const options = new TrackPublishOptions();
    options.source = TrackSource.SOURCE_MICROPHONE;
    await room.localParticipant!.publishTrack(track, options);
    void this.#run();
  }

  async #run() {
    const silent = new Int16Array(FRAME);
    while (!this.#stopped) {
      const next = this.#queue.shift();
      if (next && this.source.queuedDuration === 0) this.underruns++;
      try {
        await this.source.captureFrame(new AudioFrame(next?.frame ?? silent, RATE, 1, FRAME));
      } catch {
        return; // room gone
      }
      const onSent = next?.onSent;
      if (!onSent) continue;
      const delay = Math.max(0, this.source.queuedDuration - 10);
      const sentAt = Date.now() + delay;
      if (delay < 1) onSent(sentAt);
      else setTimeout(() => onSent(sentAt), delay);
    }
  }

  /** Queues PCM16 mono 48 kHz; resolves when its last frame was sent. */
  play(pcm: Int16Array): Promise<{ startedAt: number; endedAt: number }> {
    return new Promise((resolve) => {
      let startedAt = 0;
      for (let i = 0; i < pcm.length; i += FRAME) {
        const frame = new Int16Array(FRAME);
        frame.set(pcm.subarray(i, Math.min(i + FRAME, pcm.length)));
        const first = i === 0;
        const last = i + FRAME >= pcm.length;
        this.#queue.push({
          frame,
          onSent:
            first || last
              ? (at) => {
                  if (first) startedAt = at;
                  if (last) {
                    this.lastPlay = { startedAt, endedAt: at };
                    resolve(this.lastPlay);
                  }
                }
              : undefined,
        });
      }
    });
  }

  stop() {
    this.#stopped = true;
  }
}

export interface Caller {
  call: CallCreated;
  /** The room the caller is in now (a new Room object after each rejoin). */
  room: Room;
  agentIdentity: string;
  agentAudio: AgentAudio;
  mic: LiveMicrophone;
  /** Plays PCM16 mono 48 kHz in real time (silence before and after); resolves once it is sent, with the send times of its first and last frame. */
  say(pcm: Int16Array): Promise<{ startedAt: number; endedAt: number }>;
  /** The agent's `lk.agent.state` attribute now. */
  agentState(): string | undefined;
  hangUp(): Promise<void>;
}

/** POST /api/calls as `client` (signed in or guest), join with the returned token, publish a mic. */
export async function startCall(client: TestClient, body: unknown = {}, joinTimeoutMs = 30_000): Promise<Caller> {
  const res = await client.post<CallCreated>('/api/calls', body);
  if (res.status !== 201) throw new Error(`POST /api/calls answered ${res.status}: ${res.text}`);
  return joinCall(res.body, joinTimeoutMs);
}

/** Joins `call.room`, publishes a live microphone and waits for the agent's audio. */
async function enterRoom(call: CallCreated, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  const room = await connectParticipant(call.url, call.token, timeoutMs);
  try {
    const mic = new LiveMicrophone();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      mic.publish(room),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`microphone not published within ${timeoutMs} ms`)),
          Math.max(0, deadline - Date.now()),
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const left = Math.max(1000, deadline - Date.now());
    const track = await waitForRemoteAudioTrack(room, (id) => id.startsWith('agent-'), left).catch((err) => {
      const present = [...room.remoteParticipants.keys()].join(', ') || 'nobody';
      throw new Error(
        `${(err as Error).message} from an agent within ${timeoutMs} ms in ${call.room} (present: ${present})`,
      );
    });
    const agent = [...room.remoteParticipants.values()].find(
      (p) => p.identity.startsWith('agent-') && p.trackPublications.size > 0,
    )!;
    return { room, mic, track, agentIdentity: agent.identity };
  } catch (err) {
    await room.disconnect();
    throw err;
  }
}

export async function joinCall(call: CallCreated, joinTimeoutMs = 30_000): Promise<Caller> {
  const entered = await enterRoom(call, joinTimeoutMs);
  const caller: Caller = {
    call,
    room: entered.room,
    agentIdentity: entered.agentIdentity,
    agentAudio: new AgentAudio(entered.track),
    mic: entered.mic,
    say: (pcm) => caller.mic.play(pcm),
    agentState: () => caller.room.remoteParticipants.get(caller.agentIdentity)?.attributes['lk.agent.state'],
    async hangUp() {
      hangingUp.add(caller);
      caller.mic.stop();
      caller.agentAudio.close();
      await caller.room.disconnect();
    },
  };
  return caller;
}

const hangingUp = new WeakSet<Caller>();

/**
 * Calls `onBroken` once when, for CALL_MEDIA_BIND_MS while the room was connected, an agent's audio
 * track in `room` has been published and not subscribed, or the agent's audio has been there and the
 * caller's microphone (once published) not subscribed by anyone ('media_unconnected'), or once the
 * SDK's own reconnection has gone on for CALL_RECONNECT_MAX_MS ('reconnect_timeout'); looked at
 * every second, as the web client does (web/src/call/useCall.ts).
 */
function watchMedia(
  room: Room,
  onBroken: (cause: 'media_unconnected' | 'reconnect_timeout', seen: string) => void,
): void {
  const taken = new Set<string>(); // local track sids LiveKit reported subscribed
  room.on(RoomEvent.LocalTrackSubscribed, (track) => void (track.sid && taken.add(track.sid)));
  // Subscriptions from before the watch began (the agent took the microphone while the caller joined).
  for (const pub of room.localParticipant?.trackPublications.values() ?? []) {
    const sid = pub.sid; // a republish later keeps the object (and its resolved promise) with a new sid
    if (sid) void pub.waitForSubscription().then(() => taken.add(sid));
  }
  const watch = new MediaWatch();
  const check = setInterval(() => {
    // rtc-node's own reconnection under way: it ends connected (look again) or disconnected (rejoin),
    // or, not ended within CALL_RECONNECT_MAX_MS, is given up (rejoin).
    if (room.connectionState !== ConnectionState.CONN_CONNECTED) {
      if (!watch.reconnecting()) return;
      clearInterval(check);
      return onBroken('reconnect_timeout', `connection state ${room.connectionState}`);
    }
    const agents = [...room.remoteParticipants.values()].filter((p) => p.identity.startsWith('agent-'));
    const agentsWithoutAudio = agents
      .filter((p) => ![...p.trackPublications.values()].some((pub) => pub.kind === TrackKind.KIND_AUDIO))
      .map((p) => p.identity);
    const agentAudio = agents
      .flatMap((p) => [...p.trackPublications.values()])
      .filter((pub) => pub.kind === TrackKind.KIND_AUDIO && pub.sid)
      .map((pub) => ({ sid: pub.sid!, subscribed: !!pub.track }));
    const mic = [...(room.localParticipant?.trackPublications.values() ?? [])].find(
      (pub) => pub.source === TrackSource.SOURCE_MICROPHONE,
    )?.sid;
    if (watch.broken({ agentAudio, agentsWithoutAudio, mic, micTaken: (sid) => taken.has(sid) })) {
      clearInterval(check);
      onBroken(
        'media_unconnected',
        JSON.stringify({ agentAudio, agentsWithoutAudio, mic, micTaken: mic ? taken.has(mic) : false }),
      );
    }
  }, 1000);
  room.on(RoomEvent.Disconnected, () => clearInterval(check));
}

export interface Rejoin {
  /**
   * 'disconnected': the room was lost; 'media_unconnected': the agent's audio or the caller's
   * microphone never connected (CALL_MEDIA_BIND_MS); 'reconnect_timeout': the SDK's own
   * reconnection did not end within CALL_RECONNECT_MAX_MS.
   */
  cause: 'disconnected' | 'media_unconnected' | 'reconnect_timeout';
  /** What the watch saw when it gave the session up (its media, or its connection state). */
  seen?: string;
  /** When the caller's room reported the disconnection, or the agent audio was given up on (Date.now()). */
  disconnectedAt: number;
  /** The disconnect reason rtc-node gave (DisconnectReason number), if any. */
  reason: number | undefined;
  /** When the caller was back in the room with the agent's audio subscribed; null while rejoining. */
  rejoinedAt: number | null;
  /** POST /api/calls/:id/rejoin answers, in order (201 once it worked; 409 if the call had ended). */
  statuses: number[];
  /** The room's new join, or the error that made the caller give up. */
  error?: string;
}

export interface RejoinTracker {
  rejoins: Rejoin[];
  /** Resolves with the `n`-th rejoin (1-based) once the caller is back in the room. */
  rejoined(n: number, timeoutMs?: number): Promise<Rejoin>;
  /** Stops rejoining (the caller hangs up for good). */
  stop(): void;
}

/**
 * What the web client does when its LiveKit node dies: when the room disconnects without the caller
 * hanging up, ask the gateway for a fresh token for the same conversation (POST
 * /api/calls/:id/rejoin) and join again (LiveKit recreates the room on a live node and the dispatch
 * runs again); retried with backoff while the room cannot be joined, given up on 409 (call ended).
 * Likewise when the media with the agent does not connect within CALL_MEDIA_BIND_MS (a half set-up
 * session, see watchMedia), or the SDK's own reconnection has not ended within
 * CALL_RECONNECT_MAX_MS: the new join, under the same identity, replaces it.
 * `caller.room`, `mic`, `agentAudio` and `agentIdentity` then refer to the new join.
 */
export function rejoinOnDisconnect(
  caller: Caller,
  client: TestClient,
  {
    attempts = 8,
    joinTimeoutMs = 30_000,
    watchMedia: watching = true,
  }: {
    attempts?: number;
    joinTimeoutMs?: number;
    /** false: rejoin only when the room disconnects, not when the media does not connect. */
    watchMedia?: boolean;
  } = {},
): RejoinTracker {
  const rejoins: Rejoin[] = [];
  const waiters: Array<() => void> = [];
  let stopped = false;
  let inFlight = false;
  const notify = () => {
    for (const w of waiters.splice(0)) w();
  };
  const watch = (room: Room) => {
    room.on(RoomEvent.Disconnected, (reason?: number) => {
      if (stopped || inFlight || hangingUp.has(caller) || caller.room !== room) return;
      void rejoin('disconnected', reason);
    });
    if (watching)
      watchMedia(room, (cause, seen) => {
        if (stopped || inFlight || hangingUp.has(caller) || caller.room !== room) return;
        void rejoin(cause, undefined, room, seen);
      });
  };
  const rejoin = async (cause: Rejoin['cause'], reason: number | undefined, stale?: Room, seen?: string) => {
    inFlight = true;
    const r: Rejoin = {
      cause,
      disconnectedAt: Date.now(),
      reason,
      rejoinedAt: null,
      statuses: [],
      ...(seen ? { seen } : {}),
    };
    rejoins.push(r);
    caller.mic.stop();
    caller.agentAudio.close();
    for (let attempt = 1; attempt <= attempts && !stopped; attempt++) {
      const res = await client.post<CallCreated>(`/api/calls/${caller.call.conversationId}/rejoin`, {});
      r.statuses.push(res.status);
      if (res.status === 409) {
        r.error = 'call ended';
        break;
      }
      if (res.status === 201) {
        try {
          const entered = await enterRoom(res.body, joinTimeoutMs);
          if (stopped) {
            await entered.room.disconnect();
            break;
          }
          caller.call = res.body;
          caller.room = entered.room;
          caller.mic = entered.mic;
          caller.agentAudio = new AgentAudio(entered.track);
          caller.agentIdentity = entered.agentIdentity;
          watch(entered.room);
          r.rejoinedAt = Date.now();
          break;
        } catch (err) {
          r.error = (err as Error).message;
        }
      }
      await new Promise((res) => setTimeout(res, Math.min(4000, 250 * 2 ** (attempt - 1))));
    }
    inFlight = false;
    // The half set-up or stuck session, if LiveKit has not closed it on the new join already (one
    // still reconnecting is closed too, or its SDK could come back and replace the new join).
    if (stale && caller.room !== stale && stale.connectionState !== ConnectionState.CONN_DISCONNECTED)
      await stale.disconnect().catch(() => undefined);
    notify();
  };
  watch(caller.room);
  return {
    rejoins,
    stop: () => {
      stopped = true;
    },
    async rejoined(n, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = rejoins[n - 1];
        if (r?.rejoinedAt) return r;
        if (r && !r.rejoinedAt && r.error && rejoins.length === n && !stopped && r.statuses.at(-1) === 409)
          throw new Error(`rejoin ${n} gave up: ${r.error}`);
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`rejoin ${n} not done within ${timeoutMs} ms (${JSON.stringify(rejoins[n - 1] ?? null)})`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 250));
          waiters.push(() => (clearTimeout(t), resolve()));
        });
      }
    },
  };
}

/**
 * Waits for a replacement agent (any agent identity other than the current one) to publish its
 * audio, then follows it: `agentIdentity`, `agentAudio` and `agentState` refer to the new agent.
 */
export async function followNewAgent(caller: Caller, timeoutMs = 60_000): Promise<string> {
  const previous = caller.agentIdentity;
  const deadline = Date.now() + timeoutMs;
  // Polled, not awaited on one room: a rejoin meanwhile puts the caller (and the agent) in a new one.
  for (;;) {
    for (const p of caller.room.remoteParticipants.values()) {
      if (!p.identity.startsWith('agent-') || p.identity === previous) continue;
      const pub = [...p.trackPublications.values()].find((x) => x.kind === TrackKind.KIND_AUDIO && x.track);
      if (!pub) continue;
      caller.agentAudio.close();
      caller.agentAudio = new AgentAudio(pub.track as RemoteTrack);
      caller.agentIdentity = p.identity;
      return p.identity;
    }
    if (Date.now() > deadline) throw new Error(`no new agent's audio within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The agents in the caller's room now, with their state and whether their audio is subscribed (for failure messages). */
export function agentsPresent(caller: Caller) {
  return [...caller.room.remoteParticipants.values()]
    .filter((p) => p.identity.startsWith('agent-'))
    .map((p) => ({
      identity: p.identity,
      state: p.attributes['lk.agent.state'],
      audio: [...p.trackPublications.values()].some((x) => x.kind === TrackKind.KIND_AUDIO && x.track),
    }));
}

/**
 * Waits until the caller's room (whichever room it is in now) holds exactly one agent whose audio
 * the caller receives, in `state`, and follows it: `agentIdentity`, `agentAudio` and `agentState`
 * refer to it. After a fault, the agent that serves the call is whichever the one-agent rule kept: a
 * caller hears the room, not one participant (the web client plays every agent's audio). Agents
 * without audio do not count: after rtc-node's own full reconnect its room can go on listing an
 * agent that LiveKit removed meanwhile, with no tracks (seen 6 December: the server removed it at
 * 05:53:38, the caller re-joined at 05:53:51 and still listed it two minutes later).
 */
export async function followServingAgent(caller: Caller, state: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const audioOf = (p: RemoteParticipant) =>
    [...p.trackPublications.values()].find((x) => x.kind === TrackKind.KIND_AUDIO && x.track);
  for (;;) {
    const heard = [...caller.room.remoteParticipants.values()].filter(
      (p) => p.identity.startsWith('agent-') && audioOf(p),
    );
    const only = heard.length === 1 ? heard[0]! : null;
    const pub = only ? audioOf(only) : undefined;
    if (only && pub && only.attributes['lk.agent.state'] === state) {
      if (caller.agentAudio.trackSid !== pub.track!.sid) {
        caller.agentAudio.close();
        caller.agentAudio = new AgentAudio(pub.track as RemoteTrack);
      }
      caller.agentIdentity = only.identity;
      return only.identity;
    }
    if (Date.now() > deadline)
      throw new Error(
        `no single ${state} agent heard within ${timeoutMs} ms (agents ${JSON.stringify(agentsPresent(caller))})`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What a browser does and a one-track AgentAudio does not: hears every agent's audio in whichever
 * room the caller is in now. A replacement agent (or a rejoin that lands beside a departing one) may
 * speak before a test has picked the track to follow; this recorder attaches to each agent audio
 * track within 50 ms of its subscription, across rejoins, and keeps every voiced frame's time.
 */
export function recordAgentVoice(caller: Caller) {
  // Keyed by the track object: a rejoin into the same room receives the same agent track (same sid)
  // as a new one.
  const streams = new Map<RemoteTrack, AgentAudio>();
  let stopped = false;
  const attach = () => {
    for (const p of caller.room.remoteParticipants.values()) {
      if (!p.identity.startsWith('agent-')) continue;
      for (const pub of p.trackPublications.values()) {
        const track = pub.track as RemoteTrack | undefined;
        if (pub.kind !== TrackKind.KIND_AUDIO || !track?.sid || streams.has(track)) continue;
        streams.set(track, new AgentAudio(track));
      }
    }
  };
  const timer = setInterval(() => {
    if (!stopped) attach();
  }, 50);
  attach();
  return {
    /** Time of the first voiced agent frame heard at or after `since`, from any agent track. */
    async firstVoicedAfter(since: number, timeoutMs = 60_000): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const first = [...streams.values()]
          .map((a) => a.voiced(since)[0]?.at)
          .filter((at): at is number => at !== undefined)
          .sort((x, y) => x - y)[0];
        if (first !== undefined) return first;
        if (Date.now() > deadline) {
          const heard = [...streams.entries()].map(([t, a]) => ({ sid: t.sid, frames: a.frames.length }));
          const present = [...caller.room.remoteParticipants.values()].map((p) => ({
            id: p.identity,
            tracks: [...p.trackPublications.values()].map((t) => `${t.sid}${t.track ? '' : ' (unsubscribed)'}`),
          }));
          throw new Error(
            `no voiced agent audio within ${timeoutMs} ms (heard ${JSON.stringify(heard)}; in the room now ${JSON.stringify(present)})`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const a of streams.values()) a.close();
    },
  };
}

/**
 * After a LiveKit reconnection the same agent (same identity) publishes its audio again as a new
 * track: listen to that one. Resolves with the new track's sid.
 */
export async function followAgentTrack(caller: Caller, timeoutMs = 20_000): Promise<string> {
  const previous = caller.agentAudio.trackSid;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const agent = caller.room.remoteParticipants.get(caller.agentIdentity);
    const track = [...(agent?.trackPublications.values() ?? [])].find(
      (pub) => pub.kind === TrackKind.KIND_AUDIO && pub.track && pub.track.sid !== previous,
    )?.track;
    if (track) {
      caller.agentAudio.close();
      caller.agentAudio = new AgentAudio(track as RemoteTrack);
      return track.sid!;
    }
    if (Date.now() > deadline) throw new Error(`the agent published no new audio track within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pid of the job process serving the caller's agent (its `parley.job_pid` attribute). */
export function agentJobPid(caller: Caller): number | null {
  const pid = Number(caller.room.remoteParticipants.get(caller.agentIdentity)?.attributes['parley.job_pid']);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Resolves when the agent's `lk.agent.state` attribute equals `state`. */
export function waitForAgentState(caller: Caller, state: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (caller.agentState() === state) {
        clearTimeout(timer);
        caller.room.off(RoomEvent.ParticipantAttributesChanged, check);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      caller.room.off(RoomEvent.ParticipantAttributesChanged, check);
      reject(new Error(`agent state never became ${state} (now ${caller.agentState()})`));
    }, timeoutMs);
    caller.room.on(RoomEvent.ParticipantAttributesChanged, check);
    check();
  });
}

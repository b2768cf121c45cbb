// A scripted caller for end-to-end tests and benchmarks: starts a call through the gateway like
// the web client does, joins the room with @livekit/rtc-node, publishes a microphone fed from
// PCM, and records the agent's audio as it arrives (per-frame arrival time and level).
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
  type RemoteTrack,
  type Room,
} from '@livekit/rtc-node';
import { createRequire } from 'node:module';
import type { TestClient } from './http-client';
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

  constructor(track: RemoteTrack) {
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
export function trailingSilenceMs(pcm: Int16Array, sampleRate = 48000, threshold = 500): number {
  let i = pcm.length - 1;
  while (i >= 0 && Math.abs(pcm[i]!) < threshold) i--;
  return ((pcm.length - 1 - i) / sampleRate) * 1000;
}

const RATE = 48000;
const FRAME = RATE / 100;

/**
 * A microphone that, like a real one, never stops sending: silence when idle, queued speech
 * otherwise (VAD needs the silence after speech to see it end). Paced in real time by captureFrame.
 */
export class LiveMicrophone {
  /**
   * A 50 ms queue: captureFrame then returns when the frame is about to be sent. With rtc-node's
   * default 1000 ms queue a never-idle microphone runs a full second ahead of what is sent, and
   * every timing measured from capture times would be off by that second.
   */
  readonly source = new AudioSource(RATE, 1, 50);
  #queue: Array<{ frame: Int16Array; onSent?: (at: number) => void }> = [];
  #stopped = false;
  /** Capture time of the first and last frame of the latest `play`. */
  lastPlay: { startedAt: number; endedAt: number } | null = null;

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
      try {
        await this.source.captureFrame(new AudioFrame(next?.frame ?? silent, RATE, 1, FRAME));
      } catch {
        return; // room gone
      }
      next?.onSent?.(Date.now());
    }
  }

  /** Queues PCM16 mono 48 kHz; resolves when its last frame was captured. */
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
  room: Room;
  agentIdentity: string;
  agentAudio: AgentAudio;
  mic: LiveMicrophone;
  /** Plays PCM16 mono 48 kHz in real time (silence before and after); resolves with the capture times of its first and last frame. */
  say(pcm: Int16Array): Promise<{ startedAt: number; endedAt: number }>;
  /** The agent's `lk.agent.state` attribute now. */
  agentState(): string | undefined;
  hangUp(): Promise<void>;
}

/** POST /api/calls as `client` (signed in or guest), join with the returned token, publish a mic. */
export async function startCall(client: TestClient, body: unknown = {}): Promise<Caller> {
  const res = await client.post<CallCreated>('/api/calls', body);
  if (res.status !== 201) throw new Error(`POST /api/calls answered ${res.status}: ${res.text}`);
  return joinCall(res.body);
}

export async function joinCall(call: CallCreated): Promise<Caller> {
  const room = await connectParticipant(call.url, call.token);
  try {
    const mic = new LiveMicrophone();
    await mic.publish(room);
    const track = await waitForRemoteAudioTrack(room, (id) => id.startsWith('agent-'), 30_000);
    const agent = [...room.remoteParticipants.values()].find((p) => p.identity.startsWith('agent-'))!;
    const caller: Caller = {
      call,
      room,
      agentIdentity: agent.identity,
      agentAudio: new AgentAudio(track),
      mic,
      say: (pcm) => mic.play(pcm),
      agentState: () => room.remoteParticipants.get(caller.agentIdentity)?.attributes['lk.agent.state'],
      async hangUp() {
        mic.stop();
        caller.agentAudio.close();
        await room.disconnect();
      },
    };
    return caller;
  } catch (err) {
    await room.disconnect();
    throw err;
  }
}

/**
 * Waits for a replacement agent (any agent identity other than the current one) to publish its
 * audio, then follows it: `agentIdentity`, `agentAudio` and `agentState` refer to the new agent.
 */
export async function followNewAgent(caller: Caller, timeoutMs = 60_000): Promise<string> {
  const previous = caller.agentIdentity;
  const track = await waitForRemoteAudioTrack(
    caller.room,
    (id) => id.startsWith('agent-') && id !== previous,
    timeoutMs,
  );
  const agent = [...caller.room.remoteParticipants.values()].find(
    (p) => p.identity.startsWith('agent-') && p.identity !== previous && p.trackPublications.size > 0,
  );
  caller.agentAudio.close();
  caller.agentAudio = new AgentAudio(track);
  caller.agentIdentity = agent?.identity ?? previous;
  return caller.agentIdentity;
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

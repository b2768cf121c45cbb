import { executionAsyncResource } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as agentsEsm from '@livekit/agents';
import { llm } from '@livekit/agents';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import { startFakeDeepgram } from '@parley/testkit';
import { AudioFrame, ParticipantKind, TrackSource, VideoBufferType, VideoFrame } from '@livekit/rtc-node';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * patches/@livekit+agents+1.8.1.patch (applied by `npm ci`'s postinstall): sharp loaded on first
 * use; the per-frame audio helpers copy with set() instead of spreading samples through arrays;
 * the room input's `audioFrameSizeMs` reaches rtc-node's AudioStream; the logger redacts lk.pii.*;
 * readStream keeps nothing it read; the TTS FallbackAdapter hands text on as it arrives; the
 * framework's async contexts share one AsyncLocalStorage.
 */
describe('@livekit/agents as patched', () => {
  it('does not load sharp (libvips) when a process imports agents', () => {
    const mapped = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "await import('@livekit/agents'); const m = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8'); console.log(JSON.stringify({ vips: m.includes('libvips'), rtc: m.includes('rtc-node') }));",
      ],
      { cwd: path.resolve(import.meta.dirname, '..'), encoding: 'utf8' },
    );
    // rtc-node's native library is mapped (so /proc/self/maps shows native modules); libvips is not.
    expect(JSON.parse(mapped)).toEqual({ vips: false, rtc: true });
  });

  it('still encodes a video frame to PNG for a model (sharp loaded then)', async () => {
    const frame = new VideoFrame(new Uint8Array(2 * 2 * 4).fill(200), 2, 2, VideoBufferType.RGBA);
    const out = await llm.serializeImage(llm.createImageContent({ image: frame }));
    expect(out.mimeType).toBe('image/png');
    expect(Buffer.from(out.base64Data!, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });
});

type Agents = typeof agentsEsm;
/** Job processes import agents' ES modules (dist/*.js); the patch changes the CommonJS twins too. */
const builds: Array<[string, Agents]> = [
  ['dist/*.js (import)', agentsEsm],
  ['dist/*.cjs (require)', createRequire(import.meta.url)('@livekit/agents') as Agents],
];

/**
 * Calls of the typed arrays' iterator while `fn` runs. Agents 1.8.1 as published spreads every
 * sample (`[...buf, ...bytes]`, `Float32Array.from(frame.data, …)`) and so iterates per frame;
 * the patched code copies with set() and loops by index, and iterates nothing.
 */
function typedArrayIterations<T>(fn: () => T): { result: T; iterations: number } {
  const proto = Object.getPrototypeOf(Int8Array.prototype) as { [Symbol.iterator]: () => Iterator<number> };
  const original = proto[Symbol.iterator];
  let iterations = 0;
  proto[Symbol.iterator] = function (this: unknown) {
    iterations++;
    return original.call(this);
  };
  try {
    return { result: fn(), iterations };
  } finally {
    proto[Symbol.iterator] = original;
  }
}

/** What a frame is to its consumers: deepgram's STT sends `frame.data.buffer` as it is. */
const frameBytes = (f: AudioFrame) => ({
  sampleRate: f.sampleRate,
  channels: f.channels,
  samplesPerChannel: f.samplesPerChannel,
  buffer: Buffer.from(f.data.buffer).toString('hex'),
});

/** AudioByteStream's contract, written plainly: bytes in order, whole frames out, the rest on flush. */
function referenceFrames(chunks: Uint8Array[], sampleRate: number, channels: number, samples: number) {
  const all = Buffer.concat(chunks);
  const bytesPerFrame = channels * samples * 2;
  const out: Array<ReturnType<typeof frameBytes>> = [];
  let at = 0;
  for (; all.length - at >= bytesPerFrame; at += bytesPerFrame) {
    const buffer = all.subarray(at, at + bytesPerFrame).toString('hex');
    out.push({ sampleRate, channels, samplesPerChannel: samples * channels, buffer });
  }
  const rest = all.subarray(at);
  if (rest.length && rest.length % (2 * channels) === 0) {
    out.push({ sampleRate, channels, samplesPerChannel: rest.length / 2, buffer: rest.toString('hex') });
  }
  return out;
}

/** Deterministic bytes (a linear congruential generator), so a failure is reproducible. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  return out;
}

describe.each(builds)('@livekit/agents per-frame audio helpers as patched, %s', (_name, agents) => {
  beforeAll(() => agents.initializeLogger({ pretty: false, level: 'error' }));

  it('AudioByteStream cuts odd-sized chunks into the same frames as plain concatenation, without spreading them', () => {
    // 16 kHz mono in 100 ms frames as deepgram's STT asks, and stereo 5 ms frames; chunks of odd
    // sizes (some cut mid-sample), given as ArrayBuffers, Int16Array views at an offset and bytes.
    for (const [sampleRate, channels, samples] of [
      [16000, 1, 1600],
      [48000, 2, 240],
    ] as const) {
      const sizes = [1, 319, 320, 3201, 7, 0, 6400, 333, 2, 1999];
      const chunks = sizes.map((n, i) => bytes(n, i + samples));
      const inputs = chunks.map((c, i) => {
        if (i % 3 === 0) return c.slice().buffer;
        if (i % 3 === 1) return c;
        const padded = new Uint8Array(c.length + 6);
        padded.set(c, 6);
        return new Uint8Array(padded.buffer, 6, c.length); // a view that does not start its buffer
      });
      const { result: frames, iterations } = typedArrayIterations(() => {
        const stream = new agents.AudioByteStream(sampleRate, channels, samples);
        return [...inputs.flatMap((d) => stream.write(d)), ...stream.flush()];
      });
      expect(frames.map(frameBytes)).toEqual(referenceFrames(chunks, sampleRate, channels, samples));
      expect(iterations).toBe(0);
    }
  });

  it('AudioByteStream keeps an incomplete sample over a flush, as agents does, and resumes after it', () => {
    const stream = new agents.AudioByteStream(16000, 1, 4);
    expect(stream.write(bytes(5, 1))).toEqual([]);
    expect(stream.flush()).toEqual([]); // 5 bytes: half a sample, dropped with a warning, kept
    const frames = stream.write(bytes(3, 2)).map(frameBytes);
    expect(frames).toEqual(referenceFrames([bytes(5, 1), bytes(3, 2)], 16000, 1, 4));
    expect(stream.flush()).toEqual([]); // nothing left
  });

  it('mergeFrames joins frames into one of their summed length, without spreading them', () => {
    const frames = [160, 1, 0, 333].map((n, i) => {
      const data = new Int16Array(bytes(n * 2, i + 9).buffer);
      return new AudioFrame(data, 16000, 1, n);
    });
    const { result: merged, iterations } = typedArrayIterations(() => agents.mergeFrames(frames));
    const joined = Buffer.concat(frames.map((f) => Buffer.from(f.data.buffer)));
    expect(frameBytes(merged)).toEqual({
      sampleRate: 16000,
      channels: 1,
      samplesPerChannel: 494,
      buffer: joined.toString('hex'),
    });
    expect(iterations).toBe(0);
    expect(() => agents.mergeFrames([frames[0]!, new AudioFrame(new Int16Array(2), 8000, 1, 2)])).toThrow(
      'sample rate mismatch',
    );
  });

  it("AudioEnergyFilter decides as agents' float32 arithmetic does, without a callback per sample", () => {
    // Agents: Float32Array of x / 32768, squares rounded to float32, summed in order, mean, root;
    // the threshold 4e-3, then a cooldown of silence. Frames around the threshold decide alike.
    const rms = (d: Int16Array) => {
      const sq = Float32Array.from(d, (x) => x / 32768).map((x) => x ** 2);
      return (sq.reduce((a, x) => a + x) / sq.length) ** 0.5;
    };
    const decisions: boolean[] = [];
    const expected: boolean[] = [];
    let cooldown = 0.25;
    const { iterations } = typedArrayIterations(() => {
      const filter = new agents.AudioEnergyFilter(0.25);
      for (let i = 0; i < 60; i++) {
        const amp = [0, 40, 130, 131, 132, 200, 3000][i % 7]!;
        const d = new Int16Array(1600).map((_, k) => (k % 2 ? amp : -amp) + (k % 5) - 2);
        decisions.push(filter.pushFrame(new AudioFrame(d, 16000, 1, 1600)));
        if (rms(d) > 4e-3) cooldown = 0.25;
        else cooldown -= 0.1;
        expected.push(cooldown > 0);
      }
    });
    expect(decisions).toEqual(expected);
    expect(decisions).toContain(false);
    expect(iterations).toBe(60); // the reference's own Float32Array.from, once per frame; none from agents
  });
});

/** rtc-node's FFI client (one per process; both agents builds reach it through rtc-node's CommonJS build). */
const ffi = (
  createRequire(import.meta.url)(
    path.join(path.dirname(createRequire(import.meta.url).resolve('@livekit/rtc-node')), 'ffi_client.cjs'),
  ) as { FfiClient: { instance: { request: (req: unknown) => unknown } } }
).FfiClient.instance;

/**
 * What the room input asks rtc-node for when the caller's microphone track is linked: RoomIO.start
 * on a stand-in room whose one participant has a microphone track, with the FFI request that
 * `new AudioStream` sends caught (and refused, so nothing native is made).
 */
async function audioStreamRequest(agents: Agents, inputOptions: Record<string, unknown>) {
  const refused = new Error('request caught by the test');
  let request: { sampleRate?: number; numChannels?: number; frameSizeMs?: number } | null = null;
  const original = ffi.request;
  ffi.request = (req) => {
    const m = (req as { message: { case: string; value: typeof request } }).message;
    if (m.case !== 'newAudioStream') return original.call(ffi, req);
    request = m.value;
    throw refused;
  };
  const track = { ffi_handle: { handle: 1n } };
  const publication = { sid: 'TR_mic', source: TrackSource.SOURCE_MICROPHONE, track };
  const caller = {
    identity: 'caller',
    attributes: {},
    info: { kind: ParticipantKind.STANDARD },
    trackPublications: new Map([['TR_mic', publication]]),
  };
  const room = {
    isConnected: true,
    localParticipant: { identity: 'agent' },
    remoteParticipants: new Map([['caller', caller]]),
    on() {},
    off() {},
    registerTextStreamHandler() {},
    unregisterTextStreamHandler() {},
  };
  const session = { input: {}, output: {}, on() {}, off() {}, _onRoomIOParticipantLinked() {} };
  const roomIO = new agents.voice.RoomIO({
    agentSession: session as never,
    room: room as never,
    inputOptions: { ...inputOptions, textEnabled: false },
    outputOptions: { audioEnabled: false, transcriptionEnabled: false },
  });
  try {
    // start() makes the input; its init task links the caller and opens their microphone's stream.
    roomIO.start();
    const init = (roomIO as unknown as { initTask: { result: Promise<void> } }).initTask.result;
    await expect(init).rejects.toBe(refused);
  } finally {
    ffi.request = original;
  }
  return request as { sampleRate?: number; numChannels?: number; frameSizeMs?: number } | null;
}

describe.each(builds)('@livekit/agents room input as patched, %s', (_name, agents) => {
  it("passes inputOptions.audioFrameSizeMs to rtc-node's AudioStream", async () => {
    const req = await audioStreamRequest(agents, { audioSampleRate: 16000, audioFrameSizeMs: 40 });
    expect(req).toMatchObject({ sampleRate: 16000, numChannels: 1, frameSizeMs: 40 });
  });

  it('leaves the frame size to rtc-node (10 ms) when the option is not given, as published', async () => {
    const req = await audioStreamRequest(agents, { audioSampleRate: 24000 });
    expect(req).toMatchObject({ sampleRate: 24000, numChannels: 1 });
    expect(req!.frameSizeMs).toBeUndefined();
  });
});

/**
 * The TTS FallbackAdapter's stream hands the text it gets to the provider's stream from a loop that,
 * as published, looked for new text every 10 ms (FORWARD_POLL_MS): the first sentence of every
 * reply waited for the next poll. Patched, a piece of text wakes it. Checked without any timer
 * running: the text is pushed and only microtasks run before the provider's stream is looked at.
 */
describe.each(builds)('@livekit/agents TTS FallbackAdapter as patched, %s', (_name, agents) => {
  beforeAll(() => agents.initializeLogger({ pretty: false, level: 'error' }));
  it("hands text to the provider's stream as it arrives, not at the next 10 ms poll", async () => {
    const received: string[] = [];
    class ProviderStream extends agents.tts.SynthesizeStream {
      label = 'test.ProviderStream';
      override pushText(text: string) {
        received.push(text);
        super.pushText(text);
      }
      protected async run() {
        for await (const _ of this.input);
      }
    }
    class ProviderTts extends agents.tts.TTS {
      label = 'test.ProviderTts';
      constructor() {
        super(24000, 1, { streaming: true });
      }
      synthesize(): never {
        throw new Error('not used');
      }
      stream() {
        return new ProviderStream(this);
      }
    }
    const stream = new agents.tts.FallbackAdapter({ ttsInstances: [new ProviderTts()] }).stream();
    try {
      await new Promise((r) => setTimeout(r, 50)); // the adapter's loop is waiting for text now
      stream.pushText('Hello there.');
      for (let i = 0; i < 200; i++) await Promise.resolve();
      expect(received).toEqual(['Hello there.']);
      stream.pushText(' How are you?');
      for (let i = 0; i < 200; i++) await Promise.resolve();
      expect(received).toEqual(['Hello there.', ' How are you?']);
    } finally {
      stream.close();
    }
  });
});

/**
 * agents marks what a person said or is (`lk.pii.*`: transcripts, replies, tool arguments,
 * identities) in its log lines; Parley's logs carry no transcript text, so the patched logger
 * writes those fields as "[redacted]", in a line's own fields and in a child logger's bindings.
 */
describe.each([
  ['dist/*.js (import)', "const a = await import('@livekit/agents');"],
  [
    'dist/*.cjs (require)',
    "const a = (await import('node:module')).createRequire(process.cwd() + '/')('@livekit/agents');",
  ],
])("@livekit/agents' logger as patched, %s", (_name, load) => {
  it('writes lk.pii.* fields as [redacted] and keeps every other field', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `${load} a.initializeLogger({ pretty: false, level: 'info' });
         a.log().child({ 'lk.pii.room_name': 'room-of-alice', speech: 's1' }).child({ 'lk.pii.response': 'raw reply' })
           .info({ 'lk.pii.message': 'the capital of France is Paris', speech_id: 'sp_1' }, 'playout completed');`,
      ],
      { cwd: path.resolve(import.meta.dirname, '..'), encoding: 'utf8' },
    );
    const line = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({
      msg: 'playout completed',
      speech: 's1',
      speech_id: 'sp_1',
      'lk.pii.room_name': '[redacted]',
      'lk.pii.response': '[redacted]',
      'lk.pii.message': '[redacted]',
    });
    expect(out).not.toMatch(/Paris|room-of-alice|raw reply/);
  });
});

/**
 * agents reads every call-long stream (the caller's audio into the STT, its events) with
 * `readStream(stream, signal)`. As published it raced each read against one promise settled only
 * at abort, and each race left a reaction on it holding that read's result: a job process kept
 * every audio frame of its call (21,021 frames, ~17 MB of heap, after 50 turns; heap snapshots in
 * docs/performance.md). Patched, a read's result is garbage once the reader has used it.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** How many of `refs` are still reachable after two full collections. */
async function stillReachable(refs: Array<WeakRef<object>>): Promise<number> {
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
  return refs.filter((r) => r.deref() !== undefined).length;
}

describe.each(builds)('@livekit/agents readStream as patched, %s', (_name, agents) => {
  it('keeps none of what it read reachable while the stream and its signal live on', async () => {
    const signal = new AbortController().signal; // never aborted: a call still running
    const refs: Array<WeakRef<object>> = [];
    let enqueue!: (chunk: object) => void;
    const stream = new ReadableStream<object>({ start: (c) => void (enqueue = (chunk) => c.enqueue(chunk)) });
    const reading = agents.readStream(stream, signal)[Symbol.asyncIterator]();
    for (let i = 0; i < 200; i++) {
      const frame = { samples: new Int16Array(480) };
      refs.push(new WeakRef(frame));
      enqueue(frame);
      expect((await reading.next()).value).toBe(frame);
    }
    // The generator is still waiting on the stream, as the STT task does between frames.
    const pending = reading.next();
    expect(await stillReachable(refs)).toBeLessThanOrEqual(1);
    enqueue({ last: true });
    expect((await pending).value).toEqual({ last: true });
  });

  it('still stops at abort with nothing more read, and passes a read error on', async () => {
    const ac = new AbortController();
    const never = new ReadableStream<number>({ pull: () => new Promise(() => undefined) });
    setTimeout(() => ac.abort(), 20);
    const got: number[] = [];
    for await (const v of agents.readStream(never, ac.signal)) got.push(v);
    expect(got).toEqual([]);
    const failing = new ReadableStream<number>({ pull: (c) => c.error(new Error('source failed')) });
    await expect(
      (async () => {
        for await (const _ of agents.readStream(failing, new AbortController().signal));
      })(),
    ).rejects.toThrow('source failed');
  });
});

/**
 * agents keeps seven async contexts (job, current task, agent activity, on-enter, speech handle,
 * function call, idle hold), each an AsyncLocalStorage of its own. On Node 20 every enabled
 * storage is copied into every promise the process creates (a promise hook per storage), and a
 * call's audio path creates several promises per 10 ms frame: the hooks were 11 % of a job
 * host's CPU (`density-profile.json`). Patched, each is a `ContextStorage` holding its value in one
 * slot of a single shared AsyncLocalStorage, with Node 20's semantics per storage.
 */
type Storage<T> = { run<R>(store: T, fn: () => R): R; getStore(): T | undefined; enterWith(store: T): void };
const distDir = path.dirname(createRequire(import.meta.url).resolve('@livekit/agents'));
const voiceStorages = async (build: string) => {
  const load = async (file: string) =>
    (build.includes('require')
      ? createRequire(import.meta.url)(path.join(distDir, `${file}.cjs`))
      : await import(pathToFileURL(path.join(distDir, `${file}.js`)).href)) as Record<string, Storage<unknown>>;
  const agent = await load('voice/agent');
  const activity = await load('voice/agent_activity');
  return {
    speechHandle: agent.speechHandleStorage!,
    functionCall: agent.functionCallStorage!,
    agentActivity: activity.agentActivityStorage!,
    onEnter: activity.onEnterStorage!,
  };
};
/** The async-context slots of the running code's resource that hold any of `values` (or a store of them). */
function slotsHolding(values: unknown[]): number {
  const resource = executionAsyncResource() as Record<symbol, unknown>;
  return Object.getOwnPropertySymbols(resource).filter((k) => {
    if (k.description !== 'kResourceStore') return false;
    const v = resource[k];
    const inner =
      v && typeof v === 'object' ? Object.getOwnPropertySymbols(v).map((s) => (v as Record<symbol, unknown>)[s]) : [];
    return values.includes(v) || inner.some((x) => values.includes(x));
  }).length;
}

describe.each(builds)("@livekit/agents' async contexts as patched, %s", (name, agents) => {
  it('keeps every context of the framework in one async-context slot of a promise', async () => {
    const s = await voiceStorages(name);
    // Task.currentTaskStorage is private in agents' types, public at run time.
    const task = (agents.Task as unknown as { currentTaskStorage: Storage<unknown> }).currentTaskStorage;
    const job = {} as never;
    const values = [job, 'task', 'activity', 'onEnter', 'speech', 'call'];
    const seen = await agents.runWithJobContext(job, () =>
      task.run('task', () =>
        s.agentActivity.run('activity', () =>
          s.onEnter.run('onEnter', () =>
            s.speechHandle.run('speech', () =>
              s.functionCall.run('call', async () => {
                await null; // a continuation: its resource is the promise, with what the hooks copied into it
                return {
                  stores: [
                    agents.getJobContext(),
                    task.getStore(),
                    s.agentActivity.getStore(),
                    s.onEnter.getStore(),
                    s.speechHandle.getStore(),
                    s.functionCall.getStore(),
                  ],
                  slots: slotsHolding(values),
                };
              }),
            ),
          ),
        ),
      ),
    );
    expect(seen.stores).toEqual(values);
    // As published: 6 slots, one per storage (7 with the idle hold's, not exported).
    expect(seen.slots).toBe(1);
    expect(agents.getJobContext(false)).toBeUndefined();
    expect(s.speechHandle.getStore()).toBeUndefined();
  });

  it("keeps Node's semantics per context: nesting, restore, enterWith, concurrent tasks apart", async () => {
    const s = await voiceStorages(name);
    const order: string[] = [];
    await s.agentActivity.run('A', async () => {
      // Two speeches at once, each entering its own handle (as agent_activity's speech tasks do).
      const speech = async (h: string, ms: number) => {
        s.speechHandle.enterWith(h);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`${h}:${s.speechHandle.getStore()}:${s.agentActivity.getStore()}`);
        s.agentActivity.run('B', () =>
          order.push(`${h}-inner:${s.agentActivity.getStore()}:${s.speechHandle.getStore()}`),
        );
        order.push(`${h}-after:${s.agentActivity.getStore()}`);
      };
      await Promise.all([speech('s1', 20), speech('s2', 5)]);
      // A run restores only its own context; an enterWith made inside it stays, as with Node's own.
      s.onEnter.run('E', () => s.speechHandle.enterWith('kept'));
      order.push(`outer:${s.onEnter.getStore()}:${s.speechHandle.getStore()}`);
    });
    expect(order).toEqual([
      's2:s2:A',
      's2-inner:B:s2',
      's2-after:A',
      's1:s1:A',
      's1-inner:B:s1',
      's1-after:A',
      'outer:undefined:kept',
    ]);
    expect(s.agentActivity.getStore()).toBeUndefined();
  });

  it("exit() runs outside its own context only, as Node's own storage does", async () => {
    const s = await voiceStorages(name);
    const exit = (st: Storage<unknown>) => (st as unknown as { exit<R>(fn: () => R): R }).exit.bind(st);
    const seen = s.agentActivity.run('A', () =>
      s.speechHandle.run('S', () =>
        exit(s.agentActivity)(() => [s.agentActivity.getStore(), s.speechHandle.getStore()]),
      ),
    );
    expect(seen).toEqual([undefined, 'S']);
    expect(s.agentActivity.run('A', () => s.agentActivity.getStore())).toBe('A');
  });
});

/**
 * patches/@livekit+agents-plugin-deepgram+1.8.1.patch: the streaming STT's send loop raced every
 * frame of the call against one abort promise, the same retention as readStream's above (the
 * second half of the frames a job kept, found in the heap snapshot once readStream was patched).
 */
describe('@livekit/agents-plugin-deepgram streaming STT as patched', () => {
  beforeAll(() => agentsEsm.initializeLogger({ pretty: false, level: 'error' }));

  it('keeps none of the frames it has sent while the stream stays open', async () => {
    const fake = await startFakeDeepgram();
    const stream = new deepgram.STT({ baseUrl: fake.url, apiKey: 'test' }).stream();
    try {
      const refs: Array<WeakRef<object>> = [];
      for (let i = 0; i < 200; i++) {
        // Noise, not silence: the plugin's energy filter sends only audible audio.
        const samples = Int16Array.from({ length: 160 }, () => Math.round((Math.random() - 0.5) * 8000));
        const frame = new AudioFrame(samples, 16000, 1, 160);
        refs.push(new WeakRef(frame));
        stream.pushFrame(frame);
      }
      // 2 s of audio, sent in 100 ms chunks: every byte has reached the fake.
      for (let t = 0; (fake.sessions[0]?.audioBytes ?? 0) < 200 * 320 && t < 100; t++)
        await new Promise((r) => setTimeout(r, 50));
      expect(fake.sessions[0]?.audioBytes).toBe(200 * 320);
      expect(await stillReachable(refs)).toBeLessThanOrEqual(1);
    } finally {
      stream.close();
      await fake.close();
    }
  });
});

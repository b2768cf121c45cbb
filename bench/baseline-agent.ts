// The bare @livekit/agents baseline for the turn, bargein and density benchmarks: one
// AgentSession with the same provider fakes, Silero VAD (plugin defaults; VAD_MIN_SPEECH_MS, when
// set, as Parley's AGENT_VAD_MIN_SPEECH_MS: the turn benchmark sets both to the same value), VAD
// turn detection, VAD interruption and the same minimum interruption duration — and nothing else
// (no preferences, no fallback adapters, no reporting, no spool, agents' default room input:
// 24 kHz, AEC warm-up on).
//
//   node --import tsx bench/baseline-agent.ts   (env: LIVEKIT_URL/KEY/SECRET, BASELINE_AGENT_NAME,
//   BASELINE_HEALTH_PORT, DEEPGRAM_BASE_URL, OPENAI_BASE_URL, CARTESIA_BASE_URL, MIN_INTERRUPTION_MS,
//   VAD_MIN_SPEECH_MS, BASELINE_METRICS_FILE: JSONL of metrics_collected events, one line each)
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AgentServer,
  defineAgent,
  initializeLogger,
  ServerOptions,
  voice,
  type JobContext,
  type JobProcess,
  type VAD,
} from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import * as openai from '@livekit/agents-plugin-openai';
import * as silero from '@livekit/agents-plugin-silero';

const env = process.env;

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    const minSpeech = env.VAD_MIN_SPEECH_MS ? Number(env.VAD_MIN_SPEECH_MS) : undefined;
    proc.userData.vad = await silero.VAD.load(minSpeech !== undefined ? { minSpeechDuration: minSpeech } : {});
  },
  entry: async (ctx: JobContext) => {
    await ctx.connect();
    const session = new voice.AgentSession({
      vad: ctx.proc.userData.vad as VAD,
      stt: new deepgram.STT({ apiKey: 'bench', baseUrl: env.DEEPGRAM_BASE_URL!, language: 'en-US' }),
      llm: new openai.LLM({ apiKey: 'bench', baseURL: env.OPENAI_BASE_URL!, model: 'gpt-4.1-mini' }),
      tts: new cartesia.TTS({ apiKey: 'bench', baseUrl: env.CARTESIA_BASE_URL!, voice: 'bench-voice' }),
      turnHandling: {
        turnDetection: 'vad',
        interruption: { enabled: true, mode: 'vad', minDuration: Number(env.MIN_INTERRUPTION_MS ?? 350) },
      },
    });
    const file = env.BASELINE_METRICS_FILE;
    if (file)
      session.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => {
        appendFileSync(file, `${JSON.stringify({ room: ctx.room.name, at: Date.now(), metrics: ev.metrics })}\n`);
      });
    await session.start({
      agent: new voice.Agent({ instructions: 'You are a helpful voice assistant.' }),
      room: ctx.room,
      inputOptions: { closeOnDisconnect: true },
    });
    session.say('Hello! How can I help you today?', { allowInterruptions: true });
  },
});

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  initializeLogger({ pretty: false, level: 'warn' });
  const server = new AgentServer(
    new ServerOptions({
      agent: fileURLToPath(import.meta.url),
      agentName: env.BASELINE_AGENT_NAME!,
      wsURL: env.LIVEKIT_URL!,
      apiKey: env.LIVEKIT_API_KEY!,
      apiSecret: env.LIVEKIT_API_SECRET!,
      host: '127.0.0.1',
      port: Number(env.BASELINE_HEALTH_PORT),
      production: true,
      numIdleProcesses: Number(env.BASELINE_IDLE_PROCESSES ?? 1),
      loadFunc: async (s) => Math.min(1, s.activeJobs.length / 32),
      loadThreshold: 1,
      initializeProcessTimeout: 30_000,
    }),
  );
  process.once(
    'SIGTERM',
    () => void Promise.race([server.close(), new Promise((r) => setTimeout(r, 5000))]).then(() => process.exit(0)),
  );
  await server.run();
}

// bargein: the caller talks over the agent's reply; time from the caller's speech onset to the
// last voiced frame of the agent's audio at the caller, over N interruptions, and a check that
// the stored (interrupted) reply holds only the words that were played. Parley's worker; with
// --baseline the bare AgentSession runs interleaved for comparison. See docs/performance.md.
import { machineSampler } from '../lib/machine';
import { printFigures, writeResult, type BenchResult, type Figure } from '../lib/report';
import { round, sleep, summarize } from '../lib/stats';
import {
  joinArm,
  MIN_INTERRUPTION_MS,
  settle,
  speech,
  startAgentBench,
  VOICED_RMS,
  type ArmName,
  type Speech,
} from './harness';
import { RoomEvent } from '@livekit/rtc-node';
import { waitForAgentState, type Caller } from '@parley/testkit/caller';

export const LONG_REPLY =
  'Let me tell you a long story about the sea. ' +
  'Long ago, sailors crossed the ocean with nothing but the stars to guide them. ' +
  'They watched the waves, the birds and the colour of the water for signs of land. ' +
  'Some journeys took many months, and the crews sang songs to keep their spirits up. ' +
  'When a storm came, every hand worked the ropes until the wind finally calmed down again.';
const SHORT_REPLY = 'Sure, go ahead.';
const ASK = 'Tell me a story about the sea.';
const MS_PER_CHAR = 55; // the fake Cartesia's speech rate (testkit default)
/** Issue 17: caller speech onset → agent audio silent at the caller, p95. */
export const BARGE_IN_TARGET_MS = 300;

const arg = (args: string[], k: string, d: number) =>
  Number(args.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);

interface Interruption {
  /** Caller speech onset → last voiced agent frame before a 400 ms pause. */
  stopMs: number;
  /** How long the reply had played at the caller when it stopped. */
  playedMs: number;
  /** Onset → the agent's state (lk.agent.state, seen at the caller) leaving "speaking": the interruption decision. */
  decisionMs: number | null;
}

/** Agent state changes as the caller sees them (participant attribute lk.agent.state), timestamped. */
function watchAgentState(caller: Caller) {
  const changes: Array<{ at: number; state: string | undefined }> = [];
  caller.room.on(RoomEvent.ParticipantAttributesChanged, () => {
    const state = caller.agentState();
    if (changes.at(-1)?.state !== state) changes.push({ at: Date.now(), state });
  });
  return changes;
}

async function interruptOnce(
  asking: () => void,
  caller: Caller,
  states: Array<{ at: number; state: string | undefined }>,
  ask: Speech,
  cut: Speech,
  playMs: number,
): Promise<Interruption> {
  await waitForAgentState(caller, 'listening', 20_000);
  asking();
  const { endedAt } = await caller.say(ask.pcm);
  const replyStart = await caller.agentAudio.firstVoicedAfter(endedAt - ask.trailMs, 20_000);
  await sleep(Math.max(0, replyStart + playMs - Date.now()));
  const { startedAt } = await caller.say(cut.pcm);
  const onset = startedAt + cut.leadMs;
  const voiced = caller.agentAudio.frames.filter((f) => f.at >= onset - 20 && f.rms >= VOICED_RMS);
  let last = onset;
  for (let i = 0; i < voiced.length; i++) {
    last = voiced[i]!.at;
    const next = voiced[i + 1];
    if (!next || next.at - last >= 400) break;
  }
  // The agent answers the interruption (short reply); let it finish before the next round.
  const answer = await caller.agentAudio.firstVoicedAfter(last + 400, 20_000);
  await caller.agentAudio.silentFor(500, answer, 20_000);
  const decided = states.find((c) => c.at >= onset && c.state !== 'speaking');
  return { stopMs: last - onset, playedMs: last - replyStart, decisionMs: decided ? decided.at - onset : null };
}

/** A cough-like sound: 160 ms of decaying noise (deterministic), with silence around it. */
function cough(): Speech {
  const rate = 48000;
  const lead = 0.2 * rate;
  const len = 0.16 * rate;
  const pcm = new Int16Array(lead + len + rate);
  let seed = 17;
  for (let i = 0; i < len; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const env = Math.exp(-i / (0.05 * rate));
    pcm[lead + i] = Math.round(((seed / 0x7fffffff) * 2 - 1) * env * 12000);
  }
  return { text: '(cough)', pcm, leadMs: 200, trailMs: 1000 };
}

interface FalseInterruption {
  sound: string;
  /** The reply kept playing to its end (not cut short). */
  continued: boolean;
  /** Longest gap in the agent's voiced audio within 3 s after the sound's onset. */
  gapMs: number;
}

/**
 * What a real recogniser writes for each short sound (Deepgram: nothing for a cough, "Mm-hmm."
 * for the backchannel); the fake STT is scripted with it just before the sound is played, so the
 * agent sees the transcript it would get, not the fake's default words.
 */
export const SOUND_TRANSCRIPTS: Record<string, string> = { '(cough)': '', 'Mm hmm.': 'Mm-hmm.' };

/** Plays a short sound 1.2 s into a long reply; was the reply cut short, and how long did it pause? */
async function soundOnce(
  asking: () => void,
  scriptSound: (text: string) => void,
  caller: Caller,
  ask: Speech,
  sound: Speech,
): Promise<FalseInterruption> {
  await waitForAgentState(caller, 'listening', 20_000);
  asking();
  const { endedAt } = await caller.say(ask.pcm);
  const replyStart = await caller.agentAudio.firstVoicedAfter(endedAt - ask.trailMs, 20_000);
  await sleep(Math.max(0, replyStart + 1200 - Date.now()));
  scriptSound(SOUND_TRANSCRIPTS[sound.text] ?? sound.text);
  const { startedAt } = await caller.say(sound.pcm);
  const onset = startedAt + sound.leadMs;
  await sleep(Math.max(0, onset + 3500 - Date.now()));
  const voiced = caller.agentAudio.frames.filter((f) => f.at >= onset && f.at <= onset + 3000 && f.rms >= VOICED_RMS);
  let gap = 0;
  let prev = onset;
  for (const f of voiced) {
    gap = Math.max(gap, f.at - prev);
    prev = f.at;
  }
  gap = Math.max(gap, onset + 3000 - prev);
  // Still talking 3–3.5 s after the sound, and the reply plays to its natural end (~20 s): not cut short.
  const continued = caller.agentAudio.voiced(onset + 3000).length > 0;
  const end = await caller.agentAudio.silentFor(800, onset, 40_000);
  return {
    sound: sound.text,
    continued: continued && end - replyStart > LONG_REPLY.length * MS_PER_CHAR * 0.8,
    gapMs: gap,
  };
}

/** Words of LONG_REPLY whose estimated start (characters before it × ms per character) lies within playedMs. */
function wordsPlayed(playedMs: number): number {
  let chars = 0;
  let n = 0;
  for (const w of LONG_REPLY.split(' ')) {
    if (chars * MS_PER_CHAR > playedMs) break;
    n++;
    chars += w.length + 1;
  }
  return n;
}

export async function run(args: string[]): Promise<BenchResult> {
  const started = Date.now();
  const count = arg(args, 'interruptions', 20);
  const withBaseline = args.includes('--baseline');
  // A lever experiment (agent settings from the environment) writes bargein-<label>.json, leaving
  // the run of record alone; docs/performance.md lists them side by side.
  const label = args
    .find((a) => a.startsWith('--label='))
    ?.split('=')[1]
    ?.replace(/[^a-z0-9-]/gi, '');
  const agentSettings = Object.fromEntries(
    ['AGENT_FAST_BARGE_IN', 'AGENT_VAD_MIN_SPEECH_MS', 'AGENT_OUTPUT_FRAME_MS'].map((k) => [
      k,
      process.env[k] ?? 'default',
    ]),
  );
  const machine = machineSampler();
  const b = await startAgentBench({
    baseline: withBaseline,
    // Odd user turns (a question) get the long reply, even ones (the interruption) the short one.
    openai: {
      // The question (scripted into the fake STT just before it is asked) gets the long reply;
      // anything else (the interruption, a sound transcribed as words) the short one.
      reply: ({ messages }) =>
        messages.filter((m) => m.role === 'user').at(-1)?.content === ASK ? LONG_REPLY : SHORT_REPLY,
    },
  });
  try {
    const [ask, cut] = await speech([ASK, 'Wait, stop, I have a question.']);
    const asking = () => b.stack.fakes.deepgram.enqueue(ASK);
    const scriptSound = (text: string) => b.stack.fakes.deepgram.enqueue(text);
    const arms: ArmName[] = withBaseline ? ['parley', 'baseline'] : ['parley'];
    const callers = Object.fromEntries(await Promise.all(arms.map(async (a) => [a, await joinArm(b, a)] as const)));
    await Promise.all(arms.map((a) => settle(callers[a]!)));
    const states = Object.fromEntries(arms.map((a) => [a, watchAgentState(callers[a]!)]));
    const results: Record<string, Interruption[]> = Object.fromEntries(arms.map((a) => [a, []]));
    let failures = 0;
    for (let i = 0; i < count; i++) {
      // Spread the interruption over word positions: 1.0–1.9 s into the reply.
      const playMs = 1000 + ((i * 370) % 900);
      for (const a of arms) {
        try {
          results[a]!.push(await interruptOnce(asking, callers[a]!, states[a]!, ask!, cut!, playMs));
        } catch (err) {
          failures++;
          console.warn(`${a} interruption ${i + 1} failed: ${(err as Error).message}`);
        }
      }
      if ((i + 1) % 5 === 0) console.log(`  ${i + 1}/${count} interruptions`);
    }
    // False interruptions: short sounds during replies must not cut them short.
    const [mhm] = await speech(['Mm hmm.']);
    const sounds = [cough(), mhm!, cough(), mhm!];
    const falseRuns: Record<string, FalseInterruption[]> = Object.fromEntries(arms.map((a) => [a, []]));
    for (const sound of sounds)
      for (const a of arms) {
        try {
          falseRuns[a]!.push(await soundOnce(asking, scriptSound, callers[a]!, ask!, sound));
        } catch (err) {
          failures++;
          console.warn(`${a} false-interruption run failed: ${(err as Error).message}`);
        }
      }
    const cutRate = (a: string) =>
      falseRuns[a]!.length ? falseRuns[a]!.filter((r) => !r.continued).length / falseRuns[a]!.length : NaN;
    const conversationId = callers.parley!.call.conversationId;
    await Promise.all(arms.map((a) => callers[a]!.hangUp()));
    await sleep(1500);
    // What the agent stored for each interrupted reply, against what the caller heard.
    const rows = await b.stack.database
      .db('utterances')
      .where({ conversation_id: conversationId, role: 'agent', interrupted: true })
      .orderBy('seq')
      .select('text');
    const stored = results.parley!.map((r, i) => {
      // (rows of interrupted replies come from the barge-in rounds first; sound rounds follow)
      const text = String(rows[i]?.text ?? '')
        .replace(/\s+/g, ' ')
        .trim();
      const words = text ? text.split(' ').length : 0;
      const played = wordsPlayed(r.playedMs);
      return {
        playedMs: round(r.playedMs),
        storedWords: words,
        wordsPlayedEstimate: played,
        isPrefix: LONG_REPLY.startsWith(text),
        extraWords: Math.max(0, words - played),
      };
    });
    const faithful = stored.filter((s) => s.isPrefix && s.extraWords <= 1 && s.storedWords > 0).length;
    const decisions = results.parley!.map((r) => r.decisionMs).filter((x): x is number => x !== null);
    const decision = summarize(decisions);
    const afterDecision = summarize(
      results.parley!.filter((r) => r.decisionMs !== null).map((r) => r.stopMs - r.decisionMs!),
    );
    const stop = Object.fromEntries(arms.map((a) => [a, summarize(results[a]!.map((r) => r.stopMs))]));
    const figures: Figure[] = [
      { name: 'Parley barge-in p50', value: stop.parley!.p50, unit: 'ms' },
      {
        name: 'Parley barge-in p95',
        value: stop.parley!.p95,
        unit: 'ms',
        target: { op: '<=', value: BARGE_IN_TARGET_MS, text: `≤ ${BARGE_IN_TARGET_MS} ms` },
      },
      ...(withBaseline
        ? [
            { name: 'baseline barge-in p50', value: stop.baseline!.p50, unit: 'ms' },
            { name: 'baseline barge-in p95', value: stop.baseline!.p95, unit: 'ms' },
          ]
        : []),
      {
        name: 'Parley false interruptions (short sound cut the reply short)',
        value: round(cutRate('parley') * 100),
        unit: '%',
        note: `${falseRuns.parley!.length} sounds (cough, "mm hmm"); longest pause p50 ${summarize(falseRuns.parley!.map((r) => r.gapMs)).p50} ms`,
      },
      ...(withBaseline
        ? [
            {
              name: 'baseline false interruptions',
              value: round(cutRate('baseline') * 100),
              unit: '%',
              note: `${falseRuns.baseline!.length} sounds; longest pause p50 ${summarize(falseRuns.baseline!.map((r) => r.gapMs)).p50} ms`,
            },
          ]
        : []),
      {
        name: 'interrupted replies stored with only the words played',
        value: faithful,
        unit: `/ ${stored.length}`,
        target: { op: '>=', value: stored.length, text: 'all' },
      },
      { name: 'interrupted replies found in the database', value: rows.length, unit: `/ ${results.parley!.length}` },
      {
        name: 'of which: onset → agent state leaves "speaking" (p50)',
        value: decision.p50,
        unit: 'ms',
        note: `p95 ${decision.p95} ms; seen at the caller (lk.agent.state); n = ${decision.n}`,
      },
      {
        name: 'of which: that decision → agent audio silent at the caller (p50)',
        value: afterDecision.p50,
        unit: 'ms',
        note: `p95 ${afterDecision.p95} ms`,
      },
    ];
    const result: BenchResult = {
      benchmark: label ? `bargein-${label}` : 'bargein',
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      settings: {
        interruptions: count,
        arms,
        agent: agentSettings,
        minInterruptionMs: MIN_INTERRUPTION_MS,
        interruptAfterMs: '1000–1900 into the reply (spread over word positions)',
        measuredFrom: "capture time of the interruption's first voiced sample",
        measuredTo: 'arrival of the last agent frame with RMS ≥ 0.01 before a 400 ms pause',
        playedWords: `estimated from played time at ${MS_PER_CHAR} ms per character (the fake TTS rate); a stored reply passes when it is a prefix of the reply with at most one word more than the estimate`,
      },
      machine: machine.finish(),
      figures,
      data: {
        stopMs: stop,
        decisionMs: decision,
        afterDecisionMs: afterDecision,
        samples: Object.fromEntries(arms.map((a) => [a, results[a]!.map((r) => round(r.stopMs, 1))])),
        falseInterruptions: falseRuns,
        stored,
        failures,
      },
    };
    printFigures(`bargein (${count} interruptions, load ${result.machine.loadAverage.start[0]})`, figures);
    writeResult(result);
    return result;
  } finally {
    await b.stop();
  }
}

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
const MS_PER_CHAR = 55; // the fake Cartesia's speech rate (testkit default)

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
  caller: Caller,
  states: Array<{ at: number; state: string | undefined }>,
  ask: Speech,
  cut: Speech,
  playMs: number,
): Promise<Interruption> {
  await waitForAgentState(caller, 'listening', 20_000);
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
  const machine = machineSampler();
  const b = await startAgentBench({
    baseline: withBaseline,
    // Odd user turns (a question) get the long reply, even ones (the interruption) the short one.
    openai: {
      reply: ({ messages }) => (messages.filter((m) => m.role === 'user').length % 2 === 1 ? LONG_REPLY : SHORT_REPLY),
    },
  });
  try {
    const [ask, cut] = await speech(['Tell me a story about the sea.', 'Wait, stop, I have a question.']);
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
          results[a]!.push(await interruptOnce(callers[a]!, states[a]!, ask!, cut!, playMs));
        } catch (err) {
          failures++;
          console.warn(`${a} interruption ${i + 1} failed: ${(err as Error).message}`);
        }
      }
      if ((i + 1) % 5 === 0) console.log(`  ${i + 1}/${count} interruptions`);
    }
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
        target: { op: '<=', value: MIN_INTERRUPTION_MS + 100, text: `≤ ${MIN_INTERRUPTION_MS} + 100 ms` },
      },
      ...(withBaseline
        ? [
            { name: 'baseline barge-in p50', value: stop.baseline!.p50, unit: 'ms' },
            { name: 'baseline barge-in p95', value: stop.baseline!.p95, unit: 'ms' },
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
      benchmark: 'bargein',
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      settings: {
        interruptions: count,
        arms,
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

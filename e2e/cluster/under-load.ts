/**
 * The cluster's faults during many concurrent calls (used by e2e/cluster/under-load.test.ts with 4
 * calls and by `npm run bench -- cluster`): calls are placed one after the other through haproxy
 * and spread over both LiveKit nodes (room_node_map) and both workers (each job's process tree);
 * then, one fault at a time, every caller speaks at once and each call's turn is held in flight
 * (the utterance stored, its reply asked of the fake LLM and held), the fault hits, the replies are
 * released, and every call must carry on: the calls the fault hit hear a new agent's apology, the
 * others their answer, then every call takes one more turn, all at once. Each call's stored
 * conversation is compared with the record kept here from the fakes (the STT's finals, the LLM's
 * answers, the scripted greeting and apologies).
 */
import { isAlive, synthesizeSpeechWav } from '@parley/testkit';
import {
  agentJobPid,
  agentsPresent,
  followNewAgent,
  followServingAgent,
  recordAgentVoice,
  rejoinOnDisconnect,
  type RejoinTracker,
} from '@parley/testkit/caller';
import { clusterTimeline, startCluster, type Cluster } from '@parley/testkit/cluster';
import { DEFAULT_TRANSCRIPT } from '@parley/testkit/fakes/deepgram';
import { apologyFor, greetingFor } from '@parley/agent/agent';
import { waitFor } from '../calls/helpers';
import { clusterCalls, reply, type LiveCall } from './helpers';

export type ClusterFault = 'agent_job_sigkill' | 'agent_worker_sigkill' | 'livekit_node_sigkill' | 'gateway_sigkill';
export const CLUSTER_FAULTS: ClusterFault[] = [
  'agent_job_sigkill',
  'agent_worker_sigkill',
  'livekit_node_sigkill',
  'gateway_sigkill',
];

export interface ClusterFaultResult {
  fault: ClusterFault;
  calls: number;
  /** What was in flight when the fault hit, as checked. */
  inFlight: string;
  /** The calls whose agent the fault took (their caller hears a new agent's apology). */
  callsAffected: number;
  /** For each affected call, fault → the caller hears the agent again (ms). */
  heardAgainMs: number[];
  /** Over every call's whole conversation after this fault's round. */
  expected: number;
  stored: number;
  lost: number;
  duplicated: number;
  /** Calls whose conversation ended instead of going on. */
  callsEnded: number;
  /** Their stored end reasons (so a failure says which path ended them). */
  endReasons: string[];
}

export interface ClusterLoadRun {
  calls: number;
  /** Where the calls went: rooms per LiveKit node, jobs per worker (before the first fault). */
  split: { nodes: Record<string, number>; workers: Record<string, number> };
  placedMs: number;
  results: ClusterFaultResult[];
}

type Row = [role: string, text: string];

interface Tracked {
  call: LiveCall;
  /** What this call's stored conversation must read, built from the fakes' record as it goes. */
  expected: Row[];
  users: number;
}

const answerTo = (n: number, text: string) => `Answer ${n}: ${text.replace(/[.!?]+$/, '')}.`;

export interface ClusterLoadOptions {
  calls: number;
  faults: ClusterFault[];
  log?: (s: string) => void;
  logDir?: string;
  /** Filled as the run goes (the split once placed, each fault's result when done): kept if it fails. */
  progress?: Partial<ClusterLoadRun>;
}

/** The cluster started and `opts.calls` calls placed through haproxy; `runFault` then runs one fault. */
export async function startClusterLoad(opts: Omit<ClusterLoadOptions, 'faults'>) {
  const log = opts.log ?? (() => undefined);
  const cluster = await startCluster({
    logDir: opts.logDir,
    udpPortsPerNode: Math.max(40, opts.calls * 8),
    openai: { ttftMs: 50, reply: ({ messages }) => reply(messages) },
    // Four callers' audio on two loaded cores arrives with gaps (late packets played as silence):
    // at the cluster's 450 ms one sentence was once heard as two finals.
    deepgram: { endpointSilenceMs: 700 },
  });
  const speech = (await synthesizeSpeechWav('Tell me something about the weather today.', { sampleRate: 48000 })).pcm;
  const cc = clusterCalls(
    () => cluster,
    () => speech,
  );
  const rejoins = new Map<Tracked, RejoinTracker>();
  const stop = async () => {
    cluster.fakes.openai.releaseReplies();
    for (const r of rejoins.values()) r.stop();
    await cc.hangUpAll();
  };
  const dumpLogs = (sinceMs = 0) => log(`what the workers and gateways logged:\n${clusterTimeline(cluster, sinceMs)}`);
  const tracked: Tracked[] = [];
  const t0 = Date.now();
  for (let i = 0; i < opts.calls; i++) {
    try {
      const call = await cc.placeCall();
      tracked.push({ call, expected: [['agent', greetingFor('en')]], users: 0 });
    } catch (err) {
      log(`call ${i + 1} of ${opts.calls} not served: ${(err as Error).message}`);
      dumpLogs();
      await stop();
      await cluster.stop();
      throw new Error(`call ${i + 1} of ${opts.calls} not served: ${(err as Error).message}`);
    }
  }
  const placedMs = Date.now() - t0;
  // What the web client does all through a call: join again should its SDK give up, or its media
  // with the agent not connect (CALL_MEDIA_BIND_MS). Without the media watch a caller whose SDK
  // re-joined after its node died into a half set-up session stayed there (CI, 6 December: the new
  // agent's track never subscribed, its apology said into that session).
  for (const t of tracked) rejoins.set(t, rejoinOnDisconnect(t.call.caller, t.call.client));
  const split = await splitOf(cluster, tracked);
  log(`${opts.calls} calls live after ${placedMs} ms: ${JSON.stringify(split)}`);
  const results: ClusterFaultResult[] = [];
  if (opts.progress) Object.assign(opts.progress, { calls: opts.calls, split, placedMs, results });

  /**
   * One normal turn of every call at once: each caller speaks, the fake STT emits one sentence per
   * call (which call gets which is read back from the store, as in the fault's own turn), and each
   * caller hears its answer. Returns the sentences the STT emitted, the independent record.
   */
  const turnAll = async (label: string): Promise<string[]> => {
    const storedBefore = await Promise.all(tracked.map(async (t) => (await cc.stored(t.call.id)).length));
    const sentBefore = cluster.fakes.deepgram.transcriptsSent.length;
    for (let i = 0; i < tracked.length; i++)
      cluster.fakes.deepgram.enqueue(`Question ${label} ${i + 1} about the weather.`);
    // Heard in whichever session each caller is in: its client may join again during the turn.
    const voices = tracked.map((t) => recordAgentVoice(t.call.caller));
    const ends = await Promise.all(tracked.map((t) => t.call.caller.say(speech)));
    await Promise.all(
      tracked.map(async (t, i) => {
        const explain = (err: Error) => {
          err.message = `${label}, call ${t.call.id}: ${err.message}; agents ${JSON.stringify(agentsPresent(t.call.caller))}; rejoins ${JSON.stringify(rejoins.get(t)?.rejoins ?? [])}`;
          return err;
        };
        await voices[i]!.firstVoicedAfter(ends[i]!.endedAt, 60_000).catch((err: Error) => {
          throw explain(err);
        });
        // Its answer over: the agent that serves the call listening again.
        await followServingAgent(t.call.caller, 'listening', 60_000).catch((err: Error) => {
          throw explain(err);
        });
        // Its user row: the first after what was stored before it spoke (an agent row from before,
        // the apology say, may be stored after that).
        const userRow = async () => (await cc.stored(t.call.id)).slice(storedBefore[i]).find((r) => r.role === 'user');
        await waitFor(async () => !!(await userRow()), 20_000, `call ${t.call.id}'s utterance stored`);
        const text = (await userRow())!.text as string;
        t.call.said.push(text);
        t.users++;
        t.expected.push(['user', text], ['agent', answerTo(t.users, text)]);
      }),
    ).finally(() => voices.forEach((v) => v.stop()));
    return cluster.fakes.deepgram.transcriptsSent.slice(sentBefore);
  };

  /** One fault, with every call's turn in flight; resolves with what it did to the calls. */
  const runFault = async (fault: ClusterFault): Promise<ClusterFaultResult> => {
    const roundAt = Date.now();
    try {
      // Each round starts from calls at rest: one agent in each room, listening, the caller following
      // it (after a round that failed, the next one still tests its own fault).
      await Promise.all(tracked.map((t) => followServingAgent(t.call.caller, 'listening', 60_000)));
      // Who the fault hits, decided before it hits.
      const pids = new Map(tracked.map((t) => [t, agentJobPid(t.call.caller)!]));
      let affected: Tracked[] = [];
      let inject: () => Promise<void>;
      let restore: () => Promise<void> = async () => undefined;
      if (fault === 'agent_job_sigkill') {
        // The first call's job process, and every call its job host runs beside it (AGENT_CALLS_PER_PROCESS).
        affected = tracked.filter((t) => pids.get(t) === pids.get(tracked[0]!));
        inject = async () => void process.kill(pids.get(tracked[0]!)!, 'SIGKILL');
      } else if (fault === 'agent_worker_sigkill') {
        const worker = (await cluster.workerOfJob(pids.get(tracked[0]!)!))!;
        for (const t of tracked) if ((await cluster.workerOfJob(pids.get(t)!)) === worker) affected.push(t);
        inject = async () => void worker.process.process.kill('SIGKILL');
        restore = () => worker.restart();
      } else if (fault === 'livekit_node_sigkill') {
        const name = (await cluster.placement(tracked[0]!.call.caller.call.room))!;
        for (const t of tracked) if ((await cluster.placement(t.call.caller.call.room)) === name) affected.push(t);
        const node = cluster.nodes.find((n) => n.name === name)!;
        inject = () => node.kill();
        restore = () => node.restart();
      } else {
        const gw = cluster.gateways[0]!;
        inject = () => gw.kill('SIGKILL');
        restore = () => gw.start();
      }
      // Every call's turn in flight: the utterance stored, its reply asked of the LLM and held.
      const storedBefore = await Promise.all(tracked.map(async (t) => (await cc.stored(t.call.id)).length));
      const sentBefore = cluster.fakes.deepgram.transcriptsSent.length;
      cluster.fakes.openai.holdReplies();
      for (let i = 0; i < tracked.length; i++)
        cluster.fakes.deepgram.enqueue(`Question ${fault} ${i + 1} about the weather.`);
      await Promise.all(tracked.map((t) => t.call.caller.say(speech)));
      await waitFor(
        async () =>
          (
            await Promise.all(tracked.map(async (t, i) => (await cc.stored(t.call.id)).length > storedBefore[i]!))
          ).every(Boolean) && cluster.fakes.openai.heldReplies >= tracked.length,
        90_000,
        'every call with its utterance stored and its reply held',
      );
      for (const [i, t] of tracked.entries()) {
        const rows = await cc.stored(t.call.id);
        const text = rows[storedBefore[i]!]!.text as string;
        t.call.said.push(text);
        t.users++;
        t.expected.push(['user', text]);
      }
      const sent = cluster.fakes.deepgram.transcriptsSent.slice(sentBefore);
      const inFlight = `${tracked.length} of ${tracked.length} calls with a user utterance stored and its reply held at the LLM`;

      const oldAgents = new Map(tracked.map((t) => [t, t.call.caller.agentIdentity]));
      // The workers list every call's job before the fault (what tells a lost node's jobs ended below).
      const before = await cluster.runningAgents();
      if (!tracked.every((t) => before.has(oldAgents.get(t)!)))
        throw new Error(`${fault}: the workers do not list every call's job (${[...before].join(', ')})`);
      // Every agent voice each caller hears from now on, in whichever session it is in (its client
      // may join again meanwhile).
      const voices = new Map(tracked.map((t) => [t, recordAgentVoice(t.call.caller)]));
      await inject();
      const faultAt = Date.now();
      log(`${fault}: injected, ${affected.length} calls affected`);
      // The calls the fault did not take their agent from get their answers now (held longer, the
      // agent's LLM requests time out and, retried three times, end its session).
      const goingOn = tracked.filter((t) => !affected.includes(t)).map((t) => answerTo(t.users, t.call.said.at(-1)!));
      cluster.fakes.openai.releaseReplies((r) => goingOn.includes(r));

      // The affected calls' old jobs are gone before any reply is released (none may answer late): a
      // killed job or worker takes their processes; a lost LiveKit node ends the jobs, whose job host
      // process may run on with other calls, so there no worker lists them any more (GET /jobs).
      await waitFor(
        async () => {
          if (fault !== 'livekit_node_sigkill') return affected.every((t) => !isAlive(pids.get(t)!));
          const listed = await cluster.runningAgents();
          return !affected.some((t) => listed.has(oldAgents.get(t)!));
        },
        60_000,
        'the affected calls’ old jobs gone',
      );
      cluster.fakes.openai.releaseReplies();

      const heardAgainMs: number[] = [];
      await Promise.all(
        tracked.map(async (t) => {
          const hit = affected.includes(t);
          // What the caller's session looked like, should its agent not come back or answer.
          const explain = (err: Error) => {
            const room = t.call.caller.room;
            const present = [...room.remoteParticipants.values()].map((p) => ({
              identity: p.identity,
              tracks: [...p.trackPublications.values()].map((pub) => ({
                sid: pub.sid,
                kind: pub.kind,
                subscribed: !!pub.track,
              })),
            }));
            err.message = `${fault}, call ${t.call.id} (${hit ? 'hit by the fault' : 'not hit'}, agent ${oldAgents.get(t)} before it): ${err.message}; connection ${room.connectionState}; participants ${JSON.stringify(present)}; agents ${JSON.stringify(agentsPresent(t.call.caller))}; rejoins ${JSON.stringify(rejoins.get(t)!.rejoins)}`;
            return err;
          };
          if (hit) {
            // A new agent in the caller's room (the same room, or the one a rejoin brought it to).
            await waitFor(
              () =>
                [...t.call.caller.room.remoteParticipants.keys()].some(
                  (id) => id.startsWith('agent-') && id !== oldAgents.get(t),
                ),
              120_000,
              `a new agent for call ${t.call.id}`,
            ).catch((err: Error) => {
              throw explain(err);
            });
            if (t.call.caller.agentIdentity === oldAgents.get(t))
              await followNewAgent(t.call.caller, 60_000).catch((err: Error) => {
                throw explain(err);
              });
            const heard = await voices
              .get(t)!
              .firstVoicedAfter(faultAt, 60_000)
              .catch((err: Error) => {
                throw explain(err);
              });
            heardAgainMs.push(heard - faultAt);
            t.expected.push(['agent', apologyFor('en')]);
            // The agent that serves the call now, whichever the one-agent rule kept (a rejoin or
            // LiveKit's re-run dispatch may bring a second one, soon removed), back to listening.
            await followServingAgent(t.call.caller, 'listening', 60_000).catch((err: Error) => {
              throw explain(err);
            });
          } else {
            // A call the fault did not hit keeps its agent: it answers and listens again.
            await voices
              .get(t)!
              .firstVoicedAfter(faultAt, 60_000)
              .catch((err: Error) => {
                throw explain(err);
              });
            t.expected.push(['agent', answerTo(t.users, t.call.said.at(-1)!)]);
            const serving = await followServingAgent(t.call.caller, 'listening', 60_000).catch((err: Error) => {
              throw explain(err);
            });
            if (serving !== oldAgents.get(t)) throw explain(new Error(`answered by ${serving}, not its own agent`));
          }
        }),
      );
      for (const v of voices.values()) v.stop();
      await restore();
      // Every call goes on: one more turn each, all at once.
      const sentAfter = await turnAll(`after ${fault}`);

      const counts = await compare(cc, tracked, log);
      if (counts.lost || counts.duplicated) {
        // Why a caller's sentence came out as more than one final (what ended each utterance).
        const unscripted = cluster.fakes.deepgram.sessions.flatMap((s) =>
          s.finals.flatMap((f, i) => (f.text === DEFAULT_TRANSCRIPT ? [[s.finals[i - 1] ?? null, f]] : [])),
        );
        log(`${fault}: the STT's unscripted finals, each after the one before it: ${JSON.stringify(unscripted)}`);
      }
      const convs = await cluster.database.db('conversations').whereIn(
        'id',
        tracked.map((t) => t.call.id),
      );
      const result: ClusterFaultResult = {
        fault,
        calls: tracked.length,
        inFlight,
        callsAffected: affected.length,
        heardAgainMs: heardAgainMs.sort((x, y) => x - y),
        ...counts,
        callsEnded: convs.filter((c) => c.status === 'ended').length,
        endReasons: convs.filter((c) => c.status === 'ended').map((c) => String(c.end_reason)),
      };
      // The independent record: each final the STT emitted this round is one stored user turn.
      const emitted = [...sent, ...sentAfter];
      const storedTexts = tracked.flatMap((t) =>
        t.expected
          .filter(([r]) => r === 'user')
          .slice(-2)
          .map(([, x]) => x),
      );
      if ([...emitted].sort().join('|') !== [...storedTexts].sort().join('|')) {
        result.lost += emitted.filter((s) => !storedTexts.includes(s)).length;
        result.duplicated += storedTexts.filter((s) => !emitted.includes(s)).length;
      }
      log(`${fault}: ${JSON.stringify(result)}`);
      // How the callers' clients got through it: their own joins again this round, why, and what
      // their watch saw then.
      const joinedAgain = tracked.flatMap((t) =>
        rejoins
          .get(t)!
          .rejoins.flatMap((r) => (r.disconnectedAt >= roundAt ? [{ cause: r.cause, seen: r.seen ?? null }] : [])),
      );
      log(`${fault}: callers joined again ${joinedAgain.length} times ${JSON.stringify(joinedAgain)}`);
      results.push(result);
      return result;
    } catch (err) {
      dumpLogs(roundAt);
      log(
        `${fault}: the callers' joins again this round ${JSON.stringify(tracked.map((t) => ({ call: t.call.id, rejoins: rejoins.get(t)!.rejoins.filter((r) => r.disconnectedAt >= roundAt) })))}`,
      );
      throw err;
    }
  };
  return { cluster, split, placedMs, results, runFault, hangUpAll: stop };
}

/** `startClusterLoad`, then each fault in turn (`npm run bench -- cluster`). */
export async function clusterUnderLoad(opts: ClusterLoadOptions): Promise<{
  run: ClusterLoadRun;
  cluster: Cluster;
  hangUpAll: () => Promise<void>;
}> {
  const load = await startClusterLoad(opts);
  try {
    for (const fault of opts.faults) await load.runFault(fault);
  } catch (err) {
    await load.hangUpAll();
    await load.cluster.stop();
    throw err;
  }
  const { split, placedMs, results } = load;
  return { run: { calls: opts.calls, split, placedMs, results }, cluster: load.cluster, hangUpAll: load.hangUpAll };
}

async function splitOf(cluster: Cluster, tracked: Tracked[]) {
  const nodes: Record<string, number> = {};
  const workers: Record<string, number> = {};
  for (const t of tracked) {
    const node = (await cluster.placement(t.call.caller.call.room)) ?? 'unknown';
    nodes[node] = (nodes[node] ?? 0) + 1;
    const worker = (await cluster.workerOfJob(agentJobPid(t.call.caller)!))?.name ?? 'unknown';
    workers[worker] = (workers[worker] ?? 0) + 1;
  }
  return { nodes, workers };
}

/** Every call's stored rows against what it must read: missing rows lost; extra, repeated or reused seqs duplicated. */
async function compare(cc: ReturnType<typeof clusterCalls>, tracked: Tracked[], log: (s: string) => void) {
  let expected = 0;
  let stored = 0;
  let lost = 0;
  let duplicated = 0;
  for (const t of tracked) {
    await waitFor(
      async () => (await cc.stored(t.call.id)).length >= t.expected.length,
      20_000,
      'every utterance stored',
    ).catch(() => undefined);
    const rows = await cc.stored(t.call.id);
    const got = rows.map((r) => `${r.role}:${r.text}`);
    const want = t.expected.map(([role, text]) => `${role}:${text}`);
    const seqs = rows.map((r) => r.seq);
    // As multisets: a call may rightly hold the same apology twice.
    const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
    const [g, w] = [count(got), count(want)];
    let missing = 0;
    let extra = seqs.length - new Set(seqs).size;
    for (const k of new Set([...g.keys(), ...w.keys()])) {
      missing += Math.max(0, (w.get(k) ?? 0) - (g.get(k) ?? 0));
      extra += Math.max(0, (g.get(k) ?? 0) - (w.get(k) ?? 0));
    }
    expected += want.length;
    stored += got.length;
    lost += missing;
    duplicated += extra;
    // The same rows in another order do not read as one conversation: counted as one lost.
    if (!missing && !extra && got.join('\n') !== want.join('\n')) lost += 1;
    if (got.join('\n') !== want.join('\n'))
      log(`call ${t.call.id} reads differently:\n  stored   ${got.join(' | ')}\n  expected ${want.join(' | ')}`);
  }
  return { expected, stored, lost, duplicated };
}

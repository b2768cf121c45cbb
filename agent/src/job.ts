import { defineAgent, log, voice, type JobContext, type JobProcess, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import {
  ConnectionState,
  DisconnectReason,
  ParticipantKind,
  RoomEvent,
  TrackKind,
  type RemoteParticipant,
} from '@livekit/rtc-node';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import {
  CALL_ENDS_AT_ATTRIBUTE,
  CALL_WARN_AT_ATTRIBUTE,
  CallMetadata,
  speechProblemMessages,
  TYPED_ERROR_TOPIC,
  type EndReason,
  DISPATCH_ID_ATTRIBUTE,
  isStaleAgent,
  roomDispatches,
  type AgentInRoom,
  CALL_MEDIA_BIND_MS,
} from '@parley/protocol';
import { apologyFor, fillerFor, greetingFor, ParleyAgent } from './agent';
import { pauseOnSpeechStart } from './barge-in';
import { fetchConversationHistory, resumeFrom } from './history';
import { limitSchedule, limitWarningFor } from './limits';
import { fetchMemory, recallTool } from './memory';
import { loadAgentConfig } from './config';
import { ProviderHealth } from './providers/health';
import { createLlm, createStt, createTts, inputSampleRate, stageChains } from './providers/index';
import { speechEngineProblems } from './providers/local/engines';
import { forgetJobMallocEnv } from './job-process';
import { JobMetrics } from './metrics/job-metrics';
import { DeliveryQueue } from './reporting/delivery';
import { IngestStream } from './reporting/ingest-stream';
import { Reporter } from './reporting/reporter';
import { Spool } from './reporting/spool';
import { typedTextInput } from './typed';
import { CallerWait } from './caller-wait';
import { adapterLabels, CallUsage, providerNamer } from './reporting/usage';

/**
 * The job entry, loaded in each forked job process. Prewarm runs once per process (Silero VAD);
 * `entry` runs once per call: it builds the pipeline from the dispatch metadata (written by the
 * gateway, never by the browser), greets the caller and reports the call to the gateway.
 */

const config = loadAgentConfig();
// The worker's malloc settings for this process (LD_PRELOAD of jemalloc…) are not for the speech engines it starts.
forgetJobMallocEnv();

/** How long the end of a call waits for the gateway to take the last events (job shutdown is bounded by the worker). */
const FLUSH_ON_END_MS = 3000;
/** How long closing the session (committing the last, possibly interrupted reply) may take. */
const SESSION_CLOSE_MS = 3000;

/**
 * How long a job may take to leave once it has asked to. agents 1.8.1 awaits `room.disconnect()`
 * without a bound in its teardown, and after a LiveKit restart that FFI answer can never come
 * (agents-js #1546): the job process stayed, counted as a running job, until its worker stopped.
 */
const TEARDOWN_MS = 20_000;

/** How long a new job waits for another agent found in its room to leave before it leaves itself. */
const OTHER_AGENT_GRACE_MS = 3000;
/** After a reconnection, how long to wait before each further look at whether the call was handed over. */
const SUPERSEDED_RECHECK_MS = [2000, 3000, 5000];

/** Another agent in the room that is still there after `graceMs`, if any. */
async function agentStaying(ctx: JobContext, graceMs: number) {
  const other = () => [...ctx.room.remoteParticipants.values()].find((p) => p.kind === ParticipantKind.AGENT);
  const deadline = Date.now() + graceMs;
  while (other() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return other();
}

/** Resolves true once `holds()` does (looked at now and on each `event`), false after `timeoutMs`. */
function roomHolds(
  ctx: JobContext,
  event: RoomEvent.ParticipantConnected | RoomEvent.TrackSubscribed,
  holds: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      clearTimeout(timer);
      ctx.room.off(event, check);
      resolve(v);
    };
    const check = () => holds() && done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    ctx.room.on(event, check);
    check();
  });
}

const callers = (ctx: JobContext) =>
  [...ctx.room.remoteParticipants.values()].filter((p) => p.kind !== ParticipantKind.AGENT);

/** Resolves true when a participant other than an agent is in the room, false after `timeoutMs`. */
const callerArrives = (ctx: JobContext, timeoutMs: number) =>
  roomHolds(ctx, RoomEvent.ParticipantConnected, () => callers(ctx).length > 0, timeoutMs);

/**
 * How long a replacement waits for its caller's audio before apologising anyway (a caller with no
 * microphone published, say). It outlasts the clients' media watch: a caller whose session came up
 * half set up (in the room, its media never connected) joins again after CALL_MEDIA_BIND_MS, and
 * the apology is for that new session; said earlier, nobody heard it (the 5 s this was before, in
 * the 4-call cluster test's node round, CI of 6 December). 7 s is for that join and its first
 * packets, under load.
 */
const CALLER_AUDIO_WAIT_MS = CALL_MEDIA_BIND_MS + 7000;

/**
 * Resolves true once this agent receives a caller's audio track, false after `timeoutMs`. LiveKit
 * forwards a track only once its first packets reached the server, so the caller's connection is up:
 * a caller re-joining after its node died is in the room (and subscribed, for agents' output)
 * before its connection is, and an apology said then was heard by nobody (seen in the cluster
 * test: 60 s of silence on the new agent's track at the caller).
 */
const callerAudioArrives = (ctx: JobContext, timeoutMs: number) =>
  roomHolds(
    ctx,
    RoomEvent.TrackSubscribed,
    () =>
      callers(ctx).some((p) =>
        [...p.trackPublications.values()].some((t) => t.kind === TrackKind.KIND_AUDIO && !!t.track),
      ),
    timeoutMs,
  );

/**
 * The caller's client gives up a session whose media with the agent did not connect
 * (CALL_MEDIA_BIND_MS, the clients' media watch) and joins again, replacing it: an apology said
 * to the old session was heard by nobody (the 4-call cluster test's node round, 6 December: the
 * replacement had the caller's audio and apologised at once; the caller's client joined again 8.7 s
 * later). When the caller joins again within CALLER_AUDIO_WAIT_MS of the apology, before any user
 * turn, it is said once more to the new session once its audio reaches the agent (at most
 * CALLER_AUDIO_WAIT_MS more). Not stored again: the same reply, delivered again.
 */
function sayAgainToNewSession(
  ctx: JobContext,
  session: voice.AgentSession,
  apology: string,
  logger: ReturnType<typeof log>,
  lastUserTurnAt: () => number,
  ending: () => boolean,
) {
  const saidAt = Date.now();
  const onJoin = (p: RemoteParticipant) => {
    if (p.kind === ParticipantKind.AGENT) return;
    stop();
    if (ending() || Date.now() - saidAt > CALLER_AUDIO_WAIT_MS || lastUserTurnAt() > saidAt) return;
    void roomHolds(
      ctx,
      RoomEvent.TrackSubscribed,
      () => [...p.trackPublications.values()].some((t) => t.kind === TrackKind.KIND_AUDIO && !!t.track),
      CALLER_AUDIO_WAIT_MS,
    ).then((heard) => {
      if (ending() || lastUserTurnAt() > saidAt) return;
      logger.info({ callerAudio: heard }, 'caller joined again after the apology; saying it again');
      try {
        session.say(apology, { allowInterruptions: true, addToChatCtx: false });
      } catch (err) {
        logger.warn({ errName: (err as Error).name }, 'apology not said again');
      }
    });
  };
  const timer = setTimeout(() => stop(), CALLER_AUDIO_WAIT_MS);
  const stop = () => {
    clearTimeout(timer);
    ctx.room.off(RoomEvent.ParticipantConnected, onJoin);
  };
  ctx.room.on(RoomEvent.ParticipantConnected, onJoin);
}

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<void>((r) => setTimeout(r, ms).unref())]);

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    proc.userData.vad = await silero.VAD.load({ minSpeechDuration: config.vadMinSpeechMs });
  },
  entry: async (ctx: JobContext) => {
    const metadata = CallMetadata.parse(JSON.parse(ctx.job.metadata || '{}'));
    const { conversationId, preferences } = metadata;
    const logger = log().child({ conversationId, guest: metadata.guest });
    // A conversation with stored utterances means this job replaces a lost agent: read them while
    // joining (a failure here means starting as a new call, which the gateway would see as seq reuse).
    const history = fetchConversationHistory(config.gateway, conversationId).catch((err: Error) => {
      logger.warn({ errName: err.name }, 'conversation history unavailable; starting as a new call');
      return [];
    });
    // Memory (opt-in, never for guests): the summaries of the caller's past conversations, asked
    // for while joining. The gateway re-checks the stored preference on every request.
    const remembers = !metadata.guest && preferences.memory;
    const memory = remembers
      ? fetchMemory(config.gateway, conversationId).catch((err: Error) => {
          logger.warn({ errName: err.name }, 'memory unavailable; starting without it');
          return [];
        })
      : Promise.resolve([]);

    const spool = new Spool(config.spoolDir, conversationId, (err) =>
      logger.warn(
        { errCode: (err as NodeJS.ErrnoException).code },
        'transcript spool unavailable; delivering without it',
      ),
    );
    // Prometheus figures go to this job's worker (agent/src/metrics), which outlives the job.
    const { stt: sttName, llm: llmName, tts: ttsName } = config.providers;
    const jobMetrics = new JobMetrics({ stt: sttName, llm: llmName, tts: ttsName }, process.env, ctx.job.id);
    // Batches go over one WebSocket to the gateway (agent/src/reporting/ingest-stream.ts).
    const ingestStream = new IngestStream(config.gateway, 3000);
    const queue = new DeliveryQueue({
      conversationId,
      onPush: (event) => jobMetrics.event(event),
      onBatch: (outcome, events) => jobMetrics.delivery(outcome, events),
      post: ingestStream.post,
      spool,
      onDeliveryError: ({ status, attempt, retrying, events }) =>
        (retrying && attempt < 3 ? logger.info.bind(logger) : logger.warn.bind(logger))(
          { status, attempt, retrying, events },
          retrying ? 'gateway did not take transcript events; retrying' : 'gateway refused transcript events; dropped',
        ),
    });
    jobMetrics.watchBacklog(() => queue.backlog().length);
    const resume = resumeFrom(await history);
    const reporter = new Reporter(queue, preferences.language, resume?.firstSeq);

    // The end is reported once, as early as possible (eager flush while the gateway is surely
    // reachable); the shutdown callback, which agents 1.8.1 runs last, is the backstop.
    let endReason: EndReason | null = null;
    /**
     * Set when this job leaves without the call having ended: its worker died (orphaned), LiveKit
     * removed it (a second agent in the room) or it lost its server. The call goes on with another
     * agent, so no end is reported.
     */
    let leftCallRunning = false;
    /**
     * The last caller left the room and nobody came since. Normally the call ends there and then;
     * if that waited (a LiveKit restart in progress) and LiveKit closes the agent-only room first,
     * the shutdown still reports the caller leaving, not an agent ending the call.
     */
    let callerLeft = false;
    let ending: Promise<void> | null = null;
    let session: voice.AgentSession | null = null;
    // Provider usage (tokens, characters, audio seconds), reported after each reply and before the
    // end; set once the pipeline is built.
    let usage: CallUsage | null = null;
    // Closed before a forced exit too: the local recogniser keeps a warm child process.
    const providers: Array<{ close(): Promise<void> }> = [];
    /**
     * Leaves the call; a teardown that outlives TEARDOWN_MS ends the process (the spool is on disk),
     * unless the process hosts other calls too (job-host-main.ts bounds each call's teardown itself).
     */
    const leave = (reason: string) => {
      if (!process.env.PARLEY_JOB_HOST)
        setTimeout(() => {
          logger.warn({ reason, teardownMs: TEARDOWN_MS }, 'job teardown stuck (room disconnect unanswered); exiting');
          void withTimeout(Promise.allSettled([...providers.map((p) => p.close()), jobMetrics.close()]), 3000).then(
            () => process.exit(0),
          );
        }, TEARDOWN_MS).unref();
      ctx.shutdown(reason);
    };
    const reportUsage = () => {
      if (usage?.changed) reporter.usage(usage.report());
    };
    const endCall = (reason: EndReason) => {
      ending ??= (async () => {
        endReason = reason;
        if (session)
          await withTimeout(
            session.close().catch(() => undefined),
            SESSION_CLOSE_MS,
          );
        reportUsage();
        reporter.callEnded(reason);
        await queue.flush(FLUSH_ON_END_MS);
        leave(reason);
      })();
      return ending;
    };
    /**
     * Why the call ends when this job is shut down with no reason of its own: the caller's leaving
     * if no caller is in the room any more (LiveKit closing a room the caller left can reach the
     * worker before the caller's leave reaches this job), else the agent's.
     */
    const unexplainedEnd = async (): Promise<EndReason> => {
      if (callerLeft) return 'caller_left';
      try {
        const name = ctx.job.room?.name ?? ctx.room.name ?? '';
        const listed = await withTimeout(
          new RoomServiceClient(
            config.livekit.url.replace(/^ws/, 'http'),
            config.livekit.apiKey,
            config.livekit.apiSecret,
          ).listParticipants(name),
          1000,
        );
        if (!listed) return 'agent_ended';
        return listed.some((p) => Number(p.kind) !== Number(ParticipantKind.AGENT) && !p.identity.startsWith('agent-'))
          ? 'agent_ended'
          : 'caller_left';
      } catch (err) {
        // The room is gone: closed after its caller left (an end the gateway records itself
        // otherwise, before this report).
        return /not.?found/i.test((err as Error).message) ? 'caller_left' : 'agent_ended';
      }
    };
    ctx.addShutdownCallback(async () => {
      reportUsage();
      if (!leftCallRunning || endReason) reporter.callEnded(endReason ?? (await unexplainedEnd()));
      const delivered = await queue.flush(FLUSH_ON_END_MS);
      queue.close();
      ingestStream.close();
      await jobMetrics.close();
      if (!delivered) {
        // A job host lives on after this call: its worker re-sends the file now, not at the host's exit.
        const file = process.env.PARLEY_JOB_HOST === '1' ? (spool.handOver() ?? spool.file) : spool.file;
        logger.warn(
          { backlog: queue.backlog().length, spool: file },
          'transcript events left in the spool for the worker to re-send',
        );
      }
    });

    // Looked for while connecting (a few ms): a call whose engines are missing cannot hear or speak.
    const missing = speechEngineProblems(config.providers);
    await ctx.connect();
    // This agent's own attributes, the dispatch its job came from first (the one-agent rule reads
    // it: protocol/src/single-agent.ts), the call's added once it starts. Set again after a
    // re-join: the participant it makes on the node that rebuilt the room may not carry them.
    const attributes: Record<string, string> = { [DISPATCH_ID_ATTRIBUTE]: ctx.job.dispatchId };
    const publishAttributes = async (keep: Record<string, string> = {}, once: Record<string, string> = {}) => {
      Object.assign(attributes, keep);
      await ctx.room.localParticipant?.setAttributes({ ...attributes, ...once });
    };
    await publishAttributes().catch((err: Error) =>
      logger.warn({ errName: err.name }, 'dispatch attribute not published'),
    );
    // LiveKit's server API, for what this job's own connection cannot do.
    const api = [config.livekit.url.replace(/^ws/, 'http'), config.livekit.apiKey, config.livekit.apiSecret] as const;
    const roomName = () => ctx.job.room?.name ?? ctx.room.name ?? '';
    /** Whether this job's agent keeps the call over `other` (see protocol/src/single-agent.ts). */
    const outranks = async (other: AgentInRoom): Promise<boolean> => {
      try {
        const current = roomDispatches(await new AgentDispatchClient(...api).listDispatch(roomName()));
        const me = { identity: ctx.room.localParticipant?.identity ?? `agent-${ctx.job.id}`, attributes };
        return isStaleAgent(other, current) && !isStaleAgent(me, current);
      } catch (err) {
        logger.warn({ errName: (err as Error).name }, 'room dispatches unavailable');
        return false;
      }
    };
    // At most one agent per room: if another one still serves it after a moment, leave quietly,
    // unless it is the lost agent of a room rebuilt on another LiveKit node (its job belongs to
    // none of the room's dispatches, this one's does): that one gives way (on its own, or removed
    // by the gateway), by the rule both ends share (protocol/src/single-agent.ts).
    const otherAgent = await agentStaying(ctx, OTHER_AGENT_GRACE_MS);
    if (otherAgent && (await outranks(otherAgent))) {
      logger.info('a lost agent is still listed in this rebuilt room; staying, it gives way');
    } else if (otherAgent) {
      leftCallRunning = true;
      logger.warn('another agent already serves this room; leaving');
      leave('duplicate agent');
      return;
    }
    reporter.callStarted();
    // The call's limit (maximum length, or what is left of the caller's monthly minutes), counted
    // from here: the call ends with limit_reached, which the caller's page shows; warned before.
    const maxCallSeconds = metadata.limits?.maxCallSeconds;
    const limit = maxCallSeconds ? limitSchedule(Date.now(), maxCallSeconds, metadata.limits?.warnSeconds ?? 0) : null;
    if (limit) {
      const limitTimer = setTimeout(() => {
        logger.info({ maxCallSeconds }, 'call limit reached; ending the call');
        void endCall('limit_reached');
      }, limit.endsAt - Date.now());
      ctx.addShutdownCallback(async () => clearTimeout(limitTimer));
    }
    const problems = speechProblemMessages(await missing);
    if (problems.length) {
      logger.error({ problems }, 'local speech engines missing; ending the call');
      await endCall('speech_unavailable');
      return;
    }
    // The room deleted (or its server shut down) ends the call; any other loss (removed as a
    // second agent, the server's connection lost) leaves it to the agent that replaces this one.
    ctx.room.on(RoomEvent.Disconnected, (reason: DisconnectReason) => {
      if (reason === DisconnectReason.ROOM_DELETED || reason === DisconnectReason.SERVER_SHUTDOWN)
        endReason ??= 'room_closed';
      else if (reason !== DisconnectReason.CLIENT_INITIATED) leftCallRunning = true;
    });
    // A job whose worker died is re-parented: leave now, so the gateway re-dispatches the call to
    // a live worker (agents-js would shut the orphan down only after its IPC timeout, mid-sentence).
    const parentPid = process.ppid;
    const orphanWatch = setInterval(() => {
      if (process.ppid === parentPid) return;
      clearInterval(orphanWatch);
      leftCallRunning = true;
      logger.warn('agent worker gone; leaving the call to a replacement agent');
      leave('worker lost');
    }, 500);
    orphanWatch.unref();
    ctx.addShutdownCallback(async () => clearInterval(orphanWatch));
    const removeSelf = () =>
      new RoomServiceClient(...api).removeParticipant(roomName(), ctx.room.localParticipant?.identity ?? '');
    const agentsHere = () => [...ctx.room.remoteParticipants.values()].filter((p) => p.kind === ParticipantKind.AGENT);
    /** Set at this job's first re-join of its room (before it, the room cannot have been rebuilt). */
    let rejoined = false;
    /**
     * Back in a room that was recreated on another LiveKit node (this one's died): the room's
     * stored dispatch ran again there and its agent, which has read the conversation so far,
     * serves the call. Gives way to it without a word (one agent per room); true when it did.
     */
    const giveWayIfSuperseded = async (): Promise<boolean> => {
      if (ending || leftCallRunning || reconnecting || !ctx.room.isConnected) return false;
      if (!(await superseded()) || leftCallRunning) return false;
      leftCallRunning = true;
      logger.warn('room recreated on another LiveKit node with a new dispatch; leaving the call to its agent');
      // Out of the room at once (the new agent waits for it), then the usual shutdown. Removed
      // through the server API too: this connection's own leave did not always reach the
      // rebuilt room, which then listed this agent until its ICE timed out (~20 s).
      await withTimeout(
        Promise.all([removeSelf().catch(() => undefined), ctx.room.disconnect().catch(() => undefined)]),
        2000,
      );
      leave('superseded');
      return true;
    };
    /**
     * Whether this job's room was rebuilt on another LiveKit node (its node died; LiveKit rebuilt
     * the room from Redis, same sid, and ran its stored dispatch again, whose agent serves the call
     * now): same room sid, this job's own dispatch gone, another one for this agent there, and an
     * agent of the room's dispatches in the room. A resumed connection, or a room where the gateway
     * added a replacement dispatch, still lists this job's own; a single server that restarted made
     * a new room (new sid) and this job stays.
     */
    const superseded = async (): Promise<boolean> => {
      const name = roomName();
      try {
        const [rooms, dispatches] = await Promise.all([
          new RoomServiceClient(...api).listRooms([name]),
          new AgentDispatchClient(...api).listDispatch(name),
        ]);
        const current = roomDispatches(dispatches);
        return (
          rooms[0]?.sid === ctx.job.room?.sid &&
          !dispatches.some((d) => d.id === ctx.job.dispatchId) &&
          dispatches.some((d) => d.agentName === ctx.job.agentName) &&
          // Its agent is here: leaving before it came left the caller alone, and the gateway took
          // that for a loss and dispatched one more agent (a recovery counted against the call).
          agentsHere().some((p) => !isStaleAgent(p, current))
        );
      } catch (err) {
        logger.warn({ errName: (err as Error).name }, 'room dispatches unavailable; staying in the call');
        return false;
      }
    };
    // The call ends when the last caller leaves (registered before anything else can await). While
    // this agent's own connection is down (a LiveKit restart), the SDK drops every participant
    // from the room: that is not the caller leaving. Once reconnected, a caller who is not there
    // has CALLER_REJOIN_MS to come back (LiveKit clients reconnect by themselves, the web client
    // rejoins); otherwise the call ends as server_restarted.
    let reconnecting = false;
    /** Gives a caller who is not in the room `ms` (CALLER_REJOIN_MS) to come (back), then ends the call. */
    const rejoinWait = new CallerWait<EndReason>((reason) => {
      if (ctx.room.remoteParticipants.size === 0) void endCall(callerLeft ? 'caller_left' : reason);
    });
    const awaitCaller = (reason: EndReason, ms = config.callerRejoinMs) => rejoinWait.start(reason, ms);
    const endIfAlone = () => {
      if (ctx.room.remoteParticipants.size !== 0) return;
      // The SDK says whether this connection is up; the flag can miss a Reconnected.
      if (reconnecting && ctx.room.connectionState === ConnectionState.CONN_CONNECTED) reconnecting = false;
      if (reconnecting) return;
      callerLeft = true;
      if (rejoinWait.pending) {
        logger.info('room empty while a caller may still rejoin; waiting before ending');
        return;
      }
      // The caller joining again under its identity (its SDK's full reconnect, the web client's
      // rejoin) replaces its old session: LiveKit announces the old one leaving, then the new one
      // joining (~30 ms later here), and the leaving carries no reason to rtc-node (UNKNOWN).
      awaitCaller('caller_left', CALLER_SWAP_MS);
    };
    ctx.room.on(RoomEvent.ParticipantDisconnected, (p) => {
      logger.info({ kind: p.kind, reason: disconnectReasonName(p.disconnectReason) }, 'participant left');
      endIfAlone();
    });
    ctx.room.on(RoomEvent.ParticipantConnected, (p) => {
      callerLeft = false;
      logger.info({ kind: p.kind }, 'participant joined');
      rejoinWait.cancel();
    });
    ctx.room.on(RoomEvent.Reconnecting, () => {
      reconnecting = true;
      logger.warn('connection to LiveKit lost; reconnecting');
    });
    ctx.room.on(RoomEvent.Reconnected, () => {
      reconnecting = false;
      const participants = ctx.room.remoteParticipants.size;
      logger.info({ participants }, 'reconnected to LiveKit');
      rejoined = true;
      void (async () => {
        // This agent's attributes again (before anything else: the gateway reads the dispatch one
        // when the agent of a re-run dispatch joins); and agents publishes lk.agent.state only
        // while connected: a change made during the outage (the reply ending, say) never reached
        // the caller, whose page would show it stale.
        publishAttributes({}, session ? { 'lk.agent.state': session.agentState } : {}).catch((err: Error) =>
          logger.warn({ errName: err.name }, 'agent attributes not re-published'),
        );
        if (await giveWayIfSuperseded()) return;
        if (ctx.room.remoteParticipants.size === 0) awaitCaller('server_restarted');
        // The room's dispatch may run again only after this job is back (its re-join is often what
        // rebuilt the room), and its agent joins later still: asked again a few times, and when an
        // agent joins (below).
        for (const delay of SUPERSEDED_RECHECK_MS) {
          await new Promise((r) => setTimeout(r, delay));
          if (await giveWayIfSuperseded()) return;
        }
      })();
    });
    ctx.room.on(RoomEvent.ParticipantConnected, (p) => {
      if (rejoined && p.kind === ParticipantKind.AGENT) void giveWayIfSuperseded();
    });
    ctx.addShutdownCallback(async () => rejoinWait.cancel());
    ctx.room.on(RoomEvent.Disconnected, (reason: DisconnectReason) =>
      logger.info({ reason: disconnectReasonName(reason) }, 'left the room'),
    );

    const vad = ctx.proc.userData.vad as VAD;
    const stt = createStt(config, preferences, vad);
    const tts = createTts(config, preferences);
    const llm = createLlm(config, preferences);
    providers.push(stt, tts);
    // Failover: the FallbackAdapters' availability changes go to the gateway at once (/readyz, the
    // web banner) and each stored turn says which provider served it.
    const chains = stageChains(config, { stt, llm, tts });
    usage = new CallUsage(ctx.job.id, providerNamer(chains), adapterLabels(chains));
    const health = new ProviderHealth(chains, (change) => {
      logger.warn(change, change.available ? 'provider recovered' : 'provider failed; fallback takes over');
      reporter.providerStatus(change);
    });
    reporter.trackProviders((stages) => health.turnServed(stages));
    // The session does not own providers it was given: close them with the call (the local
    // recogniser keeps a warm process otherwise).
    ctx.addShutdownCallback(async () => {
      await Promise.allSettled([stt.close(), tts.close()]);
    });
    session = new voice.AgentSession({
      vad,
      stt,
      llm,
      tts,
      // agents' AEC warm-up (default: the first 3 s of the agent's first speech, i.e. the greeting)
      // feeds the STT silence instead of the caller's audio: anything said over the greeting was
      // lost. Browsers and LiveKit clients cancel echo themselves; keep every word.
      aecWarmupDuration: null,
      // Self-hosted: without these the turn detector and adaptive interruption call LiveKit Cloud.
      turnHandling: {
        turnDetection: 'vad',
        interruption: { enabled: true, mode: 'vad', minDuration: config.minInterruptionMs },
      },
    });
    reporter.attach(session);
    const callUsage = usage;
    jobMetrics.attach(session, (m) => callUsage.counts(m));
    session.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => callUsage.collect(ev.metrics));
    session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
      if (ev.newState === 'listening') reportUsage();
    });
    const bargeIn = config.fastBargeIn ? pauseOnSpeechStart(session) : undefined;
    session.on(voice.AgentSessionEventTypes.Error, (ev) =>
      logger.warn(
        {
          source: (ev.source as { label?: string })?.label,
          recoverable: (ev.error as { recoverable?: boolean })?.recoverable,
        },
        'agent session error',
      ),
    );
    session.on(voice.AgentSessionEventTypes.Close, (ev) => {
      if (ev.error && !leftCallRunning) void endCall('agent_failed');
    });
    session.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => logger.debug({ metrics: ev.metrics }, 'metrics'));

    const agentSession = session;
    let lastUserTurnAt = 0;
    const agent = new ParleyAgent({
      preferences,
      memory: await memory,
      tools: remembers
        ? {
            recall: recallTool(config.gateway, conversationId, {
              onSlow: () => void agentSession.say(fillerFor(preferences.language), { addToChatCtx: false }),
            }),
          }
        : undefined,
      chatCtx: resume?.chatCtx,
      onReplyText: (segmentId, text) => reporter.agentText(segmentId, text),
      onUserTurn: (text) => {
        lastUserTurnAt = Date.now();
        reporter.userTurnCompleted(text);
      },
      bargeIn,
      outputFrameMs: config.outputFrameMs,
    });
    // Typed messages (typed.ts): checked, answered by voice, stored as typed; a refused one is
    // answered to its sender on TYPED_ERROR_TOPIC (the code only, never the text).
    const textInputCallback = typedTextInput({
      onRefused: (error, identity) => {
        logger.info({ code: error.code }, 'typed message refused');
        if (!identity) return;
        void ctx.room.localParticipant
          ?.sendText(JSON.stringify(error), { topic: TYPED_ERROR_TOPIC, destinationIdentities: [identity] })
          .catch((err: Error) =>
            logger.warn({ errName: err.name }, 'could not tell the caller why a typed message was refused'),
          );
      },
    });
    await session.start({
      agent,
      room: ctx.room,
      inputOptions: {
        closeOnDisconnect: true,
        textInputCallback,
        audioSampleRate: inputSampleRate(config),
        // patches/: agents' room input passes the frame size to rtc-node's AudioStream.
        audioFrameSizeMs: config.inputFrameMs,
      },
      // patches/: agents' session host (lk.agent.session events to the caller) only when asked for.
      sessionHost: config.sessionEvents,
    });
    // Lets the caller (and tests) see which conversation this agent serves.
    // (and, for fault tests, which job process serves it).
    // And, for a call with a limit, when it ends and when the page starts counting down.
    await publishAttributes({
      'parley.conversation_id': conversationId,
      'parley.job_pid': String(process.pid),
      ...(limit?.warns
        ? {
            [CALL_ENDS_AT_ATTRIBUTE]: new Date(limit.endsAt).toISOString(),
            [CALL_WARN_AT_ATTRIBUTE]: new Date(limit.warnAt).toISOString(),
          }
        : {}),
    });
    if (ending) return;
    // A replacement may start before its caller is back (their LiveKit node died and they are
    // reconnecting to the room recreated on a live node): it apologises once they are there.
    if (resume && ctx.room.remoteParticipants.size === 0 && !(await callerArrives(ctx, config.callerRejoinMs))) {
      logger.info('the caller did not come back; ending the call');
      await endCall('caller_left');
      return;
    }
    // A replacement's caller may be back in the room before its connection is (their node died):
    // the apology waits for their audio to reach this agent.
    if (resume && !(await callerAudioArrives(ctx, CALLER_AUDIO_WAIT_MS)))
      logger.info({ waitedMs: CALLER_AUDIO_WAIT_MS }, 'no audio from the caller yet; apologising anyway');
    if (ending) return;
    const opening = resume ? apologyFor(preferences.language) : greetingFor(preferences.language);
    reporter.scriptedReply(opening);
    agent.sayScripted(session, opening);
    if (resume)
      sayAgainToNewSession(
        ctx,
        session,
        opening,
        logger,
        () => lastUserTurnAt,
        () => ending !== null,
      );
    if (limit?.warns) {
      // Said whole (not interruptible), after whatever the agent is saying then.
      const agentSession = session;
      const warnTimer = setTimeout(
        () => {
          const secondsLeft = Math.round((limit.endsAt - Date.now()) / 1000);
          if (ending || secondsLeft < 2) return;
          const warning = limitWarningFor(preferences.language, secondsLeft);
          reporter.scriptedReply(warning);
          agentSession.say(warning, { allowInterruptions: false });
          logger.info({ secondsLeft }, 'call limit near; caller warned');
        },
        Math.max(0, limit.warnAt - Date.now()),
      );
      ctx.addShutdownCallback(async () => clearTimeout(warnTimer));
    }
    endIfAlone();
    logger.info(
      { providers: config.providers, language: preferences.language, resumed: resume !== null },
      resume ? 'call resumed by a replacement agent' : 'call started',
    );
  },
});

/** How long an empty room waits for the caller's new session before the call ends as caller_left. */
const CALLER_SWAP_MS = 1500;

const disconnectReasonName = (reason: DisconnectReason | undefined) =>
  reason === undefined ? undefined : (DisconnectReason[reason] ?? reason);

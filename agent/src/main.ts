// Configuration is read before any plugin is imported: plugins read provider keys at import time.
import { loadAgentConfig } from './config';

const config = loadAgentConfig();
const { AgentServer, ServerOptions, initializeLogger, log } = await import('@livekit/agents');
const { skipLocalEndOfTurnModel } = await import('./local-eot');
const { startHeartbeat } = await import('./heartbeat');
const { signalDescendants } = await import('@parley/tools');
const { recoverSpool } = await import('./reporting/spool');
const { startWorkerMetrics } = await import('./metrics/worker');

const DRAIN_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Readable lines at a terminal (npm start), JSON otherwise (containers, log collectors).
initializeLogger({ pretty: Boolean(process.stdout.isTTY), level: config.logLevel });
const logger = log();

// Turn detection is VAD (job.ts): no end-of-turn model process (~337 MB) next to the worker.
skipLocalEndOfTurnModel();
const { jobEntry, jobHostEntry } = await import('./job-process');
const { jobHostExecutors } = await import('./job-host');
const agentFile = await jobEntry(config, import.meta.url, (msg) => logger.warn(msg));
const server = new AgentServer(
  new ServerOptions({
    // One plain-JavaScript bundle of job.ts when run from the sources (tsx), job.js in the
    // production image; job processes start with the Node flags of job-process.ts.
    agent: agentFile,
    // Several calls per job process when configured (job-host.ts); agents' process per job otherwise.
    jobExecutorFactory:
      config.callsPerProcess > 1
        ? jobHostExecutors({
            hostMain: await jobHostEntry(config, import.meta.url),
            callsPerProcess: config.callsPerProcess,
          })
        : undefined,
    agentName: config.agentName,
    wsURL: config.livekit.url,
    apiKey: config.livekit.apiKey,
    apiSecret: config.livekit.apiSecret,
    host: config.health.host,
    port: config.health.port,
    // Production mode keeps job processes warm (join → entry in ~150 ms instead of ~2 s).
    production: true,
    numIdleProcesses: config.idleProcesses,
    // Load is our own job count, not whole-machine CPU: on a small box CPU spikes while a job
    // starts would make LiveKit silently drop dispatches (see shared STACK-FACTS).
    loadFunc: async (s) => Math.min(1, s.activeJobs.length / config.maxJobs),
    loadThreshold: 1,
    drainTimeout: DRAIN_MS,
    // Warming a job process (plugins + Silero) takes seconds on a busy 2-core box; 10 s is too tight.
    initializeProcessTimeout: 30_000,
  }),
);

const stopHeartbeat = startHeartbeat(server, config);
// Before server.run(): job processes are forked from here on and inherit where to report.
const stopMetrics = await startWorkerMetrics(server, config, logger);

/** Re-sends transcript events that a job left in the spool when it died (SIGKILL, crash). */
let recovering = false;
const recoverSpooled = async () => {
  if (recovering) return;
  recovering = true;
  try {
    await recoverSpool(config.spoolDir, config.gateway, {
      info: (o, m) => logger.info(o, m),
      warn: (o, m) => logger.warn(o, m),
    });
  } catch (err) {
    logger.warn({ err }, 'spool recovery failed');
  } finally {
    recovering = false;
  }
};
const spoolTimer = setInterval(() => void recoverSpooled(), config.spoolRecoveryMs);
spoolTimer.unref();
void recoverSpooled();
logger.info(
  { agentName: config.agentName, providers: config.providers, healthPort: config.health.port },
  'parley agent worker starting',
);

let stopping = false;
/**
 * Graceful stop: tell LiveKit we take no new jobs, let running calls finish (bounded), close, then
 * reap any job process that did not exit. agents-js 1.8.1's drain()/close() also wait on idle job
 * processes, and hang on one that is still initializing, so we wait on running jobs ourselves.
 */
async function shutdown(signal: string, code: number) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, activeJobs: server.activeJobs.length }, 'agent worker stopping');
  stopHeartbeat();
  clearInterval(spoolTimer);
  // Metrics stay up while calls drain (their jobs still report), closed at the very end.
  void server.drain(DRAIN_MS).catch(() => undefined);
  const deadline = Date.now() + DRAIN_MS;
  while (server.activeJobs.length > 0 && Date.now() < deadline) await sleep(100);
  await Promise.race([server.close().catch(() => undefined), sleep(5000)]);
  const reaped = await signalDescendants(process.pid, 'SIGKILL');
  if (reaped.length) logger.warn({ count: reaped.length }, 'killed job processes that did not exit');
  await stopMetrics();
  process.exit(code);
}
process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
process.once('SIGINT', () => void shutdown('SIGINT', 0));

try {
  await server.run();
} catch (err) {
  logger.fatal({ err }, 'agent worker failed');
  process.exit(1);
}

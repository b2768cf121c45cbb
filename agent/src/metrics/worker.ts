import type { AgentServer } from '@livekit/agents';
import type { AgentConfig } from '../config';
import { runningJobs } from '../heartbeat';
import { JOB_REPORT_SECRET_ENV, JOB_REPORT_URL_ENV } from './report';
import { startMetricsServer } from './server';
import { createWorkerMetrics } from './worker-metrics';

interface Log {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

/**
 * Starts the worker's metrics port and tells job processes (forked later, inheriting this
 * process's environment) where to report. A port already in use is logged and the worker runs on
 * without metrics: metrics never keep calls from being served. Returns the stop function.
 */
export async function startWorkerMetrics(
  server: AgentServer,
  config: AgentConfig,
  logger: Log,
): Promise<() => Promise<void>> {
  const { stt, llm, tts } = config.providers;
  const metrics = createWorkerMetrics({ stt, llm, tts });
  metrics.sources.activeJobs = () => server.activeJobs.length;
  metrics.sources.jobs = () => runningJobs(server);
  try {
    const running = await startMetricsServer(metrics, {
      ...config.metrics,
      onReportError: (err) => logger.warn({ errName: err.name }, 'a job metrics report was refused'),
    });
    // Jobs reach the port on loopback even when it listens on every address.
    const { port } = new URL(running.url);
    const loopback = ['0.0.0.0', '::', ''].includes(config.metrics.host) ? `http://127.0.0.1:${port}` : running.url;
    process.env[JOB_REPORT_URL_ENV] = loopback;
    process.env[JOB_REPORT_SECRET_ENV] = running.jobSecret;
    logger.info({ url: `${running.url}/metrics` }, 'agent metrics listening');
    return () => running.close();
  } catch (err) {
    logger.warn(
      { errCode: (err as NodeJS.ErrnoException).code, port: config.metrics.port },
      'agent metrics port unavailable; running without metrics',
    );
    return async () => undefined;
  }
}

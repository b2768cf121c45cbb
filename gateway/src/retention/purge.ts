import type { Logger } from 'pino';
import type { RetentionRepository } from '@parley/db';

/**
 * Deletes every conversation older than its owner's retention setting (users.retention_days;
 * null keeps everything). Age is measured from the call's end (else its creation); active calls
 * are never purged. Returns how many conversations were removed.
 */
export function purgeExpiredConversations(
  retention: RetentionRepository,
  now: Date = new Date(),
  onPurged?: OnPurged,
): Promise<number> {
  return retention.purgeExpired(now, undefined, onPurged);
}

/** Told about each batch of purged conversations (server.ts: the conversation.deleted webhook event). */
export type OnPurged = (purged: Array<{ id: string; userId: string }>) => Promise<void>;

export interface RetentionJob {
  /** Runs one purge now (also what the timer calls). */
  runOnce(): Promise<number>;
  stop(): void;
}

export const DEFAULT_PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The purge on a timer inside the gateway: an unref'd setInterval, so it never keeps the process
 * alive; runs never overlap; failures are logged (no personal data) and retried next tick.
 */
export function startRetentionJob(
  retention: RetentionRepository,
  logger: Logger,
  intervalMs = DEFAULT_PURGE_INTERVAL_MS,
  onPurged?: OnPurged,
): RetentionJob {
  let running: Promise<number> | null = null;
  let stopped = false;
  const runOnce = async () => {
    if (running) return running;
    running = (async () => {
      try {
        const purged = await purgeExpiredConversations(retention, new Date(), onPurged);
        if (purged > 0) logger.info({ event: 'retention_purge', purged }, 'expired conversations purged');
        return purged;
      } catch (err) {
        if (!stopped) logger.warn({ event: 'retention_purge', errName: (err as Error).name }, 'retention purge failed');
        return 0;
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    runOnce,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

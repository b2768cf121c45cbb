import type { Logger } from 'pino';
import type { AuditRepository, RetentionRepository } from '@parley/db';

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

/** What one run removed. */
export interface Purged {
  conversations: number;
  auditEvents: number;
}

export interface RetentionJob {
  /** Runs one purge now (also what the timer calls). */
  runOnce(): Promise<Purged>;
  stop(): void;
}

export const DEFAULT_PURGE_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;

export interface RetentionJobOptions {
  retention: RetentionRepository;
  /** Audit events older than `days` go too (AUDIT_RETENTION_DAYS), deleted accounts' included. */
  audit?: { events: AuditRepository; days: number };
  logger: Logger;
  intervalMs?: number;
  onPurged?: OnPurged;
}

/**
 * The purge on a timer inside the gateway: expired conversations (each owner's setting), then audit
 * events past AUDIT_RETENTION_DAYS. An unref'd setInterval, so it never keeps the process alive;
 * runs never overlap; failures are logged (no personal data) and retried next tick.
 */
export function startRetentionJob(options: RetentionJobOptions): RetentionJob {
  const { retention, audit, logger, intervalMs = DEFAULT_PURGE_INTERVAL_MS, onPurged } = options;
  let running: Promise<Purged> | null = null;
  let stopped = false;
  const runOnce = async () => {
    if (running) return running;
    running = (async () => {
      const purged: Purged = { conversations: 0, auditEvents: 0 };
      try {
        const now = new Date();
        purged.conversations = await purgeExpiredConversations(retention, now, onPurged);
        if (purged.conversations > 0)
          logger.info({ event: 'retention_purge', purged: purged.conversations }, 'expired conversations purged');
        if (audit) {
          purged.auditEvents = await audit.events.purgeOlderThan(new Date(now.getTime() - audit.days * DAY_MS));
          if (purged.auditEvents > 0)
            logger.info(
              { event: 'audit_retention_purge', purged: purged.auditEvents, days: audit.days },
              'expired audit events purged',
            );
        }
      } catch (err) {
        if (!stopped) logger.warn({ event: 'retention_purge', errName: (err as Error).name }, 'retention purge failed');
      } finally {
        running = null;
      }
      return purged;
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

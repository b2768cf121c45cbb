import type { Logger } from 'pino';
import type { ClaimedDelivery, Repositories } from '@parley/db';
import type { GatewayConfig } from '../config/config';
import type { Mailer } from '../mail/mailer';
import { mails } from '../mail/messages';
import { sendAttempt } from './sender';
import type { WebhookService } from './service';

const BATCH = 20;
const MAX_DELAY_MS = 6 * 3_600_000;
const LOG_KEEP_MS = 30 * 86_400_000;

/** Delay before attempt `n + 1` after `n` failed attempts: base · 2^(n−1), capped at 6 h, ±20 % jitter. */
export function retryDelayMs(failedAttempts: number, baseMs: number, random = Math.random): number {
  const raw = Math.min(baseMs * 2 ** Math.max(0, failedAttempts - 1), MAX_DELAY_MS);
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/**
 * Sends queued webhook deliveries from the database. Each gateway runs one: it claims due rows
 * under a lease (several gateways share the queue; a SIGKILLed gateway's claimed rows are taken
 * again when the lease runs out), sends each attempt, records the outcome, schedules a retry with
 * exponential backoff or gives up after WEBHOOK_MAX_ATTEMPTS, and disables an endpoint that has
 * failed without a success for WEBHOOK_DISABLE_AFTER_HOURS (telling its owner by mail).
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly leaseMs: number;
  private lastPrune = 0;

  constructor(
    private readonly repos: Repositories,
    private readonly service: WebhookService,
    private readonly config: GatewayConfig['webhooks'],
    private readonly logger: Logger,
    private readonly mailer: Mailer,
  ) {
    // Longer than one attempt can take, so a live sender never loses its row to another.
    this.leaseMs = config.timeoutMs + 5_000;
  }

  start(): void {
    this.schedule(0);
  }

  /** Sends now (new events were queued). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().finally(() => {
        this.running = null;
        const more = this.again;
        this.again = false;
        this.schedule(more ? 0 : this.config.pollMs);
      });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      for (;;) {
        const due = await this.repos.webhooks.claimDue(BATCH, this.leaseMs);
        if (!due.length || this.stopped) break;
        await Promise.all(due.map((d) => this.attempt(d)));
        if (due.length < BATCH) break;
      }
      if (Date.now() - this.lastPrune > 3_600_000) {
        this.lastPrune = Date.now();
        await this.repos.webhooks.pruneFinished(new Date(Date.now() - LOG_KEEP_MS));
      }
    } catch (err) {
      const e = err as { code?: unknown; name?: unknown };
      this.logger.warn({ errCode: e.code, errName: e.name }, 'webhook delivery pass failed');
    }
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const result = await sendAttempt(
      this.service.guard,
      { url: d.url, secret: this.service.openSecret(d.secretSealed), eventId: d.eventId, payload: d.payload },
      this.config.timeoutMs,
      this.abort.signal,
    );
    // Shutting down mid-attempt: leave the row to its lease (sent again later, same webhook-id).
    if (this.stopped) return;
    const log = { deliveryId: d.id, eventId: d.eventId, endpointId: d.endpointId, attempt: d.attempts + 1 };
    if (result.ok) {
      await this.repos.webhooks.recordDelivered(d, result.status);
      this.logger.info({ ...log, status: result.status }, 'webhook delivered');
      return;
    }
    const failed = d.attempts + 1;
    const retryAt =
      failed >= this.config.maxAttempts ? null : new Date(Date.now() + retryDelayMs(failed, this.config.retryBaseMs));
    const failingSince = await this.repos.webhooks.recordFailed(d, {
      httpStatus: result.status,
      error: result.error,
      retryAt,
    });
    this.logger.info(
      { ...log, status: result.status, error: result.error, retryAt: retryAt?.toISOString() ?? null },
      retryAt ? 'webhook attempt failed; will retry' : 'webhook delivery given up',
    );
    if (d.endpointId && failingSince && Date.now() - failingSince.getTime() >= this.config.disableAfterMs)
      await this.disable(d.endpointId, failingSince);
  }

  private async disable(endpointId: string, failingSince: Date) {
    const endpoint = await this.repos.webhooks.disableEndpoint(endpointId);
    if (!endpoint) return;
    this.logger.warn({ endpointId, failingSince: failingSince.toISOString() }, 'webhook endpoint disabled');
    if (!endpoint.userId) return; // instance-wide: the admins see it in Settings
    const owner = await this.repos.users.findById(endpoint.userId);
    if (!owner) return;
    await this.mailer
      .send(mails.webhookDisabled(owner.email, owner.displayName, endpoint.url, failingSince))
      .catch((err: Error) => this.logger.warn({ endpointId, errName: err.name }, 'webhook disabled notice not sent'));
  }
}

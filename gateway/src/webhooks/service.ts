import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Repositories, WebhookDeliveryRecord, WebhookEndpointRecord } from '@parley/db';
import {
  WEBHOOK_MAX_ENDPOINTS,
  WEBHOOK_SECRET_PREFIX,
  type CallEndedData,
  type CreateWebhookBody,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEvent,
  type WebhookEventType,
} from '@parley/protocol';
import type { GatewayConfig } from '../config/config';
import { presentConversation, presentUtterance } from '../conversations/presenter';
import { AppError, errors } from '../http/errors';
import { Sealer } from '../security/tokens';
import { UrlGuard, UrlRefused } from './url-guard';

export const presentEndpoint = (e: WebhookEndpointRecord): WebhookEndpoint => ({
  id: e.id,
  url: e.url,
  events: e.events as WebhookEventType[],
  scope: e.userId ? 'user' : 'instance',
  createdAt: e.createdAt.toISOString(),
  failingSince: e.failingSince?.toISOString() ?? null,
  disabledAt: e.disabledAt?.toISOString() ?? null,
});

export const presentDelivery = (d: WebhookDeliveryRecord): WebhookDelivery => ({
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType as WebhookEventType,
  status: d.status,
  attempts: d.attempts,
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  createdAt: d.createdAt.toISOString(),
  nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
  finishedAt: d.finishedAt?.toISOString() ?? null,
});

type Caller = { id: string; role: string };

/** An event to send: its payload's data and whose data it is (for deletion). */
interface Emit<T extends WebhookEventType> {
  type: T;
  userId: string;
  conversationId?: string;
  data: Extract<WebhookEvent, { type: T }>['data'];
}

/**
 * Outgoing webhooks, the side that users and features see: endpoints (register, list, delete,
 * re-enable) and events (`emit` turns an event into one queued delivery per endpoint that takes
 * it; the DeliveryWorker sends them). Emitting is a database insert and never waits for a receiver.
 */
export class WebhookService {
  readonly guard: UrlGuard;
  private readonly sealer: Sealer;
  /** Called after events are queued (the worker sends at once instead of at its next poll). */
  onQueued: () => void = () => {};

  constructor(
    private readonly repos: Repositories,
    config: GatewayConfig,
    private readonly logger: Logger,
  ) {
    this.guard = new UrlGuard(config.webhooks.allowedNetworks);
    this.sealer = new Sealer(config.session.secret, 'webhook-secret');
  }

  openSecret(sealed: string): string {
    return this.sealer.open(sealed);
  }

  async createEndpoint(caller: Caller, body: Required<CreateWebhookBody>) {
    if (body.scope === 'instance' && caller.role !== 'admin')
      throw new AppError(403, 'admin_only', 'Only an admin can register an endpoint for the whole instance.');
    let url: URL;
    try {
      url = await this.guard.check(body.url);
    } catch (err) {
      if (!(err instanceof UrlRefused)) throw err;
      throw new AppError(400, 'webhook_url_refused', refusalMessage(err.reason), { reason: err.reason });
    }
    const mine = await this.repos.webhooks.listEndpoints(caller.id, false);
    if (mine.length >= WEBHOOK_MAX_ENDPOINTS)
      throw errors.conflict('conflict', `At most ${WEBHOOK_MAX_ENDPOINTS} endpoints per account.`);
    const secret = WEBHOOK_SECRET_PREFIX + randomBytes(24).toString('base64');
    const record = await this.repos.webhooks.createEndpoint({
      userId: body.scope === 'instance' ? null : caller.id,
      url: url.toString(),
      secretSealed: this.sealer.seal(secret),
      events: [...new Set(body.events)],
    });
    return { endpoint: presentEndpoint(record), secret };
  }

  /** The endpoint if the caller may manage it (theirs, or instance-wide for an admin), else a 404. */
  async manageable(caller: Caller, id: string): Promise<WebhookEndpointRecord> {
    const e = await this.repos.webhooks.findEndpoint(id);
    if (!e || (e.userId ? e.userId !== caller.id : caller.role !== 'admin')) throw errors.notFound('Webhook endpoint');
    return e;
  }

  /**
   * Queues `event` for every enabled endpoint that takes it (the user's and the instance-wide ones).
   * `repos`: a transaction's repositories, so the event is queued with the change it reports.
   */
  async emit<T extends WebhookEventType>(event: Emit<T>, repos: Repositories = this.repos): Promise<number> {
    const endpoints = await repos.webhooks.endpointsFor(event.type, event.userId);
    if (!endpoints.length) return 0;
    const eventId = `msg_${randomUUID().replaceAll('-', '')}`;
    const payload = JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), data: event.data });
    await repos.webhooks.enqueue(
      endpoints.map((e) => ({
        eventId,
        eventType: event.type,
        endpointId: e.id,
        subjectUserId: event.userId,
        conversationId: event.conversationId ?? null,
        url: e.url,
        secretSealed: e.secretSealed,
        payload,
      })),
    );
    this.logger.info({ eventId, eventType: event.type, endpoints: endpoints.length }, 'webhook event queued');
    if (repos === this.repos) this.onQueued();
    return endpoints.length;
  }

  /** The retention purge deleted these conversations: each one's conversation.deleted (reason retention). */
  async conversationsPurged(purged: Array<{ id: string; userId: string }>): Promise<void> {
    for (const { id, userId } of purged) {
      await this.repos.webhooks.cancelForConversation(id);
      await this.emit({
        type: 'conversation.deleted',
        userId,
        conversationId: id,
        data: { userId, conversationId: id, reason: 'retention' },
      });
    }
  }

  /** Call path: queues call.ended in the background; the call's end never waits for it. */
  callEnded(userId: string, conversationId: string): void {
    this.emitCallEnded(userId, conversationId).catch((err: Error) =>
      this.logger.warn({ conversationId, errName: err.name }, 'webhook call.ended not queued'),
    );
  }

  private async emitCallEnded(userId: string, conversationId: string) {
    const endpoints = await this.repos.webhooks.endpointsFor('call.ended', userId);
    if (!endpoints.length) return;
    const c = await this.repos.conversations.findOwned(userId, conversationId);
    if (!c) return;
    const utterances = await this.repos.utterances.list(c.id);
    const firstUser = utterances.find((u) => u.role === 'user')?.text ?? null;
    const latencies = utterances
      .map((u) => u.metrics?.e2eLatencyMs)
      .filter((v): v is number => typeof v === 'number')
      .sort((a, b) => a - b);
    const mid = latencies.length >> 1;
    const data: CallEndedData = {
      userId,
      conversation: presentConversation(c, firstUser),
      utterances: utterances.map(presentUtterance),
      usage: {
        durationMs: c.durationMs,
        turns: c.turnCount,
        medianTurnLatencyMs: !latencies.length
          ? null
          : latencies.length % 2
            ? latencies[mid]!
            : (latencies[mid - 1]! + latencies[mid]!) / 2,
      },
    };
    await this.emit({ type: 'call.ended', userId, conversationId, data });
  }
}

function refusalMessage(reason: UrlRefused['reason']): string {
  switch (reason) {
    case 'invalid_url':
      return 'The endpoint URL is not a valid https:// URL.';
    case 'not_https':
      return 'The endpoint URL must use https://.';
    case 'private_address':
      return 'The endpoint URL points to a private, loopback or link-local address, which Parley does not call.';
    case 'unresolvable':
      return 'The endpoint’s host name does not resolve.';
  }
}

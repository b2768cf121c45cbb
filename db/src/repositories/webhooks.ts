import type { Database } from '../connect';
import { affectedRows, rowsOf, type Row } from './rows';

/** A registered receiver: a user's (userId) or the whole instance's (userId null, made by an admin). */
export interface WebhookEndpointRecord {
  id: string;
  userId: string | null;
  url: string;
  secretSealed: string;
  events: string[];
  createdAt: Date;
  failingSince: Date | null;
  disabledAt: Date | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One row of the delivery log (no payload, no secret). */
export interface WebhookDeliveryRecord {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date;
  finishedAt: Date | null;
}

/** A delivery a sender has claimed: what it needs to sign and send one attempt. */
export interface ClaimedDelivery extends WebhookDeliveryRecord {
  url: string;
  secretSealed: string;
  payload: string;
}

export interface NewDelivery {
  eventId: string;
  eventType: string;
  endpointId: string | null;
  subjectUserId: string | null;
  conversationId: string | null;
  url: string;
  secretSealed: string;
  payload: string;
}

const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as string[]) : (v as string[]));

const ENDPOINT_COLUMNS = [
  'id',
  'user_id',
  'url',
  'secret_sealed',
  'events',
  'created_at',
  'failing_since',
  'disabled_at',
];
const toEndpoint = (r: Row): WebhookEndpointRecord => ({
  id: r.id,
  userId: r.user_id,
  url: r.url,
  secretSealed: r.secret_sealed,
  events: json(r.events),
  createdAt: new Date(r.created_at),
  failingSince: date(r.failing_since),
  disabledAt: date(r.disabled_at),
});

const DELIVERY_COLUMNS = [
  'id',
  'event_id',
  'event_type',
  'endpoint_id',
  'status',
  'attempts',
  'last_status',
  'last_error',
  'created_at',
  'next_attempt_at',
  'finished_at',
];
const toDelivery = (r: Row): WebhookDeliveryRecord => ({
  id: r.id,
  eventId: r.event_id,
  eventType: r.event_type,
  endpointId: r.endpoint_id,
  status: r.status,
  attempts: Number(r.attempts),
  lastStatus: r.last_status === null ? null : Number(r.last_status),
  lastError: r.last_error,
  createdAt: new Date(r.created_at),
  nextAttemptAt: new Date(r.next_attempt_at),
  finishedAt: date(r.finished_at),
});

/** Outgoing webhooks: endpoints, and the durable delivery queue that is also their delivery log. */
export class WebhooksRepository {
  constructor(private readonly db: Database) {}

  async createEndpoint(input: {
    userId: string | null;
    url: string;
    secretSealed: string;
    events: string[];
  }): Promise<WebhookEndpointRecord> {
    const [row] = await this.db('webhook_endpoints')
      .insert({
        user_id: input.userId,
        url: input.url,
        secret_sealed: input.secretSealed,
        events: JSON.stringify(input.events),
      })
      .returning(ENDPOINT_COLUMNS);
    return toEndpoint(row as Row);
  }

  /** The user's endpoints, and the instance-wide ones when `withInstance` (admins), newest first. */
  async listEndpoints(userId: string, withInstance: boolean): Promise<WebhookEndpointRecord[]> {
    const rows = await this.db('webhook_endpoints')
      .where({ user_id: userId })
      .modify((q) => {
        if (withInstance) q.orWhereNull('user_id');
      })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .select(ENDPOINT_COLUMNS);
    return (rows as Row[]).map(toEndpoint);
  }

  async findEndpoint(id: string): Promise<WebhookEndpointRecord | null> {
    const row = await this.db('webhook_endpoints').where({ id }).first(ENDPOINT_COLUMNS);
    return row ? toEndpoint(row as Row) : null;
  }

  /** Deletes an endpoint; its undelivered events are given up (never sent to a deleted endpoint). */
  async deleteEndpoint(id: string, now = new Date()): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      await trx('webhook_deliveries')
        .where({ endpoint_id: id, status: 'pending' })
        .update({ status: 'failed', last_error: 'endpoint_deleted', payload: null, finished_at: now });
      return (await trx('webhook_endpoints').where({ id }).delete()) > 0;
    });
  }

  /** Turns a disabled endpoint back on, with a clean failure record. */
  async enableEndpoint(id: string): Promise<WebhookEndpointRecord | null> {
    const [row] = await this.db('webhook_endpoints')
      .where({ id })
      .update({ disabled_at: null, failing_since: null })
      .returning(ENDPOINT_COLUMNS);
    return row ? toEndpoint(row as Row) : null;
  }

  /** Enabled endpoints that take `eventType` for this user's data: theirs and the instance-wide ones. */
  async endpointsFor(eventType: string, userId: string): Promise<WebhookEndpointRecord[]> {
    const rows = await this.db('webhook_endpoints')
      .whereNull('disabled_at')
      .andWhere((q) => q.where({ user_id: userId }).orWhereNull('user_id'))
      .andWhereRaw('events @> ?::jsonb', [JSON.stringify([eventType])])
      .select(ENDPOINT_COLUMNS);
    return (rows as Row[]).map(toEndpoint);
  }

  async enqueue(deliveries: NewDelivery[]): Promise<void> {
    if (!deliveries.length) return;
    await this.db('webhook_deliveries').insert(
      deliveries.map((d) => ({
        event_id: d.eventId,
        event_type: d.eventType,
        endpoint_id: d.endpointId,
        subject_user_id: d.subjectUserId,
        conversation_id: d.conversationId,
        url: d.url,
        secret_sealed: d.secretSealed,
        payload: d.payload,
      })),
    );
  }

  /**
   * Claims up to `limit` due deliveries for one attempt each: a lease (`locked_until`) keeps other
   * senders off them until it runs out, so a sender that dies mid-attempt (SIGKILL) leaves its rows
   * to be taken again after `leaseMs`. SKIP LOCKED lets several gateways claim side by side.
   */
  async claimDue(limit: number, leaseMs: number, now = new Date()): Promise<ClaimedDelivery[]> {
    const result = await this.db.raw(
      `UPDATE webhook_deliveries SET locked_until = ?
       WHERE id IN (
         SELECT id FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?)
         ORDER BY next_attempt_at, created_at
         LIMIT ?
         FOR UPDATE SKIP LOCKED)
       RETURNING ${[...DELIVERY_COLUMNS, 'url', 'secret_sealed', 'payload'].join(', ')}`,
      [new Date(now.getTime() + leaseMs), now, now, limit],
    );
    return rowsOf(result).map((r) => ({
      ...toDelivery(r),
      url: r.url,
      secretSealed: r.secret_sealed,
      payload: r.payload ?? '',
    }));
  }

  /** The receiver answered 2xx: the delivery is done and its endpoint is healthy again. */
  async recordDelivered(d: { id: string; endpointId: string | null }, httpStatus: number, now = new Date()) {
    await this.db('webhook_deliveries')
      .where({ id: d.id, status: 'pending' })
      .update({
        status: 'delivered',
        attempts: this.db.raw('attempts + 1'),
        last_status: httpStatus,
        last_error: null,
        locked_until: null,
        payload: null,
        finished_at: now,
      });
    if (d.endpointId)
      await this.db('webhook_endpoints')
        .where({ id: d.endpointId })
        .whereNotNull('failing_since')
        .update({ failing_since: null });
  }

  /**
   * An attempt failed. `retryAt` null: give up (status failed). Returns since when the endpoint has
   * been failing (null for a delivery without an endpoint).
   */
  async recordFailed(
    d: { id: string; endpointId: string | null },
    outcome: { httpStatus: number | null; error: string; retryAt: Date | null },
    now = new Date(),
  ): Promise<Date | null> {
    await this.db('webhook_deliveries')
      .where({ id: d.id, status: 'pending' })
      .update({
        attempts: this.db.raw('attempts + 1'),
        last_status: outcome.httpStatus,
        last_error: outcome.error.slice(0, 200),
        locked_until: null,
        ...(outcome.retryAt
          ? { next_attempt_at: outcome.retryAt }
          : { status: 'failed', payload: null, finished_at: now }),
      });
    if (!d.endpointId) return null;
    const [row] = await this.db('webhook_endpoints')
      .where({ id: d.endpointId })
      .update({ failing_since: this.db.raw('coalesce(failing_since, ?)', [now]) })
      .returning(['failing_since']);
    return row ? date((row as Row).failing_since) : null;
  }

  /**
   * Disables an endpoint that has been failing too long and gives up its undelivered events.
   * Returns the endpoint when this call disabled it (null when it was already disabled or gone).
   */
  async disableEndpoint(id: string, now = new Date()): Promise<WebhookEndpointRecord | null> {
    return this.db.transaction(async (trx) => {
      const [row] = await trx('webhook_endpoints')
        .where({ id })
        .whereNull('disabled_at')
        .update({ disabled_at: now })
        .returning(ENDPOINT_COLUMNS);
      if (!row) return null;
      await trx('webhook_deliveries')
        .where({ endpoint_id: id, status: 'pending' })
        .update({ status: 'failed', last_error: 'endpoint_disabled', payload: null, finished_at: now });
      return toEndpoint(row as Row);
    });
  }

  /** An endpoint's delivery log, newest first. */
  async listDeliveries(endpointId: string, limit = 50): Promise<WebhookDeliveryRecord[]> {
    const rows = await this.db('webhook_deliveries')
      .where({ endpoint_id: endpointId })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit)
      .select(DELIVERY_COLUMNS);
    return (rows as Row[]).map(toDelivery);
  }

  /** Account deletion: every delivery holding this user's data goes (sent or not). */
  async deleteForSubject(userId: string): Promise<number> {
    return affectedRows(await this.db.raw('DELETE FROM webhook_deliveries WHERE subject_user_id = ?', [userId]));
  }

  /** Conversation deletion: its transcript is not sent any more once deleted. */
  async cancelForConversation(conversationId: string, now = new Date()): Promise<void> {
    await this.db('webhook_deliveries')
      .where({ conversation_id: conversationId, status: 'pending' })
      .update({ status: 'failed', last_error: 'conversation_deleted', payload: null, finished_at: now });
  }

  /** Forgets finished deliveries older than `before` (the log keeps recent ones). */
  async pruneFinished(before: Date): Promise<number> {
    return affectedRows(
      await this.db.raw(`DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < ?`, [before]),
    );
  }
}

import { api, pathOf, type IngestEvent } from '@parley/protocol';
import { GatewayHttpError } from './gateway-client';
import type { Spool } from './spool';

/**
 * Ordered delivery of one conversation's events to the gateway.
 *
 * - One batch in flight at a time, events in the order they were queued (seqs are assigned by
 *   the caller before queueing, so the gateway sees them in seq order).
 * - Durable events (utterance, call_started, call_ended) are never dropped on a retryable error:
 *   5xx, 408, 429, 401/403 (a rotating credential) and network errors are retried with
 *   exponential backoff and jitter, resending the same batch (the gateway is idempotent on seq).
 * - Transient events (interim, agent_state) are coalesced while queued (the newest interim of a
 *   segment and the newest agent state replace older ones) and dropped once stale.
 * - Every change to the undelivered durable events is mirrored to the spool file.
 * - A batch the gateway refuses for good (400, 404, 413) is dropped and reported.
 */

export type Post = (path: string, payload: unknown) => Promise<unknown>;

export interface DeliveryOptions {
  conversationId: string;
  post: Post;
  spool?: Spool;
  /** First retry delay; doubles per attempt up to maxDelayMs, with jitter (default 200 / 3000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Interims older than this are not sent any more (default 5000). */
  staleTransientMs?: number;
  maxBatch?: number;
  onDeliveryError?: (info: { status: number | null; attempt: number; retrying: boolean; events: number }) => void;
  /** Every event as it is queued, and every batch's outcome (metrics, agent/src/metrics). */
  onPush?: (event: IngestEvent) => void;
  onBatch?: (outcome: 'delivered' | 'retrying' | 'dropped', events: number) => void;
}

interface Entry {
  event: IngestEvent;
  at: number;
}

export const isDurable = (e: IngestEvent) =>
  e.type === 'utterance' || e.type === 'call_started' || e.type === 'call_ended';

export class DeliveryQueue {
  readonly #o: Required<Omit<DeliveryOptions, 'spool' | 'onDeliveryError' | 'onPush' | 'onBatch'>> &
    Pick<DeliveryOptions, 'spool' | 'onDeliveryError' | 'onPush' | 'onBatch'>;
  #pending: Entry[] = [];
  #inflight: Entry[] = [];
  #running = false;
  #closed = false;
  #wake: (() => void) | null = null;
  #idleWaiters: Array<() => void> = [];
  /** Counters for tests and logs. */
  readonly stats = { sent: 0, batches: 0, failures: 0, droppedTransient: 0, droppedDurable: 0 };

  constructor(opts: DeliveryOptions) {
    this.#o = { baseDelayMs: 200, maxDelayMs: 3000, staleTransientMs: 5000, maxBatch: 200, ...opts };
  }

  get path() {
    return pathOf(api.internal.ingest.path, { id: this.#o.conversationId });
  }

  /** Events not yet acknowledged (in flight first). */
  backlog(): IngestEvent[] {
    return [...this.#inflight, ...this.#pending].map((e) => e.event);
  }

  push(event: IngestEvent): void {
    if (this.#closed) return;
    this.#o.onPush?.(event);
    const entry = { event, at: Date.now() };
    if (event.type === 'interim') {
      const i = this.#pending.findIndex((p) => p.event.type === 'interim' && p.event.segmentId === event.segmentId);
      if (i >= 0) this.#pending[i] = entry;
      else this.#pending.push(entry);
    } else if (event.type === 'agent_state') {
      this.#pending = this.#pending.filter((p) => p.event.type !== 'agent_state');
      this.#pending.push(entry);
    } else {
      this.#pending.push(entry);
      this.#saveSpool();
    }
    this.#kick();
  }

  /** Resolves true once everything queued so far is delivered, false when timeoutMs passed first. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.#isIdle()) return true;
    this.#wake?.(); // skip a pending backoff: try now
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.#idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const ok = await Promise.race([drained, timeout]);
    clearTimeout(timer);
    return ok;
  }

  /** Stops sending. Undelivered durable events stay in the spool for recovery. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  #isIdle() {
    return this.#pending.length === 0 && this.#inflight.length === 0;
  }

  #saveSpool() {
    this.#o.spool?.write(this.backlog().filter(isDurable));
  }

  #kick() {
    if (this.#running) return;
    this.#running = true;
    void this.#pump().finally(() => {
      this.#running = false;
      if (!this.#closed && this.#pending.length) this.#kick();
    });
  }

  async #pump() {
    let attempt = 0;
    while (!this.#closed) {
      if (this.#inflight.length === 0) {
        const now = Date.now();
        const fresh = this.#pending.filter((p) => p.event.type !== 'interim' || now - p.at <= this.#o.staleTransientMs);
        this.stats.droppedTransient += this.#pending.length - fresh.length;
        this.#inflight = fresh.slice(0, this.#o.maxBatch);
        this.#pending = fresh.slice(this.#o.maxBatch);
      }
      if (this.#inflight.length === 0) break;
      const batch = this.#inflight;
      try {
        await this.#o.post(this.path, { events: batch.map((b) => b.event) });
        this.stats.sent += batch.length;
        this.stats.batches++;
        this.#o.onBatch?.('delivered', batch.length);
        this.#inflight = [];
        attempt = 0;
        if (batch.some((b) => isDurable(b.event))) this.#saveSpool();
      } catch (err) {
        const status = err instanceof GatewayHttpError ? err.status : null;
        const permanent = err instanceof GatewayHttpError && !err.retryable && status !== 401 && status !== 403;
        this.stats.failures++;
        attempt++;
        this.#o.onDeliveryError?.({ status, attempt, retrying: !permanent, events: batch.length });
        this.#o.onBatch?.(permanent ? 'dropped' : 'retrying', batch.length);
        if (permanent) {
          this.stats.droppedDurable += batch.filter((b) => isDurable(b.event)).length;
          this.#inflight = [];
          this.#saveSpool();
          continue;
        }
        // Merge what arrived meanwhile so the retry also carries it (order kept: in-flight first).
        this.#pending = [...this.#inflight, ...this.#pending];
        this.#inflight = [];
        await this.#sleep(this.#backoff(attempt));
      }
    }
    if (this.#isIdle()) for (const w of this.#idleWaiters.splice(0)) w();
  }

  #backoff(attempt: number): number {
    const cap = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (attempt - 1));
    return cap / 2 + Math.random() * (cap / 2); // "equal jitter": never zero, never in lockstep
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }
}

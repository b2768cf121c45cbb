import { EventEmitter } from 'node:events';
import type { Redis } from './redis';

export type Unsubscribe = () => Promise<void>;

const RESUBSCRIBE_SETTLE_MS = 250;

/** Pub/sub between gateway processes: Redis when configured, in-process otherwise. */
export interface Bus {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe>;
  /**
   * Called after the bus lost its connection and got it back: messages published in between were
   * not delivered, so subscribers should catch up from the store. Returns a function that removes
   * the listener.
   */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

export class LocalBus implements Bus {
  private emitter = new EventEmitter().setMaxListeners(0);
  /** In-process delivery never loses its connection. */
  onReconnect(): () => void {
    return () => undefined;
  }
  async publish(channel: string, message: string) {
    this.emitter.emit(channel, message);
  }
  async subscribe(channel: string, onMessage: (message: string) => void) {
    this.emitter.on(channel, onMessage);
    return async () => {
      this.emitter.off(channel, onMessage);
    };
  }
  async close() {
    this.emitter.removeAllListeners();
  }
}

/**
 * Redis pub/sub with one subscriber connection per process, fanned out locally, so a thousand
 * browsers watching one conversation cost one Redis subscription. node-redis resubscribes after
 * a reconnect on its own.
 */
export class RedisBus implements Bus {
  private local = new LocalBus();
  /** Per channel: local subscriber count and the Redis SUBSCRIBE in flight or done. */
  private channels = new Map<string, { count: number; ready: Promise<void> }>();
  private reconnectListeners = new Set<() => void>();
  constructor(
    private pub: Redis,
    private sub: Redis,
    private prefix: string,
  ) {
    let lost = false;
    sub.on('error', () => (lost = true));
    sub.on('ready', () => {
      if (!lost) return;
      lost = false;
      // node-redis re-sends SUBSCRIBE right after 'ready'; catch up once that has gone through.
      setTimeout(() => this.reconnectListeners.forEach((l) => l()), RESUBSCRIBE_SETTLE_MS).unref();
    });
  }
  onReconnect(listener: () => void) {
    this.reconnectListeners.add(listener);
    return () => void this.reconnectListeners.delete(listener);
  }
  async publish(channel: string, message: string) {
    await this.pub.publish(this.prefix + channel, message);
  }
  async subscribe(channel: string, onMessage: (message: string) => void) {
    let entry = this.channels.get(channel);
    if (!entry) {
      const ready = this.sub.subscribe(this.prefix + channel, (m) => void this.local.publish(channel, m));
      entry = { count: 0, ready };
      this.channels.set(channel, entry);
      ready.catch(() => this.channels.get(channel) === entry && this.channels.delete(channel));
    }
    entry.count++;
    const off = await this.local.subscribe(channel, onMessage);
    try {
      // Every subscriber, not just the first, returns only once Redis confirmed the subscription.
      await entry.ready;
    } catch (err) {
      await off();
      entry.count--;
      throw err;
    }
    return async () => {
      await off();
      const current = this.channels.get(channel);
      if (!current || --current.count > 0) return;
      this.channels.delete(channel);
      if (this.sub.isReady) await this.sub.unsubscribe(this.prefix + channel).catch(() => undefined);
    };
  }
  async close() {
    this.reconnectListeners.clear();
    await this.local.close();
  }
}

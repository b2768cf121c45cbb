import { EventEmitter } from 'node:events';
import type { Redis } from './redis';

export type Unsubscribe = () => Promise<void>;

/** Pub/sub between gateway processes: Redis when configured, in-process otherwise. */
export interface Bus {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe>;
  close(): Promise<void>;
}

export class LocalBus implements Bus {
  private emitter = new EventEmitter().setMaxListeners(0);
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
  private counts = new Map<string, number>();
  constructor(
    private pub: Redis,
    private sub: Redis,
    private prefix: string,
  ) {}
  async publish(channel: string, message: string) {
    await this.pub.publish(this.prefix + channel, message);
  }
  async subscribe(channel: string, onMessage: (message: string) => void) {
    const n = this.counts.get(channel) ?? 0;
    this.counts.set(channel, n + 1);
    const off = await this.local.subscribe(channel, onMessage);
    if (n === 0) await this.sub.subscribe(this.prefix + channel, (m) => void this.local.publish(channel, m));
    return async () => {
      await off();
      const left = (this.counts.get(channel) ?? 1) - 1;
      if (left > 0) return void this.counts.set(channel, left);
      this.counts.delete(channel);
      if (this.sub.isReady) await this.sub.unsubscribe(this.prefix + channel).catch(() => undefined);
    };
  }
  async close() {
    await this.local.close();
  }
}

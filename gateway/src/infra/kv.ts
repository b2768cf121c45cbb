import type { Redis } from './redis';

/** Small key-value store with expiry: Redis when configured, process memory otherwise. */
export interface KeyValue {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Sets the key only if it is absent (Redis SET NX): true when this caller set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Appends `value` to the list at `key` unless `member` was appended before (kept in the set at
   * `seenKey`), atomically, and refreshes both expiries: true when it appended. O(1) however long
   * the list is. A list written before its set existed is indexed once from its items' `seq`.
   */
  appendOnce(key: string, seenKey: string, member: string, value: string, ttlMs: number): Promise<boolean>;
  lrange(key: string): Promise<string[]>;
  ping(): Promise<void>;
}

export class MemoryKeyValue implements KeyValue {
  private values = new Map<string, { v: string | string[] | Set<string>; exp: number }>();
  private live(key: string) {
    const e = this.values.get(key);
    if (e && e.exp <= Date.now()) this.values.delete(key);
    return this.values.get(key);
  }
  async get(key: string) {
    const e = this.live(key);
    return typeof e?.v === 'string' ? e.v : null;
  }
  async set(key: string, value: string, ttlMs: number) {
    this.values.set(key, { v: value, exp: Date.now() + ttlMs });
  }
  async del(key: string) {
    this.values.delete(key);
  }
  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.live(key)) return false;
    this.values.set(key, { v: value, exp: Date.now() + ttlMs });
    return true;
  }
  async appendOnce(key: string, seenKey: string, member: string, value: string, ttlMs: number) {
    const e = this.live(key);
    const list = Array.isArray(e?.v) ? e.v : [];
    // The seen set is the seen key's own value, so it expires with the rest.
    const seen = this.live(seenKey)?.v;
    const members =
      seen instanceof Set ? seen : new Set(list.map((v) => String((JSON.parse(v) as { seq?: unknown }).seq)));
    if (members.has(member)) return false;
    members.add(member);
    list.push(value);
    this.values.set(key, { v: list, exp: Date.now() + ttlMs });
    this.values.set(seenKey, { v: members, exp: Date.now() + ttlMs });
    return true;
  }
  async lrange(key: string) {
    const e = this.live(key);
    return Array.isArray(e?.v) ? [...e.v] : [];
  }
  async ping() {}
}

export class RedisKeyValue implements KeyValue {
  constructor(
    private redis: Redis,
    private prefix: string,
  ) {}
  async get(key: string) {
    return this.redis.get(this.prefix + key);
  }
  async set(key: string, value: string, ttlMs: number) {
    await this.redis.set(this.prefix + key, value, { PX: ttlMs });
  }
  async del(key: string) {
    await this.redis.del(this.prefix + key);
  }
  async setIfAbsent(key: string, value: string, ttlMs: number) {
    return (await this.redis.set(this.prefix + key, value, { PX: ttlMs, NX: true })) === 'OK';
  }
  async appendOnce(key: string, seenKey: string, member: string, value: string, ttlMs: number) {
    return this.redis.appendOnce(this.prefix + key, this.prefix + seenKey, member, value, ttlMs);
  }
  async lrange(key: string) {
    return this.redis.lRange(this.prefix + key, 0, -1);
  }
  async ping() {
    await this.redis.ping();
  }
}

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
  private values = new Map<string, { v: string | string[]; exp: number }>();
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
  private seen = new Map<string, Set<string>>();
  async appendOnce(key: string, seenKey: string, member: string, value: string, ttlMs: number) {
    const e = this.live(key);
    const list = Array.isArray(e?.v) ? e.v : [];
    if (!this.live(seenKey) || !this.seen.has(seenKey))
      this.seen.set(seenKey, new Set(list.map((v) => String((JSON.parse(v) as { seq?: unknown }).seq))));
    const members = this.seen.get(seenKey)!;
    if (members.has(member)) return false;
    members.add(member);
    list.push(value);
    this.values.set(key, { v: list, exp: Date.now() + ttlMs });
    this.values.set(seenKey, { v: [], exp: Date.now() + ttlMs });
    return true;
  }
  async lrange(key: string) {
    const e = this.live(key);
    return Array.isArray(e?.v) ? [...e.v] : [];
  }
  async ping() {}
}

/** KeyValue.appendOnce in one atomic step on the Redis server (KEYS: list, seen set; ARGV: member, value, ttl ms). */
const APPEND_ONCE = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  for _, v in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
    local ok, item = pcall(cjson.decode, v)
    if ok and type(item) == 'table' and item.seq ~= nil then redis.call('SADD', KEYS[2], tostring(item.seq)) end
  end
end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

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
    const keys = [this.prefix + key, this.prefix + seenKey];
    return (await this.redis.eval(APPEND_ONCE, { keys, arguments: [member, value, String(ttlMs)] })) === 1;
  }
  async lrange(key: string) {
    return this.redis.lRange(this.prefix + key, 0, -1);
  }
  async ping() {
    await this.redis.ping();
  }
}

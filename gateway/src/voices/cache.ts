import { LRUCache } from 'lru-cache';
import type { AppContext } from '../context';

/** A loaded value and how long to keep it (Infinity: for the gateway's lifetime). */
export interface Loaded<T> {
  value: T;
  ttlMs: number;
}

/**
 * One cached value per gateway (AppContext), kept for the time its loader chose (lru-cache's
 * per-entry ttl set from the fetch method); callers arriving during a load share it.
 */
export function perGatewayCache<T extends object>(load: (ctx: AppContext) => Promise<Loaded<T>>) {
  const cache = new LRUCache<AppContext, T>({
    // One gateway per process in production; tests start a few per file.
    max: 32,
    fetchMethod: async (ctx, _stale, { options }) => {
      const { value, ttlMs } = await load(ctx);
      options.ttl = Number.isFinite(ttlMs) ? ttlMs : 0; // 0: no expiry
      return value;
    },
  });
  return async (ctx: AppContext): Promise<T> => (await cache.fetch(ctx))!;
}

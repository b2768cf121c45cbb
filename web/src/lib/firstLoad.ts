import { fetchMe, type User } from '../api/auth';
import { getProviders, type ActiveProviders } from '../api/me';

/** A request started before the first render, and its outcome once it has one. */
export interface Early<T> {
  readonly promise: Promise<T>;
  /** Set when the request settled. */
  result?: { ok: true; value: T } | { ok: false; error: unknown };
}

function early<T>(promise: Promise<T>): Early<T> {
  const e: Early<T> = { promise };
  promise.then(
    (value) => (e.result = { ok: true, value }),
    (error: unknown) => (e.result = { ok: false, error }),
  );
  return e;
}

export interface FirstLoad {
  me: Early<User | null>;
  providers: Early<ActiveProviders>;
}

let started: FirstLoad | null = null;

/** The page load's /api/auth/me and /api/providers, if main.tsx started them. */
export const firstLoad = (): FirstLoad | null => started;

/**
 * Asks what the header (who is signed in) and the note above every page (the server's speech
 * engines) show, once per page load, and resolves when both answered or after `capMs`. The first
 * screen waits for it so neither arrives later above content already painted (a layout shift of
 * the whole page; Lighthouse measured CLS 0.14–0.16 from it); a slow server delays it by `capMs` at
 * most, then the answers fill in as before.
 */
export function startFirstLoad(capMs: number): Promise<void> {
  const load = (started ??= { me: early(fetchMe()), providers: early(getProviders()) });
  return Promise.race([
    Promise.allSettled([load.me.promise, load.providers.promise]).then(() => undefined),
    new Promise<void>((resolve) => setTimeout(resolve, capMs)),
  ]);
}

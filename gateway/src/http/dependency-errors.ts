import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
} from 'redis';

/**
 * Errors that mean "a service Parley depends on is unreachable right now" (Postgres, Redis), as
 * opposed to a bug. They become 503 service_unavailable with Retry-After, never a 500.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// node-redis's error classes do not set `name` (every one reads "Error"), so they are matched by class.
const REDIS_ERRORS = [
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  ReconnectStrategyError,
];
// node-postgres (pg/lib/client.js, pg-pool) raises these as plain Errors with no code or class of
// their own, so their text is the only signal: a socket that ended, a client whose connection
// already failed (knex can hand one out before it has seen the error), timeouts.
const PG_MESSAGES =
  /^(Connection terminated|Query read timeout|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

export function isDependencyUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (NETWORK_CODES.has(code)) return true;
  // SQLSTATE 08xxx connection exception; 57P01-57P03 server shutting down / not accepting; 53300 too many connections.
  if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code) || code === '53300') return true;
  if (name === 'KnexTimeoutError' || REDIS_ERRORS.some((cls) => err instanceof cls)) return true;
  if (PG_MESSAGES.test(message)) return true;
  if (Array.isArray(e.errors) && e.errors.some(isDependencyUnavailable)) return true; // AggregateError (dual-stack connect)
  return e.cause !== undefined && e.cause !== err && isDependencyUnavailable(e.cause);
}

import { i18n, uiLanguage } from '../i18n';
import type { BodyOf, QueryOf, ResponseOf, RouteContract } from '@parley/protocol';
import { pathOf, type RouteRef } from '@parley/protocol/paths';

/**
 * The one place the browser talks HTTP to the gateway. Every failure becomes an ApiError carrying the
 * server's stable `code` (callers branch on it) and its human message (callers show it). Routes are
 * called by their contract (protocol/src/http), so path, method, body and answer types come from
 * the same schemas the gateway validates with.
 */

export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** Validation details as `{ path: 'favoriteTopics.0', message }`, whatever form the path came in. */
  get fieldIssues(): FieldIssue[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.flatMap((d): FieldIssue[] => {
      if (!d || typeof d !== 'object') return [];
      const { path, message } = d as { path?: unknown; message?: unknown };
      if (typeof message !== 'string') return [];
      const p = Array.isArray(path) ? path.join('.') : typeof path === 'string' ? path : '';
      return [{ path: p, message }];
    });
  }
}

/** Status 0: the request never got an answer (server down, network gone). */
export const UNREACHABLE = 'network_unreachable';

export function isApiError(e: unknown, code?: string): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code);
}

/**
 * What to show for a failure. The server's messages are English and the most specific, so an
 * English UI shows them; another UI language shows the catalogue's text for the error's stable
 * code (`errors.<code>`), and the server's message only for a code the catalogue does not know.
 */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    const key = `errors.${e.code}`;
    if (uiLanguage() === 'en' || !i18n.exists(key)) return e.message;
    return i18n.t(key as 'errors.http_error', { status: e.status });
  }
  if (e instanceof Error && e.message) return e.message;
  return i18n.t('common.somethingWrong');
}

/** Called when any request answers 401: the session ended (expired, logged out elsewhere). */
let unauthenticatedListener: (() => void) | null = null;
export function onUnauthenticated(fn: (() => void) | null) {
  unauthenticatedListener = fn;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { Accept: 'application/json' }
          : {
              Accept: 'application/json',
              'Content-Type': body instanceof Blob ? 'application/octet-stream' : 'application/json',
            },
      body: body === undefined ? undefined : body instanceof Blob ? body : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, UNREACHABLE, 'Parley’s server can’t be reached. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) throw failure(res, json);
  return json as T;
}

interface CallInput<C extends RouteContract> {
  params?: Record<string, string>;
  query?: QueryOf<C>;
  /** JSON body; a Blob goes up as a file (application/octet-stream). */
  body?: BodyOf<C> | Blob;
  signal?: AbortSignal;
}

/** Calls one route of the contract; the answer is typed from the route's response schema. */
export function call<C extends RouteContract>(contract: RouteRef<C>, input: CallInput<C> = {}): Promise<ResponseOf<C>> {
  const path =
    pathOf(contract.path, input.params) + query((input.query ?? {}) as Record<string, string | number | undefined>);
  return request<ResponseOf<C>>(contract.method.toUpperCase() as Method, path, input.body, input.signal);
}

/** The ApiError for a failed answer (`json`: its parsed body, if any). A 401 `unauthenticated` logs the UI out. */
function failure(res: Response, json: unknown): ApiError {
  const err = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (res.status === 401 && err?.code === 'unauthenticated') unauthenticatedListener?.();
  if (err && typeof err.code === 'string' && typeof err.message === 'string')
    return new ApiError(res.status, err.code, err.message, err.details);
  if (res.status === 502 || res.status === 503 || res.status === 504)
    return new ApiError(
      res.status,
      'service_unavailable',
      'Parley’s server is not answering right now. Try again shortly.',
    );
  return new ApiError(res.status, 'http_error', `The server answered with an error (${res.status}).`);
}

/**
 * Calls a download route (a GET without a response schema, e.g. a voice preview): the body as a Blob,
 * and a failure as the same ApiError as any call (never an error body handed on as the file).
 */
export async function callForBlob<C extends RouteContract>(
  contract: RouteRef<C>,
  input: CallInput<C> = {},
): Promise<Blob> {
  const path =
    pathOf(contract.path, input.params) + query((input.query ?? {}) as Record<string, string | number | undefined>);
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', signal: input.signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, UNREACHABLE, 'Parley’s server can’t be reached. Check your connection and try again.');
  }
  if (res.ok) return res.blob();
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  throw failure(res, json);
}

/** Builds a query string, leaving out empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

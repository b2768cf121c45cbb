import type { z } from 'zod';
import type { ErrorCode } from '../errors';
import type { TokenScope } from '../tokens';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * How a caller authenticates.
 * - `none`: anyone (a guest session may be created).
 * - `user`: a signed-in session cookie; the gateway answers 401 `unauthenticated` otherwise.
 * - `admin`: a signed-in admin; everyone else gets the same 404 as an unknown route.
 * - `session`: a signed-in user or the guest session that owns the resource (checked by the route).
 * - `signed`: the agent's HMAC signature over path and body (`X-Parley-Signature`).
 * - `webhook`: LiveKit's JWT over the body (`Authorization`).
 */
export type RouteAuth = 'none' | 'user' | 'admin' | 'session' | 'signed' | 'webhook';

/** A documented error answer: a stable code, optionally followed by when it happens, e.g. `not_found (foreign id)`. */
export type ErrorNote = ErrorCode | `${ErrorCode} (${string})`;

/** Path and query parameters arrive as strings: an object schema (coerce numbers). */
type ParamsSchema = z.ZodType;

/**
 * One HTTP route of the contract: method, path and schemas written once. The gateway serves it
 * with `route()` (gateway/src/http/route.ts), which validates params, query and body with these
 * schemas and types the handler's answer from `response`; the OpenAPI document and docs/api.md are
 * generated from the list of every contract (HTTP_ROUTES); the web client types its calls from it.
 */
export interface RouteContract {
  method: HttpMethod;
  /** Express-style path; `:id` becomes `{id}` in the document. */
  path: string;
  summary: string;
  /** Grouping in the document (default: the path's second segment, e.g. "auth"). */
  tag?: string;
  /** Default `none`. */
  auth?: RouteAuth;
  /**
   * Personal API token scopes that open this route (`Authorization: Bearer`, any one of them).
   * Omitted: a request with a token is refused (403 `token_not_allowed`), whatever its scopes.
   */
  scopes?: readonly TokenScope[];
  /** Path parameters. A value that does not parse names nothing: 404 `not_found`. */
  params?: ParamsSchema;
  /** Query string (400 `validation_failed` when it does not parse). */
  query?: ParamsSchema;
  /** JSON request body (400 `validation_failed` when it does not parse). */
  body?: z.ZodType;
  /**
   * `json` (default): the body is application/json (≤ 64 kB) and validated before the handler.
   * `file`: the body may also come as a file of any content type; the route reads and checks it itself.
   */
  bodyFormat?: 'json' | 'file';
  /** Success body (JSON). Omitted: 204 with no body, or a download the route writes itself. */
  response?: z.ZodType;
  /** Success status; default 200 with a response, 204 without (a GET without a schema is a download: 200). */
  status?: number;
  /** Error answers beyond the ones implied by auth, params, query and body (see the document renderer). */
  errors?: Partial<Record<number, ErrorNote | readonly ErrorNote[]>>;
}

/** Success status: the contract's, else 200 with a response body or for a GET (a download), else 204. */
export const successStatus = (c: RouteContract): number => c.status ?? (c.response || c.method === 'get' ? 200 : 204);

/** Declares a route contract, keeping its literal types (method, path, schemas) for the gateway and the web client. */
export const defineRoute = <const C extends RouteContract>(contract: C): C => contract;

type Schema<C, K extends keyof RouteContract> = C extends { [P in K]: infer S extends z.ZodType } ? S : never;

/** What the route answers (the JSON body), as the client reads it; void for a 204 route. */
export type ResponseOf<C extends RouteContract | RouteRef> =
  ContractOf<C> extends { response: infer S extends z.ZodType } ? z.output<S> : void;
/** What a presenter must produce for the route (before defaults apply). */
export type ResponseInput<C extends RouteContract> = z.input<Schema<C, 'response'>>;
/** What a client sends as the body (an empty object for a route that reads none). */
export type BodyOf<C extends RouteContract | RouteRef> =
  ContractOf<C> extends { body: infer S extends z.ZodType } ? z.input<S> : Record<string, never>;
/** What a client sends as the query string. */
export type QueryOf<C extends RouteContract | RouteRef> = z.input<Schema<ContractOf<C>, 'query'>>;
/** The contract behind a RouteRef (a contract stays itself). */
export type ContractOf<C> = C extends RouteContract ? C : C extends RouteRef<infer K> ? K : never;

/** `/api/conversations/:id` with `{ id }` → `/api/conversations/<encoded id>`. */
export function pathOf(path: string, params: Record<string, string> = {}): string {
  return path.replace(/:(\w+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(v);
  });
}

/**
 * A route's method and path, typed by its contract: what a client needs to call it, without the
 * schemas (paths.ts lists one per contract, so the web client's first load carries no zod).
 */
export interface RouteRef<C extends RouteContract = RouteContract> {
  method: HttpMethod;
  path: string;
  /** Type only: never set. */
  readonly __contract?: C;
}
export type RouteRefs<T> = { [K in keyof T]: T[K] extends RouteContract ? RouteRef<T[K]> : RouteRefs<T[K]> };

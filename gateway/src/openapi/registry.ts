import { z } from 'zod';
import { ApiErrorBody } from '@parley/protocol';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** How a caller authenticates: none, a session cookie (user / admin), or an HMAC signature (agent). */
export type RouteAuth = 'none' | 'user' | 'admin' | 'signed';

export interface RouteDoc {
  method: HttpMethod;
  /** Express-style path; `:id` becomes `{id}` in the document. */
  path: string;
  summary: string;
  /** Grouping in the document (defaults to the path's second segment, e.g. "auth"). */
  tag?: string;
  /** Default 'none'. 'user'/'admin' add the cookie requirement and the 401/404 answers. */
  auth?: RouteAuth;
  /** JSON request body. */
  request?: z.ZodType;
  /** Query string, as a zod object. */
  query?: z.ZodObject;
  /** Success body (omit for an empty answer). */
  response?: z.ZodType;
  /** Success status; default 200, or 204 for a non-GET route with no response body. */
  status?: number;
  /** Further error answers, e.g. { 409: 'email_taken' }. 400 (with a body or query), 401/404 (auth) are added. */
  errors?: Record<number, string>;
}

const routes = new Map<string, RouteDoc>();

/**
 * Adds a route to /api/openapi.json and docs/api.md. Call it at module top level next to the
 * router that serves the route; registering the same method + path again replaces the entry.
 */
export function registerRoute(doc: RouteDoc): void {
  routes.set(`${doc.method.toUpperCase()} ${doc.path}`, doc);
}

export function registeredRoutes(): RouteDoc[] {
  return [...routes.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  delete out.$schema;
  return out;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No content',
  400: 'Invalid request',
  401: 'Not signed in, or credentials refused',
  403: 'Refused',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  429: 'Too many attempts (Retry-After header)',
  503: 'A dependency is unavailable',
};

const tagOf = (r: RouteDoc) => r.tag ?? r.path.split('/').filter(Boolean)[1] ?? 'root';

function errorAnswers(r: RouteDoc): Record<number, string> {
  const e: Record<number, string> = {};
  if (r.request || r.query || r.path.includes(':')) e[400] = 'validation_failed';
  if (r.request) e[400] = 'validation_failed, invalid_json';
  if (r.request) e[413] = 'payload_too_large';
  if (r.method !== 'get' && r.path.startsWith('/api/')) e[403] = 'forbidden_origin';
  if (r.auth === 'user') e[401] = 'unauthenticated';
  if (r.auth === 'signed') e[401] = 'unauthenticated';
  if (r.path.includes(':')) e[404] = "not_found (missing, or another user's)";
  if (r.auth === 'admin') e[404] = 'not_found (also for everyone who is not an admin)';
  return { ...e, ...r.errors };
}

/** The OpenAPI 3.1 document for every registered route. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of registeredRoutes()) {
    const oaPath = r.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (r.query) {
      const q = jsonSchema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {}))
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
    // A GET always answers with a body (a download, this document); other methods without a
    // response schema answer 204.
    const status = r.status ?? (r.response || r.method === 'get' ? 200 : 204);
    const responses: Record<string, unknown> = {
      [status]: {
        description: STATUS_TEXT[status] ?? 'Success',
        ...(r.response ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } } : {}),
      },
    };
    for (const [code, codes] of Object.entries(errorAnswers(r))) {
      responses[code] = {
        description: `${STATUS_TEXT[Number(code)] ?? 'Error'} — code: ${codes}`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
      };
    }
    (paths[oaPath] ??= {})[r.method] = {
      summary: r.summary,
      tags: [tagOf(r)],
      operationId: `${r.method}${oaPath.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(r.auth === 'user' || r.auth === 'admin' ? { security: [{ session: [] }] } : {}),
      ...(r.auth === 'signed' ? { security: [{ signature: [] }] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.request
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(r.request, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley gateway API',
      version: '0.1.0',
      description:
        'JSON over HTTPS with a cookie session (parley.sid). Writes must come from the app\'s own origin (see docs/security.md). Every error has the shape {"error":{"code","message","details"}}.',
    },
    components: {
      schemas: { ApiError: jsonSchema(ApiErrorBody, 'output') },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'parley.sid' },
        signature: { type: 'apiKey', in: 'header', name: 'X-Parley-Signature' },
      },
    },
    paths,
  };
}

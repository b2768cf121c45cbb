import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { successStatus, type ResponseInput, type RouteContract } from '@parley/protocol';
import { requireAdmin, requireUser } from '../auth/current-user';
import { tokenGate } from '../tokens/bearer';
import { errors } from './errors';
import { parseOr400 } from './validate';

type Parsed<C, K extends 'params' | 'query' | 'body'> = C extends { [P in K]: infer S extends z.ZodType }
  ? z.output<S>
  : undefined;

/** What the handler receives: the contract's params, query and body, already validated. */
export interface RouteInput<C extends RouteContract> {
  params: Parsed<C, 'params'>;
  query: Parsed<C, 'query'>;
  body: C extends { bodyFormat: 'file' } ? unknown : Parsed<C, 'body'>;
}

/**
 * A contract with a response schema: the handler returns the body (typed from the schema; the
 * helper sends it with the contract's status, unless the handler set another with res.status()).
 * Without one: it returns nothing and either writes the answer itself (a download) or leaves it
 * to the helper (the contract's status, default 204).
 */
export type RouteHandler<C extends RouteContract> = (
  input: RouteInput<C>,
  req: Request,
  res: Response,
) => C extends { response: z.ZodType } ? Promise<ResponseInput<C>> | ResponseInput<C> : Promise<void> | void;

/**
 * Serves one route contract (protocol/src/http) on `router`: method and path come from the
 * contract, so they are written once. In order: an API token's scopes against the contract's
 * `scopes` (403 `token_not_allowed` / `insufficient_scope`), the auth the contract names (`user` → 401,
 * `admin` → 404 for non-admins), the route's own middleware (rate limits, raw body readers,
 * signature checks), then params (a value that does not parse names nothing: 404), query and JSON
 * body (400 validation_failed), then the handler. Express 5 forwards a rejected promise to the
 * error handler.
 *
 *   route(router, api.preferences.replace, async ({ body }, req) => ({ preferences: … }));
 *   route(router, api.account.delete, limits.passwordCheckPerUser, async ({ body }, req, res) => { … });
 */
export function route<C extends RouteContract>(
  router: Router,
  contract: C,
  ...chain: [...middleware: RequestHandler[], handler: NoInfer<RouteHandler<C>>]
): void {
  const handler = chain.pop() as RouteHandler<C>;
  const middleware = chain as RequestHandler[];
  const auth = contract.auth === 'user' ? [requireUser] : contract.auth === 'admin' ? [requireAdmin] : [];
  const status = successStatus(contract);
  const run = async (req: Request, res: Response, _next: NextFunction) => {
    let params: unknown;
    if (contract.params) {
      const p = contract.params.safeParse(req.params);
      if (!p.success) throw errors.notFound();
      params = p.data;
    }
    const query = contract.query ? parseOr400(contract.query, req.query) : undefined;
    const body = contract.body && contract.bodyFormat !== 'file' ? parseOr400(contract.body, req.body) : req.body;
    const before = res.statusCode;
    const result = await handler({ params, query, body } as RouteInput<C>, req, res);
    if (res.headersSent) return;
    // A handler may answer another documented status itself (readiness: 503 degraded).
    if (res.statusCode === before) res.status(status);
    if (contract.response) res.json(result);
    else res.end();
  };
  router[contract.method](contract.path, tokenGate(contract), ...auth, ...middleware, run);
}

import type { Request, RequestHandler } from 'express';
import type { GatewayMetrics } from './metrics';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The route label: the template Express matched (`/api/conversations/:id`), never the raw URL, so
 * the label set stays bounded and ids never reach the metrics. Requests that matched no route
 * (static files, the app shell, 404s) share one label each.
 */
export function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return `${req.baseUrl}${path}`;
  if (path !== undefined) return 'web_app'; // the client-side routes' catch-all (a RegExp)
  return 'unmatched';
}

/** Observes every HTTP answer's duration when it has been sent (or the connection closed). */
export function httpMetrics(metrics: GatewayMetrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    let done = false;
    const observe = () => {
      if (done) return;
      done = true;
      end({
        http_request_method: METHODS.has(req.method) ? req.method : '_OTHER',
        http_route: routeTemplate(req),
        http_response_status_code: String(res.statusCode),
      });
    };
    res.once('finish', observe);
    res.once('close', observe);
    next();
  };
}

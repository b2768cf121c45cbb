import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isDependencyUnavailable } from './dependency-errors';
import { AppError, errors, isAppError } from './errors';

/** Maps body-parser's own errors (bad JSON, too large, bad charset) to our stable codes. */
function fromParserError(err: unknown): AppError | null {
  const e = err as { type?: string; status?: number };
  switch (e?.type) {
    case 'entity.parse.failed':
      return errors.invalidJson();
    case 'entity.too.large':
      return errors.payloadTooLarge();
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return errors.unsupportedMediaType();
    case 'request.aborted':
    case 'stream.encoding.set':
    case 'request.size.invalid':
      return new AppError(400, 'validation_failed', 'The request body could not be read.');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return new AppError(e.status, 'validation_failed', 'The request could not be processed.');
  return null;
}

/** The one error middleware: known errors keep their code; anything else is a plain 500. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  let known = isAppError(err) ? err : fromParserError(err);
  if (!known && isDependencyUnavailable(err)) {
    req.log?.warn(
      { errName: (err as Error).name, errCode: (err as { code?: unknown }).code },
      'dependency unavailable',
    );
    known = errors.unavailable();
  }
  if (!known) req.log?.error({ err }, 'unhandled error');
  const e = known ?? new AppError(500, 'internal_error', 'Something went wrong on our side.');
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(e.headers ?? {})) res.setHeader(k, v);
  res.status(e.status).json({
    error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) },
  });
};

export const apiNotFound: RequestHandler = (_req, _res, next) => next(errors.notFound('Route'));

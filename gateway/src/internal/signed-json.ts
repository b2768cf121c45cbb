import express, { type RequestHandler } from 'express';
import { verifyRequest, SIGNATURE_HEADER } from '@parley/protocol/signature';
import { AppError } from '../http/errors';

/**
 * Body parser + authentication for /internal routes: reads the raw body, checks the HMAC
 * signature made with the service credential, then parses JSON. The browser never holds the secret.
 */
export function signedJson(secret: string, limit = '256kb'): RequestHandler[] {
  return [
    express.raw({ type: () => true, limit }),
    (req, _res, next) => {
      const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const check = verifyRequest(secret, req.header(SIGNATURE_HEADER), req.originalUrl.split('?')[0]!, raw);
      if (check !== 'ok') return next(new AppError(401, 'unauthenticated', 'Service credential missing or invalid.'));
      try {
        req.body = raw === '' ? {} : JSON.parse(raw);
      } catch {
        return next(new AppError(400, 'invalid_json', 'The request body is not valid JSON.'));
      }
      next();
    },
  ];
}

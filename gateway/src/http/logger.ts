import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import pretty from 'pino-pretty';

/**
 * Structured JSON logs. Secrets, passwords, cookies, tokens and transcript text are redacted by
 * path; log messages themselves never interpolate personal data.
 */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-parley-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.password_hash',
  '*.token',
  '*.code',
  '*.backupCode',
  '*.backupCodes',
  '*.secret',
  '*.text',
  '*.systemPrompt',
  '*.email',
];

/** Readable lines for a person at a terminal; JSON for everything else (files, collectors, tests). */
function defaultDestination(): DestinationStream | undefined {
  if (!process.stdout.isTTY) return undefined;
  return pretty({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,service' });
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, base: { service: 'gateway' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination ?? defaultDestination(),
  );
}

/**
 * Probes and the agent worker's heartbeat arrive every few seconds: their routine answers (including
 * the 503s of /readyz while the platform starts) are not access-logged; readiness changes are
 * logged by the health route instead, and refused heartbeats still are. The agents' transcript
 * ingest (one request per transcript event of every live call) is logged only when it fails.
 */
const ROUTINE = new Set(['/healthz', '/readyz', '/internal/agents/heartbeat']);
const INGEST = /^\/internal\/conversations\/[^/]+\/events$/;
const routine = (url: string | undefined, status: number) => {
  const path = (url ?? '').split('?')[0]!;
  return (ROUTINE.has(path) && (status < 400 || status === 503)) || (status < 400 && INGEST.test(path));
};

/** `/api/shared/<token>` and `/s/<token>` with the token replaced. */
export const redactSharePath = (path: string) => path.replace(/^(\/api\/shared|\/s)\/[^/]+/, '$1/[token]');

export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res) {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // Only the path is logged: query strings may carry search terms (personal data); share-link
    // tokens in a path are replaced (a logged token would open the conversation).
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: redactSharePath(req.url.split('?')[0] ?? ''),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req, res, err) =>
      err
        ? 'error'
        : routine((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url, res.statusCode)
          ? 'silent'
          : res.statusCode >= 500
            ? 'error'
            : 'info',
  });
}

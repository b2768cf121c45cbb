import {
  ConfigError,
  DEFAULT_LIMIT_WARNING_SECONDS,
  parseEnv,
  ProviderEnv,
  providerConfigProblems,
  resolveProviders,
} from '@parley/protocol';
import { z } from 'zod';
import { loadOidcProviders } from '../oidc/config';
import { loadPriceTable } from '../usage/prices';

const DEV_LIVEKIT_KEY = 'devkey';
const DEV_LIVEKIT_SECRET = 'secret';
const DEV_SECRET = 'parley-development-only-secret-do-not-use-in-production';

const GatewayEnv = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Origin browsers use to reach Parley (https://parley.example.com); defaults to http://HOST:PORT. */
    PUBLIC_URL: z.string().url().optional(),
    /** Express "trust proxy": hops or a list; set when TLS terminates at a reverse proxy. */
    TRUST_PROXY: z.string().default('loopback'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: z.string().url().optional(),
    DATA_DIR: z.string().default('.data'),
    REDIS_URL: z.string().url().optional(),
    REDIS_PREFIX: z.string().default('parley:'),
    SESSION_SECRET: z.string().default(DEV_SECRET),
    SESSION_IDLE_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .default(60 * 24),
    SESSION_ABSOLUTE_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .default(24 * 14),
    LIVEKIT_URL: z.string().url().default('ws://127.0.0.1:7880'),
    /** URL handed to browsers when it differs from the one the gateway uses. */
    LIVEKIT_PUBLIC_URL: z.string().url().optional(),
    LIVEKIT_API_KEY: z.string().default(DEV_LIVEKIT_KEY),
    LIVEKIT_API_SECRET: z.string().default(DEV_LIVEKIT_SECRET),
    AGENT_NAME: z.string().min(1).default('parley-agent'),
    /** Service credential shared with the agent worker for /internal routes. */
    INGEST_SECRET: z.string().default(DEV_SECRET),
    CALL_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(600),
    /** Folder with the built web client; served on the gateway's port when present. */
    WEB_DIST: z.string().optional(),
    /** Outgoing mail (verification, reset, notices): smtp://user:pass@host:port or smtps://…; unset: files in DATA_DIR/mail. */
    SMTP_URL: z.string().url().optional(),
    MAIL_FROM: z.string().default('Parley <no-reply@localhost>'),
    RATE_LIMIT_LOGIN_PER_IP: z.coerce.number().int().min(1).default(20),
    RATE_LIMIT_LOGIN_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
    RATE_LIMIT_WINDOW_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(15 * 60),
    /** Bearer token for GET /metrics on the public port (unset: /metrics is served only on METRICS_PORT). */
    METRICS_TOKEN: z.string().min(16).optional(),
    /** A private listener that serves only GET /metrics (bind it to a private address). */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    METRICS_HOST: z.string().default('127.0.0.1'),
    /**
     * Outgoing webhooks: networks (CIDR or bare address, comma-separated) an endpoint may resolve into
     * although they are loopback/private/link-local, and where plain http:// is accepted. Empty by
     * default: https:// to public addresses only. For self-hosted intranets and tests.
     */
    WEBHOOK_ALLOWED_NETWORKS: z.string().default(''),
    /** First retry delay; each next one doubles (capped at 6 h). */
    WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().positive().default(5),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(18),
    /** One attempt's time limit (connect, send, answer). */
    WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().positive().max(60).default(10),
    /** An endpoint failing without a success for this long is disabled and its owner told. */
    WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().positive().default(72),
    /** How often a gateway looks for due deliveries (new events are sent at once). */
    WEBHOOK_POLL_SECONDS: z.coerce.number().positive().max(60).default(1),
    /** Each account's call minutes per UTC day (decimals allowed); unset: no quota. An account's own setting wins. */
    QUOTA_MINUTES_PER_DAY: z.coerce.number().min(0).max(1_000_000).optional(),
    /** The longest a call may last (seconds); the agent ends it with limit_reached. An account's own setting wins. */
    MAX_CALL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
    /** Guest calls a client IP may start in a day (429 guest_limit_reached beyond); signed-in callers are not counted. */
    GUEST_CALLS_PER_IP_PER_DAY: z.coerce.number().int().min(1).max(100_000).default(20),
    /** How long before a call's limit the agent says so and the page counts down (0: no warning). */
    LIMIT_WARNING_SECONDS: z.coerce.number().int().min(0).max(3600).default(DEFAULT_LIMIT_WARNING_SECONDS),
    /**
     * A live call with no caller in its room for this long is ended by the gateway as caller_left
     * (its LiveKit node died and nobody came back). Longer than the web client's rejoin (~25 s).
     */
    CALLER_GONE_SECONDS: z.coerce.number().positive().max(86_400).default(60),
    /**
     * How long audit events are kept (days), also those of deleted accounts (pseudonymised); the
     * gateway's hourly retention purge deletes older ones.
     */
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
    /** JSON price table over the documented defaults (gateway/src/usage/prices.ts, docs/operations.md). */
    PRICES_FILE: z.string().optional(),
  })
  .and(ProviderEnv);

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

/** Old setting → what replaced it (docs/operations.md). */
const REPLACED_SETTINGS = new Map([
  ['QUOTA_MINUTES_PER_MONTH', 'QUOTA_MINUTES_PER_DAY (minutes per UTC day, migration 015)'],
]);

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = parseEnv(GatewayEnv, env);
  const production = e.NODE_ENV === 'production';
  const problems: string[] = [];
  if (production) {
    if (e.LIVEKIT_API_SECRET.length < 32)
      problems.push('LIVEKIT_API_SECRET must be at least 32 characters in production');
    if (e.LIVEKIT_API_KEY === DEV_LIVEKIT_KEY)
      problems.push('LIVEKIT_API_KEY must not be the development key in production');
    if (e.SESSION_SECRET === DEV_SECRET || e.SESSION_SECRET.length < 32)
      problems.push('SESSION_SECRET must be set to at least 32 random characters in production');
    if (e.INGEST_SECRET === DEV_SECRET || e.INGEST_SECRET.length < 32)
      problems.push('INGEST_SECRET must be set to at least 32 random characters in production');
  }
  // Settings that were replaced (not settings any more, so not in .env.example): an old one would
  // otherwise be ignored in silence, e.g. a monthly quota leaving accounts with none at all.
  for (const [old, now] of REPLACED_SETTINGS) if (env[old]) problems.push(`${old} was replaced by ${now}`);
  const providers = resolveProviders(e);
  problems.push(...providerConfigProblems(e, providers));
  const oidc = loadOidcProviders(env, production, e.PUBLIC_URL);
  problems.push(...oidc.problems);
  const prices = loadPriceTable(e.PRICES_FILE || undefined);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    env: e.NODE_ENV,
    production,
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    database: { url: e.DATABASE_URL, dataDir: e.DATA_DIR },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    session: {
      secret: e.SESSION_SECRET,
      idleMs: e.SESSION_IDLE_MINUTES * 60_000,
      absoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000,
    },
    livekit: {
      url: e.LIVEKIT_URL,
      publicUrl: e.LIVEKIT_PUBLIC_URL ?? e.LIVEKIT_URL,
      apiKey: e.LIVEKIT_API_KEY,
      apiSecret: e.LIVEKIT_API_SECRET,
      agentName: e.AGENT_NAME,
      tokenTtlSeconds: e.CALL_TOKEN_TTL_SECONDS,
    },
    ingestSecret: e.INGEST_SECRET,
    webhooks: {
      allowedNetworks: e.WEBHOOK_ALLOWED_NETWORKS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      retryBaseMs: e.WEBHOOK_RETRY_BASE_SECONDS * 1000,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      timeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000,
      disableAfterMs: e.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000,
      pollMs: e.WEBHOOK_POLL_SECONDS * 1000,
    },
    metrics: { token: e.METRICS_TOKEN || undefined, port: e.METRICS_PORT, host: e.METRICS_HOST },
    webDist: e.WEB_DIST,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    rateLimit: {
      loginPerIp: e.RATE_LIMIT_LOGIN_PER_IP,
      loginPerAccount: e.RATE_LIMIT_LOGIN_PER_ACCOUNT,
      windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000,
    },
    providers,
    /** Price per provider and model for usage costs (defaults, then PRICES_FILE). */
    prices,
    /** Defaults for every account (users.quota_minutes_per_day / max_call_seconds override them). */
    limits: {
      quotaMinutesPerDay: e.QUOTA_MINUTES_PER_DAY ?? null,
      maxCallSeconds: e.MAX_CALL_SECONDS,
      warnSeconds: e.LIMIT_WARNING_SECONDS,
      guestCallsPerIpPerDay: e.GUEST_CALLS_PER_IP_PER_DAY,
    },
    /** Calls nobody is in (calls/abandoned.ts): ended after graceMs, looked for every intervalMs. */
    callerGone: {
      graceMs: e.CALLER_GONE_SECONDS * 1000,
      intervalMs: Math.min(15_000, Math.max(250, (e.CALLER_GONE_SECONDS * 1000) / 4)),
    },
    /** Audit events older than this many days are purged (deleted accounts' too). */
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    /** OpenID Connect sign-in providers (OIDC_<NAME>_*), in a stable order. */
    oidcProviders: oidc.providers,
    providerEnv: e as z.infer<typeof ProviderEnv>,
  };
}

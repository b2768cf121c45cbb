import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EndReason } from '@parley/protocol';

/**
 * The gateway's Prometheus metrics, in its own registry (never prom-client's global one: tests run
 * several gateways in one process). Names and labels follow Prometheus and OpenTelemetry
 * conventions: base units (seconds), `_total` counters, route templates never raw URLs, and only
 * bounded label values — no user ids, conversation ids or text. Catalogue: docs/operations.md.
 */

/** Seconds: HTTP answers are mostly milliseconds; uploads and exports can take seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds from a message's creation (ingest) to its send on a subscriber's socket. */
const FANOUT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export type CallKind = 'user' | 'guest';

/** Told by the call directory when a call really changes state (the first start, the winning end). */
export interface CallObserver {
  started(kind: CallKind): void;
  ended(kind: CallKind, reason: EndReason): void;
}

export interface GatewayMetrics {
  registry: Registry;
  httpDuration: Histogram<'http_request_method' | 'http_route' | 'http_response_status_code'>;
  calls: CallObserver;
  ingestBatches: Counter<'outcome'>;
  ingestEvents: Counter<'type'>;
  fanoutDelay: Histogram;
  /** Where the scrape-time figures come from; set once their owners exist (server.ts, socket.ts). */
  sources: {
    activeCalls?: () => Promise<number>;
    wsSubscribers?: () => number;
    /** database always; redis only when REDIS_URL is set. */
    dependencies?: () => Promise<Partial<Record<'database' | 'redis', boolean>>>;
  };
}

/**
 * prom-client's defaults also name three gauges `nodejs_active_{handles,requests,resources}_total`,
 * which `promtool check metrics` rejects (`_total` is for counters); the same figures stay
 * available as `nodejs_active_handles`, `nodejs_active_requests` and `nodejs_active_resources`.
 */
export function tidyDefaultMetrics(registry: Registry): void {
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name);
}

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  tidyDefaultMetrics(registry);
  const sources: GatewayMetrics['sources'] = {};

  const httpDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests, by method, route template and status code.',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const started = new Counter({
    name: 'parley_calls_started_total',
    help: 'Calls that started (the agent joined and reported the start), by kind (user, guest).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const ended = new Counter({
    name: 'parley_calls_ended_total',
    help: 'Calls that ended, by kind and end reason (the first end reported wins).',
    labelNames: ['kind', 'reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'parley_calls_active',
    help: "Account holders' calls in progress (status active in the database; the same figure on every gateway).",
    registers: [registry],
    async collect() {
      if (sources.activeCalls) this.set(await sources.activeCalls().catch(() => Number.NaN));
    },
  });
  const ingestBatches = new Counter({
    name: 'parley_ingest_batches_total',
    help: 'Event batches posted by agents, by outcome (stored, rejected, unavailable).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const ingestEvents = new Counter({
    name: 'parley_ingest_events_total',
    help: 'Events in stored ingest batches, by event type.',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'parley_transcript_subscribers',
    help: 'Open live-transcript WebSocket connections on this gateway.',
    registers: [registry],
    collect() {
      if (sources.wsSubscribers) this.set(sources.wsSubscribers());
    },
  });
  const fanoutDelay = new Histogram({
    name: 'parley_transcript_fanout_delay_seconds',
    help: 'Time from a transcript message being created (ingest) to its send on a subscriber socket.',
    buckets: FANOUT_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'parley_dependency_up',
    help: 'Whether a dependency answered its ping at scrape time (1) or not (0): database, redis.',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      if (!sources.dependencies) return;
      for (const [dependency, up] of Object.entries(await sources.dependencies()))
        if (up !== undefined) this.set({ dependency }, up ? 1 : 0);
    },
  });

  // Every bounded series exists from the start at 0, so rate() and absent() behave from the first scrape.
  for (const kind of ['user', 'guest'] as const) {
    started.inc({ kind }, 0);
    for (const reason of EndReason.options) ended.inc({ kind, reason }, 0);
  }

  return {
    registry,
    httpDuration,
    calls: {
      started: (kind) => started.inc({ kind }),
      ended: (kind, reason) => ended.inc({ kind, reason }),
    },
    ingestBatches,
    ingestEvents,
    fanoutDelay,
    sources,
  };
}

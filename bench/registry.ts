import { runScript } from './lib/script';

export interface Benchmark {
  name: string;
  description: string;
  run(args: string[]): Promise<unknown>;
}

/** Every benchmark, in the order `npm run bench` runs them (cheapest first). */
export const benchmarks: Benchmark[] = [
  {
    name: 'fanout',
    description:
      'transcript ingest → Redis → WebSocket delivery at 300 conversations over two gateways, vs a bare relay',
    run: async (args) => (await import('./fanout/fanout')).run(args),
  },
  {
    name: 'web',
    description: 'production bundle size and Lighthouse performance/accessibility for landing, call and history pages',
    run: async (args) => (await import('./web/web')).run(args),
  },
  {
    name: 'turn',
    description: 'caller-side turn latency, Parley vs a bare @livekit/agents AgentSession, interleaved',
    run: async (args) => (await import('./agent/turn')).run(args),
  },
  {
    name: 'bargein',
    description: 'caller speech onset → agent audio silent at the caller, and the stored interrupted reply',
    run: async (args) => (await import('./agent/bargein')).run(args),
  },
  {
    name: 'density',
    description:
      'simultaneous calls on this machine until turn p95 doubles or audio underruns; CPU and RSS per process',
    run: async (args) => (await import('./agent/density')).run(args),
  },
  {
    name: 'vad',
    description:
      "Silero VAD inference alone (agents' plugin and model): CPU per 32 ms window back to back and paced as calls run it",
    run: async (args) => (await import('./agent/vad')).run(args),
  },
  {
    name: 'history',
    description:
      'history list/search/conversation at the database and through the API over 1,000,000 utterances (bench/history.ts)',
    run: (args) => runScript('bench/history.ts', args.length ? args : ['--full'], 8 * 60_000),
  },
  {
    name: 'faults',
    description:
      'every fault (Postgres, Redis, gateway, agent job, LiveKit) during 20 concurrent calls, each with a batch in flight (e2e/reliability/faults-bench.ts)',
    run: (args) => runScript('e2e/reliability/faults-bench.ts', args, 20 * 60_000),
  },
  {
    name: 'cluster',
    description:
      'every cluster fault (job, worker, LiveKit node, gateway SIGKILL) during N concurrent calls over two nodes, workers and gateways behind haproxy (e2e/cluster/scaling-bench.ts)',
    run: (args) => runScript('e2e/cluster/scaling-bench.ts', args, 40 * 60_000),
  },
  {
    name: 'load',
    description: 'gateway load test (bench/load.ts, reliability)',
    run: (args) => runScript('bench/load.ts', args, 6 * 60_000),
  },
];

import type { TopLevelSpec } from 'vega-lite';

/** One vega-lite chart per benchmark, built from its results JSON (null when there is nothing to draw). */
type Json = Record<string, any>;

const base = { width: 520, height: 260, config: { font: 'sans-serif', view: { stroke: null } } } as const;

function fanout(r: Json): TopLevelSpec | null {
  const arms = r.data?.arms as Record<string, { histogram: Array<{ p: number; ms: number }> }> | undefined;
  if (!arms) return null;
  const values = Object.entries(arms).flatMap(([arm, a]) =>
    a.histogram.filter((h) => h.ms > 0).map((h) => ({ arm, ...h })),
  );
  return {
    ...base,
    title: `fanout: ingest → WebSocket latency (${r.settings.conversations} conversations, 2 processes per arm)`,
    data: { values },
    mark: { type: 'line', point: false, interpolate: 'step-after' },
    encoding: {
      x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'delivery latency (ms, log)' },
      y: { field: 'p', type: 'quantitative', title: 'percentile', scale: { domain: [0, 100] } },
      color: { field: 'arm', type: 'nominal', title: null },
    },
  };
}

function samplesStrip(r: Json, title: string, xTitle: string, target?: number): TopLevelSpec | null {
  const samples = r.data?.samples as Record<string, number[]> | undefined;
  if (!samples) return null;
  const values = Object.entries(samples).flatMap(([arm, xs]) => xs.map((ms) => ({ arm, ms })));
  const layer: any[] = [
    {
      mark: { type: 'tick', thickness: 2 },
      encoding: {
        x: { field: 'ms', type: 'quantitative', title: xTitle },
        y: { field: 'arm', type: 'nominal', title: null },
        color: { field: 'arm', type: 'nominal', legend: null },
      },
    },
    {
      mark: { type: 'point', shape: 'diamond', filled: true, size: 120, color: 'black' },
      encoding: { x: { aggregate: 'median', field: 'ms', type: 'quantitative' }, y: { field: 'arm', type: 'nominal' } },
    },
  ];
  if (target !== undefined)
    layer.push({
      data: { values: [{ t: target }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: 'firebrick' },
      encoding: { x: { field: 't', type: 'quantitative' } },
    });
  return { ...base, height: 120, title, data: { values }, layer } as TopLevelSpec;
}

function density(r: Json): TopLevelSpec | null {
  const steps = r.data?.steps as Json[] | undefined;
  if (!steps?.length) return null;
  const values = steps.flatMap((s) => [
    { calls: s.calls, what: 'turn p50', ms: s.p50 },
    { calls: s.calls, what: 'turn p95', ms: s.p95 },
  ]);
  return {
    ...base,
    title: `density: turn latency as calls are added (stopped: ${r.data.stopReason})`,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'calls', type: 'quantitative', title: 'simultaneous calls' },
      y: { field: 'ms', type: 'quantitative', title: 'turn latency (ms)' },
      color: { field: 'what', type: 'nominal', title: null },
    },
  };
}

function web(r: Json): TopLevelSpec | null {
  const pages = r.data?.pages as Json[] | undefined;
  if (!pages) return null;
  const values = pages.flatMap((p) => [
    { page: p.page, score: 'performance', value: p.performance },
    { page: p.page, score: 'accessibility', value: p.accessibility },
  ]);
  return {
    ...base,
    title: `web: Lighthouse scores (initial JS ${r.figures[0]?.value} KiB gzip)`,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'page', type: 'nominal', title: null },
      xOffset: { field: 'score' },
      y: { field: 'value', type: 'quantitative', scale: { domain: [0, 100] }, title: 'score' },
      color: { field: 'score', type: 'nominal', title: null },
    },
  };
}

function history(r: Json): TopLevelSpec | null {
  const results = r.results as Json[] | undefined;
  if (!results) return null;
  const values = results.flatMap((x) => [
    { scenario: x.scenario, where: 'database p95', ms: x.db.p95 },
    { scenario: x.scenario, where: 'API p95', ms: x.api.p95 },
  ]);
  return {
    ...base,
    title: `history: p95 over ${r.seed?.utterances?.toLocaleString('en') ?? '?'} utterances`,
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'scenario', type: 'nominal', title: null },
      yOffset: { field: 'where' },
      x: { field: 'ms', type: 'quantitative', scale: { type: 'symlog' }, title: 'p95 (ms)' },
      color: { field: 'where', type: 'nominal', title: null },
    },
  };
}

function generic(r: Json): TopLevelSpec | null {
  const figures = (r.figures as Json[] | undefined)?.filter((f) => typeof f.value === 'number');
  if (!figures?.length) return null;
  return {
    ...base,
    title: `${r.benchmark ?? 'benchmark'}: figures`,
    data: { values: figures.map((f) => ({ name: `${f.name} (${f.unit})`, value: f.value })) },
    mark: 'bar',
    encoding: {
      y: { field: 'name', type: 'nominal', title: null, sort: null },
      x: { field: 'value', type: 'quantitative', title: null },
    },
  };
}

export function chartFor(name: string, r: Json): TopLevelSpec | null {
  switch (name) {
    case 'fanout':
      return fanout(r);
    case 'turn':
      return samplesStrip(
        r,
        'turn: end of caller speech → first agent audio at the caller (ms); ◆ median',
        'turn latency (ms)',
      );
    case 'bargein':
      return samplesStrip(
        r,
        `bargein: caller speech onset → agent silent at the caller (ms); dashed: target`,
        'barge-in (ms)',
        (r.settings?.minInterruptionMs ?? 350) + 100,
      );
    case 'density':
      return density(r);
    case 'web':
      return web(r);
    case 'history':
      return history(r);
    default:
      return generic(r);
  }
}

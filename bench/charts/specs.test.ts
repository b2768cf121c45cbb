import * as vega from 'vega';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { chartFor } from './specs';

const svgOf = async (name: string, result: Record<string, unknown>) => {
  const spec = chartFor(name, result);
  expect(spec).not.toBeNull();
  const view = new vega.View(vega.parse(compile(spec!).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
};

describe('charts from results', () => {
  it('draws the fan-out latency CDF of both arms', async () => {
    const histogram = [
      { p: 50, ms: 1 },
      { p: 99, ms: 5 },
    ];
    const svg = await svgOf('fanout', {
      settings: { conversations: 300 },
      data: { arms: { parley: { histogram }, baseline: { histogram } } },
    });
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('fanout: ingest');
    expect(svg).toContain('baseline');
  });

  it('draws turn samples per arm and the density ramp', async () => {
    expect(await svgOf('turn', { data: { samples: { parley: [1000, 1100], baseline: [990, 1050] } } })).toContain(
      'parley',
    );
    expect(await svgOf('density', { data: { stopReason: 'x', steps: [{ calls: 1, p50: 900, p95: 1000 }] } })).toContain(
      'simultaneous calls',
    );
  });

  it('has nothing to draw for a result without data', () => {
    expect(chartFor('turn', {})).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { Tracker } from './tracker';

const interim = (id: string) => JSON.stringify({ type: 'interim', segmentId: id, text: 'x' });
const utterance = (id: string) => JSON.stringify({ type: 'utterance', utterance: { text: id } });

describe('fan-out tracker', () => {
  it('times each first arrival per side (with its send time), counts repeats as duplicates and missing arrivals as lost', () => {
    const t = new Tracker();
    t.sent('m1', 'interim', 1000);
    t.sent('m2', 'utterance', 995);
    t.sent('m3', 'interim', 1000);
    t.received('A', interim('m1'), 1002);
    t.received('B', interim('m1'), 1005);
    t.received('B', interim('m1'), 1006); // again on B
    t.received('A', utterance('m2'), 1003);
    // m2 never reaches B; m3 reaches nobody
    t.received('A', JSON.stringify({ type: 'snapshot' }), 1000); // not a tracked message
    t.received('A', interim('w9'), 1000); // warm-up traffic
    t.received('A', interim('m404'), 1000); // never sent
    expect(t.latencies).toEqual([
      { ms: 2, kind: 'interim', side: 'A', at: 1000 },
      { ms: 5, kind: 'interim', side: 'B', at: 1000 },
      { ms: 8, kind: 'utterance', side: 'A', at: 995 },
    ]);
    expect(t.duplicates).toBe(1);
    expect(t.unexpected).toBe(1);
    expect(t.lost(2)).toBe(3);
  });

  it('does not count deliveries of messages whose ingest failed as lost', () => {
    const t = new Tracker();
    t.sent('m1', 'interim', 0);
    t.failed('m1', 503);
    expect(t.failures).toBe(1);
    expect(t.lost(2)).toBe(0);
  });
});

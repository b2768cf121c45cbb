import { percentile, round } from '../lib/stats';

type Kind = 'interim' | 'utterance';
type Side = 'A' | 'B';

/** Matches what subscribers receive against what was ingested: latency, losses, duplicates. */
export class Tracker {
  private msgs = new Map<string, { t: number; kind: Kind; recv: [number, number]; failed: boolean }>();
  /** Per delivery: latency, kind, side and when it was sent (nowMs clock). */
  latencies: Array<{ ms: number; kind: Kind; side: Side; at: number }> = [];
  sentCount = 0;
  failures = 0;
  duplicates = 0;
  unexpected = 0;

  sent(id: string, kind: Kind, t: number) {
    this.sentCount++;
    this.msgs.set(id, { t, kind, recv: [0, 0], failed: false });
  }

  failed(id: string, _status: number) {
    this.failures++;
    const m = this.msgs.get(id);
    if (m) m.failed = true;
  }

  received(side: Side, raw: string, t: number) {
    const m = JSON.parse(raw) as { type: string; segmentId?: string; utterance?: { text: string } };
    if (m.type !== 'interim' && m.type !== 'utterance') return;
    const id = m.segmentId ?? m.utterance?.text ?? '';
    if (id.startsWith('w')) return; // warm-up traffic
    const e = this.msgs.get(id);
    if (!e) return void this.unexpected++;
    const i = side === 'A' ? 0 : 1;
    if (e.recv[i]++ > 0) return void this.duplicates++;
    this.latencies.push({ ms: t - e.t, kind: e.kind, side, at: e.t });
  }

  /** Deliveries that never arrived, for messages whose ingest succeeded. */
  lost(subscribers: number): number {
    let n = 0;
    for (const e of this.msgs.values()) if (!e.failed) n += e.recv.filter((x) => x === 0).length - (2 - subscribers);
    return n;
  }

  /** Latency quantiles for the chart (a CDF). */
  histogram(): Array<{ p: number; ms: number }> {
    const s = this.latencies.map((x) => x.ms).sort((a, b) => a - b);
    const ps = [...Array.from({ length: 99 }, (_, i) => i + 1), 99.5, 99.9, 100];
    return ps.map((p) => ({ p, ms: round(percentile(s, p), 3) }));
  }
}

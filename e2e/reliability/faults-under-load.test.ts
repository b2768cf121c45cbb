/**
 * The reduced form of `npm run bench -- faults` (20 calls, every fault): 4 concurrent calls, every
 * caller's utterance batch held in flight at once, then a Postgres outage (the gateway SIGKILL round
 * passed here too but costs CI another ~40 s; the benchmark runs every fault). One outcome: all
 * calls go on, and every STT final and streamed reply is stored once and reaches every call's
 * socket once (under-load.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { dispose } from '@livekit/rtc-node';
import { recordFault } from '@parley/testkit/fault-record';
import { faultsUnderLoad } from './under-load';

afterAll(async () => dispose());

describe('a fault during 4 concurrent calls, every call with a batch in flight', () => {
  it('Postgres outage: every call goes on, nothing lost or duplicated', async () => {
    const results = await faultsUnderLoad({
      calls: 4,
      faults: ['postgres_outage'],
      log: (s) => console.info(s),
    });
    for (const r of results)
      recordFault({
        fault: `${r.fault}_4_calls`,
        file: 'e2e/reliability/faults-under-load.test.ts',
        inFlight: r.inFlight,
        outcome: r.outcome,
        expected: r.expected,
        stored: r.stored,
        lost: r.lost,
        duplicated: r.duplicated,
        live: { received: r.stored - r.live.lost, ...r.live },
      });
    expect(results.map((r) => r.fault)).toEqual(['postgres_outage']);
    expect(results.map((r) => r.inFlight)).toEqual(['4 of 4 calls with an utterance batch held unacknowledged']);
    // The released batches met the fault: each answered 503 by the outage.
    expect(results.map((r) => r.answers)).toEqual([{ 503: 4 }]);
    for (const r of results) {
      expect({ fault: r.fault, lost: r.lost, duplicated: r.duplicated, live: r.live }).toEqual({
        fault: r.fault,
        lost: 0,
        duplicated: 0,
        live: { lost: 0, duplicated: 0 },
      });
      expect(r.stored).toBe(r.expected);
    }
  }, 300_000);
});

// What a fault test records for docs/reliability.md: one file per fault under test-results/faults/
// (npm test deletes test-results/ when it starts, so only this run's faults are reported).
// scripts/reliability-report.ts reads these files; the shape is its FaultRecord.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface FaultRecord {
  /** Stable name, also the file name: `postgres_outage`, `redis_restart`, … */
  fault: string;
  /** The test file (repository-relative). */
  file: string;
  /** What was unacknowledged when the fault hit, as the test asserted it. */
  inFlight: string;
  /** The one outcome the test asserts. */
  outcome: string;
  /** Utterances in the independent record (greeting + fake STT finals + replies the fake LLM streamed). */
  expected: number;
  stored: number;
  lost: number;
  duplicated: number;
  /** The transcript WebSocket that stayed open through the fault (null: none could). */
  live: { received: number; lost: number; duplicated: number } | null;
  /**
   * Faults of the cluster tests (e2e/cluster), for docs/scaling.md: the calls the fault hit, for
   * each the time from the fault until its caller heard the agent again (null: the call never
   * stopped hearing it), and the calls that ended instead of resuming.
   */
  cluster?: { callsAffected: number; heardAgainMs: Array<number | null>; callsEnded: number };
}

const RESULTS = path.resolve(import.meta.dirname, '../../test-results/faults');

export function recordFault(record: FaultRecord): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, `${record.fault.replace(/[^\w.-]+/g, '_')}.json`), JSON.stringify(record, null, 2));
}

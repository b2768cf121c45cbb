import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeProfiles } from './cpuprofile';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
  children,
});

describe('summarizeProfiles', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-cpuprofile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A VAD's run calls into an addon (native, named after another addon function), a stream stage's
  // write goes through Node's Web Streams internals, and the GC has no caller at all.
  writeFileSync(
    path.join(dir, 'job-1.cpuprofile'),
    JSON.stringify({
      nodes: [
        frame(1, '(root)', '', [2, 3, 6, 8]),
        frame(2, 'runInference', 'file:///x/node_modules/@livekit/agents-plugin-silero/dist/vad.js', [4]),
        frame(3, 'write', 'file:///x/node_modules/@livekit/agents/dist/stream/identity_transform.js', [5]),
        frame(4, 'loadModel', '', []),
        frame(5, 'writableStreamDefaultWriterWrite', 'node:internal/webstreams/writablestream', []),
        frame(6, '(garbage collector)', '', []),
        frame(7, '(idle)', '', []),
        frame(8, 'main', 'file:///work/main/agent/src/job.ts', []),
      ],
      samples: [4, 4, 4, 5, 5, 6, 8, 7],
      timeDeltas: [10, 10, 10, 10, 10, 10, 10, 1000],
    }),
  );
  const s = summarizeProfiles(dir);

  it('names self time by function and by package, idle left out', () => {
    expect(s.samples).toBe(70);
    expect(s.hotSpots[0]).toEqual({ function: 'loadModel', where: ':10', selfPercent: 42.9 });
    expect(s.buckets).toContainEqual({ bucket: 'node:internal/webstreams', selfPercent: 28.6 });
  });

  it('charges native and Node-internal samples to the package function that called them', () => {
    expect(s.callers).toEqual([
      { caller: 'runInference @livekit/agents-plugin-silero/dist/vad.js:10', selfPercent: 42.9 },
      { caller: 'write @livekit/agents/dist/stream/identity_transform.js:10', selfPercent: 28.6 },
      { caller: '(garbage collector) :10', selfPercent: 14.3 },
      { caller: 'main agent/src/job.ts:10', selfPercent: 14.3 },
    ]);
  });
});

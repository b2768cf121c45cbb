import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { round } from './stats';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  function: string;
  where: string;
  selfPercent: number;
}

const short = (url: string) => {
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 13);
  const j = url.indexOf('/work/main/');
  return j >= 0 ? url.slice(j + 11) : url.replace(/^file:\/\//, '');
};

/** Where a frame's code is: its file (under node_modules, or the repository) and line. */
const at = (n: ProfileNode) => `${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

/** Bucket of a frame for a coarse "what dominates" view: a package, a Parley workspace, node internals, GC, idle. */
export function bucketOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (functionName === '(idle)') return '(idle)';
  if (functionName === '(garbage collector)') return '(gc)';
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:internal/')) return `node:internal/${url.slice(14).split(/[/:]/)[0]}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const ws = /\/work\/main\/([^/]+)\//.exec(url);
  return ws ? `@parley/${ws[1]}` : short(url);
}

/** A frame of code a package or Parley wrote: not Node's internals, not native code, not a V8 pseudo-frame. */
const isCallerFrame = (n: ProfileNode) => {
  const { url } = n.callFrame;
  return url !== '' && !url.startsWith('node:');
};

/**
 * The function a sample is charged to when self time is read by caller: its own frame if that is a
 * package's or Parley's code, else the nearest such frame above it (Web Streams internals, N-API
 * calls and promise hooks go to whoever called them; V8 names samples inside any N-API call after
 * one addon function, so self time alone misnames them). Samples with no such frame (GC, idle
 * tasks, Node's own timers) keep their own name.
 */
export function callerOf(node: ProfileNode, parent: Map<number, ProfileNode>): ProfileNode {
  for (let n: ProfileNode | undefined = node; n; n = parent.get(n.id)) if (isCallerFrame(n)) return n;
  return node;
}

/** Self time by function, by package, and by calling package for every .cpuprofile in a folder (merged). */
export function summarizeProfiles(
  dir: string,
  prefix = '',
  top = 15,
): {
  samples: number;
  hotSpots: HotSpot[];
  buckets: Array<{ bucket: string; selfPercent: number }>;
  callers: Array<{ caller: string; selfPercent: number }>;
} {
  const byFn = new Map<string, number>();
  const byBucket = new Map<string, number>();
  const byCaller = new Map<string, number>();
  let total = 0;
  for (const f of readdirSync(dir).filter((x) => x.startsWith(prefix) && x.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, ProfileNode>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
    p.samples.forEach((id, i) => {
      const n = nodes.get(id)!;
      const dt = p.timeDeltas[i] ?? 0;
      if (n.callFrame.functionName === '(idle)') return;
      // The inspector's own native dispatch (Profiler.stop serialising the profile), not the app.
      if (n.callFrame.functionName === 'dispatch' && !n.callFrame.url) return;
      total += dt;
      const key = `${n.callFrame.functionName || '(anonymous)'}\t${at(n)}`;
      byFn.set(key, (byFn.get(key) ?? 0) + dt);
      const b = bucketOf(n);
      byBucket.set(b, (byBucket.get(b) ?? 0) + dt);
      const c = callerOf(n, parent);
      const ck = `${c.callFrame.functionName || '(anonymous)'} ${at(c)}`;
      byCaller.set(ck, (byCaller.get(ck) ?? 0) + dt);
    });
  }
  const pct = (x: number) => round((100 * x) / (total || 1), 1);
  return {
    samples: total,
    hotSpots: [...byFn]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => {
        const [fn, where] = k.split('\t');
        return { function: fn!, where: where!, selfPercent: pct(v) };
      }),
    buckets: [...byBucket]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([bucket, v]) => ({ bucket, selfPercent: pct(v) })),
    callers: [...byCaller]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([caller, v]) => ({ caller, selfPercent: pct(v) })),
  };
}

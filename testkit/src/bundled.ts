import path from 'node:path';
import { bundleEntry } from '@parley/agent/dev-bundle';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const made = new Map<string, Promise<string>>();

/**
 * A workspace's entry (`agent/src/main.ts`, `gateway/src/main.ts`) as one plain-JavaScript bundle
 * (agent/dev/bundle.ts), made once per test process, for the processes the tests spawn: under tsx
 * the worker spent 4–5 s importing its modules, the bundle 1.7 s, and a run starts about 45
 * workers and 15 gateway processes. What runs is the same code; `npm start` runs it under tsx.
 */
export function bundledEntry(entry: `${'agent' | 'gateway'}/src/main.ts`): Promise<string> {
  const workspace = entry.split('/')[0]!;
  let bundle = made.get(entry);
  if (!bundle) {
    bundle = bundleEntry(
      path.join(repoRoot, entry),
      workspace === 'agent' ? 'worker' : workspace,
      path.join(repoRoot, workspace, 'node_modules', '.cache', 'parley-bundles'),
    );
    made.set(entry, bundle);
  }
  return bundle;
}

import type { RouteContract } from './route';

/**
 * The text of paths.ts: every contract's method and path, grouped as `api` is. Written by
 * `npx tsx scripts/gen-paths.ts`; paths.test.ts fails when paths.ts is not what this renders.
 */
export function renderPaths(api: Record<string, Record<string, RouteContract>>): string {
  const groups = Object.entries(api).map(([group, routes]) => {
    const lines = Object.entries(routes).map(
      ([name, c]) => `    ${name}: { method: '${c.method}', path: '${c.path}' },`,
    );
    return `  ${group}: {\n${lines.join('\n')}\n  },`;
  });
  return `// Generated from the route contracts (protocol/src/http/*.ts) by \`npx tsx scripts/gen-paths.ts\`; do not edit.
// paths.test.ts checks it matches them.
import type { api } from './index';
import type { RouteRefs } from './route';

export { pathOf, type RouteRef } from './route';

/** Method and path of every route, typed by its contract, without its schemas (and so without zod). */
export const paths: RouteRefs<typeof api> = {
${groups.join('\n')}
};
`;
}

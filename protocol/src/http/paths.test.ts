import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { api, HTTP_ROUTES } from './index';
import { paths } from './paths';
import { renderPaths } from './render-paths';

describe('paths.ts (routes without schemas, for the web client)', () => {
  it('is what the contracts render (run `npx tsx scripts/gen-paths.ts` after changing a route)', () => {
    expect(readFileSync(new URL('./paths.ts', import.meta.url), 'utf8')).toBe(renderPaths(api as never));
  });

  it('has every contract’s method and path, and loads no zod', () => {
    const refs = Object.values(paths).flatMap((g) =>
      Object.values(g as Record<string, { method: string; path: string }>),
    );
    expect(refs.map((r) => `${r.method} ${r.path}`)).toEqual(HTTP_ROUTES.map((c) => `${c.method} ${c.path}`));
    expect(readFileSync(new URL('./paths.ts', import.meta.url), 'utf8')).not.toMatch(/^import (?!type)/m);
    expect(readFileSync(new URL('./route.ts', import.meta.url), 'utf8')).not.toMatch(/^import (?!type)/m);
  });
});

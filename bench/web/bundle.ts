import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BundleFigures {
  /** Scripts the landing page loads before it runs (entry + modulepreloads), gzip bytes. */
  initialJsGzip: number;
  initialJsRaw: number;
  initialCssGzip: number;
  /** Every JS chunk, gzip bytes. */
  totalJsGzip: number;
  /** JS a route needs beyond the initial scripts (its lazy chunk and what that imports). */
  routes: Array<{ route: string; chunk: string; extraJsGzip: number }>;
  files: Array<{ file: string; raw: number; gzip: number; initial: boolean }>;
}

const gz = (buf: Buffer) => gzipSync(buf, { level: 9 }).length;

/** Reads a Vite build: which chunks index.html loads up front and what each lazy page adds. */
export function analyzeBundle(dist: string): BundleFigures {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/?([^"]+)"/g)].map((m) => m[1]!);
  const assets = readdirSync(path.join(dist, 'assets'));
  const size = new Map(
    assets.map((f) => {
      const b = readFileSync(path.join(dist, 'assets', f));
      return [`assets/${f}`, { raw: b.length, gzip: gz(b), text: f.endsWith('.js') ? b.toString() : '' }];
    }),
  );
  const imports = (file: string): string[] =>
    [...(size.get(file)?.text ?? '').matchAll(/(?:from|import)\s*"\.\/([\w.-]+\.js)"/g)].map((m) => `assets/${m[1]}`);
  const closure = (roots: string[]) => {
    const seen = new Set<string>();
    const walk = (f: string) => {
      if (seen.has(f) || !size.has(f)) return;
      seen.add(f);
      imports(f).forEach(walk);
    };
    roots.forEach(walk);
    return seen;
  };
  const initialJs = closure(refs.filter((r) => r.endsWith('.js')));
  const initialCss = refs.filter((r) => r.endsWith('.css'));
  const sum = (files: Iterable<string>, k: 'raw' | 'gzip') =>
    [...files].reduce((s, f) => s + (size.get(f)?.[k] ?? 0), 0);
  const routeChunk = (prefix: string) => assets.find((f) => f.startsWith(prefix) && f.endsWith('.js'));
  const routes = (
    [
      ['/call, /guest', 'CallPage-'],
      ['/history', 'HistoryPage-'],
      ['/history/:id', 'ConversationPage-'],
      ['/settings', 'SettingsPage-'],
    ] as const
  ).flatMap(([route, prefix]) => {
    const chunk = routeChunk(prefix);
    if (!chunk) return [];
    const extra = [...closure([`assets/${chunk}`])].filter((f) => !initialJs.has(f));
    return [{ route, chunk, extraJsGzip: sum(extra, 'gzip') }];
  });
  return {
    initialJsGzip: sum(initialJs, 'gzip'),
    initialJsRaw: sum(initialJs, 'raw'),
    initialCssGzip: sum(initialCss, 'gzip'),
    totalJsGzip: sum(
      [...size.keys()].filter((f) => f.endsWith('.js')),
      'gzip',
    ),
    routes,
    files: [...size].map(([file, s]) => ({
      file,
      raw: s.raw,
      gzip: s.gzip,
      initial: initialJs.has(file) || initialCss.includes(file),
    })),
  };
}

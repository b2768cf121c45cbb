import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_ENDPOINT_SILENCE_MS } from '@parley/testkit/stack';

const root = path.resolve(import.meta.dirname, '..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
const markdownFiles = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('README and docs match the tree', () => {
  it('gives a newcomer exactly the two commands', () => {
    const readme = read('README.md');
    expect(readme).toMatch(/^npm start\b/m);
    expect(readme).toMatch(/^npm test\b/m);
    const pkg = JSON.parse(read('package.json'));
    expect(Object.keys(pkg.scripts)).toEqual(expect.arrayContaining(['start', 'test']));
  });

  it('links only to files that exist', () => {
    const missing: string[] = [];
    for (const file of markdownFiles) {
      for (const [, target] of read(file).matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)) {
        if (!existsSync(path.resolve(root, path.dirname(file), target!))) missing.push(`${file} → ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names only folders that exist in its layout table', () => {
    const folders = [...read('README.md').matchAll(/^\| `([a-z]+)\/`/gm)].map((m) => m[1]!);
    expect(folders.length).toBeGreaterThan(5);
    expect(folders.filter((f) => !existsSync(path.join(root, f)))).toEqual([]);
  });

  it('documents in .env.example every environment variable the services read', () => {
    const example = read('.env.example');
    const sources = [
      'gateway/src/config/config.ts',
      'agent/src/config.ts',
      'protocol/src/providers.ts',
      'scripts/stack.ts',
    ];
    const vars = new Set<string>();
    for (const s of sources) {
      for (const [, name] of read(s).matchAll(/^\s+([A-Z][A-Z0-9_]{2,}):\s/gm)) vars.add(name!);
      for (const [, name] of read(s).matchAll(/env\.([A-Z][A-Z0-9_]{2,})/g)) vars.add(name!);
    }
    const undocumented = [...vars].filter((v) => !new RegExp(`^${v}=`, 'm').test(example));
    expect(undocumented).toEqual([]);
  });

  it("states the fake Deepgram's endpointing in the stack as the code sets it", () => {
    // Each mention of the constant, with the words around it, names the value the stack uses.
    const mentions = markdownFiles.flatMap((file) =>
      [
        ...read(file)
          .replace(/\s+/g, ' ')
          .matchAll(/STACK_ENDPOINT_SILENCE_MS/g),
      ].map((m) => ({
        file,
        text: read(file)
          .replace(/\s+/g, ' ')
          .slice(Math.max(0, m.index! - 200), m.index! + 100),
      })),
    );
    expect(mentions.length).toBeGreaterThanOrEqual(3);
    expect(mentions.filter((m) => !m.text.includes(`${STACK_ENDPOINT_SILENCE_MS} ms`))).toEqual([]);
  });
});

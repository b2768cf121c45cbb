import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@parley/tools';
import { RUNTIME, WORKSPACES as workspaces, stageProductionBuild } from '@parley/testkit/prod-build';

/**
 * What deploy/Dockerfile's final stage holds, built here without a Docker engine: the same build
 * script (scripts/build-prod.mjs: tsc to JavaScript) and the very `npm ci --omit=dev …` command read
 * from the Dockerfile, into a temporary folder; then the compiled gateway and agent worker run from
 * it with plain `node` (no tsx, no dev dependency on disk).
 */
const repo = path.resolve(import.meta.dirname, '..');
const dockerfile = readFileSync(path.join(repo, 'deploy/Dockerfile'), 'utf8');
/**
 * Development-only packages that must never reach the image. (`typescript` and `@types/node` do, as
 * production packages' own dependencies: a required peer of @livekit/throws-transformer, and a
 * dependency of @deepgram/sdk; nothing of ours runs them.)
 */
const DEV_ONLY = [
  'tsx',
  'vitest',
  'playwright-core',
  'lighthouse',
  'fast-check',
  'eslint',
  'prettier',
  'vite',
  'jsdom',
  '@testing-library/react',
  'esbuild',
  'typescript-eslint',
];

/** Every package folder under node_modules trees (nested ones included), by name. */
function installedPackages(root: string): Set<string> {
  const names = new Set<string>();
  const walk = (nm: string) => {
    if (!existsSync(nm)) return;
    for (const entry of readdirSync(nm, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const scoped = entry.name.startsWith('@');
      const dirs = scoped ? readdirSync(path.join(nm, entry.name)).map((n) => `${entry.name}/${n}`) : [entry.name];
      for (const name of dirs) {
        names.add(name);
        walk(path.join(nm, name, 'node_modules'));
      }
    }
  };
  walk(path.join(root, 'node_modules'));
  for (const ws of workspaces) walk(path.join(root, ws, 'node_modules'));
  return names;
}

describe('production image contents (deploy/Dockerfile, built without Docker)', () => {
  let work: string;
  let app: string;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'parley-image-'));
    // Stage "build" (testkit/src/prod-build.ts).
    const build = path.join(work, 'build');
    console.log(`production build (tsc): ${stageProductionBuild(build)} ms`);

    // Stage "deps": the rewritten package files and the Dockerfile's own npm ci command.
    app = path.join(work, 'app');
    for (const f of ['package.json', 'package-lock.json', '.npmrc']) cpSync(path.join(build, f), path.join(app, f));
    for (const ws of workspaces) cpSync(path.join(build, ws, 'package.json'), path.join(app, ws, 'package.json'));
    cpSync(path.join(repo, 'patches'), path.join(app, 'patches'), { recursive: true });
    const npmCi = /RUN (npm ci --omit=dev[^\\&\n]*)/.exec(dockerfile)?.[1]?.trim().split(/\s+/);
    expect(npmCi, 'the Dockerfile installs production dependencies with npm ci --omit=dev').toBeDefined();
    const t = Date.now();
    execFileSync(npmCi![0]!, [...npmCi!.slice(1), '--prefer-offline', '--loglevel=error'], { cwd: app, stdio: 'pipe' });
    console.log(`npm ci --omit=dev: ${Date.now() - t} ms`);

    // Stage "final": compiled code over those dependencies.
    for (const ws of RUNTIME) cpSync(path.join(build, ws, 'src'), path.join(app, ws, 'src'), { recursive: true });
  }, 300_000);

  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds production dependencies only, and no TypeScript source', () => {
    const installed = installedPackages(app);
    expect(installed.has('express')).toBe(true);
    expect(installed.has('@livekit/agents')).toBe(true);
    expect(DEV_ONLY.filter((p) => installed.has(p))).toEqual([]);
    // npm links every workspace; only the runtime ones have code in the image (the others are a
    // package.json, which npm ci needs to read the lockfile).
    const linked = readdirSync(path.join(app, 'node_modules/@parley'));
    expect(linked).toEqual(expect.arrayContaining(RUNTIME));
    const foreign = linked.filter((n) => !RUNTIME.includes(n));
    expect(foreign.filter((n) => readdirSync(path.join(app, 'node_modules/@parley', n)).length !== 1)).toEqual([]);
    const ts: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }))
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name.endsWith('.ts')) ts.push(path.join(d, e.name));
    };
    for (const ws of RUNTIME) walk(path.join(app, ws, 'src'));
    expect(ts).toEqual([]);
    // The image's command is the one run below.
    expect(dockerfile).toMatch(/CMD \["node", "gateway\/src\/main\.js"\]/);
    // npm ci's postinstall applied patches/ in the image: agents loads sharp on first use only.
    const utils = readFileSync(path.join(app, 'node_modules/@livekit/agents/dist/llm/utils.js'), 'utf8');
    expect(utils).not.toMatch(/^import sharp/m);
    expect(utils).toContain('await import("sharp")');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it(
    'runs the compiled gateway and agent worker with plain node: /healthz, migrations, a password sign-in, and the worker reports in',
    { timeout: 180_000 },
    async () => {
      const port = await freePort();
      const secret = 'production-image-test-secret-0123456789abcdef';
      const env = {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: path.join(work, 'data'),
        SESSION_SECRET: secret,
        INGEST_SECRET: secret,
        LIVEKIT_URL: 'ws://127.0.0.1:1',
        LIVEKIT_API_KEY: 'parley',
        LIVEKIT_API_SECRET: secret,
        GATEWAY_URL: `http://127.0.0.1:${port}`,
        AGENT_HEALTH_PORT: String(await freePort()),
        AGENT_IDLE_PROCESSES: '0',
        LOG_LEVEL: 'warn',
      };
      const output: string[] = [];
      const run = (script: string) => {
        // Plain node: the build wrote every relative import with its .js file name (no resolve hook).
        const p = spawn(process.execPath, [script], {
          cwd: app,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        p.stdout!.on('data', (b: Buffer) => output.push(b.toString()));
        p.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
        procs.push(p);
        return p;
      };
      mkdirSync(env.DATA_DIR, { recursive: true });
      const gateway = run('gateway/src/main.js');
      const url = `http://127.0.0.1:${port}`;
      let health: Response | null = null;
      for (let i = 0; i < 300 && !health?.ok; i++) {
        if (gateway.exitCode !== null) throw new Error(`gateway exited:\n${output.join('')}`);
        await new Promise((r) => setTimeout(r, 200));
        health = await fetch(`${url}/healthz`).catch(() => null);
      }
      expect(health?.status).toBe(200);
      // Password hashing runs in the image (Argon2id's prebuilt binding, installed by npm ci --omit=dev).
      const post = (route: string, body: object) =>
        fetch(`${url}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: url },
          body: JSON.stringify(body),
        });
      const account = { email: 'image@example.test', password: 'violet-harbor-lantern-47' };
      expect((await post('/api/auth/register', { ...account, displayName: 'Image' })).status).toBe(201);
      expect((await post('/api/auth/login', account)).status).toBe(200);
      expect((await post('/api/auth/login', { ...account, password: 'violet-harbor-lantern-48' })).status).toBe(401);
      run('agent/src/main.js');
      type Readiness = { components: Record<string, { status: string; mode?: string }> };
      let ready = null as Readiness | null;
      for (let i = 0; i < 300 && ready?.components.speech?.status !== 'ok'; i++) {
        await new Promise((r) => setTimeout(r, 200));
        ready = (await fetch(`${url}/readyz`).then((r) => r.json())) as Readiness;
      }
      // The embedded database was migrated by the compiled migrations; the compiled worker probed its
      // engines and sent a signed heartbeat (LiveKit itself is absent here, so readiness stays 503).
      expect(ready?.components.database).toMatchObject({ status: 'ok', mode: 'embedded' });
      expect(ready?.components.speech?.status, output.join('').slice(-2000)).toBe('ok');
      // The admin command of docs/operations.md loads with plain node too (2 = wrong usage, after the import).
      const cli = spawnSync(process.execPath, ['gateway/src/admin/cli.js'], { cwd: app, env, encoding: 'utf8' });
      expect(cli.status, cli.stderr).toBe(2);
      expect(cli.stderr).toMatch(/^usage: admin promote/);
    },
  );
});

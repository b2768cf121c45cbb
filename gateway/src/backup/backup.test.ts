import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@parley/db';
import {
  createTestDatabase,
  startTestGateway,
  TEST_INGEST_SECRET,
  TestClient,
  type TestDatabase,
} from '@parley/testkit';
import { populateThroughApi, tableRows, type PopulatedAccount } from '@parley/testkit/backup';
import { loadGatewayConfig } from '../config/config';
import { startGateway, type RunningGateway } from '../server';
import { main } from './cli';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const exec = promisify(execFile);

/** The real commands, as a self-hoster types them. */
async function npmRun(script: 'backup' | 'restore', args: string[], env: Record<string, string | undefined>) {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.DATA_DIR;
  try {
    const t = performance.now();
    const r = await exec('npm', ['run', '--silent', script, '--', ...args], { cwd: ROOT, env: { ...base, ...env } });
    console.log(`npm run ${script}: ${Math.round(performance.now() - t)} ms`);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** What a user sees after the restore: their login, conversations with every turn, and share links. */
async function expectAccountsServed(url: string, accounts: PopulatedAccount[]) {
  for (const a of accounts) {
    const c = new TestClient(url);
    expect((await c.post('/api/auth/login', { email: a.email, password: a.password })).status).toBe(200);
    const list = await c.get('/api/conversations');
    expect(list.body.conversations.map((x: { id: string }) => x.id).sort()).toEqual([...a.conversationIds].sort());
    for (const id of a.conversationIds) {
      const one = await c.get(`/api/conversations/${id}`);
      expect(one.status).toBe(200);
      expect(one.body.utterances).toHaveLength(4);
    }
    for (const token of a.shareTokens) expect((await new TestClient(url).get(`/api/shared/${token}`)).status).toBe(200);
  }
}

const work = mkdtempSync(path.join(tmpdir(), 'parley-backup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run backup / restore on Postgres (pg_dump custom format)', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  it('backs up a live database and restores every row of every table into a fresh one', async () => {
    const gw = await startTestGateway({ env: { RATE_LIMIT_LOGIN_PER_IP: '1000' } });
    dbs.push(gw.database);
    const accounts = await populateThroughApi(gw.url);
    const backupDir = path.join(work, 'pg-backups');
    // Taken while the gateway runs: pg_dump reads one snapshot.
    const backup = await npmRun('backup', [], { DATABASE_URL: gw.database.url, BACKUP_DIR: backupDir });
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).not.toContain(gw.database.url);
    const [file] = readdirSync(backupDir);
    expect(file).toMatch(/^parley-postgres-.*\.dump$/);
    const before = await tableRows(gw.database.db);
    await gw.stop();

    const fresh = await createTestDatabase({ migrate: false });
    dbs.push(fresh);
    const restore = await npmRun('restore', [path.join(backupDir, file!)], { DATABASE_URL: fresh.url });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    const after = await tableRows(fresh.db);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    // Sessions live in Redis here; the embedded test below covers the sessions table.
    for (const table of ['users', 'user_preferences', 'conversations', 'utterances', 'conversation_shares'])
      expect(before[table]!.length, table).toBeGreaterThan(0);
    expect(before.utterances).toHaveLength(16);
    for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]);

    // A second restore into the now-populated database is refused without --replace, and nothing changes.
    await expect(main(['restore', path.join(backupDir, file!)], { DATABASE_URL: fresh.url })).rejects.toThrow(
      /already has \d+ tables/,
    );
    expect(await tableRows(fresh.db)).toEqual(after);

    const restored = await startTestGateway({ database: fresh, env: { RATE_LIMIT_LOGIN_PER_IP: '1000' } });
    try {
      await expectAccountsServed(restored.url, accounts);
    } finally {
      await restored.close();
    }
  }, 180_000);

  it('restores with --replace over a database that has diverged since the backup', async () => {
    const gw = await startTestGateway({ env: { RATE_LIMIT_LOGIN_PER_IP: '1000' } });
    dbs.push(gw.database);
    await populateThroughApi(gw.url);
    const file = path.join(work, 'replace.dump');
    expect((await npmRun('backup', ['--out', file], { DATABASE_URL: gw.database.url })).code).toBe(0);
    const before = await tableRows(gw.database.db);
    await populateThroughApi(gw.url); // written after the backup: gone after the restore
    expect((await tableRows(gw.database.db)).users).toHaveLength(4);
    await gw.close();
    const r = await npmRun('restore', [file, '--replace'], { DATABASE_URL: gw.database.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const after = await tableRows(gw.database.db);
    for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]);
  }, 180_000);

  it('refuses a file that is not a backup, or one of the other kind, with a clear message', async () => {
    const junk = path.join(work, 'junk.dump');
    writeFileSync(junk, 'hello');
    const r = await npmRun('restore', [junk], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a Parley backup/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
  });
});

describe('npm run backup / restore on the embedded database (PGlite)', () => {
  const config = (dataDir: string) =>
    loadGatewayConfig({
      NODE_ENV: 'test',
      PORT: '0',
      DATA_DIR: dataDir,
      LIVEKIT_URL: 'ws://127.0.0.1:1',
      INGEST_SECRET: TEST_INGEST_SECRET,
      SESSION_SECRET: 'test-session-secret-0123456789abcdefghijkl',
    });
  const running: RunningGateway[] = [];
  afterAll(async () => {
    for (const gw of running) await gw.close();
  });

  it('refuses while the gateway holds the data folder, then round-trips every row into a fresh folder', async () => {
    const source = path.join(work, 'embedded-source');
    const gw = await startGateway(config(source), { logger: pino({ level: 'silent' }) });
    running.push(gw);
    const accounts = await populateThroughApi(gw.url);
    const file = path.join(work, 'embedded.tar.gz');

    await expect(main(['backup', '--out', file], { DATA_DIR: source })).rejects.toThrow(
      /in use by the Parley gateway \(pid \d+\); stop it first/,
    );
    expect(existsSync(file)).toBe(false);
    await gw.close();

    const backup = await npmRun('backup', ['--out', file], { DATA_DIR: source });
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/backup written: .*embedded\.tar\.gz \(embedded, \d+ bytes/);

    const target = path.join(work, 'embedded-target');
    const restore = await npmRun('restore', [file], { DATA_DIR: target });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    // The restored folder is never written over.
    await expect(main(['restore', file], { DATA_DIR: target })).rejects.toThrow(/already holds a database/);

    const a = createDatabase({ dataDir: path.join(source, 'pg') });
    const before = await tableRows(a);
    await a.destroy();
    const b = createDatabase({ dataDir: path.join(target, 'pg') });
    const after = await tableRows(b);
    await b.destroy();
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(before.utterances).toHaveLength(16);
    for (const table of ['users', 'user_preferences', 'conversations', 'conversation_shares', 'sessions'])
      expect(before[table]!.length, table).toBeGreaterThan(0);
    for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]);

    // A Postgres archive (its first bytes say so) is not restored into the embedded database.
    const archive = path.join(work, 'other-kind.dump');
    writeFileSync(archive, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(64)]));
    await expect(main(['restore', archive], { DATA_DIR: path.join(work, 'x') })).rejects.toThrow(
      /is a postgres backup but this configuration uses the embedded database/,
    );

    const restored = await startGateway(config(target), { logger: pino({ level: 'silent' }) });
    running.push(restored);
    await expectAccountsServed(restored.url, accounts);
  }, 400_000);
});

describe('backup retention', () => {
  it('keeps the newest BACKUP_KEEP backups of the kind just written and leaves other files alone', async () => {
    const { pruneBackups } = await import('./cli');
    const dir = mkdtempSync(path.join(work, 'keep-'));
    const names = [1, 2, 3, 4].map((d) => `parley-postgres-2026-12-0${d}T03-00-00Z.dump`);
    for (const f of [...names, 'parley-embedded-2026-12-01T03-00-00Z.tar.gz', 'notes.txt'])
      writeFileSync(path.join(dir, f), 'x');
    expect(pruneBackups(dir, 'postgres', 2)).toEqual(names.slice(0, 2));
    expect(readdirSync(dir).sort()).toEqual(
      ['notes.txt', 'parley-embedded-2026-12-01T03-00-00Z.tar.gz', ...names.slice(2)].sort(),
    );
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordingClient, registerUser } from '@parley/testkit/accounts';
import { loadGatewayConfig } from '../config/config';
import { startGateway, type RunningGateway } from '../server';
import { SESSION_COOKIE } from './session';

/**
 * `npm start` with nothing configured: embedded PGlite in DATA_DIR and no Redis. Sessions then
 * live in PGlite through connect-session-knex, and the repositories' transactions run there too.
 */
describe('embedded database, no Redis (the npm start defaults)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-embedded-'));
  const running: RunningGateway[] = [];
  const start = async () => {
    const config = loadGatewayConfig({
      NODE_ENV: 'test',
      PORT: '0',
      DATA_DIR: dataDir,
      LIVEKIT_URL: 'ws://127.0.0.1:1',
      INGEST_SECRET: 'test-ingest-secret-0123456789abcdefghijklmnop',
      SESSION_SECRET: 'test-session-secret-0123456789abcdefghijkl',
    });
    const gw = await startGateway(config, { logger: pino({ level: 'silent' }) });
    running.push(gw);
    return gw;
  };
  afterAll(async () => {
    for (const gw of running) await gw.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps sessions across a restart, saves preferences, and ends every session when the account is deleted', async () => {
    const first = await start();
    expect(first.ctx.redis).toBeNull();
    const c = new RecordingClient(first.url);
    const user = await registerUser(c);
    const prefs = { ttsVoice: 'fr', language: 'fr', favoriteTopics: ['jazz'], systemPrompt: '', memory: true };
    expect((await c.put('/api/me/preferences', prefs)).status).toBe(200);
    await first.close();

    const second = await start();
    const again = new RecordingClient(second.url);
    again.cookies.set(SESSION_COOKIE, c.cookies.get(SESSION_COOKIE)!);
    expect((await again.get('/api/auth/me')).body.user.id).toBe(user.id);
    expect((await again.get('/api/me/preferences')).body.preferences).toEqual(prefs);
    const other = new RecordingClient(second.url);
    expect((await other.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);

    const stored = promisify(second.ctx.sessionStore.get.bind(second.ctx.sessionStore));
    const sids = [c.sessionId()!, other.sessionId()!];
    for (const sid of sids) expect(await stored(sid)).toMatchObject({ userId: user.id });
    expect((await again.request('DELETE', '/api/me', { password: user.password })).status).toBe(204);
    for (const sid of sids) expect(await stored(sid)).toBeFalsy();
    expect((await other.get('/api/auth/me')).status).toBe(401);
  });
});

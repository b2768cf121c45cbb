import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallMetadata } from '@parley/protocol';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { registerUser } from '@parley/testkit/accounts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const exec = promisify(execFile);

/** The command as an operator types it (no npm). */
async function admin(args: string[], databaseUrl: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl };
  delete env.DATA_DIR;
  try {
    const r = await exec(process.execPath, ['--import', 'tsx', 'gateway/src/admin/cli.ts', ...args], {
      cwd: ROOT,
      env,
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

describe('the admin command', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.stop());

  it('promotes an account to admin (the admin routes open to it) and demotes it again', async () => {
    const c = new TestClient(gw.url);
    const u = await registerUser(c, { displayName: 'Operator' });
    expect((await c.get('/api/admin/users')).status).toBe(404);

    const promoted = await admin(['promote', u.email.toUpperCase()], gw.database.url);
    expect(promoted).toEqual({ code: 0, out: `${u.email} is now an admin\n` });
    const users = await c.get('/api/admin/users');
    expect(users.status).toBe(200);
    expect(users.body.users.find((x: { id: string }) => x.id === u.id).role).toBe('admin');

    expect((await admin(['demote', u.email], gw.database.url)).code).toBe(0);
    expect((await c.get('/api/admin/users')).status).toBe(404);
  }, 60_000);

  it("sets an account's own limits, which its next call is dispatched with; refuses unknown accounts and bad values", async () => {
    const c = new TestClient(gw.url);
    const u = await registerUser(c);
    const set = await admin(['limits', u.email, '--quota-minutes', '90', '--max-call-seconds', '120'], gw.database.url);
    expect(set).toEqual({ code: 0, out: `${u.email}: quota 90 minutes a day, max call 120 s\n` });
    const call = await c.post('/api/calls', {});
    const metadata = CallMetadata.parse(JSON.parse(claims(call.body.token).roomConfig.agents[0].metadata));
    expect(metadata.limits).toEqual({ maxCallSeconds: 120, warnSeconds: 60 });
    const back = await admin(['limits', u.email, '--max-call-seconds', 'default'], gw.database.url);
    expect(back.out).toBe(`${u.email}: quota 90 minutes a day, max call default\n`);

    expect(await admin(['promote', 'nobody@example.com'], gw.database.url)).toEqual({
      code: 1,
      out: 'no account with the email nobody@example.com\n',
    });
    for (const args of [
      ['limits', u.email, '--max-call-seconds', '1.5'],
      ['limits', u.email, '--quota-minutes', '-1'],
      ['promote'],
      ['delete', u.email],
      ['promote', u.email, '--quota-minutes', '5'],
      ['limits', u.email, '--bogus', '1'],
    ]) {
      const r = await admin(args, gw.database.url);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out, args.join(' ')).toMatch(/usage|must be|Unknown option|Option '--/);
    }
  }, 90_000);
});

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway } from '@parley/testkit';
import { registerUser } from '@parley/testkit/accounts';
import { readMailFile, TestSmtpServer } from '@parley/testkit/smtp';

/** `npm start` with no SMTP_URL: messages land as .eml files in DATA_DIR/mail and the flows still work. */
describe('mail without SMTP', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.stop());

  it('writes the verification message to DATA_DIR/mail; its link verifies the address', async () => {
    const c = new TestClient(gw.url);
    const user = await registerUser(c);
    const dir = path.resolve(gw.ctx.config.database.dataDir, 'mail');
    let files: string[] = [];
    for (let i = 0; i < 50 && files.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      files = (() => {
        try {
          return readdirSync(dir).filter((f) => f.endsWith('.eml'));
        } catch {
          return [];
        }
      })();
    }
    expect(files).toHaveLength(1);
    const mail = await readMailFile(path.join(dir, files[0]!));
    expect(mail.to).toEqual([user.email]);
    expect(mail.subject).toBe('Confirm your email address for Parley');
    expect(mail.html).toContain('/verify-email#token=');
    const token = TestSmtpServer.tokenOf(mail);
    expect((await c.post('/api/auth/verify-email', { token })).status).toBe(204);
    expect((await c.get('/api/auth/me')).body.user.emailVerified).toBe(true);
  });
});

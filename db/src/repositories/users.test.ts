import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@parley/testkit/db';
import { isUniqueViolation } from '../connect';
import { listAuditEvents, recordAudit } from './audit';
import { getPreferences, savePreferences } from './preferences';
import {
  bumpSessionEpoch,
  createUser,
  findUserById,
  findUserCredentialsByEmail,
  listUsers,
  setPasswordHash,
  updateUserProfile,
} from './users';

describe('users, preferences and audit repositories', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.drop());

  it('keeps emails unique case-insensitively and finds them in any case', async () => {
    const u = await createUser(t.db, { email: 'Ada@Example.com', passwordHash: 'h1', displayName: 'Ada' });
    expect(u).toMatchObject({ email: 'Ada@Example.com', displayName: 'Ada', role: 'user', sessionEpoch: 0 });
    expect(u).not.toHaveProperty('passwordHash');
    const err = await createUser(t.db, { email: 'ada@example.COM', passwordHash: 'h2', displayName: 'x' }).catch(
      (e) => e,
    );
    expect(isUniqueViolation(err)).toBe(true);
    const found = await findUserCredentialsByEmail(t.db, '  ADA@example.com ');
    expect(found?.user.id).toBe(u.id);
    expect(found?.passwordHash).toBe('h1');
  });

  it('moves the session epoch on with a password change and on demand', async () => {
    const u = await createUser(t.db, { email: 'bob@example.com', passwordHash: 'h', displayName: 'Bob' });
    expect(await setPasswordHash(t.db, u.id, 'h-new')).toBe(1);
    expect(await bumpSessionEpoch(t.db, u.id)).toBe(2);
    expect((await findUserById(t.db, u.id))?.sessionEpoch).toBe(2);
    const changed = await updateUserProfile(t.db, u.id, { displayName: 'Robert' });
    expect(changed?.displayName).toBe('Robert');
    const { users, total } = await listUsers(t.db, { limit: 10, offset: 0 });
    expect(total).toBe(2);
    expect(users.map((x) => x.displayName)).toContain('Robert');
  });

  it('stores preferences as a whole and audit events newest first', async () => {
    const u = await createUser(t.db, { email: 'cy@example.com', passwordHash: 'h', displayName: 'Cy' });
    expect(await getPreferences(t.db, u.id)).toBeUndefined();
    const prefs = { ttsVoice: 'en-us', language: 'en', favoriteTopics: ['jazz'], systemPrompt: 'Be brief.' };
    expect(await savePreferences(t.db, u.id, prefs)).toEqual(prefs);
    expect(await savePreferences(t.db, u.id, { ...prefs, favoriteTopics: [] })).toMatchObject({ favoriteTopics: [] });
    await recordAudit(t.db, { userId: u.id, type: 'login', ip: '127.0.0.1' });
    await recordAudit(t.db, { userId: u.id, type: 'preferences_change', details: { fields: ['language'] } });
    const events = await listAuditEvents(t.db, u.id);
    expect(events.map((e) => e.type)).toEqual(['preferences_change', 'login']);
    expect(events[0]?.details).toEqual({ fields: ['language'] });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@parley/testkit/db';
import { isUniqueViolation } from '../connect';
import { createRepositories, type Repositories } from './index';

describe('users, preferences and audit repositories', () => {
  let t: TestDatabase;
  let repos: Repositories;
  beforeAll(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
  });
  afterAll(async () => t.drop());

  it('keeps emails unique case-insensitively and finds them in any case', async () => {
    const u = await repos.users.create({ email: 'Ada@Example.com', passwordHash: 'h1', displayName: 'Ada' });
    expect(u).toMatchObject({ email: 'Ada@Example.com', displayName: 'Ada', role: 'user', sessionEpoch: 0 });
    expect(u).not.toHaveProperty('passwordHash');
    const err = await repos.users
      .create({ email: 'ada@example.COM', passwordHash: 'h2', displayName: 'x' })
      .catch((e) => e);
    expect(isUniqueViolation(err)).toBe(true);
    const found = await repos.users.findCredentialsByEmail('  ADA@example.com ');
    expect(found?.user.id).toBe(u.id);
    expect(found?.passwordHash).toBe('h1');
  });

  it('moves the session epoch on with a password change and on demand', async () => {
    const u = await repos.users.create({ email: 'bob@example.com', passwordHash: 'h', displayName: 'Bob' });
    expect(await repos.users.setPasswordHash(u.id, 'h-new')).toBe(1);
    expect(await repos.users.bumpSessionEpoch(u.id)).toBe(2);
    expect((await repos.users.findById(u.id))?.sessionEpoch).toBe(2);
    const changed = await repos.users.updateProfile(u.id, { displayName: 'Robert' });
    expect(changed?.displayName).toBe('Robert');
    const { users, total } = await repos.users.list({ limit: 10, offset: 0 });
    expect(total).toBe(2);
    expect(users.map((x) => x.displayName)).toContain('Robert');
  });

  it('upgrades a password hash only while the stored one is still the hash that was verified', async () => {
    const u = await repos.users.create({ email: 'dee@example.com', passwordHash: 'old', displayName: 'Dee' });
    const epoch = (await repos.users.findById(u.id))!.sessionEpoch;
    expect(await repos.users.upgradePasswordHash(u.id, 'old', 'old-rehashed')).toBe(true);
    expect(await repos.users.passwordHash(u.id)).toBe('old-rehashed');
    expect((await repos.users.findById(u.id))!.sessionEpoch).toBe(epoch); // sessions stay valid
    // A password change landed between the login's verification and its upgrade: the change wins.
    await repos.users.setPasswordHash(u.id, 'changed');
    expect(await repos.users.upgradePasswordHash(u.id, 'old-rehashed', 'stale-rehash')).toBe(false);
    expect(await repos.users.passwordHash(u.id)).toBe('changed');
  });

  it('stores preferences as a whole and audit events newest first', async () => {
    const u = await repos.users.create({ email: 'cy@example.com', passwordHash: 'h', displayName: 'Cy' });
    expect(await repos.preferences.get(u.id)).toBeUndefined();
    const prefs = {
      ttsVoice: 'en-us',
      language: 'en',
      favoriteTopics: ['jazz'],
      systemPrompt: 'Be brief.',
      memory: false,
    };
    expect(await repos.preferences.save(u.id, prefs)).toEqual(prefs);
    expect(await repos.preferences.save(u.id, { ...prefs, favoriteTopics: [] })).toMatchObject({ favoriteTopics: [] });
    await repos.audit.record({ userId: u.id, type: 'login', ip: '127.0.0.1' });
    await repos.audit.record({ userId: u.id, type: 'preferences_change', details: { fields: ['language'] } });
    const events = await repos.audit.list(u.id);
    expect(events.map((e) => e.type)).toEqual(['preferences_change', 'login']);
    expect(events[0]?.details).toEqual({ fields: ['language'] });
  });
});

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LEGACY_PASSWORD, LEGACY_SCRYPT_HASHES } from '@parley/testkit/accounts';
import {
  hashPassword,
  needsRehash,
  passwordProblems,
  PRODUCTION_PARAMS,
  TEST_PARAMS,
  verifyPassword,
} from './passwords';
import { isSameOrigin } from './origin';

const req = (headers: Record<string, string>, encrypted = false) =>
  ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

describe('isSameOrigin', () => {
  it('compares Origin with the request host, or with PUBLIC_URL when set', () => {
    expect(isSameOrigin(req({ host: 'parley.test:8080', origin: 'http://parley.test:8080' }), {})).toBe(true);
    expect(isSameOrigin(req({ host: 'parley.test:8080', origin: 'http://evil.test:8080' }), {})).toBe(false);
    expect(isSameOrigin(req({ host: 'parley.test', origin: 'https://parley.test' }), {})).toBe(false); // scheme differs
    expect(isSameOrigin(req({ host: 'parley.test', origin: 'https://parley.test' }, true), {})).toBe(true);
    expect(
      isSameOrigin(req({ host: 'parley.test', origin: 'https://parley.test', 'x-forwarded-proto': 'https' }), {}),
    ).toBe(true);
    const pub = { publicUrl: 'https://parley.example.com' };
    expect(isSameOrigin(req({ host: 'internal:8080', origin: 'https://parley.example.com' }), pub)).toBe(true);
    expect(isSameOrigin(req({ host: 'internal:8080', origin: 'http://internal:8080' }), pub)).toBe(false);
  });

  it('falls back to Sec-Fetch-Site without Origin, and refuses when both are missing or Origin is "null"', () => {
    expect(isSameOrigin(req({ host: 'h', 'sec-fetch-site': 'same-origin' }), {})).toBe(true);
    expect(isSameOrigin(req({ host: 'h', 'sec-fetch-site': 'none' }), {})).toBe(true);
    expect(isSameOrigin(req({ host: 'h', 'sec-fetch-site': 'same-site' }), {})).toBe(false);
    expect(isSameOrigin(req({ host: 'h', 'sec-fetch-site': 'cross-site' }), {})).toBe(false);
    expect(isSameOrigin(req({ host: 'h' }), {})).toBe(false);
    expect(isSameOrigin(req({ host: 'h', origin: 'null' }), {})).toBe(false);
    expect(isSameOrigin(req({ host: 'h', origin: 'not a url' }), {})).toBe(false);
  });
});

describe('passwords', () => {
  it('hashes with Argon2id into a self-describing PHC string; right password yes, wrong or unreadable no', async () => {
    const h = await hashPassword('violet-harbor-lantern-47', PRODUCTION_PARAMS);
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(h).not.toContain('violet');
    expect(await verifyPassword('violet-harbor-lantern-47', h)).toBe(true);
    expect(await verifyPassword('violet-harbor-lantern-48', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
    // Unicode forms of the same password verify alike (NFKC), as they did with scrypt.
    const cafe = await hashPassword('caf\u00e9-harbor-lantern', TEST_PARAMS);
    expect(await verifyPassword('cafe\u0301-harbor-lantern', cafe)).toBe(true);
    const a = await hashPassword('same', TEST_PARAMS);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await hashPassword('same', TEST_PARAMS)).not.toBe(a); // salted
    expect(needsRehash(h, PRODUCTION_PARAMS)).toBe(false);
    expect(needsRehash(h, TEST_PARAMS)).toBe(true);
    expect(needsRehash(a, TEST_PARAMS)).toBe(false);
  });

  it('still verifies the scrypt hashes stored before Argon2id, and marks them for re-hashing', async () => {
    for (const legacy of [LEGACY_SCRYPT_HASHES.test, LEGACY_SCRYPT_HASHES.production]) {
      expect(await verifyPassword(LEGACY_PASSWORD, legacy)).toBe(true);
      expect(await verifyPassword(`${LEGACY_PASSWORD}!`, legacy)).toBe(false);
      expect(needsRehash(legacy, PRODUCTION_PARAMS)).toBe(true);
      expect(needsRehash(legacy, TEST_PARAMS)).toBe(true);
    }
  });

  it('refuses corrupted or absurd hashes without running them', async () => {
    const good = await hashPassword(LEGACY_PASSWORD, TEST_PARAMS);
    const [, , version, , salt, key] = good.split('$');
    const corrupt = [
      `$argon2id$${version}$m=4194304,t=1,p=1$${salt}$${key}`, // 4 GiB
      `$argon2id$${version}$m=1024,t=99,p=1$${salt}$${key}`,
      `$argon2id$${version}$m=1024,t=0,p=1$${salt}$${key}`,
      `$argon2id$v=16$m=1024,t=1,p=1$${salt}$${key}`,
      `$argon2i$${version}$m=1024,t=1,p=1$${salt}$${key}`,
      `$argon2id$${version}$m=1024,t=1,p=1$${salt}$${key!.slice(0, 10)}`, // short key
      `$argon2id$${version}$m=1024,t=1,p=1$${salt}$`,
      'scrypt$N=4096,r=8,p=1$FYrHpzTj4kFIAjzgN/fI/g==$=', // empty key must not match an empty derivation
      'scrypt$N=4095,r=8,p=1$FYrHpzTj4kFIAjzgN/fI/g==$F0XEEUzPFAz6i8jygu2KS13ZXR8fAoI3jgfZjE+4cCw=',
      'scrypt$N=4194304,r=8,p=1$FYrHpzTj4kFIAjzgN/fI/g==$F0XEEUzPFAz6i8jygu2KS13ZXR8fAoI3jgfZjE+4cCw=',
    ];
    const t = Date.now();
    for (const stored of corrupt) expect(await verifyPassword(LEGACY_PASSWORD, stored), stored).toBe(false);
    expect(Date.now() - t).toBeLessThan(2_000); // nothing ran with the absurd costs
    expect(await verifyPassword(LEGACY_PASSWORD, good)).toBe(true);
  });

  it('checks strength: length, guessability, the email', () => {
    const ctx = { email: 'margaret@example.com' };
    expect(passwordProblems('violet-harbor-lantern-47', ctx)).toEqual([]);
    expect(passwordProblems('Sh0rt!x', ctx)[0]?.message).toMatch(/at least 10/);
    expect(passwordProblems('password1234', ctx)[0]?.message).toMatch(/too easy/);
    expect(passwordProblems('Margaret-xq82-Vt9!', ctx)[0]?.message).toMatch(/email/);
  });
});

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
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
  it('hashes with scrypt into a self-describing string and verifies in constant time', async () => {
    const h = await hashPassword('violet-harbor-lantern-47', PRODUCTION_PARAMS);
    expect(h).toMatch(/^scrypt\$N=32768,r=8,p=3\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(h).not.toContain('violet');
    expect(await verifyPassword('violet-harbor-lantern-47', h)).toBe(true);
    expect(await verifyPassword('violet-harbor-lantern-48', h)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
    expect(await hashPassword('same', TEST_PARAMS)).not.toBe(await hashPassword('same', TEST_PARAMS)); // salted
    expect(needsRehash(h, PRODUCTION_PARAMS)).toBe(false);
    expect(needsRehash(h, TEST_PARAMS)).toBe(true);
  });

  it('checks strength: length, guessability, the email', () => {
    const ctx = { email: 'margaret@example.com' };
    expect(passwordProblems('violet-harbor-lantern-47', ctx)).toEqual([]);
    expect(passwordProblems('Sh0rt!x', ctx)[0]?.message).toMatch(/at least 10/);
    expect(passwordProblems('password1234', ctx)[0]?.message).toMatch(/too easy/);
    expect(passwordProblems('Margaret-xq82-Vt9!', ctx)[0]?.message).toMatch(/email/);
  });
});

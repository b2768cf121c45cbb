import type { BodyOf, SecondFactorChallenge, User } from '@parley/protocol';
import { paths as api } from '@parley/protocol/paths';
import { call, isApiError } from './client';

export type { SecondFactorChallenge, User };

/**
 * The session cookie is HttpOnly, so the page cannot see whether it has one. This flag remembers that
 * it logged in (not who, nothing secret) so a first-time visitor's page does not ask /api/auth/me
 * just to get a 401 — which browsers print as a console error on every visit.
 */
const SESSION_HINT = 'parley.session';
export const sessionHint = {
  get: () => {
    try {
      return localStorage.getItem(SESSION_HINT) === '1';
    } catch {
      return true; // storage blocked: just ask the server
    }
  },
  set: (on: boolean) => {
    try {
      if (on) localStorage.setItem(SESSION_HINT, '1');
      else localStorage.removeItem(SESSION_HINT);
    } catch {
      /* storage blocked */
    }
  },
};

/** The current user, or null when the session is anonymous (401). */
export async function fetchMe(): Promise<User | null> {
  if (!sessionHint.get()) return null;
  try {
    return (await call(api.auth.me)).user;
  } catch (e) {
    if (isApiError(e) && e.status === 401) {
      sessionHint.set(false);
      return null;
    }
    throw e;
  }
}

export async function register(input: BodyOf<typeof api.auth.register>): Promise<User> {
  const { user } = await call(api.auth.register, { body: input });
  sessionHint.set(true);
  return user;
}

/** The signed-in user, or the challenge of an account with two-factor on (not signed in yet). */
export async function login(input: BodyOf<typeof api.auth.login>): Promise<User | SecondFactorChallenge> {
  const result = await call(api.auth.login, { body: input });
  if ('secondFactorRequired' in result) return result;
  sessionHint.set(true);
  return result.user;
}

export async function loginSecondFactor(input: BodyOf<typeof api.auth.secondFactor>): Promise<User> {
  const { user } = await call(api.auth.secondFactor, { body: input });
  sessionHint.set(true);
  return user;
}

export async function logout(): Promise<void> {
  sessionHint.set(false);
  await call(api.auth.logout, { body: {} });
}
